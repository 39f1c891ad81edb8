"""The professional registration in the portal: the card on the profile (status, expiry, days
left, a renew button while renewal is open), and its page (/portal/registration: the card, the
CPD progress bar and ledger, the renewal and its invoice, the renew form). Both read intake's own
use cases (registration/ and cpd/), never its HTTP API; a refused renewal is the page again with
the refusal and the API's status."""

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from mumaris.service import provided
from mumaris.web import see_other
from schemas.events import SubmissionKind
from services.intake.cpd.routes import recognition_view
from services.intake.cpd.service import CpdLedger
from services.intake.portal.routing import PortalDep, Who, page_router, posted
from services.intake.portal.session import PREFIX
from services.intake.registration.routes import REFUSAL_STATUS
from services.intake.registration.rules import RENEWAL_OPEN_STATES, RegistrationRefused, Status
from services.intake.registration.service import ProfessionalRegistrations

router = page_router()
RegistrationsDep = Annotated[ProfessionalRegistrations, Depends(provided("professional_registrations"))]
LedgerDep = Annotated[CpdLedger, Depends(provided("cpd_ledger"))]
RENEWABLE = (Status.RENEWAL_OPEN.value, Status.GRACE.value)


async def registration_card(
    registrations: ProfessionalRegistrations, ledger: CpdLedger, who_id: str
) -> dict[str, Any] | None:
    """What the card and the page show: the registration as of today, with its CPD standing and
    whether the renew button is offered; None when she has none yet."""
    doc = await registrations.store.get(who_id)
    if doc is None:
        return None
    view = {**registrations.view(doc), "cpd": await ledger.view(doc)}
    renewal = view.get("renewal") or {}
    view["can_renew"] = view["status"] in RENEWABLE and renewal.get("status") not in RENEWAL_OPEN_STATES
    required = float(view["cpd"]["hours_required"]) or 1.0
    view["cpd"]["percent"] = min(100, round(100 * float(view["cpd"]["hours_earned"]) / required))
    return view


async def card_for(request: Request, who_id: str) -> dict[str, Any] | None:
    """The card for a page of another area (the profile), from the use cases app.py provided."""
    provided_ = request.app.state.runtime.provided
    return await registration_card(provided_["professional_registrations"], provided_["cpd_ledger"], who_id)


@router.get("/registration")
async def registration_page(request: Request, who: Who, portal: PortalDep) -> Response:
    return await portal.render(request, "registration.html", **await registration_context(who.id, request))


async def registration_context(who_id: str, request: Request) -> dict[str, Any]:
    """What the registration page shows, for the page and for a refused renewal alike."""
    provided_ = request.app.state.runtime.provided
    card = await registration_card(provided_["professional_registrations"], provided_["cpd_ledger"], who_id)
    asked = await provided_["certificates"].list_for(who_id, kind=SubmissionKind.CPD_RECOGNITION)
    return {"registration": card, "recognitions": [recognition_view(d) for d in asked]}


@router.post("/registration/renewals")
async def renew(
    request: Request, who: Who, portal: PortalDep, registrations: RegistrationsDep, ledger: LedgerDep
) -> Response:
    await posted(request, portal)
    try:
        await registrations.request_renewal(who.id, ledger)
    except RegistrationRefused as refusal:
        return await portal.render(
            request,
            "registration.html",
            status=REFUSAL_STATUS.get(refusal.code, 422),
            error=refusal.code,
            here=f"{PREFIX}/registration",
            **await registration_context(who.id, request),
        )
    return see_other(f"{PREFIX}/registration")
