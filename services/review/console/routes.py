"""The reviewer console's routes (all under /console): sign-in, my queue, an item (document,
submitted details, automated findings, earlier submissions, claim and decision forms), its audit
trail, supervision, and a supervisor's registrations (look-up, suspension, lifting it: through
intake's API, registrations.py).

It acts through the same ReviewDesk as the JSON API, so claims, decisions, document views and
their audit entries follow the same rules whichever way a reviewer works. Sign-in, cookies and
CSRF tokens are in session.py; how a page is made in pages.py. A refusal is shown on the page in
the reviewer's language, with the status the API would answer, never as JSON.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, ValidationError, field_validator

from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.files import FileStore
from mumaris.http import client_address
from mumaris.service import provided
from schemas.classifications import DOCUMENT_TYPES
from services.review.console.documents import document_view, pdf_page_png
from services.review.console.pages import (
    PAGE_HEADERS,
    STATIC,
    Pages,
    finding_groups,
    item_url,
    local_next,
    see_other,
)
from services.review.console.registrations import FieldRefused, IntakeRegistrations, reason_of, registration_number
from services.review.console.session import CSRF_FIELD, PREFIX, SignInRequired
from services.review.queue.routes import Configured, DecisionBody, Desk, Files, api_error
from services.review.queue.rules import QueueKind, QueueState, ReviewRefused
from services.review.queue.service import Actor, ReviewDesk, may_see_document
from services.review.queue.store import QueueFilter
from services.review.queue.views import document_response, item_view

log = logging.getLogger("mumaris.review.console")
SEARCH_PAGE_SIZE = 50


class SupervisionQuery(BaseModel):
    """The supervision filter form; an empty field means "any"."""

    kind: QueueKind | None = None
    state: QueueState | None = None
    reviewer: Annotated[str | None, Field(max_length=100)] = None
    specialty: Annotated[str | None, Field(max_length=120)] = None
    waiting_hours: Annotated[float | None, Field(ge=0, le=24 * 365)] = None
    q: Annotated[str | None, Field(max_length=100)] = None
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0

    @field_validator("kind", "state", "reviewer", "specialty", "waiting_hours", "q", mode="before")
    @classmethod
    def blank_is_any(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def filters(self) -> QueueFilter:
        return QueueFilter(
            kind=self.kind,
            state=self.state,
            reviewer_id=self.reviewer,
            specialty=self.specialty,
            waiting_longer_than=None if self.waiting_hours is None else timedelta(hours=self.waiting_hours),
            text=self.q,
            limit=SEARCH_PAGE_SIZE,
            offset=self.offset,
        )

    def link(self, offset: int) -> str:
        values = {k: v for k, v in self.model_dump(mode="json").items() if v not in (None, "") and k != "offset"}
        return f"{PREFIX}/supervise?" + urlencode({**values, "offset": offset})


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.runtime.provided["console"]  # what Depends(mumaris.service.provided) answers
    return pages


class ConsoleRoute(APIRoute):
    """Routes whose refusals become pages: no session → the sign-in page; an ApiError or a refusal
    of the queue's rules → the error in the reviewer's language with its status; an unexpected
    failure → a 503 page; and the session's cookies written back."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_in_console(request: Request) -> Response:
            pages = pages_of(request)
            try:
                response = await handle(request)
            except SignInRequired as missing:
                response = see_other(_sign_in_url(request, missing.ended))
            except (ApiError, ReviewRefused) as error:
                refusal = api_error(error) if isinstance(error, ReviewRefused) else error
                response = pages.render(
                    request, "error.html", status=refusal.status, error=refusal.code, here=_here_after_refusal(request)
                )
            except (RequestValidationError, ValidationError):
                response = pages.render(
                    request, "error.html", status=422, error="request.invalid", here=_here_after_refusal(request)
                )
            except Exception:  # a page, never a JSON body or a 500 (the portal's routes do the same)
                log.exception("unexpected failure on %s %s", request.method, request.url.path)
                response = pages.render(
                    request, "error.html", status=503, error="service.unavailable", here=_here_after_refusal(request)
                )
                response.headers["Retry-After"] = "5"
            pages.sessions.finish(request, response)
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)  # a document keeps its own stricter policy
            return response

        return handle_in_console


def _here_after_refusal(request: Request) -> str | None:
    """Switching language on a refused GET asks for the same page again; a refused POST is not
    repeated by a link, so the switch leads to the queue."""
    return None if request.method == "GET" else f"{PREFIX}/"


def _sign_in_url(request: Request, ended: bool) -> str:
    query: dict[str, str] = {"done": "session_ended"} if ended else {}
    if request.method == "GET":
        query["next"] = request.url.path + ("?" + request.url.query if request.url.query else "")
    return f"{PREFIX}/login" + (f"?{urlencode(query)}" if query else "")


