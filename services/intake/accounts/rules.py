"""The pure rules of accounts (practitioners and staff): no broker, no database, no HTTP, no wall clock.

Every refusal is an `AccountRuleError` carrying a stable code from `mumaris.errors.MESSAGES` and the
request field it concerns. Times are passed in (`now`); naive datetimes (as MongoDB returns them
unless the client is tz-aware) are read as UTC.

- Identity (`checked_identity`): the names, the ID number and the e-mail every account has, checked
  alike at sign-up and for staff accounts.
- ID numbers: 10 digits; a national ID starts with 1, an iqama with 2; the last digit is a Luhn
  check digit (from the left, digits at even 0-based positions are doubled and the digits of the
  product summed, odd positions added; the total is a multiple of 10).
- Mobile numbers: Saudi mobiles, normalised to "+9665XXXXXXXX".
- E-mail: email-validator syntax check (no DNS), normalised and lower-cased, so that the unique
  index on e-mail also holds across letter case.
- Passwords: at least 10 characters with letters, digits and symbols, no personal data; argon2id.
- SMS codes: 6 digits, stored only as an HMAC-SHA256 keyed with the pepper; limited life, tries
  and resends.
- Login throttling: `max_failures` failures within `lock_s` of each other lock the key (account
  or client address) for `lock_s` from the failure that completed them.
- Membership numbers: "MP-" + the sequence on 7 digits + a Luhn check digit, e.g. "MP-00000018".
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from mumaris.errors import Refusal

IdKind = Literal["national_id", "iqama"]


class AccountRuleError(Refusal):
    """A refused account input: `.field` (the request field), and for rate limits
    `.retry_after_s` (whole seconds, at least 1); both are in `.details` too, beside what `extra`
    adds (what the caller may be shown)."""

    def __init__(
        self,
        code: str,
        field: str | None = None,
        *,
        retry_after_s: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        details: dict[str, Any] = {"field": field} if field else {}
        if retry_after_s:
            details["retry_after_s"] = retry_after_s
        super().__init__(code, {**details, **(extra or {})} or None)
        self.field = field
        self.retry_after_s = retry_after_s


# --- digits ---------------------------------------------------------------------------------------

# Arabic-Indic (U+0660..0669) and Extended/Eastern Arabic-Indic (U+06F0..06F9) digits -> ASCII.
_DIGITS = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)


def normalize_digits(value: str) -> str:
    """Arabic-Indic digits to ASCII digits; other characters unchanged."""
    return value.translate(_DIGITS)


def _ceil_s(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _luhn_total(digits: str) -> int:
    """Luhn sum, counted from the right (the last digit is not doubled)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return total


def _luhn_check_digit(payload: str) -> str:
    return str((10 - _luhn_total(payload + "0") % 10) % 10)


# --- ID numbers -----------------------------------------------------------------------------------

_ID_RE = re.compile(r"[12][0-9]{9}")
_ID_KINDS: dict[str, IdKind] = {"1": "national_id", "2": "iqama"}


def parse_id_number(value: str, *, expected: IdKind | None = None, field: str = "id_number") -> tuple[str, IdKind]:
    """The normalised number (ASCII digits) and its kind. For an even-length number, "even 0-based
    positions from the left doubled" is exactly the standard Luhn check, as used here.
    `expected`: the kind the person chose, if the form asks; a number of the other kind is refused
    with "account.id_kind_mismatch"."""
    number = normalize_digits(value.strip()) if isinstance(value, str) else ""
    if not _ID_RE.fullmatch(number):
        raise AccountRuleError("account.id_invalid_format", field)
    if _luhn_total(number) % 10 != 0:
        raise AccountRuleError("account.id_invalid_check_digit", field)
    kind = _ID_KINDS[number[0]]
    if expected is not None and kind != expected:
        raise AccountRuleError("account.id_kind_mismatch", field)
    return number, kind


def check_id_number(value: str, *, expected: IdKind | None = None, field: str = "id_number") -> IdKind:
    return parse_id_number(value, expected=expected, field=field)[1]


