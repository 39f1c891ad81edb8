"""The public register and its registration cards: the rules, in plain Python (no Kafka, MongoDB or HTTP).

What the public may see of a registration (`public_entry`) is a whitelist: the registration number,
the name in Arabic and in Latin letters (either may be missing), the profession, the classification,
the status and the validity. Nothing else leaves this module: no ID number, phone, e-mail, date of
birth, account id or document.

A registration is valid now while its status (registration/rules.py, on the registry's clock) is
active, renewal_open or renewed; in grace (expired, not yet renewed), lapsed or suspended it is not,
and the reason says which.

A search needs a profession and at least a few letters of the name; it is answered a page at a time
(`register_page_size`, at most 20) and never beyond `register_max_pages` pages, so the register
cannot be read out in bulk by paging (the per-address rate limit does the rest). Name matching is
tolerant of the spellings of Arabic names: alef with or without hamza or madda, ta marbuta / ha,
alef maqsura / ya, harakat and tatweel ignored; Latin letters without regard to case. Each word
typed must start a word of the name.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from mumaris.errors import Refusal
from schemas.classifications import CLASSIFICATIONS, PROFESSIONS
from services.intake.registration.rules import Status, registration_number_well_formed


class RegisterRefused(Refusal):
    """The public register said no (codes `register.*` in mumaris/errors.py)."""


VALID_NOW = frozenset({Status.ACTIVE, Status.RENEWAL_OPEN, Status.RENEWED})
_NOT_VALID_REASON = {
    Status.SUSPENDED: "card.reason.suspended",
    Status.LAPSED: "card.reason.lapsed",
    Status.GRACE: "card.reason.grace",
}


def not_valid_reason(status: Status) -> str | None:
    """Why a registration is not valid now (a MESSAGES code), or None when it is."""
    return None if status in VALID_NOW else _NOT_VALID_REASON[status]


# --- names ---------------------------------------------------------------------------------------

_ARABIC = re.compile(r"[\u0600-\u06FF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")


def _joined(*parts: Any) -> str | None:
    words = [str(p).strip() for p in parts if isinstance(p, str) and p.strip()]
    return " ".join(words) or None


def names_of(account: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(the name in Arabic letters, the name in Latin letters), either None when the account has
    none: an account's own names are in one script or the other; `first_name_latin` /
    `last_name_latin` (added later, missing on older accounts) give the Latin form beside Arabic ones."""
    if account is None:
        return None, None
    own = _joined(account.get("first_name"), account.get("last_name"))
    latin = _joined(account.get("first_name_latin"), account.get("last_name_latin"))
    arabic = own if own and _ARABIC.search(own) else None
    if latin is None and own and not arabic and _LATIN.search(own):
        latin = own
    return arabic, latin


# --- what the public sees ------------------------------------------------------------------------


def label_of(code: str, table: str) -> dict[str, str]:
    if table == "profession":
        label = PROFESSIONS.get(code)
    else:
        found = CLASSIFICATIONS.get(code)
        label = found.label if found else None
    return {"code": code, "ar": label.ar if label else code, "en": label.en if label else code}


@dataclass(frozen=True)
class Standing:
    """A registration as the register shows it today."""

    number: str
    name_ar: str | None
    name_latin: str | None
    profession: str
    classification: str
    status: Status
    valid_from: date
    valid_until: date  # the last day it is valid (the day before it expires)

    @property
    def valid_now(self) -> bool:
        return self.status in VALID_NOW


def public_entry(standing: Standing) -> dict[str, Any]:
    """The register's answer for one registration: exactly these fields, nothing else."""
    reason = not_valid_reason(standing.status)
    return {
        "registration_number": standing.number,
        "name": {"ar": standing.name_ar, "latin": standing.name_latin},
        "profession": label_of(standing.profession, "profession"),
        "classification": label_of(standing.classification, "classification"),
        "status": standing.status.value,
        "valid_now": standing.valid_now,
        "not_valid_reason": reason,
        "valid_from": standing.valid_from.isoformat(),
        "valid_until": standing.valid_until.isoformat(),
    }


# --- look-up and search --------------------------------------------------------------------------


def checked_number(value: str) -> str:
    """The registration number as typed (spaces dropped, upper case), or `register.number_invalid`."""
    number = re.sub(r"\s+", "", value or "").upper()
    if not registration_number_well_formed(number):
        raise RegisterRefused("register.number_invalid")
    return number


_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, superscript alef, tatweel
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_CLASS = {"ا": "[اأإآٱ]", "ه": "[هة]", "ي": "[يى]"}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MARKS_BETWEEN = "[\u064b-\u065f\u0670\u0640]*"


def query_words(text: str, min_letters: int) -> list[str]:
    """The words of a name search, folded (Arabic variants, case, accents): at least `min_letters`
    letters in all (`register.query_too_short`), at most five words."""
    folded = unicodedata.normalize("NFKC", text or "")
    folded = _MARKS.sub("", folded).translate(_FOLD).casefold()
    words = _WORD.findall(folded)[:5]
    if sum(len(w) for w in words) < min_letters:
        raise RegisterRefused("register.query_too_short")
    return words


def word_pattern(word: str) -> str:
    """A regular expression finding `word` at the start of a word of a stored name (any spelling
    of its Arabic variants, harakat and tatweel in between). Every character is escaped or one of
    ours: what was typed is never read as a pattern."""
    letters = [_CLASS.get(ch, re.escape(ch)) for ch in word]
    return r"(^|[\s'\-])" + MARKS_BETWEEN.join(letters)


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def skip(self) -> int:
        return (self.number - 1) * self.size


def search_page(page: int, size: int, max_pages: int) -> Page:
    if page < 1 or page > max_pages:
        raise RegisterRefused("register.page_out_of_range", {"max_pages": max_pages})
    return Page(page, size)


def checked_profession(code: str) -> str:
    if code not in PROFESSIONS:
        raise RegisterRefused("register.profession_unknown", {"professions": sorted(PROFESSIONS)})
    return code


def codes_of(profession: str) -> list[str]:
    return sorted(code for code, c in CLASSIFICATIONS.items() if c.profession == profession)
