"""The practitioner portal's pages, all under /portal: sign-up, the phone code, the e-mail link,
sign-in and out, a forgotten password, the profile and its changes, certificates (the list, one
certificate's timeline, adding one, a corrected version), notifications, and e-services (a change
of classification and the request's page).

Pages call intake's own use cases (provided by app.py), never its HTTP API. Every form works
without JavaScript and carries a CSRF token; a refusal is the page again in its language, with
the refusal beside its field and what was typed kept (passwords never), with the status the API
would answer: never a JSON body, never a 500. Sessions, cookies and CSRF are session.py, how a
page is made pages.py, the words text.py, the pure rules rules.py.
"""

import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from mumaris.auth import Principal
from mumaris.certificates import CertificateRefused, check_certificate
from mumaris.clock import now, today_in_riyadh
from mumaris.errors import ApiError, Refusal
from mumaris.http import client_address
from mumaris.service import provided
from mumaris.web import PAGE_HEADERS, local_path, see_other
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION
from schemas.events import CertificateMetadata
from services.intake.accounts.routes import STATUS as ACCOUNT_STATUS
from services.intake.accounts.rules import AccountRuleError
from services.intake.accounts.service import (
    PasswordResets,
    ProfilePatch,
    Profiles,
    Registrations,
    SignUp,
)
from services.intake.callers import reference
from services.intake.classification.routes import MAX_DOCUMENTS, REFUSAL_STATUS
from services.intake.classification.rules import RequestRefused, allowed_targets
from services.intake.classification.service import ClassificationRequests
from services.intake.portal.pages import STATIC, Portal
from services.intake.portal.rules import (
    FormErrors,
    checked_box,
    failed_findings,
    kept,
    progress_of,
    refusal_errors,
    seconds_left,
    validation_errors,
)
from services.intake.portal.session import CSRF_FIELD, PREFIX, SignInRequired
from services.intake.submissions.rules import Lineage, SubmissionRefused
from services.intake.submissions.service import Certificates
from services.intake.uploads import read_attachment, read_form

log = logging.getLogger("mumaris.intake.portal")

# The status a refused page answers with: the API's own for each code, 422 otherwise.
STATUS: dict[str, int] = {
    **ACCOUNT_STATUS,
    **REFUSAL_STATUS,
    "file.duplicate_pending": 409,
    "submission.not_awaiting_changes": 409,
    "submission.already_resubmitted": 409,
    "file.too_large": 413,
    "file.unsupported_type": 415,
    "file.empty": 400,
    "file.missing": 400,
    "account.email_unconfirmed": 403,
    "portal.practitioners_only": 403,
    "form.expired": 403,
}
CERTIFICATE_FIELDS = ("name", "obtained_on", "institution", "specialty", "degree")
# Pages reached from an e-mail link hold its token in their address: it is sent nowhere else.
NO_REFERRER = {"Referrer-Policy": "no-referrer"}


def status_of(code: str) -> int:
    return STATUS.get(code, 422)


def portal_of(request: Request) -> Portal:
    portal: Portal = provided("portal")(request)
    return portal


