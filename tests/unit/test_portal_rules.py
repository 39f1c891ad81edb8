"""The portal's pure rules (services/intake/portal/rules.py) and its words (text.py): which field a
refusal belongs beside, what a refused form keeps, every refused sign-up field at once, where a
submission stands and when review means to decide, and the words the templates use, in both
languages, with advice for every refusal a document can meet. No servers."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from mumaris.errors import MESSAGES
from schemas.events import CertificateMetadata
from services.intake.accounts.rules import make_valid_id
from services.intake.portal.rules import (
    checked_box,
    failed_findings,
    field_of,
    kept,
    progress_of,
    refusal_errors,
    seconds_left,
    sign_up_errors,
    validation_errors,
)
from services.intake.portal.text import ADVICE, DUPLICATE_CODES, TEXT, PortalWords

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEMPLATES = Path(__file__).resolve().parents[2] / "services" / "intake" / "portal" / "templates"
GOOD = {
    "first_name": "نورة",
    "last_name": "Al-Qahtani",
    "id_kind": "national_id",
    "id_number": make_valid_id("1", "00000000"),
    "email": "noura@example.sa",
    "mobile": "0551234567",
}
PASSWORD = "Sahha#2026-safe"


# --- which field a refusal concerns ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "details", "field"),
    [
        ("account.password_weak", {"field": "password"}, "password"),  # an account rule names its field
        ("file.too_large", {"document_type": "licence"}, "licence"),  # a classification document's file
        ("account.email_taken", None, "email"),  # the code alone says it
        ("classification.step_not_allowed", {"current": None, "allowed": []}, "target"),
        ("metadata.date_in_future", {"obtained_on": "2099-01-01"}, "obtained_on"),
        ("file.unsupported_type", None, "file"),  # any file refusal of a certificate's upload
        ("account.login_failed", None, None),  # the form as a whole
        ("classification.request_open", {"request_id": "r-1"}, None),
    ],
)
def test_a_refusal_goes_beside_the_field_it_concerns(code: str, details: object, field: str | None) -> None:
    assert field_of(code, details) == field
    errors, above = refusal_errors(code, details)
    assert (errors, above) == (({field: code}, None) if field else ({}, code))


def test_an_incomplete_classification_request_marks_each_missing_document() -> None:
    errors, above = refusal_errors(
        "classification.incomplete", {"missing_documents": ["degree", "licence"], "unknown_documents": []}
    )
    assert errors == {"degree": "file.missing", "licence": "file.missing"}
    assert above == "classification.incomplete"


def test_a_form_models_errors_read_as_required_not_a_date_or_not_valid() -> None:
    class Form(BaseModel):
        name: str
        obtained_on: str

    with pytest.raises(ValidationError) as invalid:
        CertificateMetadata.model_validate(
            {"name": "", "obtained_on": "14/03/2025", "institution": "x" * 1000, "specialty": "s", "degree": "d"}
        )
    errors = validation_errors(invalid.value, ("name", "obtained_on", "institution", "specialty", "degree"))
    assert errors["obtained_on"] == "form.date_invalid"
    assert errors["institution"] == "form.field_invalid"
    assert errors.get("name") in ("form.field_missing", "form.field_invalid")
    assert all(code in MESSAGES for code in errors.values())

    with pytest.raises(ValidationError) as missing:
        Form.model_validate({})
    assert validation_errors(missing.value, ("name", "obtained_on")) == {
        "name": "form.field_missing",
        "obtained_on": "form.field_missing",
    }


def test_a_refused_form_keeps_what_was_typed_but_never_a_password_a_token_or_a_file() -> None:
    form = {
        "first_name": "  Noura ",
        "password": "Sahha#2026-safe",
        "password_confirmation": "Sahha#2026-safe",
        "csrf": "abc",
        "token": "link-token",
        "file": object(),
    }
    assert kept(form) == {"first_name": "Noura"}


def test_a_checkbox_is_ticked_when_present() -> None:
    assert checked_box("yes") and checked_box("on")
    assert not checked_box(None) and not checked_box("")


# --- the sign-up form --------------------------------------------------------------------------------


def test_a_good_sign_up_has_no_refusal() -> None:
    assert sign_up_errors(GOOD, PASSWORD, PASSWORD, accept_terms=True) == {}


def test_every_refused_sign_up_field_is_named_at_once_with_its_own_code() -> None:
    bad = {
        "first_name": "ـــ",  # tatweel alone
        "last_name": "Al-Qahtani",
        "id_kind": "iqama",  # but the number is a national ID
        "id_number": GOOD["id_number"],
        "email": "noura@",
        "mobile": "0451234567",
    }
    assert sign_up_errors(bad, PASSWORD, PASSWORD + "x", accept_terms=False) == {
        "first_name": "account.name_invalid",
        "id_number": "account.id_kind_mismatch",
        "email": "account.email_invalid",
        "mobile": "account.mobile_invalid",
        "password_confirmation": "account.password_mismatch",
        "accept_terms": "account.terms_required",
    }


def test_a_password_is_checked_against_the_personal_data_as_typed() -> None:
    errors = sign_up_errors(GOOD, "Qahtani#2026!", "Qahtani#2026!", accept_terms=True)
    assert errors == {"password": "account.password_contains_personal_data"}
    assert sign_up_errors({**GOOD, "id_number": "123"}, "short", "short", accept_terms=True) == {
        "id_number": "account.id_invalid_format",
        "password": "account.password_weak",
    }


# --- where a submission stands -----------------------------------------------------------------------


def step(status: str, minutes: int) -> dict[str, object]:
    return {"status": status, "at": AT + timedelta(minutes=minutes)}


def test_a_submission_being_checked_says_since_when() -> None:
    doc = {"status": "validated", "timeline": [step("received", 0), step("validated", 2)]}
    progress = progress_of(doc)
    assert (progress.key, progress.since, progress.due) == ("progress.checking", AT + timedelta(minutes=2), None)


def test_a_submission_in_review_says_since_when_and_the_date_review_works_to() -> None:
    due = AT + timedelta(days=7)
    doc = {
        "status": "in_review",
        "review_due_at": due,
        "timeline": [step("received", 0), step("in_review", 3), step("in_review", 9)],  # a repeat: the last
    }
    assert progress_of(doc) == type(progress_of(doc))("progress.in_review", AT + timedelta(minutes=9), due)


@pytest.mark.parametrize("status", ["approved", "rejected", "changes_requested", "validation_failed", "lapsed"])
def test_a_decided_or_closed_submission_names_its_outcome(status: str) -> None:
    progress = progress_of({"status": status, "timeline": [step("received", 0), step(status, 5)]})
    assert progress.key == f"progress.{status}" and progress.key in TEXT and progress.due is None


def test_the_refusals_of_a_document_are_its_failed_checks_each_once() -> None:
    doc = {
        "findings": [
            {"rule": "file.type", "outcome": "pass"},
            {"rule": "image.sharpness", "outcome": "fail", "code": "image.blurry"},
            {"rule": "content.name", "outcome": "warn", "code": "content.name_not_found"},
            {"rule": "image.sharpness.page2", "outcome": "fail", "code": "image.blurry"},
            {"rule": "image.exposure", "outcome": "fail", "code": "image.too_dark"},
        ]
    }
    assert [f["code"] for f in failed_findings(doc)] == ["image.blurry", "image.too_dark"]
    assert failed_findings({}) == []


def test_a_deadline_counts_down_to_zero_and_stays_there() -> None:
    assert seconds_left(AT + timedelta(hours=23, seconds=30), AT) == 23 * 3600 + 30
    assert seconds_left(AT - timedelta(seconds=1), AT) == 0
    assert seconds_left(None, AT) == 0


# --- the words ---------------------------------------------------------------------------------------

KEY_IN_TEMPLATE = re.compile(r"""\bt\(\s*["']([\w.]+)["']""")


def test_every_word_a_template_uses_is_there_in_both_languages() -> None:
    used = {key for path in TEMPLATES.glob("*.html") for key in KEY_IN_TEMPLATE.findall(path.read_text())}
    assert used, "no t('...') found in the templates"
    prefixes = {key for key in used if key.endswith(".")}  # t("status." ~ value): some key has it
    assert sorted(used - prefixes - TEXT.keys()) == []
    assert all(any(key.startswith(prefix) for key in TEXT) for prefix in prefixes), prefixes
    for key, (arabic, english) in TEXT.items():
        assert arabic.strip() and english.strip(), key
        assert sorted(re.findall(r"\{(\w+)\}", arabic)) == sorted(re.findall(r"\{(\w+)\}", english)), key


def test_every_refusal_a_document_can_meet_says_what_to_do_in_both_languages() -> None:
    document_refusals = {code for code in MESSAGES if code.split(".")[0] in ("file", "image", "duplicate", "metadata")}
    assert sorted(document_refusals - ADVICE.keys()) == []
    assert ADVICE.keys() <= MESSAGES.keys() and MESSAGES.keys() >= DUPLICATE_CODES
    for lang in ("ar", "en"):
        words = PortalWords(lang)
        assert all(words.advice(code) for code in document_refusals)
    assert "daylight" in (PortalWords("en").advice("image.blurry") or "")


@pytest.mark.parametrize(
    ("seconds", "en", "ar"),
    [
        (86_399, "23 h 59 min", "23 ساعة و59 دقيقة"),
        (125, "2 min 5 s", "2 دقيقة و5 ثانية"),
        (9, "9 s", "9 ثانية"),
        (0, "Time is up", "انتهى الوقت"),
    ],
)
def test_what_is_left_of_a_wait_reads_in_each_language(seconds: int, en: str, ar: str) -> None:
    assert PortalWords("en").left(seconds) == en
    assert PortalWords("ar").left(seconds) == ar