def make_valid_id(prefix: str, body: str) -> str:
    """`prefix` + `body` (9 digits in all) + the right check digit, e.g. make_valid_id("1", "00000000")."""
    payload = normalize_digits(prefix + body)
    if len(payload) != 9 or not payload.isascii() or not payload.isdigit():
        raise ValueError("prefix + body must be 9 digits")
    return payload + _luhn_check_digit(payload)


# --- mobile, e-mail, names ------------------------------------------------------------------------

_MOBILE_SEPARATORS = re.compile(r"[\s\-().\u200e\u200f]")
_MOBILE_RE = re.compile(r"(?:\+966|00966|966|0)?(5[0-9]{8})")


def normalize_mobile(value: str, *, field: str = "mobile") -> str:
    """ "+9665XXXXXXXX" from +9665…, 009665…, 9665…, 05…, 5… (spaces, dashes, brackets, Arabic-Indic digits allowed)."""
    compact = _MOBILE_SEPARATORS.sub("", normalize_digits(value)) if isinstance(value, str) else ""
    match = _MOBILE_RE.fullmatch(compact)
    if not match:
        raise AccountRuleError("account.mobile_invalid", field)
    return "+966" + match.group(1)


def normalize_email(value: str, *, field: str = "email") -> str:
    """Syntax-checked (no DNS lookup) and normalised; lower-cased as a whole so one mailbox is one account."""
    if not isinstance(value, str):
        raise AccountRuleError("account.email_invalid", field)
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise AccountRuleError("account.email_invalid", field) from None
    return result.normalized.lower()


# A name is words joined by spaces, hyphens or apostrophes. A word is made of letters: Latin ones
# (with the Latin-1 / Extended-A accented ones) and Arabic ones (with the extended letters), and
# after an Arabic letter the signs that only decorate or stretch it: harakat (fathatan..sukun),
# superscript alef and tatweel. A sign never starts a word nor follows a Latin letter, so a name
# of tatweel or harakat alone (or a word of them) is refused, like one of punctuation alone.
# Invisible and format characters (ZWJ, ZWNJ, LRM/RLM, BOM, ...) are refused before this, and
# other combining marks are not letters here (NFC first composes "e" + acute into "é").
_LATIN_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f"
_ARABIC_LETTER = "\u0621-\u063a\u0641-\u064a\u0671-\u06d3"
_ARABIC_SIGN = "\u0640\u064b-\u0652\u0670"
_NAME_WORD = rf"(?:[{_LATIN_LETTER}]|[{_ARABIC_LETTER}][{_ARABIC_SIGN}]*)+"
_NAME_RE = re.compile(rf"{_NAME_WORD}(?:[ '\u2019\-]+{_NAME_WORD})*")
_SPACES = re.compile(r"\s+")
NAME_MAX = 50


def check_name(value: str, field: str) -> str:
    """The name, NFC-normalised, trimmed and with runs of spaces collapsed; 1..50 characters:
    words of Arabic or Latin letters (see `_NAME_WORD`) joined by spaces, hyphens and apostrophes."""
    if not isinstance(value, str):
        raise AccountRuleError("account.name_invalid", field)
    if any(unicodedata.category(c).startswith("C") for c in value):  # newlines, tabs, bidi marks...
        raise AccountRuleError("account.name_invalid", field)
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if not 1 <= len(name) <= NAME_MAX or not _NAME_RE.fullmatch(name):
        raise AccountRuleError("account.name_invalid", field)
    return name


_ARABIC_LETTERS = re.compile(f"[{_ARABIC_LETTER}]")
_LATIN_LETTERS = re.compile(f"[{_LATIN_LETTER}]")


def check_arabic_name(value: str, field: str) -> str:
    """`check_name`, in Arabic letters only ("account.name_not_arabic" for a Latin letter in it)."""
    name = check_name(value, field)
    if _LATIN_LETTERS.search(name):
        raise AccountRuleError("account.name_not_arabic", field)
    return name


