"""What every portal page's route shares: the route class that turns refusals into pages, the
dependencies (the portal, intake's use cases, the signed-in practitioner), reading a posted form
with its CSRF token, showing a form again with its refusal, and the flow of a form with one file
(a certificate, a recognition request).

A refusal is the page again in its language, with the refusal beside its field and what was typed
kept (passwords never), with the status the API would answer: never a JSON body, never a 500.
"""

import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from mumaris.auth import Principal
from mumaris.errors import ApiError, Refusal
from mumaris.service import provided
from mumaris.web import PAGE_HEADERS, see_other
from services.intake.accounts.routes import STATUS as ACCOUNT_STATUS
from services.intake.accounts.service import PasswordResets, Profiles, Registrations
from services.intake.classification.routes import REFUSAL_STATUS
from services.intake.classification.service import ClassificationRequests
from services.intake.portal.pages import Portal
from services.intake.portal.rules import FormErrors, kept, refusal_errors
from services.intake.portal.session import CSRF_FIELD, PREFIX, SignInRequired
from services.intake.submissions.rules import Attachment, SubmissionRefused
from services.intake.submissions.service import Certificates
from services.intake.uploads import read_attachment, read_form

log = logging.getLogger("mumaris.intake.portal")
T = TypeVar("T")

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
    "portal.facility_staff_only": 403,
    "form.expired": 403,
}


def status_of(code: str) -> int:
    return STATUS.get(code, 422)


def portal_of(request: Request, name: str = "portal") -> Portal:
    """The portal app.py provided, read directly: the route class needs it outside FastAPI's
    dependency resolution (`provided()` is a coroutine dependency)."""
    portal: Portal = request.app.state.runtime.provided[name]
    return portal


class PortalRoute(APIRoute):
    """Routes whose refusals become pages: no session → the sign-in page; a refusal → the error
    in the page's language with its status; an unexpected failure → a 503 page, never a 500 or
    JSON; and the session's cookies and the pages' headers written on every answer.

    A group of pages for another audience (the facility pages) names its own portal (as app.py
    provides it: its sessions and templates) and sign-in page in a subclass."""

    portal_name = "portal"
    sign_in_path = f"{PREFIX}/sign-in"

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_portal(request: Request) -> Response:
            portal = portal_of(request, self.portal_name)
            try:
                response = await handle(request)
            except SignInRequired as missing:
                response = see_other(_sign_in_url(request, missing.ended, self.sign_in_path))
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


def page_router(route_class: type[PortalRoute] = PortalRoute) -> APIRouter:
    """A router for one group of the portal's pages (routes.py puts them together)."""
    return APIRouter(prefix=PREFIX, route_class=route_class, include_in_schema=False)


async def _error_page(portal: Portal, request: Request, code: str, status: int) -> Response:
    here = None if request.method == "GET" else f"{PREFIX}/"  # a refused POST is not repeated by a link
    template = "not_found.html" if status == 404 else "error.html"
    return await portal.render(request, template, status=status, error=code, here=here)


def _sign_in_url(request: Request, ended: bool, sign_in_path: str) -> str:
    query: dict[str, str] = {"done": "session_ended"} if ended else {}
    if request.method == "GET":
        query["next"] = request.url.path + ("?" + request.url.query if request.url.query else "")
    return sign_in_path + (f"?{urlencode(query)}" if query else "")


PortalDep = Annotated[Portal, Depends(provided("portal"))]  # a coroutine: no thread-pool hand-over
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
        portal.start_unread(request, principal)
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


async def upload_form(
    portal: Portal,
    request: Request,
    *,
    template: str,
    here: str,
    max_fields: int,
    parse: Callable[[Mapping[str, str]], tuple[T | None, FormErrors]],
    send: Callable[[T, Attachment], Awaitable[str]],
    **context: Any,
) -> Response:
    """A posted form of typed fields and one file (`file`), as the certificate and the recognition
    request pages take it: the multipart body read within the upload limit, its CSRF token checked,
    its fields `parse`d into the API's model (or each field's refusal) and the file required, then
    `send` (the use case; where to go next). Any refusal is `template` again in the page's language
    with what was typed kept, each refusal beside its field and the API's status; `here`: the
    form's own address (for the language switch), `context`: what else the template shows."""
    page: dict[str, Any] = {"template": template, "here": here, "confirmed": True, **context}
    max_bytes = portal.settings.max_upload_bytes
    try:
        form = await read_form(request, max_file_bytes=max_bytes, max_files=1, max_fields=max_fields)
    except ApiError as refusal:  # too large (the browser checks first) or not a form
        return await refused_form(portal, request, refusal=refusal, values={}, **page)
    try:
        portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
        values = kept(form)
        typed, errors = parse(values)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.setdefault("file", "file.missing")
        if errors:
            return await portal.render(request, status=422, errors=errors, values=values, **page)
        assert typed is not None and isinstance(upload, UploadFile)
        then = await send(typed, await read_attachment(upload, max_bytes))
    except (ApiError, SubmissionRefused) as refusal:
        return await refused_form(portal, request, refusal=refusal, values=kept(form), **page)
    finally:
        await form.close()
    return see_other(then)


async def email_confirmed(portal: Portal, request: Request, who: Principal) -> bool:
    """A submission needs a confirmed e-mail; a token from before the link was opened is renewed
    once to find out."""
    if who.email_verified:
        return True
    return (await portal.sessions.refreshed(request)).email_verified