router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
# A mount takes no router prefix: its path is the whole path.
router.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")

Console = Annotated[Pages, Depends(provided("console"))]  # a coroutine: no thread-pool hand-over


async def signed_in(request: Request, pages: Console, settings: Configured) -> Actor:
    principal = await pages.sessions.principal(request)
    return Actor.of(principal, client_address(request, settings))


Staff = Annotated[Actor, Depends(signed_in)]


async def acting(request: Request, actor: Staff, pages: Console) -> Actor:
    """A signed-in reviewer posting one of our forms (CSRF token checked)."""
    pages.sessions.check_csrf(request, (await request.form()).get(CSRF_FIELD))
    return actor


Acting = Annotated[Actor, Depends(acting)]


@dataclass(frozen=True)
class ItemPage:
    """An item's page: shown for a GET, and again, with the refusal, after a form it could not take."""

    pages: Pages
    desk: ReviewDesk
    files: FileStore

    async def show(
        self,
        request: Request,
        actor: Actor,
        review_id: str,
        *,
        status: int = 200,
        error: str | None = None,
        form: Mapping[str, Any] | None = None,
    ) -> HTMLResponse:
        doc = await self.desk.get(review_id)
        visible = may_see_document(doc, actor)
        previous_id = doc.get("previous_submission_id")
        previous = await self.desk.store.get(previous_id) if previous_id else None
        earlier = await self.desk.store.for_practitioner(doc["practitioner"]["id"], exclude=review_id)
        return self.pages.render(
            request,
            "item.html",
            status=status,
            error=error,
            here=item_url(review_id),
            item=item_view(doc, await self.desk.exams_of(doc)),
            actor=actor,
            may_see_document=visible,
            reserved_until=doc.get("reserved_until"),
            document_types=DOCUMENT_TYPES,
            document=await document_view(doc, self.files) if visible else None,
            groups=finding_groups(doc["findings"]),
            previous=item_view(previous) if previous else None,
            earlier=[item_view(d) for d in earlier],
            # what was entered; `confirming`: an approval waiting for its confirmation
            form={"decision": None, "reason": "", "reason_codes": [], "confirming": False, **(form or {})},
        )

    async def refused(
        self,
        request: Request,
        actor: Actor,
        review_id: str,
        refused: ReviewRefused,
        form: Mapping[str, Any] | None = None,
    ) -> HTMLResponse:
        refusal = api_error(refused)
        return await self.show(request, actor, review_id, status=refusal.status, error=refusal.code, form=form)


async def item_page(pages: Console, desk: Desk, files: Files) -> ItemPage:
    """A coroutine although it waits for nothing: FastAPI runs a plain `def` dependency in its
    thread pool."""
    return ItemPage(pages, desk, files)


Shown = Annotated[ItemPage, Depends(item_page)]


# --- signing in and out --------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request, pages: Console) -> Response:
    try:
        await pages.sessions.principal(request)
        return see_other(local_next(request.query_params.get("next"), f"{PREFIX}/"))
    except SignInRequired:
        return pages.render(request, "login.html", email="", next=request.query_params.get("next", ""))


@router.post("/login")
async def login(request: Request, pages: Console) -> Response:
    form = await request.form()
    pages.sessions.check_csrf(request, form.get(CSRF_FIELD))
    email, password = str(form.get("email") or "")[:254], str(form.get("password") or "")[:256]
    try:
        await pages.sessions.sign_in(request, email, password)
    except ApiError as refusal:  # intake's refusal (wrong password, locked) or not staff
        return pages.render(
            request,
            "login.html",
            status=refusal.status,
            error=refusal.code,
            email=email,
            next=form.get("next") or "",
            here=f"{PREFIX}/login",
        )
    return see_other(local_next(form.get("next"), f"{PREFIX}/"))


@router.post("/logout")
async def logout(request: Request, _: Acting, pages: Console) -> Response:
    await pages.sessions.sign_out(request)
    return see_other(f"{PREFIX}/login?done=signed_out")


# --- my queue ------------------------------------------------------------------------------


@router.get("/")
async def my_queue(request: Request, actor: Staff, pages: Console, desk: Desk) -> Response:
    at = now()
    return pages.render(
        request,
        "queue.html",
        actor=actor,
        held=[item_view(d) for d in await desk.store.held_by(actor.id, at)],
        waiting=[item_view(d) for d in await desk.store.waiting(actor.id, at)],
    )


@router.post("/claim-next")
async def claim_next(actor: Acting, desk: Desk) -> Response:
    claimed = await desk.claim_next(actor)
    return see_other(f"{PREFIX}/?done=nothing_waiting" if claimed is None else item_url(claimed["_id"], "claimed"))