def check_latin_name(value: str, field: str) -> str:
    """`check_name`, in Latin letters only ("account.name_not_latin" for an Arabic letter in it)."""
    name = check_name(value, field)
    if _ARABIC_LETTERS.search(name):
        raise AccountRuleError("account.name_not_latin", field)
    return name


# The name in Latin letters (as certificates print it), beside the name in Arabic letters.
LATIN_FIELDS = {"first_name": "first_name_latin", "last_name": "last_name_latin"}


def checked_names(
    first_name: str, last_name: str, first_name_latin: str | None = None, last_name_latin: str | None = None
) -> tuple[str, str, str | None, str | None]:
    """The name in Arabic letters and the name in Latin letters, each refused in its field.

    With a Latin name (both its parts, or "account.name_invalid" on the missing one) the first
    two are the name in Arabic letters and are refused with "account.name_not_arabic" otherwise,
    the Latin ones with "account.name_not_latin". Without one, as before Latin names were asked
    (API clients of v1, staff accounts): one name in either script."""
    if not (first_name_latin or last_name_latin):
        return check_name(first_name, "first_name"), check_name(last_name, "last_name"), None, None
    first = check_arabic_name(first_name, "first_name")
    last = check_arabic_name(last_name, "last_name")
    return (
        first,
        last,
        check_latin_name(first_name_latin or "", "first_name_latin"),
        check_latin_name(last_name_latin or "", "last_name_latin"),
    )


def script_of_name_field(field: str) -> Literal["arabic", "latin"]:
    return "latin" if field in LATIN_FIELDS.values() else "arabic"


def check_name_change(field: str, value: str, account: dict[str, Any]) -> str:
    """A reviewed change of one part of a name: the Latin parts in Latin letters; the others in
    Arabic letters once the account has (or is given) a Latin name, else in either script."""
    if script_of_name_field(field) == "latin":
        return check_latin_name(value, field)
    if account.get("first_name_latin"):
        return check_arabic_name(value, field)
    return check_name(value, field)


@dataclass(frozen=True)
class Identity:
    """Who an account is, checked and normalised."""

    first_name: str
    last_name: str
    id_number: str
    id_kind: IdKind
    email: str
    first_name_latin: str | None = None
    last_name_latin: str | None = None


def checked_identity(
    first_name: str,
    last_name: str,
    id_number: str,
    email: str,
    *,
    expected_kind: IdKind | None = None,
    first_name_latin: str | None = None,
    last_name_latin: str | None = None,
) -> Identity:
    """The names (`checked_names`), the ID number (of `expected_kind`, when the person chose one)
    and the e-mail, refused in that order."""
    first, last, first_latin, last_latin = checked_names(first_name, last_name, first_name_latin, last_name_latin)
    number, kind = parse_id_number(id_number, expected=expected_kind)
    return Identity(first, last, number, kind, normalize_email(email), first_latin, last_latin)


# --- passwords ------------------------------------------------------------------------------------

PASSWORD_MIN = 10
PASSWORD_MAX = 128  # argon2 copes with more, but there is no reason to hash megabytes
_PERSONAL_MIN = 3  # shorter fragments (e.g. a two-letter name) would refuse too much


