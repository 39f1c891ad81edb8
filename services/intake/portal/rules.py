"""The portal's pure rules: which field of a form a refusal belongs to, what a refused form keeps,
and what a practitioner is told about where a submission stands. No HTTP, no database.

A refusal is the domain's own (a stable code from `mumaris.errors.MESSAGES`, with details); a page
shows it beside the field it concerns (`field_of`), or above the form when it concerns none.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from mumaris.errors import MESSAGES
from services.intake.accounts import rules as accounts

FormErrors = dict[str, str]  # field name -> refusal code

# Refusals whose code alone names the field they concern (the others carry it in their details,
# like every AccountRuleError, or concern the whole form).
FIELD_OF_CODE: dict[str, str] = {
    "account.email_taken": "email",
    "account.id_taken": "id_number",
    "metadata.date_in_future": "obtained_on",
    "metadata.date_implausible": "obtained_on",
    "metadata.expiry_before_obtained": "expires_on",
    "request.metadata_invalid": "name",
    "classification.not_your_membership": "membership_number",
    "account.membership_number_invalid": "membership_number",
    "classification.step_not_allowed": "target",
    "classification.conditions_not_accepted": "accept_conditions",
}
# Fields whose value never comes back in a refused form.
SECRET_FIELDS = frozenset({"password", "password_confirmation", "csrf", "token"})
# How a pydantic error reads to a person filling a form.
_MISSING_TYPES = frozenset({"missing", "string_too_short"})
_DATE_TYPES = frozenset({"date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"})


def field_of(code: str, details: Any = None) -> str | None:
    """The form field a refusal concerns, or None for the form as a whole. A classification
    document's refusal names its document type, which is its file field's name."""
    if isinstance(details, Mapping):
        if isinstance(details.get("document_type"), str):
            return str(details["document_type"])
        if isinstance(details.get("field"), str) and details["field"]:
            return str(details["field"])
    if code in FIELD_OF_CODE:
        return FIELD_OF_CODE[code]
    if code.startswith("file."):
        return "file"
    return None


def refusal_errors(code: str, details: Any = None) -> tuple[FormErrors, str | None]:
    """A refusal as (errors beside fields, the error above the form): one of the two is set. A
    classification request missing documents is refused for each missing document's field."""
    if code == "classification.incomplete" and isinstance(details, Mapping):
        missing = details.get("missing_documents") or []
        if missing:
            return {str(doc): "file.missing" for doc in missing}, code
    field = field_of(code, details)
    return ({field: code}, None) if field else ({}, code)


def validation_errors(error: ValidationError, fields: Iterable[str] | None = None) -> FormErrors:
    """A form model's validation errors by field: an empty field is "required", a date that is no
    date says so, anything else is "not valid". `fields`: the form's field names (a model error
    without one of them is the first field's)."""
    known = list(fields or [])
    errors: FormErrors = {}
    for problem in error.errors():
        location = [str(part) for part in problem.get("loc", ())]
        field = next((part for part in reversed(location) if not known or part in known), known[0] if known else "")
        kind = problem.get("type", "")
        if kind in _MISSING_TYPES and not problem.get("input"):
            code = "form.field_missing"
        elif kind in _DATE_TYPES:
            code = "form.date_invalid"
        else:
            code = "form.field_invalid"
        errors.setdefault(field, code)
    assert all(code in MESSAGES for code in errors.values())
    return errors


def kept(form: Mapping[str, Any]) -> dict[str, str]:
    """What a refused form shows again: what was typed, except passwords, tokens and files."""
    return {k: v.strip() for k, v in form.items() if k not in SECRET_FIELDS and isinstance(v, str)}


def checked_box(value: Any) -> bool:
    """An HTML checkbox: present (whatever its value) when ticked, absent when not."""
    return isinstance(value, str) and value != ""


def sign_up_errors(values: Mapping[str, str], password: str, confirmation: str, accept_terms: bool) -> FormErrors:
    """Every field of the sign-up form that the account rules refuse, each with its own code, so
    the page shows them all at once (the use case, which stops at the first, decides for real).
    The password is checked against the personal data as typed."""
    errors: FormErrors = {}

    def check(field: str, rule: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return rule(*args, **kwargs)
        except accounts.AccountRuleError as refusal:
            errors.setdefault(refusal.field or field, refusal.code)
            return None

    # With a name in Latin letters the first is in Arabic letters (accounts.checked_names).
    latin = [values.get(field, "") for field in ("first_name_latin", "last_name_latin")]
    arabic_rule = accounts.check_arabic_name if any(latin) else accounts.check_name
    first = check("first_name", arabic_rule, values.get("first_name", ""), "first_name")
    last = check("last_name", arabic_rule, values.get("last_name", ""), "last_name")
    if any(latin):
        latin = [
            check(field, accounts.check_latin_name, value, field) or value
            for field, value in zip(("first_name_latin", "last_name_latin"), latin, strict=True)
        ]
    kind = values.get("id_kind")
    expected = kind if kind in ("national_id", "iqama") else None
    check("id_number", accounts.parse_id_number, values.get("id_number", ""), expected=expected)
    email = check("email", accounts.normalize_email, values.get("email", ""))
    check("mobile", accounts.normalize_mobile, values.get("mobile", ""))
    check(
        "password",
        accounts.check_password,
        password,
        confirmation,
        email=email or values.get("email", ""),
        id_number=values.get("id_number", ""),
        names=[first or values.get("first_name", ""), last or values.get("last_name", ""), *filter(None, latin)],
    )
    if not accept_terms:
        errors["accept_terms"] = "account.terms_required"
    return errors


# --- where a submission stands ------------------------------------------------------------------

# The practitioner-facing stage of each submission status, and of each classification request status.
WAITING = frozenset({"received", "validated", "validating"})
IN_REVIEW = frozenset({"in_review"})


@dataclass(frozen=True)
class Progress:
    """One sentence about a submission or a request: `key` names it in the text table; `since`
    when it entered that stage; `due` when review means to have decided, when known."""

    key: str
    since: datetime | None
    due: datetime | None = None


def progress_of(doc: Mapping[str, Any]) -> Progress:
    """Where a submission (or a classification request) stands, from its stored timeline."""
    status = str(doc["status"])
    steps = doc.get("timeline") or []
    since = next((s["at"] for s in reversed(steps) if s.get("status") == status), None)
    if status in WAITING:
        return Progress("progress.checking", since)
    if status in IN_REVIEW:
        return Progress("progress.in_review", since, doc.get("review_due_at"))
    return Progress(f"progress.{status}", since)


def failed_findings(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The checks that refused a document, each code once, in the validator's order."""
    seen: set[str] = set()
    failed = []
    for finding in doc.get("findings") or []:
        code = finding.get("code")
        if finding.get("outcome") == "fail" and code and code not in seen:
            seen.add(code)
            failed.append(finding)
    return failed


def seconds_left(until: datetime | None, at: datetime) -> int:
    """Whole seconds from `at` to `until`; 0 once it has passed (or when there is none)."""
    return max(0, int((until - at).total_seconds())) if until else 0
