"""The registration's pure rules: its number, its dates and the status a day gives it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from schemas.registrations import CpdExemption, cpd_hours_required, renewal_fee
from services.intake.registration.rules import (
    Calendar,
    Status,
    add_years,
    current_cycle,
    registration_number,
    registration_number_well_formed,
    renewal_refusal,
    status_on,
)
from services.review.fees.rules import bill_number_well_formed, luhn_check_digit

CALENDAR = Calendar(renewal_window_days=90, grace_days=30)
EXPIRES = date(2028, 11, 25)


def test_a_registration_number_carries_the_same_check_digit_as_a_bill_number() -> None:
    number = registration_number(1)
    assert number == "RG-00000018"
    assert registration_number_well_formed(number)
    assert int(number[-1]) == luhn_check_digit("0000001")
    assert bill_number_well_formed("SC-2026-0001233")  # the fee area's numbers still check with the moved function


@pytest.mark.parametrize("position", range(3, 11))
def test_any_single_mistyped_digit_makes_a_registration_number_unknown(position: int) -> None:
    number = registration_number(4_217)
    wrong = number[:position] + str((int(number[position]) + 3) % 10) + number[position + 1 :]
    assert not registration_number_well_formed(wrong)


def test_two_years_from_the_29th_of_february_is_the_28th() -> None:
    assert add_years(date(2028, 2, 29), 2) == date(2030, 2, 28)
    assert add_years(date(2026, 11, 25), 2) == date(2028, 11, 25)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (EXPIRES - timedelta(days=91), Status.ACTIVE),
        (EXPIRES - timedelta(days=90), Status.RENEWAL_OPEN),
        (EXPIRES - timedelta(days=1), Status.RENEWAL_OPEN),
        (EXPIRES, Status.GRACE),
        (EXPIRES + timedelta(days=29), Status.GRACE),
        (EXPIRES + timedelta(days=30), Status.LAPSED),
    ],
)
def test_the_status_follows_the_calendar(today: date, expected: Status) -> None:
    assert status_on(Status.ACTIVE, EXPIRES, today, CALENDAR) is expected


def test_a_renewed_registration_shows_renewed_until_its_next_window_opens() -> None:
    assert status_on(Status.RENEWED, EXPIRES, EXPIRES - timedelta(days=400), CALENDAR) is Status.RENEWED
    assert status_on(Status.RENEWED, EXPIRES, EXPIRES - timedelta(days=10), CALENDAR) is Status.RENEWAL_OPEN


def test_a_suspension_or_a_recorded_lapse_wins_over_the_dates() -> None:
    early = EXPIRES - timedelta(days=500)
    assert status_on(Status.SUSPENDED, EXPIRES, early, CALENDAR) is Status.SUSPENDED
    assert status_on(Status.LAPSED, EXPIRES, early, CALENDAR) is Status.LAPSED


def test_renewal_may_be_asked_only_while_open_or_in_grace() -> None:
    assert renewal_refusal(Status.RENEWAL_OPEN) is None and renewal_refusal(Status.GRACE) is None
    refused = {s: renewal_refusal(s) for s in (Status.ACTIVE, Status.RENEWED, Status.SUSPENDED, Status.LAPSED)}
    assert {s: r.code for s, r in refused.items() if r} == {
        Status.ACTIVE: "registration.renewal_not_open",
        Status.RENEWED: "registration.renewal_not_open",
        Status.SUSPENDED: "registration.suspended",
        Status.LAPSED: "registration.lapsed",
    }


def test_the_cycle_is_the_validity_before_the_expiry() -> None:
    cycle = current_cycle(2, EXPIRES, 2)
    assert (cycle.number, cycle.starts_on, cycle.ends_on) == (2, date(2026, 11, 25), EXPIRES)
    assert cycle.holds(date(2026, 11, 25)) and not cycle.holds(EXPIRES)


def test_the_catalogue_sets_cpd_hours_per_cycle_and_the_renewal_fee() -> None:
    assert cpd_hours_required("medicine.consultant") == Decimal("60")  # 30 a year, two years
    assert cpd_hours_required("pharmacy.specialist") == Decimal("40")
    assert cpd_hours_required("nursing.specialist") == Decimal("30")
    assert cpd_hours_required("nursing.technician") == Decimal("20")
    assert cpd_hours_required("medicine.consultant", CpdExemption.TRAINEE) == Decimal("0")
    assert renewal_fee("nursing.specialist") == Decimal("400.00")