def check_password(
    password: str,
    confirmation: str,
    *,
    email: str,
    id_number: str,
    names: Sequence[str],
    field: str = "password",
    confirmation_field: str = "password_confirmation",
) -> None:
    """Refusals, in this order: too long ("account.password_too_long"), weak ("account.password_weak":
    under 10 characters, or without letters, digits and symbols), personal data inside it, case-insensitively
    ("account.password_contains_personal_data": the e-mail's local part, the ID number, a name or a word of
    a name of 3+ characters), and a confirmation that differs ("account.password_mismatch")."""
    if not isinstance(password, str) or not password:
        raise AccountRuleError("account.password_weak", field)
    if len(password) > PASSWORD_MAX:
        raise AccountRuleError("account.password_too_long", field)
    has_letter = any(c.isalpha() for c in password)
    has_digit = any(c.isdigit() for c in password)
    has_symbol = any(not c.isalnum() and not c.isspace() for c in password)
    if len(password) < PASSWORD_MIN or not (has_letter and has_digit and has_symbol):
        raise AccountRuleError("account.password_weak", field)

    folded = normalize_digits(unicodedata.normalize("NFC", password)).casefold()
    fragments: set[str] = set()
    local = email.rsplit("@", 1)[0] if "@" in email else email
    fragments.update({local, local.split("+", 1)[0]})
    fragments.add(normalize_digits(id_number))
    for name in names:
        name = unicodedata.normalize("NFC", name or "").strip()
        fragments.add(name)
        fragments.add(name.replace(" ", ""))
        fragments.update(re.split(r"[\s\-'\u2019]+", name))
    if any(len(f) >= _PERSONAL_MIN and f.casefold() in folded for f in fragments):
        raise AccountRuleError("account.password_contains_personal_data", field)

    if not isinstance(confirmation, str) or not hmac.compare_digest(password.encode(), confirmation.encode()):
        raise AccountRuleError("account.password_mismatch", confirmation_field)


