"""How the reviewer console's pages are made: Jinja2 templates (templates/), every word from
text.py in the reviewer's language, the links and notices pages carry, and the headers every page
gets. Routes (routes.py) decide what to show; this module shows it."""

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from markupsafe import Markup, escape

from mumaris.clock import now
from mumaris.web import PAGE_FILTERS, PAGE_HEADERS, local_path, ltr, moment, see_other, switch_url
from schemas.countries import country_name
from schemas.review_reasons import NEEDS_NOTE, REJECTION_REASONS
from services.review.console.session import CSRF_FIELD, PREFIX, ConsoleSessions
from services.review.console.text import Words

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Findings shown together, in this order; rules not listed fall into "file".
FINDING_GROUPS: tuple[tuple[str, str], ...] = (
    ("content", "content."),
    ("clarity", "image."),
    ("duplicates", "duplicate"),
    ("metadata", "metadata."),
)
# What `?done=` may announce after an action (the value names a text, never carries one).
NOTICES = frozenset(
    {
        "claimed",
        "renewed",
        "released",
        "decided",
        "nothing_waiting",
        "signed_out",
        "session_ended",
        "suspended",
        "reinstated",
    }
)

__all__ = ["PAGE_HEADERS", "STATIC", "Pages", "audit_details", "finding_groups", "item_url", "local_next", "see_other"]


def item_url(review_id: str, done: str | None = None) -> str:
    return f"{PREFIX}/items/{review_id}" + (f"?done={done}" if done else "")


def local_next(value: Any, default: str) -> str:
    """Where to go after an action or sign-in: only a console path of ours (no open redirect)."""
    return local_path(value, PREFIX, default)


def finding_groups(findings: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in (*FINDING_GROUPS, ("file", ""))}
    for finding in findings:
        name = next((name for name, prefix in FINDING_GROUPS if finding["rule"].startswith(prefix)), "file")
        groups[name].append(finding)
    return [(name, members) for name, members in groups.items() if members]


def audit_details(details: Mapping[str, Any], words: Words, reason_labels: Mapping[str, str]) -> list[Markup]:
    """An audit entry's details as the reviewer reads them, one phrase each, in her language:
    times in Riyadh time, people by name (an id only when no name was kept)."""

    def name_of(person: Any) -> Any:
        return (person.get("name") or person.get("id")) if isinstance(person, Mapping) else person

    phrases = []
    for key, value in details.items():
        if key == "expires_at":
            phrases.append(words("audit.lease_until", at=moment(value)))
        elif key in ("lapsed_claim_of", "held_by"):
            phrases.append(words(f"audit.{key}", name=name_of(value)))
        elif key == "decision":
            phrases.append(words("audit.decision", decision=words.label("decision", str(value))))
        elif key == "reason_codes" and value:
            labels = [reason_labels.get(code, code) for code in value]
            phrases.append(words("audit.reason_codes", reasons=words("list_separator").join(labels)))
        elif key == "reason" and value:
            phrases.append(words("audit.note", note=value))
        elif key == "via":
            phrases.append(words(f"audit.via.{value}") if words.has(f"audit.via.{value}") else escape(value))
        elif key == "page":
            phrases.append(words("audit.page", n=value))
        elif key == "submission_id":
            phrases.append(words("audit.document", id=ltr(str(value)[:8])))
        elif value not in (None, "", []):
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            phrases.append(Markup("{}: {}").format(key, shown))
    return phrases


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
        self.env.filters.update(PAGE_FILTERS)
        self.env.filters["number"] = _number

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
            switch_url=switch_url(request, here, words.other),
            notice=f"done.{done}" if done in NOTICES else None,
            error=error,
            reasons=reasons,
            reason_labels=dict(reasons),
            audit_details=lambda details: audit_details(details, words, dict(reasons)),
            reasons_needing_note=NEEDS_NOTE,
            prefix=PREFIX,
            country_label=lambda code: country_name(code, words.lang) or ltr(code),
            **context,
        )
        return HTMLResponse(html, status_code=status)
