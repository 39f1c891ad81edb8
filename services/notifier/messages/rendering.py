"""How a message is laid out: the Jinja2 templates in templates/ and the sections they are given.

A message is rendered three times from the same sections: the e-mail's text part, its HTML part
(autoescaped; each language block carries its own lang and dir) and the inbox's shorter body.
"""

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.notifier.messages.kinds import Language


@dataclass(frozen=True)
class Section:
    """One language's full version of a message, ready for a template."""

    lang: Language
    direction: str
    title: str
    greeting: str
    lead: str
    reference_label: str
    facts: tuple[tuple[str, str], ...]  # label and value lines: amount, bill number, deadline...
    details_heading: str
    fixes: tuple[str, ...]
    reason_heading: str
    reason: str
    next_step: str
    sign_off: str
    signature: str
    automated_notice: str


# Text templates must not be HTML-escaped; only *.html.j2 is.
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Rendered:
    """A message in the three shapes it is delivered in."""

    text: str
    html: str
    inbox_body: str
    inbox_texts: dict[str, tuple[str, str]]  # language -> (title, body): the inbox shows its reader's


def render_message(
    sections: list[Section], reference: str, subject: str, *, html_reference: str | Markup | None = None
) -> Rendered:
    """The text and HTML parts of the e-mail and the inbox body of one message. `reference` stands
    where the templates print the submission or request id; `html_reference` replaces it in the
    HTML part (a link as an anchor)."""
    context: dict[str, object] = {"sections": sections, "primary": sections[0], "submission_id": reference}
    html_context = {**context, "subject": subject}
    if html_reference is not None:
        html_context["submission_id"] = html_reference
    return Rendered(
        text=render("message.txt.j2", context).rstrip() + "\n",
        html=render("message.html.j2", html_context),
        inbox_body=render("inbox.txt.j2", context).strip(),
        inbox_texts={
            s.lang: (s.title, render("inbox.txt.j2", {**context, "sections": [s], "primary": s}).strip())
            for s in sections
        },
    )


def render(template_name: str, context: dict[str, object]) -> str:
    return _templates.get_template(template_name).render(context)