# --- an item -------------------------------------------------------------------------------


@router.get("/items/{review_id}")
async def item(review_id: str, request: Request, actor: Staff, page: Shown) -> Response:
    return await page.show(request, actor, review_id)


async def claim_step(
    request: Request,
    actor: Actor,
    review_id: str,
    step: Callable[[str, Actor], Awaitable[Any]],
    done: str,
    page: ItemPage,
) -> Response:
    try:
        await step(review_id, actor)
    except ReviewRefused as refused:
        return await page.refused(request, actor, review_id, refused)
    back = local_next((await request.form()).get("next"), item_url(review_id))
    return see_other(f"{back}{'&' if '?' in back else '?'}done={done}")


@router.post("/items/{review_id}/claim")
async def claim(review_id: str, request: Request, actor: Acting, desk: Desk, page: Shown) -> Response:
    return await claim_step(request, actor, review_id, desk.claim, "claimed", page)


@router.post("/items/{review_id}/renew")
async def renew(review_id: str, request: Request, actor: Acting, desk: Desk, page: Shown) -> Response:
    return await claim_step(request, actor, review_id, desk.renew, "renewed", page)


@router.post("/items/{review_id}/release")
async def release(review_id: str, request: Request, actor: Acting, desk: Desk, page: Shown) -> Response:
    return await claim_step(request, actor, review_id, desk.release, "released", page)


@router.post("/items/{review_id}/decision")
async def decide(review_id: str, request: Request, actor: Acting, desk: Desk, page: Shown) -> Response:
    form = await request.form()
    entered = {
        "decision": form.get("decision"),
        "reason": form.get("reason") or "",
        "reason_codes": form.getlist("reason_codes"),
        # Only a CPD recognition request's form has the field; an empty one is no hours.
        "cpd_hours_recognised": form.get("cpd_hours_recognised") or None,
    }
    if entered["decision"] == "approve" and form.get("confirmed") != "yes":
        # An approval is asked for again on the page (a second button, not under the focus): a
        # stray Enter on "Approve" only opens the question. The JSON API decides at once.
        return await page.show(request, actor, review_id, form={**entered, "confirming": True})
    try:
        await desk.decide(review_id, actor, DecisionBody.model_validate(entered).request())
    except ValidationError:
        return await page.show(request, actor, review_id, status=422, error="request.invalid", form=entered)
    except ReviewRefused as refused:
        return await page.refused(request, actor, review_id, refused, form=entered)
    return see_other(item_url(review_id, "decided"))


@router.get("/items/{review_id}/document")
async def document(review_id: str, actor: Staff, desk: Desk, files: Files) -> StreamingResponse:
    """The original file, to the claim holder or a supervisor (audited), as the API sends it."""
    return document_response(await desk.open_document(review_id, actor, {"via": "console"}), files)


@router.get("/items/{review_id}/documents/{submission_id}")
async def classification_document(
    review_id: str, submission_id: str, actor: Staff, desk: Desk, files: Files
) -> StreamingResponse:
    """One document of a classification item (each is opened on its own, audited)."""
    return document_response(await desk.open_document(review_id, actor, {"via": "console"}, submission_id), files)


