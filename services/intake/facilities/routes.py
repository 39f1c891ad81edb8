"""Facility accounts over HTTP.

Admins: `POST /v1/facilities` (a hospital or clinic), `POST /v1/facilities/{id}/staff` (its staff
users, role `facility`, who sign in at `POST /v1/auth/login`). The facility's staff (and admins):
its roster — add or remove one practitioner, upload a CSV of thousands (`text/csv`, streamed),
read it a page at a time with each registration's status, the status at a glance, a CSV export.
A facility's staff asking for another facility get 404, as if it did not exist.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from mumaris.auth import ADMIN_ROLES, Principal, principal_from
from mumaris.errors import ApiError
from mumaris.http import allow_larger_body, read_json
from mumaris.openapi import BEARER, JSON_BODY, PARAMETERS, PROTECTED, answers, json_body, refusals
from mumaris.service import provided
from services.intake.accounts.rules import AccountRuleError
from services.intake.callers import settings_of
from services.intake.facilities import rules
from services.intake.facilities.rules import FacilityRefused
from services.intake.facilities.service import Facilities
from services.intake.facilities.views import (
    FacilityForm,
    FacilityView,
    RosterAddition,
    RosterEntryView,
    RosterPage,
    RosterSummary,
    StaffCreated,
    StaffForm,
    UploadReportView,
)

router = APIRouter(tags=["facilities"])
FacilitiesDep = Annotated[Facilities, Depends(provided("facilities"))]

REFUSAL_STATUS: dict[str, int] = {
    "not_found": 404,
    "facility.licence_taken": 409,
    "roster.not_on_roster": 404,
    "roster.unknown_registration": 422,
    "roster.number_invalid": 422,
    "roster.number_missing": 422,
    "roster.header_missing": 422,
    "roster.too_many_rows": 413,
    "roster.file_too_large": 413,
    "account.email_taken": 409,
    "account.id_taken": 409,
}
STAFF_REFUSALS = (
    "account.email_taken",
    "account.id_taken",
    "account.name_invalid",
    "account.email_invalid",
    "account.id_invalid_format",
    "account.id_invalid_check_digit",
    "account.password_weak",
    "account.password_contains_personal_data",
)


def refused(refusal: FacilityRefused | AccountRuleError) -> ApiError:
    return ApiError.of(refusal, REFUSAL_STATUS.get(refusal.code, 422))


def admin(request: Request) -> Principal:
    return principal_from(request, settings_of(request), *ADMIN_ROLES)


async def facility_member(request: Request, facility_id: str, facilities: Facilities) -> Principal:
    """An admin, or a staff user of this very facility (anyone else: 404, as if it did not exist)."""
    who = principal_from(request, settings_of(request), *ADMIN_ROLES, "facility")
    if not who.is_staff and await facilities.facility_of(who.id) != facility_id:
        raise ApiError(404, "not_found")
    return who


def facility_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "facility_id": doc["_id"],
        "name": doc["name"],
        "kind": doc["kind"],
        "licence_number": doc["licence_number"],
        "created_at": doc["created_at"].isoformat(),
    }


NOT_FOUND = refusals(REFUSAL_STATUS, "not_found")


@router.post(
    "/v1/facilities",
    status_code=201,
    response_model=FacilityView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, refusals(REFUSAL_STATUS, "facility.licence_taken")),
    openapi_extra=json_body(FacilityForm),
)
async def create_facility(request: Request, facilities: FacilitiesDep) -> JSONResponse:
    """An admin creates a facility (a hospital or a clinic) with its licence number (unique)."""
    who = admin(request)
    form = await read_json(request, FacilityForm)
    try:
        doc = await facilities.create(form.name_ar, form.name_en, form.kind, form.licence_number, who.id)
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal
    return JSONResponse(facility_view(doc), status_code=201, headers={"Location": f"/v1/facilities/{doc['_id']}"})


@router.get(
    "/v1/facilities/{facility_id}",
    response_model=FacilityView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, NOT_FOUND),
)
async def show_facility(facility_id: str, request: Request, facilities: FacilitiesDep) -> dict[str, Any]:
    await facility_member(request, facility_id, facilities)
    try:
        return facility_view(await facilities.facility(facility_id))
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal


@router.post(
    "/v1/facilities/{facility_id}/staff",
    status_code=201,
    response_model=StaffCreated,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, NOT_FOUND, refusals(REFUSAL_STATUS, *STAFF_REFUSALS)),
    openapi_extra=json_body(StaffForm),
)
async def add_staff(facility_id: str, request: Request, facilities: FacilitiesDep) -> JSONResponse:
    """An admin adds a staff user to the facility: active at once, role `facility`; the sign-up
    rules for names, ID number, e-mail and password."""
    admin(request)
    form = await read_json(request, StaffForm)
    try:
        account_id = await facilities.add_staff(facility_id, form.model_dump())
    except (FacilityRefused, AccountRuleError) as refusal:
        raise refused(refusal) from refusal
    return JSONResponse({"account_id": account_id, "facility_id": facility_id, "role": "facility"}, status_code=201)


@router.post(
    "/v1/facilities/{facility_id}/roster",
    status_code=201,
    response_model=RosterEntryView,
    dependencies=[BEARER],
    responses=answers(
        PROTECTED,
        JSON_BODY,
        refusals(
            REFUSAL_STATUS, "not_found", "roster.number_invalid", "roster.number_missing", "roster.unknown_registration"
        ),
    ),
    openapi_extra=json_body(RosterAddition),
)
async def add_to_roster(facility_id: str, request: Request, facilities: FacilitiesDep) -> JSONResponse:
    """Put one practitioner on the roster by registration number (already there: unchanged, 201 alike)."""
    await facility_member(request, facility_id, facilities)
    form = await read_json(request, RosterAddition)
    try:
        view = await facilities.add_one(facility_id, form.registration_number, form.employee_number)
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal
    return JSONResponse(view, status_code=201)


@router.delete(
    "/v1/facilities/{facility_id}/roster/{registration_number}",
    status_code=204,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found", "roster.not_on_roster")),
)
async def remove_from_roster(
    facility_id: str, registration_number: str, request: Request, facilities: FacilitiesDep
) -> Response:
    """Take a practitioner off the roster: the facility hears no more of her registration."""
    await facility_member(request, facility_id, facilities)
    try:
        await facilities.remove_one(facility_id, registration_number)
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal
    return Response(status_code=204)


ROSTER_CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": "UTF-8 CSV (a BOM is fine), one practitioner per line after a header line naming "
        "`registration_number` (and optionally `employee_number`). Each refused line is named in the answer "
        "with its line number and a stable code; the good lines are kept. The same file sent again changes "
        "nothing and is answered with the first report (`repeated: true`).",
        "content": {
            "text/csv": {
                "schema": {"type": "string", "format": "binary"},
                "example": "registration_number,employee_number\nRG-00000018,E-1001\n",
            }
        },
    }
}


@router.post(
    "/v1/facilities/{facility_id}/roster/uploads",
    response_model=UploadReportView,
    dependencies=[BEARER],
    responses=answers(
        PROTECTED,
        refusals(REFUSAL_STATUS, "not_found", "roster.header_missing", "roster.too_many_rows", "roster.file_too_large"),
    ),
    openapi_extra=ROSTER_CSV_BODY,
)
async def upload_roster(facility_id: str, request: Request, facilities: FacilitiesDep) -> dict[str, Any]:
    """A roster CSV of thousands, read as it streams and checked line by line."""
    await facility_member(request, facility_id, facilities)
    most = settings_of(request).roster_upload_max_bytes
    allow_larger_body(request, most, ApiError(413, "roster.file_too_large", {"max_bytes": most}))
    try:
        report = await facilities.upload(facility_id, request.stream())
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal
    return report.view()


@router.get(
    "/v1/facilities/{facility_id}/roster",
    response_model=RosterPage,
    dependencies=[BEARER],
    responses=answers(PROTECTED, PARAMETERS, NOT_FOUND),
)
async def roster(
    facility_id: str,
    request: Request,
    facilities: FacilitiesDep,
    after: Annotated[str | None, Query(max_length=40, description="The last number of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The roster in registration-number order, a page at a time, each with its registration's status today."""
    await facility_member(request, facility_id, facilities)
    try:
        return await facilities.roster_page(facility_id, after, limit)
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal


