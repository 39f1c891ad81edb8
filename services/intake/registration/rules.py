"""Professional registrations: the rules, in plain Python (no Kafka, MongoDB or HTTP).

- A registration is issued when a practitioner's first classification is approved, numbered
  "RG-" + a seven-digit sequence + a Luhn check digit (mumaris.checkdigit, as bill numbers are).
- It runs from `issued_on` for the catalogue's validity (two years): valid up to the day before
  `expires_on`. Each renewal runs the same length again from the OLD expiry, not from the day paid.
- Its status on a given day (Riyadh's):
    active        more than the renewal window (90 days) before expiry;
    renewal_open  within the window, not yet renewed for the next cycle;
    renewed       the current cycle came from a renewal, and the next window has not opened;
    grace         past expiry, within the grace period (the practitioner may still renew);
    lapsed        past the grace period, or marked lapsed by review's sweep;
    suspended     by a supervisor, with a reason, whatever the dates say.
  What is stored is only what events decided (issued, renewed, lapsed, suspended); the phases in
  between follow from the dates, so the status shown is right on the day even before a sweep ran.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from mumaris.checkdigit import luhn_check_digit
from mumaris.errors import Refusal

PREFIX = "RG"
SEQUENCE_DIGITS = 7
_NUMBER = re.compile(rf"^{PREFIX}-(\d{{{SEQUENCE_DIGITS},}})(\d)$")


class RegistrationRefused(Refusal):
    """A registration's rules said no (codes `registration.*` in mumaris/errors.py)."""


class Status(StrEnum):
    ACTIVE = "active"
    RENEWAL_OPEN = "renewal_open"
    RENEWED = "renewed"
    GRACE = "grace"
    LAPSED = "lapsed"
    SUSPENDED = "suspended"


# A renewal asked and not settled yet: no second one meanwhile (paid and lapsed ones are settled).
RENEWAL_OPEN_STATES = ("requested", "awaiting_payment")

# Stored statuses of a registration still running (not lapsed, not suspended).
RUNNING = ("active", "renewed")

# What events write; the others are phases of the calendar.
STORED = (Status.ACTIVE, Status.RENEWED, Status.LAPSED, Status.SUSPENDED)


def registration_number(sequence: int) -> str:
    """ "RG-<sequence, at least seven digits><check digit>", e.g. RG-00000018."""
    body = f"{sequence:0{SEQUENCE_DIGITS}d}"
    return f"{PREFIX}-{body}{luhn_check_digit(body)}"


def registration_number_well_formed(value: str) -> bool:
    match = _NUMBER.match(value)
    return match is not None and luhn_check_digit(match[1]) == int(match[2])


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Calendar:
    """The distances that turn dates into phases (settings: registration_*)."""

    renewal_window_days: int = 90
    grace_days: int = 30

    def renewal_opens_on(self, expires_on: date) -> date:
        return expires_on - timedelta(days=self.renewal_window_days)

    def lapses_on(self, expires_on: date) -> date:
        """The first day after the grace period."""
        return expires_on + timedelta(days=self.grace_days)


def status_on(stored: Status, expires_on: date, today: date, calendar: Calendar) -> Status:
    """The registration's status on `today` (see the module's docstring)."""
    if stored in (Status.SUSPENDED, Status.LAPSED):
        return stored
    if today >= calendar.lapses_on(expires_on):
        return Status.LAPSED
    if today >= expires_on:
        return Status.GRACE
    if today >= calendar.renewal_opens_on(expires_on):
        return Status.RENEWAL_OPEN
    return Status.RENEWED if stored is Status.RENEWED else Status.ACTIVE


def days_left(expires_on: date, today: date) -> int:
    """Days until the registration expires (negative once it has)."""
    return (expires_on - today).days


@dataclass(frozen=True)
class Cycle:
    """One validity period of a registration: `number` from 1, [starts_on, ends_on)."""

    number: int
    starts_on: date
    ends_on: date

    def holds(self, day: date) -> bool:
        return self.starts_on <= day < self.ends_on


def current_cycle(number: int, expires_on: date, validity_years: int) -> Cycle:
    return Cycle(number, add_years(expires_on, -validity_years), expires_on)


def renewal_refusal(status: Status) -> RegistrationRefused | None:
    """Whether a renewal may be asked today at all (the CPD hours are checked apart)."""
    if status in (Status.RENEWAL_OPEN, Status.GRACE):
        return None
    if status is Status.SUSPENDED:
        return RegistrationRefused("registration.suspended")
    if status is Status.LAPSED:
        return RegistrationRefused("registration.lapsed")
    return RegistrationRefused("registration.renewal_not_open")


def suspension_refusal(stored: Status) -> RegistrationRefused | None:
    if stored is Status.SUSPENDED:
        return RegistrationRefused("registration.already_suspended")
    return None