@router.get("/items/{review_id}/pages/{page:int}.png")
async def pdf_page(review_id: str, page: int, actor: Staff, desk: Desk, files: Files) -> Response:
    doc = await desk.get(review_id)
    if (doc.get("file") or {}).get("content_type") != "application/pdf":
        raise ApiError(404, "review.page_not_found")
    opened = await desk.open_document(review_id, actor, {"via": "console", "page": page})
    png = await asyncio.to_thread(pdf_page_png, await files.get(opened["file"]["file_id"]), page)
    if png is None:
        raise ApiError(404, "review.page_not_found")
    return Response(
        png,
        media_type="image/png",
        headers={
            "Content-Disposition": f'inline; filename="{review_id}-page-{page}.png"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/items/{review_id}/history")
async def history(review_id: str, request: Request, actor: Staff, pages: Console, desk: Desk) -> Response:
    doc = await desk.get(review_id)
    return pages.render(request, "history.html", item=item_view(doc), entries=await desk.store.history(review_id))


# --- supervision ---------------------------------------------------------------------------


@router.get("/supervise")
async def supervise(request: Request, actor: Staff, pages: Console, desk: Desk) -> Response:
    if not actor.oversees:
        raise ApiError(403, "auth.forbidden")
    query = SupervisionQuery.model_validate(dict(request.query_params))
    at = now()
    items, total = await desk.store.search(query.filters(), at)
    oldest = await desk.store.oldest_waiting(at)
    return pages.render(
        request,
        "supervise.html",
        query=query,
        items=[item_view(d) for d in items],
        total=total,
        counts=await desk.store.counts(at),
        past_sla=await desk.store.count_past_sla(at),
        oldest=item_view(oldest) if oldest else None,
        kinds=list(QueueKind),
        states=list(QueueState),
        previous_link=query.link(max(0, query.offset - SEARCH_PAGE_SIZE)) if query.offset else None,
        next_link=query.link(query.offset + SEARCH_PAGE_SIZE) if query.offset + len(items) < total else None,
    )


# --- a supervisor's registrations ------------------------------------------------------------

AtIntake = Annotated[IntakeRegistrations, Depends(provided("console_registrations"))]


async def supervisor(actor: Staff) -> Actor:
    """A signed-in supervisor (or admin); a reviewer gets the 403 page."""
    if not actor.oversees:
        raise ApiError(403, "auth.forbidden")
    return actor


async def supervisor_acting(actor: Acting) -> Actor:
    """A supervisor posting one of our forms (CSRF token checked)."""
    return await supervisor(actor)


Supervisor = Annotated[Actor, Depends(supervisor)]
SupervisorActing = Annotated[Actor, Depends(supervisor_acting)]


def registration_url(number: str | None, done: str | None = None) -> str:
    query = {k: v for k, v in (("number", number), ("done", done)) if v}
    return f"{PREFIX}/registrations" + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class RegistrationPage:
    """The look-up page with the registration found (its forms), shown for a GET and again after a
    form it could not take: a field's error beside the field, intake's refusal with its code."""

    pages: Pages
    intake: IntakeRegistrations

    async def show(
        self,
        request: Request,
        number: str | None,
        *,
        status: int = 200,
        refused: str | None = None,
        field_errors: Mapping[str, str] | None = None,
        form: Mapping[str, Any] | None = None,
    ) -> HTMLResponse:
        errors = dict(field_errors or {})
        registration = None
        if number and "number" not in errors:
            try:
                registration = await self.intake.look_up(self.pages.sessions.access_token(request), number)
            except ApiError as refusal:
                if refusal.code != "not_found":
                    raise  # 403 (not a supervisor at intake either), 503: the console's own pages
                errors["number"], status = "registration.unknown_number", 404
        return self.pages.render(
            request,
            "registrations.html",
            status=status,
            here=registration_url(number),
            number=number or "",
            registration=registration,
            refused=refused,
            field_errors=errors,
            form={"action": None, "reason": "", "confirming": False, **(form or {})},
        )


async def registration_page(pages: Console, intake: AtIntake) -> RegistrationPage:
    return RegistrationPage(pages, intake)


RegistrationShown = Annotated[RegistrationPage, Depends(registration_page)]


@router.get("/registrations")
async def registrations(request: Request, _: Supervisor, page: RegistrationShown) -> Response:
    typed = request.query_params.get("number")
    try:
        number = registration_number(typed)
    except FieldRefused as wrong:
        return await page.show(request, str(typed)[:40], status=422, field_errors={wrong.field: wrong.code})
    return await page.show(request, number)


async def supervision_step(
    request: Request,
    number: str,
    action: str,
    page: RegistrationPage,
    call: Callable[[str, str, str], Awaitable[Any]],
    done: str,
    confirm: bool,
) -> Response:
    """One of the registration's forms: the reason checked, a suspension confirmed first, then
    intake's answer: back to the page with the notice, or the page again with the refusal."""
    form = await request.form()
    typed = str(form.get("reason") or "")[:2000]
    try:
        number = registration_number(number) or ""
        reason = reason_of(form)
    except FieldRefused as wrong:
        entered = {"action": action, "reason": typed}
        return await page.show(request, number, status=422, field_errors={wrong.field: wrong.code}, form=entered)
    if confirm and form.get("confirmed") != "yes":
        # Asked again on the page with a button of its own: a stray Enter only opens the question.
        return await page.show(request, number, form={"action": action, "reason": reason, "confirming": True})
    try:
        await call(page.pages.sessions.access_token(request), number, reason)
    except ApiError as refusal:
        if refusal.status not in (404, 409):
            raise
        return await page.show(request, number, status=refusal.status, refused=refusal.code)
    return see_other(registration_url(number, done))


@router.post("/registrations/{number}/suspension")
async def suspend_registration(
    number: str, request: Request, _: SupervisorActing, page: RegistrationShown, intake: AtIntake
) -> Response:
    return await supervision_step(request, number, "suspend", page, intake.suspend, "suspended", confirm=True)


@router.post("/registrations/{number}/reinstatement")
async def lift_registration_suspension(
    number: str, request: Request, _: SupervisorActing, page: RegistrationShown, intake: AtIntake
) -> Response:
    return await supervision_step(request, number, "lift", page, intake.lift, "reinstated", confirm=False)