@router.get(
    "/v1/facilities/{facility_id}/roster/summary",
    response_model=RosterSummary,
    dependencies=[BEARER],
    responses=answers(PROTECTED, NOT_FOUND),
)
async def roster_summary(facility_id: str, request: Request, facilities: FacilitiesDep) -> dict[str, Any]:
    """The roster at a glance: how many practitioners, and how many in each registration status."""
    await facility_member(request, facility_id, facilities)
    try:
        return await facilities.summary(facility_id)
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal


@router.get(
    "/v1/facilities/{facility_id}/roster.csv",
    dependencies=[BEARER],
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The roster as CSV (UTF-8), a header line then one practitioner per line.",
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": "registration_number,employee_number\nRG-00000018,E-1001\n",
                }
            },
        },
        **answers(PROTECTED, NOT_FOUND),
    },
)
async def export_roster(facility_id: str, request: Request, facilities: FacilitiesDep) -> StreamingResponse:
    """The whole roster with each registration's status, as CSV (columns: rules.EXPORT_COLUMNS)."""
    await facility_member(request, facility_id, facilities)
    try:
        await facilities.facility(facility_id)
    except FacilityRefused as refusal:
        raise refused(refusal) from refusal

    return roster_csv(facilities, facility_id)


def roster_csv(facilities: Facilities, facility_id: str) -> StreamingResponse:
    """The whole roster with each registration's status, streamed as CSV (the API's and the pages')."""

    async def rows() -> AsyncIterator[str]:
        yield ",".join(rules.EXPORT_COLUMNS) + "\r\n"
        async for entry in facilities.entries(facility_id):
            line = io.StringIO()
            csv.writer(line).writerow([entry.get(column) or "" for column in rules.EXPORT_COLUMNS])
            yield line.getvalue()

    headers = {"Content-Disposition": f'attachment; filename="roster-{facility_id}.csv"'}
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers=headers)
