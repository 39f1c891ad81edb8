"""The reviewer console: server-rendered pages (Jinja2) for reviewers and supervisors.

It acts through the same ReviewDesk as the JSON API, so claims, decisions, document views and
their audit entries follow the same rules whichever way a reviewer works. Sign-in, cookies and
CSRF tokens are in console_session.py; every word shown, in Arabic and English, in console_text.py.

Pages (all under /console): login, my queue, an item (document, submitted details, automated
findings, earlier submissions, claim and decision forms), its audit trail, and supervision.
A refusal is shown on the page in the reviewer's language, never as JSON.
"""

import asyncio
import io
import json
import threading
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

import pypdfium2 as pdfium
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from pydantic import BaseModel, Field, ValidationError, field_validator

from mumaris.auth import installed_revoked_sessions
from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.files import FileStore
from mumaris.http import client_address
from mumaris.service import ServiceRuntime
from schemas.classifications import DOCUMENT_TYPES
from schemas.events import SubmissionKind
from schemas.review_reasons import NEEDS_NOTE, REJECTION_REASONS
from services.review.app import DecisionBody, document_response, item_view
from services.review.console.session import (
    CSRF_FIELD,
    PREFIX,
    ConsoleSessions,
    SignInRequired,
)
from services.review.console.text import Words
from services.review.fees.service import FeeDesk
from services.review.queue.rules import QueueState
from services.review.queue.service import Actor, ReviewDesk, may_see_document
from services.review.queue.store import QueueFilter

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# PDF pages are drawn this many pixels wide: sharper than the ~600 px column, for zooming in.
PDF_PAGE_WIDTH_PX = 1240
PDF_MAX_SCALE = 3.0  # never blow a small page up beyond this (points → pixels)
# pdfium is not thread-safe and the pages are drawn in worker threads.
_PDFIUM_LOCK = threading.Lock()

# Findings shown together, in this order; rules not listed fall into "file".
FINDING_GROUPS: tuple[tuple[str, str], ...] = (
    ("content", "content."),
    ("clarity", "image."),
    ("duplicates", "duplicate"),
    ("metadata", "metadata."),
)
# What `?done=` may announce after an action (the value names a text, never carries one).
NOTICES = frozenset({"claimed", "renewed", "released", "decided", "nothing_waiting", "signed_out", "session_ended"})
SEARCH_PAGE_SIZE = 50

# The console's own pages: scripts and styles only from our static folder, no framing.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "private, no-store",  # pages show personal data
}


def item_url(review_id: str, done: str | None = None) -> str:
    return f"{PREFIX}/items/{review_id}" + (f"?done={done}" if done else "")


def local_next(value: Any, default: str) -> str:
    """Where to go after an action or sign-in: only a console path of ours (no open redirect)."""
    if isinstance(value, str) and value.startswith(f"{PREFIX}/") and "//" not in value and "\\" not in value:
        return value
    return default


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def finding_groups(findings: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in FINDING_GROUPS} | {"file": []}
    for finding in findings:
        name = next((name for name, prefix in FINDING_GROUPS if finding["rule"].startswith(prefix)), "file")
        groups[name].append(finding)
    return [(name, members) for name, members in groups.items() if members]


# --- PDF pages -------------------------------------------------------------------------------------


def pdf_page_count(data: bytes) -> int:
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            return len(document)
        finally:
            document.close()


def pdf_page_png(data: bytes, number: int) -> bytes | None:
    """Page `number` (from 1) as a PNG, or None when the document has no such page."""
    with _PDFIUM_LOCK:
        document = pdfium.PdfDocument(data)
        try:
            if not 1 <= number <= len(document):
                return None
            page = document[number - 1]
            try:
                width_pt, _ = page.get_size()
                bitmap = page.render(scale=min(PDF_MAX_SCALE, PDF_PAGE_WIDTH_PX / max(width_pt, 1.0)))
                try:
                    image = bitmap.to_pil().convert("RGB")  # a copy: pdfium's buffer goes with the bitmap
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


