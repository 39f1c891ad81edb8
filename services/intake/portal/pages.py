"""How the portal's pages are made: Jinja2 templates (templates/), every word from text.py in the
page's language, the frame every page shares (who is signed in, the unread count, the language
switch, the notice after an action), and the headers every page carries. Routes (routes.py)
decide what to show; this module shows it."""

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined

from mumaris.auth import Principal
from mumaris.clock import now
from mumaris.settings import Settings
from mumaris.web import PAGE_FILTERS, ltr, switch_url
from schemas.classifications import CLASSIFICATIONS, DOCUMENT_TYPES, EXAMS, money
from schemas.countries import country_name
from schemas.review_reasons import reason_label
from services.intake.portal.inbox import InboxClient
from services.intake.portal.rules import FormErrors
from services.intake.portal.session import CSRF_FIELD, PREFIX, PortalSessions
from services.intake.portal.text import DUPLICATE_CODES, PortalWords

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# What `?done=` may announce after an action (the value names a text, never carries one).
NOTICES = frozenset(
    {
        "signed_out",
        "session_ended",
        "signed_up",
        "code_resent",
        "phone_confirmed",
        "phone_unconfirmed",
        "password_reset",
        "submitted",
        "resubmitted",
        "recognition_requested",
        "change_requested",
        "language_saved",
        "requested",
        "read",
    }
)
_UNREAD = "portal_unread"  # request.state: the unread count being fetched while the page is made


def _label(value: Any, lang: str) -> str:
    """A Localized label (a model or its dict) in the page's language."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("en") or "")
    return str(getattr(value, lang))


@dataclass(frozen=True)
class Portal:
    """What every portal route needs besides its use cases."""

    settings: Settings
    sessions: PortalSessions
    inbox: InboxClient
    env: Environment

    @classmethod
    def build(cls, settings: Settings, sessions: PortalSessions, inbox: InboxClient) -> "Portal":
        env = Environment(
            loader=PrefixLoader({"portal": FileSystemLoader(TEMPLATES)}),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # the templates ship with the code: no stat of each file per page
        )
        env.filters.update(PAGE_FILTERS)
        return cls(settings, sessions, inbox, env)

    def start_unread(self, request: Request, who: Principal) -> None:
        """Ask for the unread count now, so the page's own work and that call overlap."""
        token = self.sessions.access_token(request)
        setattr(request.state, _UNREAD, asyncio.ensure_future(self.inbox.unread(token, who.id)))

    async def _unread(self, request: Request) -> int | None:
        task: asyncio.Future[int | None] | None = getattr(request.state, _UNREAD, None)
        if task is None:
            return None
        with contextlib.suppress(Exception):
            return await task
        return None

    async def _principal(self, request: Request) -> Principal | None:
        """Who the frame names; nobody when even that cannot be told (the page says what failed)."""
        try:
            return await self.sessions.signed_in(request)
        except Exception:
            return None

    async def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        error: str | None = None,
        errors: FormErrors | None = None,
        values: Mapping[str, Any] | None = None,
        here: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """`error`: a refusal of the whole form; `errors`: refusals beside their fields; `values`:
        what the form shows again; `here`: the page's own address for the language switch (a page
        shown in answer to a POST)."""
        words = PortalWords(self.sessions.lang(request))
        done = request.query_params.get("done")
        html = self.env.get_template(f"portal/{template}").render(
            t=words,
            lang=words.lang,
            dir=words.dir,
            at=now(),
            prefix=PREFIX,
            principal=await self._principal(request),
            unread=context.pop("unread") if "unread" in context else await self._unread(request),
            csrf_field=CSRF_FIELD,
            csrf=self.sessions.csrf_for(request),
            switch_url=switch_url(request, here, words.other),
            notice=f"done.{done}" if done in NOTICES else None,
            error=error,
            errors=errors or {},
            values=values or {},
            max_upload_bytes=self.settings.max_upload_bytes,
            max_mb=f"{self.settings.max_upload_bytes / (1024 * 1024):g}",
            label=lambda value: _label(value, words.lang),
            classification_label=lambda code: _label(CLASSIFICATIONS[code].label, words.lang) if code else "",
            document_label=lambda kind: _label(DOCUMENT_TYPES.get(kind), words.lang) or kind,
            exam_label=lambda code: _label(EXAMS.get(code), words.lang) or code,
            country_label=lambda code: country_name(code, words.lang) or ltr(code),
            reason_label=lambda code: reason_label(code, words.lang),
            amount=lambda value: ltr(f"{money(Decimal(str(value))):,}"),
            duplicate_codes=DUPLICATE_CODES,
            details=context.pop("details", {}),
            past=lambda moment: isinstance(moment, datetime) and moment <= now(),
            **context,
        )
        return HTMLResponse(html, status_code=status)
