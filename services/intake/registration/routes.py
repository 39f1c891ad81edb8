"""Professional registrations over HTTP: the practitioner's own (`GET /v1/me/registration`, its
renewal), and what a supervisor does to one: suspend it and lift the suspension
(`/v1/registrations/{number}/suspension`, `.../reinstatement`), record a CPD exemption
(`.../cpd-exemption`). Refusals of the rules become HTTP errors here (REFUSAL_STATUS)."""

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
from services.intake.registration.supervision import RegistrationSupervision
from services.intake.registration.views import (
    ExemptionForm,
    ReasonForm,
    RegistrationView,
    SupervisedRegistrationView,
)

router = APIRouter(tags=["registration"])
Registrations = Annotated[ProfessionalRegistrations, Depends(provided("professional_registrations"))]
Ledger = Annotated[CpdLedger, Depends(provided("cpd_ledger"))]
Supervision = Annotated[RegistrationSupervision, Depends(provided("registration_supervision"))]

REFUSAL_STATUS: dict[str, int] = {
    "registration.none": 404,
    "not_found": 404,
    "registration.already_suspended": 409,
    "registration.not_suspended": 409,
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


SUPERVISED = answers(PROTECTED, JSON_BODY, refusals(REFUSAL_STATUS, "not_found"))


async def supervisor_of(request: Request) -> str:
    """The supervisor's id (401/403 before any body is read)."""
    return principal_from(request, settings_of(request), *OVERSEER_ROLES).id


@router.get(
    "/v1/registrations/{number}",
    response_model=SupervisedRegistrationView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found")),
)
async def look_up(
    number: str, request: Request, registrations: Registrations, supervision: Supervision, ledger: Ledger
) -> dict[str, Any]:
    """A supervisor looks a registration up by its number: its status as of today, expiry, the
    suspension and its reason (which the public register does not show), and whose it is."""
    await supervisor_of(request)
    try:
        doc = await supervision.by_number(number)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    practitioner = {k: doc["practitioner"].get(k) for k in ("id", "name", "latin_name")}
    return {**registrations.view(doc), "cpd": await ledger.view(doc), "practitioner": practitioner}


@router.post(
    "/v1/registrations/{number}/suspension",
    response_model=RegistrationView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, refusals(REFUSAL_STATUS, "not_found", "registration.already_suspended")),
    openapi_extra=json_body(ReasonForm),
)
async def suspend(
    number: str, request: Request, registrations: Registrations, supervision: Supervision, ledger: Ledger
) -> dict[str, Any]:
    """A supervisor suspends a registration with the reason (on its history, and announced on
    registration.suspended): it can no longer be renewed and its reminders stop."""
    supervisor = await supervisor_of(request)
    form = await read_json(request, ReasonForm)  # only once the caller is known
    try:
        doc = await supervision.suspend(number, form.reason.strip(), supervisor)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    return {**registrations.view(doc), "cpd": await ledger.view(doc)}


@router.post(
    "/v1/registrations/{number}/reinstatement",
    response_model=RegistrationView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, refusals(REFUSAL_STATUS, "not_found", "registration.not_suspended")),
    openapi_extra=json_body(ReasonForm),
)
async def lift_suspension(
    number: str, request: Request, registrations: Registrations, supervision: Supervision, ledger: Ledger
) -> dict[str, Any]:
    """A supervisor lifts the suspension, with the reason (on its history, and announced on
    registration.reinstated): the registration returns to the status it had."""
    supervisor = await supervisor_of(request)
    form = await read_json(request, ReasonForm)
    try:
        doc = await supervision.lift(number, form.reason.strip(), supervisor)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    return {**registrations.view(doc), "cpd": await ledger.view(doc)}


@router.put(
    "/v1/registrations/{number}/cpd-exemption",
    response_model=RegistrationView,
    dependencies=[BEARER],
    responses=SUPERVISED,
    openapi_extra=json_body(ExemptionForm),
)
async def set_cpd_exemption(
    number: str, request: Request, registrations: Registrations, supervision: Supervision, ledger: Ledger
) -> dict[str, Any]:
    """A supervisor records that the practitioner owes no CPD hours this cycle (`trainee`,
    `not_practising`), or ends the exemption (`exemption`: null), with the reason (on its history)."""
    supervisor = await supervisor_of(request)
    form = await read_json(request, ExemptionForm)
    try:
        doc = await supervision.exempt(number, form.exemption, form.reason.strip(), supervisor)
    except RegistrationRefused as refusal:
        raise refused(refusal) from refusal
    return {**registrations.view(doc), "cpd": await ledger.view(doc)}
