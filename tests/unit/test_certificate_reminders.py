"""Review's certificate expiry clock: which reminder a sweep sends before an approved certificate
expires (30/7/0 days; 0 on the expiry day), which approvals keep one for its reminders, and what
the practitioner is told, in both languages."""

from datetime import UTC, date, datetime, timedelta

import pytest

from mumaris.certificates import has_expired
from mumaris.settings import Settings
from schemas import topics
from schemas.events import CertificateExpiring, Decision, PractitionerRef
from services.notifier.messages import kinds
from services.notifier.messages.rules import CHANNELS, notification_for_certificate_expiring
from services.review.certificates.rules import milestone, reminder_due, reminder_window
from services.review.queue.rules import DecisionRequest
from services.review.queue.service import Actor
from tests.review_fakes import Review, cloud_event, stop_the_clock, validated_certificate

EXPIRES = date(2027, 3, 14)
DAYS = [30, 7, 0]
REVIEWER = Actor("rev-khalid", "Khalid", "reviewer", "10.0.0.7")
NOURA = PractitionerRef(id="p-1", name="نورة القحطاني", email="noura@example.sa", locale="ar", latin_name="Noura")


def on(days_left: int) -> date:
    return EXPIRES - timedelta(days=days_left)


def test_nothing_is_due_before_the_first_milestone() -> None:
    assert reminder_due(EXPIRES, on(31), DAYS, []) is None


def test_each_milestone_is_due_once_on_its_day_the_last_on_the_expiry_day() -> None:
    sent: list[str] = []
    for days in DAYS:
        due = reminder_due(EXPIRES, on(days), DAYS, sent)
        assert due is not None and (due.days_before, due.days_left) == (days, days)
        sent += due.settles
        assert reminder_due(EXPIRES, on(days), DAYS, sent) is None  # the next sweep that day
    assert has_expired(EXPIRES, on(0))  # the 0-day reminder goes out on the day the profile marks it


def test_after_an_outage_only_the_latest_missed_milestone_goes_out_late_once() -> None:
    due = reminder_due(EXPIRES, on(5), DAYS, [])  # 30 and 7 were missed
    assert due is not None and (due.days_before, due.days_left) == (7, 5)
    assert set(due.settles) == {milestone(30), milestone(7)}
    assert reminder_due(EXPIRES, on(4), DAYS, list(due.settles)) is None
    one_missed = reminder_due(EXPIRES, on(20), DAYS, [])
    assert one_missed is not None and (one_missed.days_before, one_missed.days_left) == (30, 20)
    all_missed = reminder_due(EXPIRES, on(0), DAYS, [])
    assert all_missed is not None and (all_missed.days_before, set(all_missed.settles)) == (0, {"30", "7", "0"})


def test_no_reminder_after_the_expiry_day() -> None:
    assert reminder_due(EXPIRES, EXPIRES + timedelta(days=1), DAYS, []) is None


def test_the_sweeps_range_runs_from_today_to_the_farthest_milestone() -> None:
    today = date(2027, 1, 1)
    start, end = reminder_window(today, DAYS)
    assert (start, end) == (today, today + timedelta(days=31))
    assert reminder_due(end, today, DAYS, []) is None  # the first expiry outside the range is not due
    assert reminder_due(end - timedelta(days=1), today, DAYS, []) is not None


def expiring(days_left: int) -> CertificateExpiring:
    return CertificateExpiring(
        submission_id="s-1",
        practitioner=NOURA,
        certificate_name="Basic Life Support (BLS)",
        expires_on=EXPIRES,
        days_before=7 if days_left else 0,
        days_left=days_left,
    )


def test_the_reminder_names_the_certificate_and_its_date_in_both_languages_arabic_first() -> None:
    note = notification_for_certificate_expiring(expiring(5))
    assert note.kind == kinds.CERTIFICATE_EXPIRING and CHANNELS[note.kind] == ("inbox", "email", "sms")
    assert note.text.index("تنتهي صلاحية شهادتك") < note.text.index("Your certificate")  # her locale first
    assert "2027-03-14" in note.text and "14 Mar 2027" in note.text
    assert "(in 5 days)" in note.text and "(بعد 5 أيام)" in note.text  # the days actually left
    assert note.text.count("Basic Life Support (BLS)") == 2 and "Dear Noura," in note.text
    assert "Basic Life Support (BLS)" in note.sms and "14 Mar 2027" in note.sms and "2027-03-14" in note.sms


def test_on_the_expiry_day_it_says_today() -> None:
    note = notification_for_certificate_expiring(expiring(0))
    assert "(today)" in note.text and "(اليوم)" in note.text and "0 days" not in note.text


@pytest.fixture
def review(monkeypatch: pytest.MonkeyPatch) -> Review:
    return Review(Settings(), stop_the_clock(monkeypatch, datetime(2026, 11, 24, 9, 0, tzinfo=UTC)))


async def decided(review: Review, submission_id: str, expires_on: date | None, decision: DecisionRequest) -> None:
    event = validated_certificate(submission_id, expires_on=expires_on)
    await review.desk.queue_submission(event, cloud_event(topics.SUBMISSION_VALIDATED))
    await review.desk.claim(submission_id, REVIEWER)
    await review.desk.decide(submission_id, REVIEWER, decision)


async def test_an_approval_keeps_a_certificate_that_expires_for_its_reminders_and_nothing_else(review: Review) -> None:
    approve, reject = DecisionRequest(Decision.APPROVE), DecisionRequest(Decision.REJECT, "", ("name_mismatch",))
    await decided(review, "expires", EXPIRES, approve)
    await decided(review, "refused", EXPIRES, reject)
    await decided(review, "lasting", None, approve)
    assert list(review.expiries.docs) == ["expires"]
    kept = review.expiries.docs["expires"]
    assert (kept["name"], kept["expires_on"], kept["reminded"]) == ("BLS", datetime(2027, 3, 14, tzinfo=UTC), [])
    assert kept["practitioner"]["id"] == "p-1"
