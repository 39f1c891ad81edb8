"""Review's registration clock: which reminder a sweep sends, and when a registration lapses."""

from datetime import date, timedelta

from services.intake.registration.rules import Calendar, Status, status_on
from services.review.registrations.rules import lapsing_before, milestone, reminder_due, reminder_window

EXPIRES = date(2028, 11, 25)
DAYS = [90, 60, 30, 7]


def on(days_left: int) -> date:
    return EXPIRES - timedelta(days=days_left)


def test_nothing_is_due_before_the_first_milestone() -> None:
    assert reminder_due(1, EXPIRES, on(91), DAYS, []) is None


def test_each_milestone_is_due_once_on_its_day() -> None:
    sent: list[str] = []
    for days in DAYS:
        due = reminder_due(1, EXPIRES, on(days), DAYS, sent)
        assert due is not None and (due.days_before, due.days_left) == (days, days)
        sent += due.settles
        assert reminder_due(1, EXPIRES, on(days), DAYS, sent) is None  # the next sweep that day
        assert reminder_due(1, EXPIRES, on(days) + timedelta(days=1), DAYS, sent) is None  # and the day after


def test_after_an_outage_only_the_latest_missed_milestone_goes_out_late_once() -> None:
    due = reminder_due(1, EXPIRES, on(25), DAYS, [milestone(1, 90)])  # 60 and 30 were missed
    assert due is not None and (due.days_before, due.days_left) == (30, 25)
    assert set(due.settles) == {milestone(1, d) for d in (90, 60, 30)}
    assert reminder_due(1, EXPIRES, on(24), DAYS, list(due.settles)) is None
    one_missed = reminder_due(1, EXPIRES, on(55), DAYS, [milestone(1, 90)])
    assert one_missed is not None and (one_missed.days_before, one_missed.days_left) == (60, 55)


def test_no_reminder_once_expired_and_a_new_cycle_starts_afresh() -> None:
    assert reminder_due(1, EXPIRES, EXPIRES, DAYS, []) is None
    renewed = EXPIRES.replace(year=2030)
    sent_in_cycle_1 = [milestone(1, d) for d in DAYS]
    due = reminder_due(2, renewed, renewed - timedelta(days=90), DAYS, sent_in_cycle_1)
    assert due is not None and due.settles == (milestone(2, 90),)


def test_the_sweeps_ranges() -> None:
    today = date(2026, 12, 2)
    assert reminder_window(today, DAYS) == (date(2026, 12, 3), date(2027, 3, 3))
    before = lapsing_before(today, 30)
    calendar = Calendar(90, 30)
    # The sweep lapses exactly what intake shows as lapsed that day.
    assert status_on(Status.ACTIVE, before - timedelta(days=1), today, calendar) is Status.LAPSED
    assert status_on(Status.ACTIVE, before, today, calendar) is Status.GRACE
