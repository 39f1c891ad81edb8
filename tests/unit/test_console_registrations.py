"""A supervisor's registration pages in the console, without servers: what the look-up and the
reason fields accept, how intake's answers become the console's refusals (httpx's mock transport
stands in for intake), and the page in both languages (its forms, labels, errors and the confirmation
a suspension asks for), and the navigation link only a supervisor sees."""

import json
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from mumaris.auth import Principal
from mumaris.errors import MESSAGES, ApiError
from mumaris.settings import Settings
from services.review.console.pages import Pages
from services.review.console.registrations import (
    FieldRefused,
    IntakeRegistrations,
    reason_of,
    registration_number,
)
from services.review.console.routes import registration_url, supervisor
from services.review.console.session import ConsoleSessions
from services.review.console.text import TEXT
from services.review.queue.service import Actor

NUMBER = "RG-00000018"


def registration(status: str = "active", suspension: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "registration_number": NUMBER,
        "status": status,
        "profession": "nursing",
        "classification": {"code": "nursing.specialist", "label": {"ar": "أخصائي تمريض", "en": "Nursing Specialist"}},
        "expires_on": "2028-12-01",
        "practitioner": {"id": "p-1", "name": "نورة القحطاني", "latin_name": "Noura Al-Qahtani"},
        "suspension": suspension,
    }


SUSPENDED = registration(
    "suspended",
    {
        "reason": "Licence under investigation",
        "by": "sup-1",
        "at": "2026-12-04T09:00:00+00:00",
        "previous_status": "active",
    },
)


# --- the fields ------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "number"), [(" rg-00000018 ", NUMBER), ("", None), (None, None), ("  ", None)])
def test_the_number_typed_is_tidied_and_nothing_typed_looks_nothing_up(typed: Any, number: str | None) -> None:
    assert registration_number(typed) == number


@pytest.mark.parametrize("typed", ["MP-00000018", "RG-123", "RG-0000001a", "RG-" + "1" * 30, "RG-00000018/../x"])
def test_a_number_that_cannot_be_a_registration_is_an_error_on_its_field(typed: str) -> None:
    with pytest.raises(FieldRefused) as refused:
        registration_number(typed)
    assert (refused.value.field, refused.value.code) == ("number", "registration.number_malformed")


def test_the_reason_is_required_within_the_length_intake_accepts() -> None:
    assert reason_of({"reason": "  Under investigation  "}) == "Under investigation"
    for form, code in (
        ({}, "registration.reason_required"),
        ({"reason": "  a "}, "registration.reason_required"),
        ({"reason": "x" * 501}, "registration.reason_too_long"),
    ):
        with pytest.raises(FieldRefused) as refused:
            reason_of(form)
        assert (refused.value.field, refused.value.code) == ("reason", code)


# --- intake's answers ------------------------------------------------------------------------


def intake_answering(status: int, body: Any, seen: list[httpx.Request] | None = None) -> IntakeRegistrations:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    return IntakeRegistrations(Settings(), transport=httpx.MockTransport(answer))


async def test_the_console_calls_intake_as_the_supervisor_with_her_reason() -> None:
    seen: list[httpx.Request] = []
    intake = intake_answering(200, SUSPENDED, seen)
    assert await intake.suspend("tok-sup", NUMBER, "Licence under investigation") == SUSPENDED
    await intake.lift("tok-sup", NUMBER, "Investigation closed")
    await intake.look_up("tok-sup", NUMBER)
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", f"/v1/registrations/{NUMBER}/suspension"),
        ("POST", f"/v1/registrations/{NUMBER}/reinstatement"),
        ("GET", f"/v1/registrations/{NUMBER}"),
    ]
    assert {r.headers["authorization"] for r in seen} == {"Bearer tok-sup"}
    assert json.loads(seen[0].content) == {"reason": "Licence under investigation"}
    assert json.loads(seen[1].content) == {"reason": "Investigation closed"}


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (409, "registration.already_suspended"),
        (409, "registration.not_suspended"),
        (404, "not_found"),
        (403, "auth.forbidden"),
    ],
)
async def test_intakes_refusals_keep_their_status_and_code(status: int, code: str) -> None:
    intake = intake_answering(status, {"error": {"code": code, "message": {"ar": "…", "en": "…"}}})
    with pytest.raises(ApiError) as refused:
        await intake.suspend("tok", NUMBER, "reason")
    assert (refused.value.status, refused.value.code) == (status, code)


@pytest.mark.parametrize(
    ("status", "body"), [(500, {"error": {"code": "not_found"}}), (409, {"error": {"code": "no.such"}}), (502, "x")]
)
async def test_an_answer_the_console_cannot_read_is_a_service_unavailable(status: int, body: Any) -> None:
    with pytest.raises(ApiError) as refused:
        await intake_answering(status, body).look_up("tok", NUMBER)
    assert (refused.value.status, refused.value.code) == (503, "service.unavailable")


async def test_an_intake_that_does_not_answer_is_a_service_unavailable() -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    intake = IntakeRegistrations(Settings(), transport=httpx.MockTransport(unreachable))
    with pytest.raises(ApiError) as refused:
        await intake.lift("tok", NUMBER, "reason")
    assert (refused.value.status, refused.value.code) == (503, "service.unavailable")


# --- the page --------------------------------------------------------------------------------