class Passwords:
    """argon2id hashing. The defaults are argon2-cffi's (RFC 9106 low-memory profile: t=3, m=64 MiB,
    p=4); change them here and `needs_rehash` turns true for older hashes, to be rehashed at the next
    successful login."""

    def __init__(
        self, *, time_cost: int | None = None, memory_cost: int | None = None, parallelism: int | None = None
    ) -> None:
        defaults = PasswordHasher()
        self._hasher = PasswordHasher(
            time_cost=time_cost or defaults.time_cost,
            memory_cost=memory_cost or defaults.memory_cost,
            parallelism=parallelism or defaults.parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        """False for a wrong password and for an unreadable hash; never raises for either."""
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        """True when the hash was made with other parameters or another argon2 variant."""
        try:
            return self._hasher.check_needs_rehash(hashed)
        except (InvalidHashError, ValueError):
            return True

    def verify_dummy(self, password: str) -> bool:
        """Spend the time of one verification, for an unknown e-mail, so that timing does not tell
        an unknown e-mail from a wrong password. Always False."""
        if self._dummy is None:
            self._dummy = self.hash(secrets.token_urlsafe(24))
        self.verify(self._dummy, password)
        return False


# --- SMS codes ------------------------------------------------------------------------------------

CODE_LENGTH = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def code_digest(code: str, pepper: str) -> str:
    """HMAC-SHA256 (hex) of the code keyed with the pepper: the only form a code is stored in."""
    return hmac.new(pepper.encode(), code.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PhoneCode:
    digest: str
    issued_at: datetime
    attempts: int = 0
    dead: bool = False


def verify_code(
    current: PhoneCode | None,
    submitted: str,
    *,
    pepper: str,
    now: datetime,
    ttl_s: int,
    max_attempts: int,
    field: str = "code",
) -> tuple[bool, PhoneCode | None]:
    """(ok, state to store). On success the state is None: the code is consumed, and storing None is
    what makes a replay answer "account.code_missing". A wrong (or malformed) code returns False and
    the state with one more attempt, dead when attempts reach `max_attempts`; the caller answers
    "account.code_wrong". Raises "account.code_missing", "account.code_dead", "account.code_expired"."""
    if current is None:
        raise AccountRuleError("account.code_missing", field)
    if current.dead or current.attempts >= max_attempts:
        raise AccountRuleError("account.code_dead", field)
    if _utc(now) - _utc(current.issued_at) >= timedelta(seconds=ttl_s):
        raise AccountRuleError("account.code_expired", field)
    candidate = normalize_digits(submitted.strip()) if isinstance(submitted, str) else ""
    well_formed = len(candidate) == CODE_LENGTH and candidate.isascii() and candidate.isdigit()
    digest = code_digest(candidate if well_formed else "-", pepper)
    if well_formed and hmac.compare_digest(digest, current.digest):
        return True, None
    attempts = current.attempts + 1
    return False, replace(current, attempts=attempts, dead=attempts >= max_attempts)


def check_resend(
    sent_at: Sequence[datetime], *, now: datetime, min_interval_s: int, per_hour: int, field: str = "mobile"
) -> None:
    """May another code be sent now? `sent_at`: every code sent to this account so far (the first one
    included). Over the hourly limit -> "account.code_resend_limit"; within `min_interval_s` of the
    last send -> "account.code_resend_too_soon"; both with `.retry_after_s`."""
    now = _utc(now)
    times = sorted(_utc(t) for t in sent_at)
    if not times:
        return
    wait_interval = times[-1] + timedelta(seconds=min_interval_s) - now
    hour_ago = now - timedelta(hours=1)
    in_hour = [t for t in times if t > hour_ago]
    if len(in_hour) >= per_hour:
        # the send that frees a slot is the one `per_hour` places before the end of the window
        wait_hour = in_hour[-per_hour] + timedelta(hours=1) - now
        raise AccountRuleError("account.code_resend_limit", field, retry_after_s=_ceil_s(max(wait_hour, wait_interval)))
    if wait_interval > timedelta(0):
        raise AccountRuleError("account.code_resend_too_soon", field, retry_after_s=_ceil_s(wait_interval))


def resend_wait_s(sent_at: Sequence[datetime], *, now: datetime, min_interval_s: int, per_hour: int) -> int:
    """Seconds until another code may be sent (0: now), by the rule of `check_resend`."""
    try:
        check_resend(sent_at, now=now, min_interval_s=min_interval_s, per_hour=per_hour)
    except AccountRuleError as wait:
        return wait.retry_after_s or 0
    return 0


def masked_mobile(mobile: str) -> str:
    """A number shown to whoever holds the page: enough to recognise one's own, not to call it."""
    return mobile[:4] + "•" * max(0, len(mobile) - 7) + mobile[-3:] if len(mobile) > 7 else "•" * len(mobile)


# --- login throttling -----------------------------------------------------------------------------


def login_lock_remaining(failures: Sequence[datetime], *, now: datetime, max_failures: int, lock_s: int) -> int:
    """Seconds the key (an account or a client address) stays locked; 0 when it is not.

    A lock starts at any failure that completes `max_failures` failures within `lock_s` seconds
    (that failure and the `max_failures - 1` before it) and lasts `lock_s` seconds from it. So the
    failures to pass in are those of the last `2 * lock_s` seconds (at least the last `max_failures`
    before now - lock_s would not matter). Check before verifying the password, and record no
    failure while locked (one recorded during the lock would extend it)."""
    now = _utc(now)
    window = timedelta(seconds=lock_s)
    times = sorted(t for t in (_utc(f) for f in failures) if t <= now)
    until: datetime | None = None
    for i in range(max(max_failures, 1) - 1, len(times)):
        if times[i] - times[i - max_failures + 1] < window:
            until = times[i] + window
    if until is None or until <= now:
        return 0
    return _ceil_s(until - now)


# --- membership numbers ---------------------------------------------------------------------------

MEMBERSHIP_PREFIX = "MP-"
_MEMBERSHIP_RE = re.compile(r"MP-([0-9]{8})")


def membership_number(sequence: int) -> str:
    """ "MP-" + the sequence (1..9,999,999) zero-padded to 7 digits + a Luhn check digit (8 digits), so
    a mistyped digit or two swapped neighbours are caught before any look-up."""
    if not 1 <= sequence <= 9_999_999:
        raise ValueError("membership sequence out of range")
    payload = f"{sequence:07d}"
    return MEMBERSHIP_PREFIX + payload + _luhn_check_digit(payload)


def check_membership_number(value: str, *, field: str = "membership_number") -> str:
    """The normalised membership number (upper case, ASCII digits, spaces removed), or
    "account.membership_number_invalid"."""
    candidate = normalize_digits(re.sub(r"\s+", "", value)).upper() if isinstance(value, str) else ""
    match = _MEMBERSHIP_RE.fullmatch(candidate)
    if not match or _luhn_total(match.group(1)) % 10 != 0 or int(match.group(1)[:7]) == 0:
        raise AccountRuleError("account.membership_number_invalid", field)
    return candidate
