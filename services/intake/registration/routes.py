"""Professional registrations over HTTP: the practitioner's own (`GET /v1/me/registration`), and a
supervisor's suspension of one (`POST /v1/registrations/{number}/suspension`). Refusals of the rules
become HTTP errors here (REFUSAL_STATUS)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from mumaris.auth import OVERSEER_ROLES, principal_from
from mumaris.errors import ApiError
from mumaris.http import read_json
from mumaris.openapi import BEARER, JSON_BODY, PROTECTED, answers, json_body, refusals
from mumaris.service import provided
from services.intake.callers import Practitioner, Submitter, settings_of
from services.intake.cpd.service import CpdLedger
from services.intake.registration.rules import RegistrationRefused
from services.intake.registration.service import ProfessionalRegistrations
from services.intake.registration.views import RegistrationView, SuspensionForm

router = APIRouter(tags=["registration"])
Registrations = Annotated[ProfessionalRegistrations, Depends(provided("professional_registrations"))]
Ledger = Annotated[CpdLedger, Depends(provided("cpd_ledger"))]

REFUSAL_STATUS: dict[str, int] = {
    "registration.none": 404,
    "not_found": 404,
    "registration.already_suspended": 409,
    "registration.renewal_not_open": 409,
    "registration.suspended": 409,
    "registration.lapsed": 409,
    "registration.renewal_pending": 409,
    "registration.cpd_hours_short": 422,
}
RENEWAL_REFUSALS = (
    "registration.none",
    "registration.renewal_not_open",
    "registration.suspended",
    "registration.lapsed",
    "registration.renewal_pending",
    "registration.cpd_hours_short",
)


def refused(refusal: RegistrationRefused) -> ApiError:
    return ApiError.of(refusal, REFUSAL_STATUS.get(refusal.code, 422))


@router.get(
    "/v1/me/registration",
    response_model=RegistrationView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "registration.none")),
)
async def my_registration(who: Practitioner, registrations: Registrations, ledger: Ledger) -> dict[str, Any]:
    """Status, expiry, days left, the cycle, when renewal opens; the cycle's CPD hours required,
    earned and still needed, and the activities counted."""
    try:
        doc = await registrations.of(who.id)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    return {**registrations.view(doc), "cpd": await ledger.view(doc)}


@router.post(
    "/v1/me/registration/renewals",
    status_code=202,
    response_model=RegistrationView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, {403: ("account.email_unconfirmed",)}, refusals(REFUSAL_STATUS, *RENEWAL_REFUSALS)),
)
async def request_renewal(who: Submitter, registrations: Registrations, ledger: Ledger) -> JSONResponse:
    """Ask to renew the registration (open 90 days before expiry, and through the grace period).
    Refused with `registration.cpd_hours_short` and the figures (`details.cpd_hours`: required,
    earned, needed) while the cycle's CPD hours fall short. Accepted (202): the renewal's invoice
    follows (`renewal.invoice`, from review); paid in time, the registration runs two more years
    from its current expiry."""
    try:
        doc = await registrations.request_renewal(who.id, ledger)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    return JSONResponse(
        {**registrations.view(doc), "cpd": await ledger.view(doc)},
        status_code=202,
        headers={"Location": "/v1/me/registration"},
    )


@router.post(
    "/v1/registrations/{number}/suspension",
    response_model=RegistrationView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, refusals(REFUSAL_STATUS, "not_found", "registration.already_suspended")),
    openapi_extra=json_body(SuspensionForm),
)
async def suspend(number: str, request: Request, registrations: Registrations, ledger: Ledger) -> dict[str, Any]:
    """A supervisor suspends a registration with the reason (recorded, and announced on
    registration.suspended)."""
    supervisor = principal_from(request, settings_of(request), *OVERSEER_ROLES)
    form = await read_json(request, SuspensionForm)  # only once the caller is known
    try:
        doc = await registrations.suspend(number, form.reason.strip(), supervisor.id)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    return {**registrations.view(doc), "cpd": await ledger.view(doc)}