def request_as(lang: str, role: str = "supervisor", path: str = "/console/registrations") -> Request:
    request = Request(
        {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": f"lang={lang}".encode()}
    )
    request.state.console_principal = Principal("sup-1", role, "Mona Al-Harbi", "mona@scfhs.gov.sa")  # type: ignore[arg-type]
    return request


def render(lang: str, role: str = "supervisor", **context: Any) -> str:
    pages = Pages(ConsoleSessions(Settings(), None))  # renders pages only: no token is checked
    values: dict[str, Any] = {
        "number": NUMBER,
        "registration": None,
        "refused": None,
        "field_errors": {},
        "form": {"action": None, "reason": "", "confirming": False},
        **context,
    }
    response = pages.render(request_as(lang, role), "registrations.html", **values)
    return bytes(response.body).decode()


def word(key: str, lang: str) -> str:
    return TEXT[key][0 if lang == "ar" else 1]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_an_active_registration_shows_whose_it_is_its_expiry_and_a_suspend_form_with_a_labelled_reason(
    lang: str,
) -> None:
    html = render(lang, registration=registration())
    assert f'lang="{lang}"' in html
    assert 'data-testid="suspend-form"' in html and 'data-testid="lift-form"' not in html
    assert word("registration.state.active", lang) in html
    assert "نورة القحطاني" in html and "Noura Al-Qahtani" in html and "2028-12-01" in html
    assert '<label for="reason-suspend">' in html and 'id="reason-suspend"' in html
    assert '<label for="number">' in html and 'id="number"' in html
    assert 'name="confirmed"' not in html  # the first press only asks
    assert "<script>" not in html and " on" + "click=" not in html  # no inline script


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_suspended_registration_shows_the_reason_and_only_the_form_that_lifts_it(lang: str) -> None:
    html = render(lang, registration=SUSPENDED)
    assert word("registration.state.suspended", lang) in html
    assert 'data-testid="suspension-reason"' in html and "Licence under investigation" in html
    assert 'data-testid="lift-form"' in html and 'data-testid="suspend-form"' not in html
    assert '<label for="reason-lift">' in html


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_suspending_asks_first_with_a_button_of_its_own_carrying_the_reason(lang: str) -> None:
    form = {"action": "suspend", "reason": "Licence under investigation", "confirming": True}
    html = render(lang, registration=registration(), form=form)
    assert 'data-testid="confirm-suspend"' in html and 'data-testid="suspend-form"' not in html
    assert '<input type="hidden" name="confirmed" value="yes">' in html
    assert '<input type="hidden" name="reason" value="Licence under investigation">' in html
    assert "data-focus-on-load" in html
    assert word("registration.confirm_button", lang) in html


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_a_missing_reason_is_an_error_tied_to_its_field(lang: str) -> None:
    form = {"action": "suspend", "reason": "", "confirming": False}
    html = render(lang, registration=registration(), field_errors={"reason": "registration.reason_required"}, form=form)
    assert 'id="reason-error"' in html and word("registration.reason_required", lang) in html
    textarea = html[html.index('<textarea id="reason-suspend"') :].split(">", 1)[0]
    assert "reason-error" in textarea and 'aria-invalid="true"' in textarea


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_an_unknown_number_is_an_error_on_the_number_field(lang: str) -> None:
    html = render(lang, field_errors={"number": "registration.unknown_number"})
    field = html[html.index('<input id="number"') :].split(">", 1)[0]
    assert "number-error" in field and 'aria-invalid="true"' in field
    assert word("registration.unknown_number", lang) in html
    assert 'data-testid="registration"' not in html


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_intakes_refusal_is_shown_in_the_pages_language_with_its_code(lang: str) -> None:
    html = render(lang, registration=SUSPENDED, refused="registration.already_suspended")
    assert 'data-code="registration.already_suspended"' in html
    assert MESSAGES["registration.already_suspended"][0 if lang == "ar" else 1] in html
    assert ">registration.already_suspended<" in html  # the code itself, readable


@pytest.mark.parametrize(("role", "shown"), [("supervisor", True), ("admin", True), ("reviewer", False)])
def test_only_those_who_oversee_see_the_registrations_link(role: str, shown: bool) -> None:
    html = render("en", role=role)
    assert ('href="/console/registrations"' in html) is shown


def test_every_word_of_the_registration_pages_exists_in_both_languages() -> None:
    keys = [k for k in TEXT if k.startswith("registration.") or k in ("nav_registrations", "registrations_title")]
    assert len(keys) > 20
    for key in keys:
        ar, en = TEXT[key]
        assert ar and en and ar != en, key


# --- who may open the pages ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "admin"])
async def test_supervisors_and_admins_may_open_the_registration_pages(role: str) -> None:
    actor = Actor("sup-1", "Mona", role, None)  # type: ignore[arg-type]
    assert await supervisor(actor) is actor


async def test_a_reviewer_is_refused_the_registration_pages() -> None:
    with pytest.raises(ApiError) as refused:
        await supervisor(Actor("rev-1", "Khalid", "reviewer", None))
    assert (refused.value.status, refused.value.code) == (403, "auth.forbidden")


def test_after_a_step_the_supervisor_is_sent_back_to_the_registration_with_the_notice() -> None:
    assert registration_url(NUMBER, "suspended") == f"/console/registrations?number={NUMBER}&done=suspended"
    assert registration_url(None) == "/console/registrations"
