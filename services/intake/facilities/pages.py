"""The facility pages, under /portal/facility: a facility's staff sign in, see their roster's status
at a glance (each practitioner's names in both scripts, registration number, status, expiry and
warnings), filter and page it, upload a roster CSV (each refused line told in the page's
language) and export it; register, disable and rotate their webhooks (a secret is shown once), and
read the delivery log and the dead-letter list with replay.

The portal's machinery (portal/routing.py, session.py, pages.py): its frame, language switch,
CSP, CSRF on every form, refusals as pages; with sessions of their own (role `facility`, cookies
of their own) and templates beside the portal's. The facility is always the one the staff user's
token names: no page takes a facility id, and another facility's webhook or delivery is 404.
Roster use cases are intake's (facilities/service.py); webhooks are notifier's, reached through
its API with the user's own token (webhook_client.py).
"""

import dataclasses
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader
from starlette.datastructures import FormData, UploadFile

from mumaris.auth import Principal
from mumaris.errors import ApiError
from mumaris.http import allow_larger_body
from mumaris.service import provided
from mumaris.web import local_path, see_other
from services.intake.accounts.rules import AccountRuleError
from services.intake.facilities import rules
from services.intake.facilities.routes import REFUSAL_STATUS, roster_csv
from services.intake.facilities.rules import FacilityRefused
from services.intake.facilities.service import Facilities
from services.intake.facilities.text import NOTICES, FacilityWords
from services.intake.facilities.webhook_client import WebhookClient
from services.intake.portal.pages import TEMPLATES as PORTAL_TEMPLATES
from services.intake.portal.pages import Portal
from services.intake.portal.routing import PortalRoute, page_router, portal_of, posted, refused_form, text
from services.intake.portal.session import CSRF_FIELD, PREFIX, Audience, PortalSessions
from services.intake.uploads import MULTIPART_OVERHEAD_BYTES

HOME = f"{PREFIX}/facility"
TEMPLATES = Path(__file__).parent / "templates"
PAGE_SIZE = 50
CHUNK_BYTES = 64 * 1024

# Facility staff keep a session of their own beside a practitioner's in the same browser.
FACILITY_STAFF = Audience(
    role="facility",
    refusal="portal.facility_staff_only",
    access_cookie="mumaris_facility_access",
    refresh_cookie="mumaris_facility_refresh",
    csrf_seed_cookie="mumaris_facility_csrf",
    csrf_scope="facility",
)


class FacilityRoute(PortalRoute):
    portal_name = "facility_portal"
    sign_in_path = f"{HOME}/sign-in"


router = page_router(FacilityRoute)