class PortalRoute(APIRoute):
    """Routes whose refusals become pages: no session → the sign-in page; a refusal → the error
    in the page's language with its status; an unexpected failure → a 503 page, never a 500 or
    JSON; and the session's cookies and the pages' headers written on every answer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_portal(request: Request) -> Response:
            portal = portal_of(request)
            try:
                response = await handle(request)
            except SignInRequired as missing:
                response = see_other(_sign_in_url(request, missing.ended))
            except (ApiError, Refusal) as error:
                status = error.status if isinstance(error, ApiError) else status_of(error.code)
                response = await _error_page(portal, request, error.code, status)
            except (RequestValidationError, ValidationError):
                response = await _error_page(portal, request, "request.invalid", 422)
            except Exception:
                log.exception("unexpected failure on %s %s", request.method, request.url.path)
                response = await _error_page(portal, request, "service.unavailable", 503)
                response.headers["Retry-After"] = "5"
            portal.sessions.finish(request, response)
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return handle_in_portal


async def _error_page(portal: Portal, request: Request, code: str, status: int) -> Response:
    here = None if request.method == "GET" else f"{PREFIX}/"  # a refused POST is not repeated by a link
    template = "not_found.html" if status == 404 else "error.html"
    return await portal.render(request, template, status=status, error=code, here=here)


def _sign_in_url(request: Request, ended: bool) -> str:
    query: dict[str, str] = {"done": "session_ended"} if ended else {}
    if request.method == "GET":
        query["next"] = request.url.path + ("?" + request.url.query if request.url.query else "")
    return f"{PREFIX}/sign-in" + (f"?{urlencode(query)}" if query else "")


router = APIRouter(prefix=PREFIX, route_class=PortalRoute, include_in_schema=False)
# A mount takes no router prefix: its path is the whole path.
router.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="portal-static")

PortalDep = Annotated[Portal, Depends(portal_of)]
RegistrationsDep = Annotated[Registrations, Depends(provided("registrations"))]
ResetsDep = Annotated[PasswordResets, Depends(provided("password_resets"))]
ProfilesDep = Annotated[Profiles, Depends(provided("profiles"))]
CertificatesDep = Annotated[Certificates, Depends(provided("certificates"))]
RequestsDep = Annotated[ClassificationRequests, Depends(provided("classification_requests"))]


async def practitioner(request: Request, portal: PortalDep) -> Principal:
    """The signed-in practitioner (else the sign-in page); for a page, her unread count is asked
    for at once, while the page's own work goes on."""
    principal = await portal.sessions.principal(request)
    if request.method == "GET":
        portal.start_unread(request)
    return principal


Who = Annotated[Principal, Depends(practitioner)]


async def posted(request: Request, portal: Portal) -> FormData:
    """A form of ours (not a file upload), its CSRF token checked against whoever is signed in."""
    await portal.sessions.signed_in(request)
    form = await request.form()
    portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
    return form


def text(form: FormData, name: str, limit: int = 256) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


async def refused_form(
    portal: Portal,
    request: Request,
    template: str,
    refusal: Refusal | ApiError,
    values: Mapping[str, Any],
    **context: Any,
) -> Response:
    """The form again with the refusal beside its field (or above the form)."""
    errors, error = refusal_errors(refusal.code, refusal.details)
    status = refusal.status if isinstance(refusal, ApiError) else status_of(refusal.code)
    details = refusal.details if isinstance(refusal.details, dict) else {}
    return await portal.render(
        request, template, status=status, error=error, errors=errors, values=values, details=details, **context
    )


# --- the way in ------------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request, portal: PortalDep) -> Response:
    signed_in = await portal.sessions.signed_in(request)
    return see_other(f"{PREFIX}/profile" if signed_in else f"{PREFIX}/sign-in")


@router.get("/sign-up")
async def sign_up_page(request: Request, portal: PortalDep) -> Response:
    if await portal.sessions.signed_in(request):
        return see_other(f"{PREFIX}/profile")
    return await portal.render(request, "sign_up.html", terms_version=portal.settings.terms_version)