# --- supervision filters -----------------------------------------------------------------------------


class SupervisionQuery(BaseModel):
    """The supervision filter form; an empty field means "any"."""

    kind: SubmissionKind | None = None
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


# --- rendering -----------------------------------------------------------------------------------------


def _details_text(details: Mapping[str, Any]) -> str:
    return "; ".join(
        f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}" for k, v in details.items()
    )


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.0f}"


class Pages:
    def __init__(self, sessions: ConsoleSessions) -> None:
        self.sessions = sessions
        self.env = Environment(
            # Templates name each other "console/<page>.html".
            loader=PrefixLoader({"console": FileSystemLoader(TEMPLATES)}),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["number"] = _number
        self.env.filters["details"] = _details_text

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        error: str | None = None,
        here: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """`here`: the page's own address for the language switch (a page shown in answer to a POST)."""
        words = Words(self.sessions.lang(request))
        done = request.query_params.get("done")
        at = now()
        reasons = [(code, label.ar if words.lang == "ar" else label.en) for code, label in REJECTION_REASONS.items()]
        html = self.env.get_template(f"console/{template}").render(
            t=words,
            lang=words.lang,
            dir=words.dir,
            at=at,
            past=lambda iso: iso is not None and datetime.fromisoformat(iso) <= at,
            principal=getattr(request.state, "console_principal", None),
            csrf_field=CSRF_FIELD,
            csrf=self.sessions.csrf_for(request),
            switch_url=self._switch_url(request, here, "en" if words.lang == "ar" else "ar"),
            notice=f"done.{done}" if done in NOTICES else None,
            error=error,
            reasons=reasons,
            reason_labels=dict(reasons),
            reasons_needing_note=NEEDS_NOTE,
            prefix=PREFIX,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    @staticmethod
    def _switch_url(request: Request, here: str | None, lang: str) -> str:
        path, _, query = (
            here or str(request.url.path) + ("?" + request.url.query if request.url.query else "")
        ).partition("?")
        params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("lang", "done")]
        return f"{path}?{urlencode([*params, ('lang', lang)])}"


def _console_route_class(sessions: ConsoleSessions, pages: Pages) -> type[APIRoute]:
    """Routes whose refusals become pages: no session → the sign-in page; an ApiError → the
    error in the reviewer's language with its status; and the session's cookies written back."""

    class ConsoleRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            handle = super().get_route_handler()

            async def handle_in_console(request: Request) -> Response:
                try:
                    response = await handle(request)
                except SignInRequired as missing:
                    response = see_other(_sign_in_url(request, missing.ended))
                except ApiError as refusal:
                    response = pages.render(
                        request,
                        "error.html",
                        status=refusal.status,
                        error=refusal.code,
                        here=_here_after_refusal(request),
                    )
                except (RequestValidationError, ValidationError):
                    response = pages.render(
                        request, "error.html", status=422, error="request.invalid", here=_here_after_refusal(request)
                    )
                sessions.finish(request, response)
                for name, value in PAGE_HEADERS.items():
                    response.headers.setdefault(name, value)  # a document keeps its own stricter policy
                return response

            return handle_in_console

    return ConsoleRoute


def _here_after_refusal(request: Request) -> str | None:
    """Switching language on a refused GET asks for the same page again; a refused POST is not
    repeated by a link, so the switch leads to the queue."""
    return None if request.method == "GET" else f"{PREFIX}/"


def _sign_in_url(request: Request, ended: bool) -> str:
    query: dict[str, str] = {"done": "session_ended"} if ended else {}
    if request.method == "GET":
        query["next"] = request.url.path + ("?" + request.url.query if request.url.query else "")
    return f"{PREFIX}/login" + (f"?{urlencode(query)}" if query else "")


# --- the routes ---------------------------------------------------------------------------------------


def add_console_routes(
    app: FastAPI, runtime: ServiceRuntime, desk: ReviewDesk, fees: FeeDesk, files: FileStore
) -> None:
    settings = runtime.settings
    store = desk.store
    sessions = ConsoleSessions(settings, installed_revoked_sessions(app))
    pages = Pages(sessions)
    runtime.on_shutdown.append(sessions.aclose)
    router = APIRouter(prefix=PREFIX, route_class=_console_route_class(sessions, pages), include_in_schema=False)

    async def signed_in(request: Request) -> Actor:
        principal = await sessions.principal(request)
        return Actor.of(principal, client_address(request, settings))

    async def acting(request: Request) -> Actor:
        """A signed-in reviewer posting one of our forms (CSRF token checked)."""
        actor = await signed_in(request)
        sessions.check_csrf(request, (await request.form()).get(CSRF_FIELD))
        return actor

    Staff = Annotated[Actor, Depends(signed_in)]
    Acting = Annotated[Actor, Depends(acting)]

    async def document_view(doc: dict[str, Any]) -> dict[str, Any] | None:
        stored = doc.get("file")
        if not stored:
            return None
        if stored["content_type"] == "application/pdf":
            try:
                pages_in_pdf = await asyncio.to_thread(pdf_page_count, await files.get(stored["file_id"]))
            except pdfium.PdfiumError:
                pages_in_pdf = 0  # the reviewer still gets the original through the link
            return {"type": "pdf", "pages": pages_in_pdf}
        return {"type": "jpeg" if stored["content_type"] == "image/jpeg" else "other"}

    async def item_page(
        request: Request,
        actor: Actor,
        review_id: str,
        *,
        status: int = 200,
        error: str | None = None,
        form: Mapping[str, Any] | None = None,
    ) -> HTMLResponse:
        doc = await store.get(review_id)
        if doc is None:
            raise ApiError(404, "not_found")
        visible = may_see_document(doc, actor)
        previous_id = doc.get("previous_submission_id")
        previous = await store.get(previous_id) if previous_id else None
        earlier = await store.for_practitioner(doc["practitioner"]["id"], exclude=review_id)
        return pages.render(
            request,
            "item.html",
            status=status,
            error=error,
            here=item_url(review_id),
            item=item_view(doc, await fees.exams_of(doc)),
            actor=actor,
            may_see_document=visible,
            reserved_until=doc.get("reserved_until"),
            document_types=DOCUMENT_TYPES,
            document=await document_view(doc) if visible else None,
            groups=finding_groups(doc["findings"]),
            previous=item_view(previous) if previous else None,
            earlier=[item_view(d) for d in earlier],
            form={"decision": None, "reason": "", "reason_codes": [], **(form or {})},  # what was entered
        )

    # --- signing in and out --------------------------------------------------------------------

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        try:
            await sessions.principal(request)
            return see_other(local_next(request.query_params.get("next"), f"{PREFIX}/"))
        except SignInRequired:
            return pages.render(request, "login.html", email="", next=request.query_params.get("next", ""))

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        sessions.check_csrf(request, form.get(CSRF_FIELD))
        email, password = str(form.get("email") or "")[:254], str(form.get("password") or "")[:256]
        try:
            await sessions.sign_in(request, email, password)
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
    async def logout(request: Request, _: Acting) -> Response:
        await sessions.sign_out(request)
        return see_other(f"{PREFIX}/login?done=signed_out")

    # --- my queue ------------------------------------------------------------------------------

    @router.get("/")
    async def my_queue(request: Request, actor: Staff) -> Response:
        at = now()
        return pages.render(
            request,
            "queue.html",
            actor=actor,
            held=[item_view(d) for d in await store.held_by(actor.id, at)],
            waiting=[item_view(d) for d in await store.waiting(actor.id, at)],
        )

    @router.post("/claim-next")
    async def claim_next(actor: Acting) -> Response:
        claimed = await desk.claim_next(actor)
        return see_other(f"{PREFIX}/?done=nothing_waiting" if claimed is None else item_url(claimed["_id"], "claimed"))

    # --- an item -------------------------------------------------------------------------------

    @router.get("/items/{review_id}")
    async def item(review_id: str, request: Request, actor: Staff) -> Response:
        return await item_page(request, actor, review_id)

    async def claim_step(
        request: Request, actor: Actor, review_id: str, step: Callable[[str, Actor], Awaitable[Any]], done: str
    ) -> Response:
        try:
            await step(review_id, actor)
        except ApiError as refusal:
            return await item_page(request, actor, review_id, status=refusal.status, error=refusal.code)
        back = local_next((await request.form()).get("next"), item_url(review_id))
        return see_other(f"{back}{'&' if '?' in back else '?'}done={done}")

    @router.post("/items/{review_id}/claim")
    async def claim(review_id: str, request: Request, actor: Acting) -> Response:
        return await claim_step(request, actor, review_id, desk.claim, "claimed")

    @router.post("/items/{review_id}/renew")
    async def renew(review_id: str, request: Request, actor: Acting) -> Response:
        return await claim_step(request, actor, review_id, desk.renew, "renewed")

    @router.post("/items/{review_id}/release")
    async def release(review_id: str, request: Request, actor: Acting) -> Response:
        return await claim_step(request, actor, review_id, desk.release, "released")

    @router.post("/items/{review_id}/decision")
    async def decide(review_id: str, request: Request, actor: Acting) -> Response:
        form = await request.form()
        entered = {
            "decision": form.get("decision"),
            "reason": form.get("reason") or "",
            "reason_codes": form.getlist("reason_codes"),
        }
        try:
            await desk.decide(review_id, actor, DecisionBody.model_validate(entered).request())
        except ValidationError:
            return await item_page(request, actor, review_id, status=422, error="request.invalid", form=entered)
        except ApiError as refusal:
            return await item_page(request, actor, review_id, status=refusal.status, error=refusal.code, form=entered)
        return see_other(item_url(review_id, "decided"))

    @router.get("/items/{review_id}/document")
    async def document(review_id: str, actor: Staff) -> StreamingResponse:
        """The original file, to the claim holder or a supervisor (audited), as the API sends it."""
        return document_response(await desk.open_document(review_id, actor, {"via": "console"}), files)

    @router.get("/items/{review_id}/documents/{submission_id}")
    async def classification_document(review_id: str, submission_id: str, actor: Staff) -> StreamingResponse:
        """One document of a classification item (each is opened on its own, audited)."""
        return document_response(await desk.open_document(review_id, actor, {"via": "console"}, submission_id), files)

    @router.get("/items/{review_id}/pages/{page:int}.png")
    async def pdf_page(review_id: str, page: int, actor: Staff) -> Response:
        doc = await store.get(review_id)
        if doc is None:
            raise ApiError(404, "not_found")
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
    async def history(review_id: str, request: Request, actor: Staff) -> Response:
        doc = await store.get(review_id)
        if doc is None:
            raise ApiError(404, "not_found")
        return pages.render(request, "history.html", item=item_view(doc), entries=await store.history(review_id))

    # --- supervision ---------------------------------------------------------------------------

    @router.get("/supervise")
    async def supervise(request: Request, actor: Staff) -> Response:
        if not actor.oversees:
            raise ApiError(403, "auth.forbidden")
        query = SupervisionQuery.model_validate(dict(request.query_params))
        at = now()
        items, total = await store.search(query.filters(), at)
        oldest = await store.oldest_waiting(at)
        return pages.render(
            request,
            "supervise.html",
            query=query,
            items=[item_view(d) for d in items],
            total=total,
            counts=await store.counts(at),
            past_sla=await store.count_past_sla(at),
            oldest=item_view(oldest) if oldest else None,
            kinds=list(SubmissionKind),
            states=list(QueueState),
            previous_link=query.link(max(0, query.offset - SEARCH_PAGE_SIZE)) if query.offset else None,
            next_link=query.link(query.offset + SEARCH_PAGE_SIZE) if query.offset + len(items) < total else None,
        )

    app.include_router(router)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static")
