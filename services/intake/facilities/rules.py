"""Facility accounts (hospitals and clinics) and their rosters: the rules, in plain Python.

- A facility is created by an admin: a name in Arabic and in English, a kind (hospital or clinic)
  and the commission's licence number of the facility (unique).
- Its staff users are accounts of role `facility` tied to it; they sign in like anyone else.
- Its roster lists the practitioners it employs, by registration number (RG-…, check digit).
- A roster CSV (UTF-8, an optional BOM, comma-separated) has a header naming the column
  `registration_number` (optionally `employee_number`); every other line is one practitioner. Each
  line is checked on its own and a refused one is named with its line number and a stable code
  (ROW_CODES); the good lines are kept. The same file uploaded again changes nothing.
"""

import csv
from dataclasses import dataclass
from enum import StrEnum

from mumaris.errors import Refusal
from services.intake.registration.rules import registration_number_well_formed

NUMBER_COLUMN = "registration_number"
EMPLOYEE_COLUMN = "employee_number"
EXPORT_COLUMNS = (
    "registration_number",
    "employee_number",
    "name",
    "name_ar",
    "name_latin",
    "profession",
    "classification",
    "status",
    "expires_on",
    "added_at",
)
# A registration number not (or no longer) in the registry reads as this in a roster's status.
UNKNOWN = "unknown"

# What a facility is warned of beside a practitioner (the roster page's flags and filters):
# suspended; lapsed (the cycle ended and its grace with it); expiring soon (the renewal window is
# open, or the registration has expired and is in its grace period: renew before it lapses).
FLAG_OF_STATUS = {
    "suspended": "suspended",
    "lapsed": "lapsed",
    "renewal_open": "expiring",
    "grace": "expiring",
    UNKNOWN: "unknown",
}
FILTERS = ("all", "attention", "suspended", "lapsed", "expiring")


def flags_of(status: str) -> list[str]:
    """The warnings a roster entry carries for its registration's status today (none: in order)."""
    flag = FLAG_OF_STATUS.get(status)
    return [flag] if flag else []


def shown_by(filter_name: str, flags: list[str]) -> bool:
    """Whether a roster entry with these flags is on the page filtered by `filter_name`
    ("attention": any flag at all; an unknown filter shows everything)."""
    if filter_name == "attention":
        return bool(flags)
    if filter_name in FILTERS and filter_name != "all":
        return filter_name in flags
    return True


class FacilityRefused(Refusal):
    """A facility's rules said no (codes `facility.*` / `roster.*` in mumaris/errors.py)."""


class Kind(StrEnum):
    HOSPITAL = "hospital"
    CLINIC = "clinic"


# What a refused line of a roster file is told with (each a code of mumaris/errors.py).
ROW_CODES = (
    "roster.row_unreadable",  # not UTF-8, or not one CSV record (an unclosed quote)
    "roster.number_missing",
    "roster.number_invalid",  # not RG-<digits><check digit>
    "roster.unknown_registration",  # well formed, but the registry has no such registration
    "roster.duplicate_row",  # the same number on an earlier line of the file
    "roster.employee_number_invalid",
)


def normalized_number(value: str) -> str:
    """A registration number as written by people: spaces around it dropped, letters upper case."""
    return value.strip().upper()


def check_number(value: str) -> str:
    """The number, or FacilityRefused `roster.number_invalid` / `roster.number_missing`."""
    number = normalized_number(value)
    if not number:
        raise FacilityRefused("roster.number_missing")
    if not registration_number_well_formed(number):
        raise FacilityRefused("roster.number_invalid", {"registration_number": value[:40]})
    return number


@dataclass(frozen=True)
class Header:
    """Where the columns of a roster file are."""

    number: int
    employee: int | None


def header_of(line: str) -> Header:
    """The file's first line, or FacilityRefused `roster.header_missing`."""
    names = [name.strip().lower() for name in next(csv.reader([line.lstrip("\ufeff")]), [])]
    if NUMBER_COLUMN not in names:
        raise FacilityRefused("roster.header_missing", {"expected": [NUMBER_COLUMN, EMPLOYEE_COLUMN]})
    employee = names.index(EMPLOYEE_COLUMN) if EMPLOYEE_COLUMN in names else None
    return Header(names.index(NUMBER_COLUMN), employee)


@dataclass(frozen=True)
class Row:
    line: int
    registration_number: str
    employee_number: str | None


@dataclass(frozen=True)
class RowRefusal:
    line: int
    code: str
    value: str | None = None

    def view(self) -> dict[str, object]:
        found: dict[str, object] = {"line": self.line, "code": self.code}
        if self.value is not None:
            found["value"] = self.value
        return found


def parse_row(line_number: int, raw: bytes, header: Header) -> Row | RowRefusal | None:
    """One line of the file (without its line break): a row, a refusal, or None for a blank line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return RowRefusal(line_number, "roster.row_unreadable")
    if not text.strip():
        return None
    records = list(csv.reader([text], strict=True)) if '"' in text else [text.split(",")]
    if len(records) != 1:
        return RowRefusal(line_number, "roster.row_unreadable")
    fields = records[0]
    value = fields[header.number] if header.number < len(fields) else ""
    try:
        number = check_number(value)
    except FacilityRefused as refusal:
        shown = value.strip()[:40] or None
        return RowRefusal(line_number, refusal.code, shown)
    employee = None
    if header.employee is not None and header.employee < len(fields):
        employee = fields[header.employee].strip() or None
        if employee is not None and (len(employee) > 40 or not employee.isprintable()):
            return RowRefusal(line_number, "roster.employee_number_invalid", number)
    return Row(line_number, number, employee)


def parse_csv_line(line_number: int, raw: bytes, header: Header) -> Row | RowRefusal | None:
    """`parse_row`, with a csv error (an unclosed quote) read as an unreadable line."""
    try:
        return parse_row(line_number, raw, header)
    except csv.Error:
        return RowRefusal(line_number, "roster.row_unreadable")


class RowChecks:
    """The file-wide checks of a roster upload, line after line: a number on an earlier line is
    a duplicate; the rest wait for the registry's answer (`unknown_registration`)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def first_time(self, row: Row) -> RowRefusal | None:
        if row.registration_number in self.seen:
            return RowRefusal(row.line, "roster.duplicate_row", row.registration_number)
        self.seen.add(row.registration_number)
        return None


def page_limit(asked: int | None, default: int = 100, most: int = 500) -> int:
    if asked is None:
        return default
    return max(1, min(most, asked))