@router.post("/sign-up")
async def sign_up(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    form = await posted(request, portal)
    values = kept(form)
    page: dict[str, Any] = {
        "template": "sign_up.html",
        "terms_version": portal.settings.terms_version,
        "here": f"{PREFIX}/sign-up",
    }
    id_kind = values.get("id_kind") or None
    try:
        signing_up = SignUp(
            **{k: values.get(k, "") for k in ("first_name", "last_name", "id_number", "email", "mobile")},
            id_kind=id_kind if id_kind in ("national_id", "iqama") else None,
            password=text(form, "password"),
            password_confirmation=text(form, "password_confirmation"),
            accept_terms=checked_box(form.get("accept_terms")),
            locale=portal.sessions.lang(request),
        )
        account_id = await registrations.sign_up(signing_up)
    except ValidationError as invalid:
        errors = validation_errors(invalid, SignUp.model_fields)
        return await portal.render(request, status=422, errors=errors, values=values, **page)
    except AccountRuleError as refusal:
        return await refused_form(portal, request, refusal=refusal, values=values, **page)
    portal.sessions.remember_pending(request, account_id)
    return see_other(f"{PREFIX}/verify-phone?done=signed_up")


async def phone_page(
    portal: Portal, request: Request, registrations: Registrations, account_id: str | None, **context: Any
) -> Response:
    """The code's page: the number it went to, its time left, the wait before another."""
    if account_id is None:
        return await portal.render(request, "verify_phone.html", step=None, **context)
    try:
        step = await registrations.phone_step(account_id)
    except AccountRuleError:  # confirmed meanwhile (or gone): sign-in is next
        portal.sessions.forget_pending(request)
        return see_other(f"{PREFIX}/sign-in")
    return await portal.render(request, "verify_phone.html", step=step, here=f"{PREFIX}/verify-phone", **context)


@router.get("/verify-phone")
async def verify_phone_page(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    return await phone_page(portal, request, registrations, portal.sessions.pending_account(request))


@router.post("/verify-phone")
async def verify_phone(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    form = await posted(request, portal)
    account_id = portal.sessions.pending_account(request)
    if account_id is None:
        return await phone_page(portal, request, registrations, None)
    try:
        await registrations.verify_phone(account_id, text(form, "code", 12))
    except AccountRuleError as refusal:
        errors, error = refusal_errors(refusal.code, refusal.details)
        return await phone_page(
            portal, request, registrations, account_id, status=status_of(refusal.code), errors=errors, error=error
        )
    portal.sessions.forget_pending(request)
    return see_other(f"{PREFIX}/sign-in?done=phone_confirmed")


@router.post("/verify-phone/resend")
async def resend_code(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    await posted(request, portal)
    account_id = portal.sessions.pending_account(request)
    if account_id is None:
        return await phone_page(portal, request, registrations, None)
    try:
        await registrations.resend_code(account_id)
    except AccountRuleError as refusal:  # too soon, or the hour's limit: the page says how long to wait
        return await phone_page(
            portal, request, registrations, account_id, status=status_of(refusal.code), errors={"resend": refusal.code}
        )
    return see_other(f"{PREFIX}/verify-phone?done=code_resent")


@router.get("/confirm-email")
async def confirm_email_page(request: Request, portal: PortalDep) -> Response:
    """The e-mail link's landing page: a button confirms (link scanners that open every link in
    an e-mail must not use it up)."""
    token = request.query_params.get("token", "")[:2000]
    response = await portal.render(request, "confirm_email.html", token=token, here=f"{PREFIX}/confirm-email")
    response.headers.update(NO_REFERRER)
    return response


@router.post("/confirm-email")
async def confirm_email(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    form = await posted(request, portal)
    here = f"{PREFIX}/sign-in"
    try:
        account_id, number = await registrations.confirm_email(text(form, "token", 2000))
    except AccountRuleError as refusal:
        return await portal.render(
            request, "confirm_email.html", status=status_of(refusal.code), error=refusal.code, token="", here=here
        )
    signed_in = await portal.sessions.signed_in(request)
    if signed_in is not None and signed_in.id == account_id:
        await portal.sessions.refreshed(request)  # her token now says the e-mail is confirmed
    return await portal.render(request, "confirm_email.html", confirmed=number, token="", here=here)


@router.get("/sign-in")
async def sign_in_page(request: Request, portal: PortalDep) -> Response:
    next_page = local_path(request.query_params.get("next"), PREFIX, f"{PREFIX}/profile")
    if await portal.sessions.signed_in(request):
        return see_other(next_page)
    return await portal.render(request, "sign_in.html", next=request.query_params.get("next", ""), locked_s=0)


@router.post("/sign-in")
async def sign_in(request: Request, portal: PortalDep) -> Response:
    form = await posted(request, portal)
    values = {"email": text(form, "email", 254)}
    page: dict[str, Any] = {"template": "sign_in.html", "next": text(form, "next", 500), "here": f"{PREFIX}/sign-in"}
    try:
        await portal.sessions.sign_in_with(request, values["email"], text(form, "password"))
    except AccountRuleError as refusal:
        if refusal.code == "account.phone_unconfirmed" and isinstance(refusal.details, dict):
            portal.sessions.remember_pending(request, str(refusal.details["account_id"]))
            return see_other(f"{PREFIX}/verify-phone?done=phone_unconfirmed")
        locked = refusal.retry_after_s or 0
        return await refused_form(portal, request, refusal=refusal, values=values, locked_s=locked, **page)
    except ApiError as refusal:
        return await refused_form(portal, request, refusal=refusal, values=values, locked_s=0, **page)
    return see_other(local_path(form.get("next"), PREFIX, f"{PREFIX}/profile"))


@router.post("/sign-out")
async def sign_out(request: Request, portal: PortalDep) -> Response:
    await posted(request, portal)
    await portal.sessions.sign_out(request)
    return see_other(f"{PREFIX}/sign-in?done=signed_out")


@router.get("/forgot-password")
async def forgot_page(request: Request, portal: PortalDep) -> Response:
    return await portal.render(request, "forgot_password.html", sent=False)


@router.post("/forgot-password")
async def forgot(request: Request, portal: PortalDep, resets: ResetsDep) -> Response:
    form = await posted(request, portal)
    values = {"email": text(form, "email", 254)}
    page: dict[str, Any] = {"template": "forgot_password.html", "here": f"{PREFIX}/forgot-password"}
    try:
        await resets.request(values["email"], client_address(request, portal.settings) or "unknown")
    except AccountRuleError as refusal:
        return await refused_form(portal, request, refusal=refusal, values=values, sent=False, **page)
    minutes = portal.settings.password_reset_ttl_s // 60
    return await portal.render(request, sent=True, minutes=minutes, **page)


@router.get("/reset-password")
async def reset_page(request: Request, portal: PortalDep, resets: ResetsDep) -> Response:
    token = request.query_params.get("token", "")[:2000]
    try:
        resets.check_link(token)
        response = await portal.render(request, "reset_password.html", token=token, link_ok=True)
    except AccountRuleError as refusal:
        response = await portal.render(
            request, "reset_password.html", status=status_of(refusal.code), error=refusal.code, token="", link_ok=False
        )
    response.headers.update(NO_REFERRER)
    return response


@router.post("/reset-password")
async def reset(request: Request, portal: PortalDep, resets: ResetsDep) -> Response:
    form = await posted(request, portal)
    token = text(form, "token", 2000)
    page: dict[str, Any] = {"template": "reset_password.html", "here": f"{PREFIX}/forgot-password"}
    try:
        await resets.reset(token, text(form, "password"), text(form, "password_confirmation"))
    except AccountRuleError as refusal:
        link_ok = refusal.field is not None  # a password refusal keeps the link; a link refusal does not
        return await refused_form(
            portal, request, refusal=refusal, values={}, token=token if link_ok else "", link_ok=link_ok, **page
        )
    portal.sessions.forget_session(request)  # this browser's session ended with all the others
    return see_other(f"{PREFIX}/sign-in?done=password_reset")


# --- the profile -----------------------------------------------------------------------------------


@router.get("/profile")
async def profile_page(request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep) -> Response:
    return await show_profile(portal, request, profiles, who)


async def show_profile(
    portal: Portal, request: Request, profiles: Profiles, who: Principal, **context: Any
) -> Response:
    profile = await profiles.profile(who.id)
    account = profile.account
    values = context.pop("values", None) or {
        "first_name": account["first_name"],
        "last_name": account["last_name"],
        "mobile": account.get("mobile") or "",
        "locale": account["locale"],
    }
    return await portal.render(
        request, "profile.html", profile=profile, account=account, values=values, here=f"{PREFIX}/profile", **context
    )


@router.post("/profile")
async def change_profile(request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep) -> Response:
    form = await posted(request, portal)
    values = kept(form)
    try:
        patch = ProfilePatch(
            first_name=values.get("first_name") or None,
            last_name=values.get("last_name") or None,
            mobile=values.get("mobile") or None,
            locale=values.get("locale") if values.get("locale") in ("ar", "en") else None,
        )
        change_id = await profiles.request_change(who.id, patch)
    except ValidationError as invalid:
        errors = validation_errors(invalid, ProfilePatch.model_fields)
        return await show_profile(portal, request, profiles, who, status=422, errors=errors, values=values)
    except AccountRuleError as refusal:
        errors, error = refusal_errors(refusal.code, refusal.details)
        status = status_of(refusal.code)
        return await show_profile(
            portal, request, profiles, who, status=status, errors=errors, error=error, values=values
        )
    return see_other(f"{PREFIX}/profile?done={'change_requested' if change_id else 'language_saved'}")


# --- certificates ----------------------------------------------------------------------------------


@router.get("/certificates")
async def certificates_page(request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep) -> Response:
    docs = await certificates.list_for(who.id)
    return await portal.render(request, "certificates.html", items=[(d, progress_of(d)) for d in docs])


async def own_certificate(certificates: Certificates, who: Principal, submission_id: str) -> dict[str, Any]:
    doc = await certificates.visible(submission_id, who.id)
    if doc is None:
        raise ApiError(404, "not_found")  # another practitioner's certificate does not exist for her
    return doc


@router.get("/certificates/new")
async def new_certificate_page(request: Request, who: Who, portal: PortalDep) -> Response:
    confirmed = await email_confirmed(portal, request, who)
    return await portal.render(request, "certificate_form.html", previous=None, confirmed=confirmed)


async def email_confirmed(portal: Portal, request: Request, who: Principal) -> bool:
    """A submission needs a confirmed e-mail; a token from before the link was opened is renewed
    once to find out."""
    if who.email_verified:
        return True
    return (await portal.sessions.refreshed(request)).email_verified


@router.post("/certificates")
async def add_certificate(request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep) -> Response:
    return await accept_certificate(portal, request, who, certificates, None)


@router.get("/certificates/{submission_id}")
async def certificate_page(
    submission_id: str, request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    doc = await own_certificate(certificates, who, submission_id)
    return await portal.render(
        request, "certificate.html", doc=doc, progress=progress_of(doc), failed=failed_findings(doc)
    )


@router.get("/certificates/{submission_id}/resubmit")
async def resubmit_page(
    submission_id: str, request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    previous = await own_certificate(certificates, who, submission_id)
    certificates.next_version(previous)  # refused (a page) unless the reviewer asked for changes
    confirmed = await email_confirmed(portal, request, who)
    values = {k: str(v) for k, v in previous["certificate"].items()}
    return await portal.render(request, "certificate_form.html", previous=previous, confirmed=confirmed, values=values)


@router.post("/certificates/{submission_id}/resubmit")
async def resubmit(
    submission_id: str, request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    previous = await own_certificate(certificates, who, submission_id)
    certificates.next_version(previous)  # checked before the body is read: a refused one stores nothing
    return await accept_certificate(portal, request, who, certificates, previous)


async def accept_certificate(
    portal: Portal, request: Request, who: Principal, certificates: Certificates, previous: dict[str, Any] | None
) -> Response:
    """The upload form: its fields as the certificate's details, its file checked like the API's."""
    page: dict[str, Any] = {"template": "certificate_form.html", "previous": previous, "confirmed": True}
    max_bytes = portal.settings.max_upload_bytes
    try:
        form = await read_form(request, max_file_bytes=max_bytes, max_files=1, max_fields=8)
    except ApiError as refusal:  # too large (the browser checks first) or not a form
        return await refused_form(portal, request, refusal=refusal, values={}, **page)
    try:
        portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
        values = kept(form)
        metadata, errors = certificate_details(values)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.setdefault("file", "file.missing")
        if errors:
            return await portal.render(request, status=422, errors=errors, values=values, **page)
        assert metadata is not None and isinstance(upload, UploadFile)
        lineage = certificates.next_version(previous) if previous else Lineage()
        submission_id = await certificates.accept(
            reference(who), metadata, await read_attachment(upload, max_bytes), lineage
        )
    except (ApiError, SubmissionRefused) as refusal:
        return await refused_form(portal, request, refusal=refusal, values=kept(form), **page)
    finally:
        await form.close()
    done = "resubmitted" if previous else "submitted"
    return see_other(f"{PREFIX}/certificates/{submission_id}?done={done}")


def certificate_details(values: Mapping[str, str]) -> tuple[CertificateMetadata | None, FormErrors]:
    """The typed details as the API's model, or each field's refusal: a date in the future or
    before 1950 is refused here too, before anything is stored."""
    try:
        metadata = CertificateMetadata.model_validate({k: values.get(k, "") for k in CERTIFICATE_FIELDS})
        check_certificate(metadata, today_in_riyadh())
    except ValidationError as invalid:
        return None, validation_errors(invalid, CERTIFICATE_FIELDS)
    except CertificateRefused as refusal:
        return None, refusal_errors(refusal.code, refusal.details)[0] or {"obtained_on": refusal.code}
    return metadata, {}


# --- notifications ---------------------------------------------------------------------------------


@router.get("/notifications")
async def notifications_page(request: Request, who: Who, portal: PortalDep) -> Response:
    wanted = request.query_params.get("page", "1")
    page = int(wanted) if wanted.isdigit() and 0 < int(wanted) <= 10_000 else 1
    inbox = await portal.inbox.page(portal.sessions.access_token(request), page=page)
    return await portal.render(request, "notifications.html", inbox=inbox, page=page)


@router.post("/notifications/{message_id}/read")
async def mark_read(message_id: str, request: Request, who: Who, portal: PortalDep) -> Response:
    form = await posted(request, portal)
    await portal.inbox.mark_read(portal.sessions.access_token(request), message_id[:200])
    page = text(form, "page", 6)
    return see_other(f"{PREFIX}/notifications?done=read" + (f"&page={page}" if page.isdigit() else ""))


# --- e-services: change of classification ----------------------------------------------------------


@router.get("/e-services")
async def e_services_page(request: Request, who: Who, portal: PortalDep) -> Response:
    return await portal.render(request, "e_services.html")


@router.get("/e-services/classification")
async def classification_page(
    request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep, requests: RequestsDep
) -> Response:
    account = (await profiles.profile(who.id)).account
    values = {
        "membership_number": account.get("membership_number") or "",
        "target": request.query_params.get("target", ""),
    }
    return await classification_form(portal, request, who, requests, account, values)


async def classification_form(
    portal: Portal,
    request: Request,
    who: Principal,
    requests: ClassificationRequests,
    account: dict[str, Any],
    values: Mapping[str, str],
    **context: Any,
) -> Response:
    """Step one: the classifications allowed from hers; step two (a target chosen): its documents,
    exams, fee and conditions."""
    targets = [CLASSIFICATIONS[code] for code in allowed_targets(account.get("classification"))]
    chosen = next((c for c in targets if c.code == values.get("target")), None)
    return await portal.render(
        request,
        "classification_form.html",
        account=account,
        targets=targets,
        chosen=chosen,
        open_request_id=await requests.requests.open_request_id(who.id),
        confirmed=await email_confirmed(portal, request, who),
        conditions_version=CONDITIONS_VERSION,
        values=values,
        here=f"{PREFIX}/e-services/classification" + (f"?target={chosen.code}" if chosen else ""),
        **context,
    )


@router.post("/e-services/classification")
async def request_classification(
    request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep, requests: RequestsDep
) -> Response:
    await requests.refuse_if_open(who.id)  # a page; before any file is read
    max_bytes = portal.settings.max_upload_bytes
    form = await read_form(request, max_file_bytes=max_bytes, max_files=MAX_DOCUMENTS, max_fields=8)
    try:
        portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
        values = kept(form)
        uploads = {
            name: value for name, value in form.multi_items() if isinstance(value, UploadFile) and value.filename
        }
        account, target = await requests.checked(
            who.id,
            membership_number=values.get("membership_number", ""),
            target=values.get("target", ""),
            accept_conditions=checked_box(form.get("accept_conditions")),
            conditions_version=values.get("conditions_version", ""),
            documents=list(uploads),
        )
        documents = {}
        for document_type in target.required_documents:
            try:
                documents[document_type] = await read_attachment(uploads[document_type], max_bytes)
            except ApiError as bad_file:
                raise ApiError(bad_file.status, bad_file.code, {"document_type": document_type}) from bad_file
        accepted = await requests.accept(reference(who), account, target, documents)
    except (RequestRefused, ApiError) as refusal:
        account = (await profiles.profile(who.id)).account
        errors, error = refusal_errors(refusal.code, refusal.details)
        status = refusal.status if isinstance(refusal, ApiError) else status_of(refusal.code)
        return await classification_form(
            portal, request, who, requests, account, kept(form), status=status, errors=errors, error=error
        )
    finally:
        await form.close()
    return see_other(f"{PREFIX}/e-services/classification/{accepted.request_id}?done=requested")


@router.get("/e-services/classification/{request_id}")
async def request_page(
    request_id: str, request: Request, who: Who, portal: PortalDep, requests: RequestsDep
) -> Response:
    doc = await requests.visible(request_id, who.id)
    if doc is None:
        raise ApiError(404, "not_found")  # another practitioner's request does not exist for her
    documents = await requests.documents_of(doc)
    invoice = doc.get("invoice")
    return await portal.render(
        request,
        "classification_request.html",
        doc=doc,
        progress=progress_of(doc),
        documents=[
            (kind, documents.get(sid, {}), failed_findings(documents.get(sid, {})))
            for kind, sid in doc["documents"].items()
        ],
        exams=await requests.exams_of(doc),
        invoice=invoice,
        invoice_left=seconds_left(invoice["due_at"], now()) if invoice else 0,
    )


@router.api_route("/{rest:path}", methods=["GET", "POST"])
async def not_found(rest: str) -> Response:
    raise ApiError(404, "not_found")