def with_facility_pages(portal: Portal, sessions: PortalSessions) -> Portal:
    """The portal with the facility staff's sessions, its templates found beside ours."""
    loader = ChoiceLoader([FileSystemLoader(PORTAL_TEMPLATES), FileSystemLoader(TEMPLATES)])
    env = Environment(
        loader=PrefixLoader({"portal": loader}),
        autoescape=True,
        undefined=portal.env.undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(portal.env.filters)
    return dataclasses.replace(portal, env=env, sessions=sessions)


async def _portal(request: Request) -> Portal:
    return portal_of(request, FacilityRoute.portal_name)


FacilityPortal = Annotated[Portal, Depends(_portal)]
FacilitiesDep = Annotated[Facilities, Depends(provided("facilities"))]
WebhooksDep = Annotated[WebhookClient, Depends(provided("facility_webhooks"))]


async def _staff(request: Request, portal: FacilityPortal) -> Principal:
    """The signed-in staff user of a facility (else the facility sign-in page)."""
    who = await portal.sessions.principal(request)
    if who.facility_id is None:
        raise ApiError(404, "not_found")
    return who


Staff = Annotated[Principal, Depends(_staff)]


async def show(portal: Portal, request: Request, template: str, status: int = 200, **context: Any) -> Response:
    words = FacilityWords(portal.sessions.lang(request))
    done = request.query_params.get("done")
    return await portal.render(
        request,
        template,
        status=status,
        w=words,
        home=HOME,
        facility_notice=f"done.{done}" if done in NOTICES else None,
        unread=None,
        **context,
    )


# --- signing in and out ------------------------------------------------------------------------


@router.get("/facility")
async def facility_home() -> Response:
    return see_other(f"{HOME}/roster")


@router.get("/facility/sign-in")
async def sign_in_page(request: Request, portal: FacilityPortal) -> Response:
    if await portal.sessions.signed_in(request):
        return see_other(local_path(request.query_params.get("next"), HOME, f"{HOME}/roster"))
    return await show(portal, request, "facility_sign_in.html", next=request.query_params.get("next", ""))


@router.post("/facility/sign-in")
async def sign_in(request: Request, portal: FacilityPortal) -> Response:
    form = await posted(request, portal)
    values = {"email": text(form, "email", 254)}
    page: dict[str, Any] = {"next": text(form, "next", 500), "here": f"{HOME}/sign-in", "w": _words(portal, request)}
    try:
        await portal.sessions.sign_in_with(request, values["email"], text(form, "password"))
    except (AccountRuleError, ApiError) as refusal:
        return await refused_form(
            portal, request, "facility_sign_in.html", refusal, values, home=HOME, facility_notice=None, **page
        )
    return see_other(local_path(form.get("next"), HOME, f"{HOME}/roster"))


def _words(portal: Portal, request: Request) -> FacilityWords:
    return FacilityWords(portal.sessions.lang(request))


@router.post("/facility/sign-out")
async def sign_out(request: Request, portal: FacilityPortal) -> Response:
    await posted(request, portal)
    await portal.sessions.sign_out(request)
    return see_other(f"{HOME}/sign-in?done=signed_out")


# --- the roster ----------------------------------------------------------------------------------


async def roster_view(
    portal: Portal,
    request: Request,
    facilities: Facilities,
    who: Principal,
    status: int = 200,
    shown: str = "all",
    after: str | None = None,
    **context: Any,
) -> Response:
    assert who.facility_id is not None
    facility = await facilities.facility(who.facility_id)
    summary = await facilities.summary(who.facility_id)
    page = await facilities.filtered_page(who.facility_id, shown, after, PAGE_SIZE)
    return await show(
        portal,
        request,
        "facility_roster.html",
        status=status,
        facility=facility,
        summary=summary,
        page=page,
        shown=shown,
        after=after,
        filters=rules.FILTERS,
        max_kb=portal.settings.roster_upload_max_bytes // 1024,
        **context,
    )


@router.get("/facility/roster")
async def roster_page(
    request: Request,
    who: Staff,
    portal: FacilityPortal,
    facilities: FacilitiesDep,
    show_: Annotated[str, Query(alias="show", max_length=20)] = "all",
    after: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    shown = show_ if show_ in rules.FILTERS else "all"
    return await roster_view(portal, request, facilities, who, shown=shown, after=after or None)


async def _chunks(upload: UploadFile) -> Any:
    while chunk := await upload.read(CHUNK_BYTES):
        yield chunk


@router.post("/facility/roster/upload")
async def upload_roster(request: Request, who: Staff, portal: FacilityPortal, facilities: FacilitiesDep) -> Response:
    """A roster file sent from the page's form: the API's upload, its report shown on the roster page."""
    assert who.facility_id is not None
    most = portal.settings.roster_upload_max_bytes
    refused_whole = ApiError(413, "roster.file_too_large", {"max_bytes": most})
    allow_larger_body(request, most + MULTIPART_OVERHEAD_BYTES, refused_whole)
    form: FormData | None = None
    try:
        form = await request.form(max_files=1, max_fields=2)
        portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise FacilityRefused("roster.header_missing", {"expected": [rules.NUMBER_COLUMN, rules.EMPLOYEE_COLUMN]})
        report = await facilities.upload(who.facility_id, _chunks(upload))
    except ApiError as refusal:
        if refusal.code == "form.expired":
            raise
        return await roster_view(portal, request, facilities, who, refusal.status, upload_error=refusal.code)
    except FacilityRefused as refusal:
        status = REFUSAL_STATUS.get(refusal.code, 422)
        return await roster_view(portal, request, facilities, who, status, upload_error=refusal.code)
    finally:
        if form is not None:
            await form.close()
    return await roster_view(portal, request, facilities, who, report=report.view(), here=f"{HOME}/roster")


@router.get("/facility/roster.csv")
async def export_roster(who: Staff, facilities: FacilitiesDep) -> Response:
    assert who.facility_id is not None
    return roster_csv(facilities, who.facility_id)


# --- webhooks ------------------------------------------------------------------------------------


async def webhooks_view(
    portal: Portal, request: Request, webhooks: WebhookClient, who: Principal, status: int = 200, **context: Any
) -> Response:
    assert who.facility_id is not None
    token = portal.sessions.access_token(request)
    return await show(
        portal,
        request,
        "facility_webhooks.html",
        status=status,
        hooks=await webhooks.listing(token, who.facility_id),
        deliveries=await webhooks.deliveries(token, who.facility_id),
        dead=await webhooks.deliveries(token, who.facility_id, "dead"),
        **context,
    )


@router.get("/facility/webhooks")
async def webhooks_page(request: Request, who: Staff, portal: FacilityPortal, webhooks: WebhooksDep) -> Response:
    return await webhooks_view(portal, request, webhooks, who)


@router.post("/facility/webhooks")
async def register_webhook(request: Request, who: Staff, portal: FacilityPortal, webhooks: WebhooksDep) -> Response:
    """A new endpoint: the page answers with its secret, shown this once (never in an address)."""
    assert who.facility_id is not None
    form = await posted(request, portal)
    values = {"url": text(form, "url", 2000)}
    here = f"{HOME}/webhooks"
    try:
        created = await webhooks.register(portal.sessions.access_token(request), who.facility_id, values["url"])
    except ApiError as refusal:
        if refusal.status >= 500:
            raise
        errors = {"url": refusal.code}
        return await webhooks_view(
            portal, request, webhooks, who, refusal.status, errors=errors, values=values, here=here
        )
    return await webhooks_view(portal, request, webhooks, who, 201, secret_of=created, here=here)


@router.post("/facility/webhooks/{subscription_id}/disable")
async def disable_webhook(
    subscription_id: str, request: Request, who: Staff, portal: FacilityPortal, webhooks: WebhooksDep
) -> Response:
    assert who.facility_id is not None
    await posted(request, portal)
    await webhooks.disable(portal.sessions.access_token(request), who.facility_id, subscription_id)
    return see_other(f"{HOME}/webhooks?done=webhook_disabled")


@router.post("/facility/webhooks/{subscription_id}/rotate")
async def rotate_secret(
    subscription_id: str, request: Request, who: Staff, portal: FacilityPortal, webhooks: WebhooksDep
) -> Response:
    """A new secret, shown this once; the old one goes on signing beside it for the overlap."""
    assert who.facility_id is not None
    await posted(request, portal)
    rotated = await webhooks.rotate(portal.sessions.access_token(request), who.facility_id, subscription_id)
    return await webhooks_view(portal, request, webhooks, who, secret_of=rotated, here=f"{HOME}/webhooks")


@router.post("/facility/deliveries/{delivery_id}/replay")
async def replay_delivery(
    delivery_id: str, request: Request, who: Staff, portal: FacilityPortal, webhooks: WebhooksDep
) -> Response:
    assert who.facility_id is not None
    await posted(request, portal)
    await webhooks.replay(portal.sessions.access_token(request), who.facility_id, delivery_id)
    return see_other(f"{HOME}/webhooks?done=replayed")
