"""The portal's sign-up form asks the name in Arabic and in Latin letters and names each refusal
beside its own field, as the API does (services/intake/accounts/rules.py: checked_names)."""

from services.intake.accounts.rules import make_valid_id
from services.intake.portal.rules import sign_up_errors
from services.intake.portal.text import TEXT

PASSWORD = "Sahha#2026-safe"
BOTH = {
    "first_name": "سارة",
    "last_name": "الحربي",
    "first_name_latin": "Sara",
    "last_name_latin": "Al-Harbi",
    "id_kind": "national_id",
    "id_number": make_valid_id("1", "00000000"),
    "email": "sara@example.sa",
    "mobile": "0551234567",
}


def test_both_names_each_in_its_script_are_accepted() -> None:
    assert sign_up_errors(BOTH, PASSWORD, PASSWORD, accept_terms=True) == {}


def test_each_name_in_the_wrong_script_is_refused_beside_its_field() -> None:
    swapped = {**BOTH, "first_name": "Sara", "last_name_latin": "الحربي"}
    assert sign_up_errors(swapped, PASSWORD, PASSWORD, accept_terms=True) == {
        "first_name": "account.name_not_arabic",
        "last_name_latin": "account.name_not_latin",
    }


def test_half_a_latin_name_is_refused_on_the_missing_half() -> None:
    half = {**BOTH, "last_name_latin": ""}
    assert sign_up_errors(half, PASSWORD, PASSWORD, accept_terms=True) == {"last_name_latin": "account.name_invalid"}


def test_the_password_may_not_contain_the_latin_name_either() -> None:
    password = "Sara#2026-safe!"
    assert sign_up_errors(BOTH, password, password, accept_terms=True) == {
        "password": "account.password_contains_personal_data"
    }


def test_the_new_fields_are_worded_in_both_languages() -> None:
    for key in ("field.first_name_latin", "field.last_name_latin", "field.latin_name", "hint.latin_name"):
        arabic, english = TEXT[key]
        assert arabic and english and arabic != english
