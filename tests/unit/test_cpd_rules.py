"""The CPD ledger's pure rules: which provider records credit hours, and a cycle's standing."""

from datetime import date
from decimal import Decimal
from typing import Any

from schemas.cloudevents import CloudEventAttributes
from schemas.events import CpdAttendanceRecord
from schemas.topics import GOV_CPD_ATTENDANCE
from services.intake.cpd.rules import (
    AlreadyReceived,
    AttendanceItem,
    Credit,
    RefusalCode,
    Refused,
    activity_key,
    decide,
    standing,
)

TODAY = date(2026, 11, 25)
ID_NUMBER = "1000000008"
ACCOUNT = {"_id": "p-1", "first_name": "Reem", "last_name": "Al-Zahrani", "email": "r@example.sa", "status": "active"}


def item(
    record_id: str,
    *,
    number: str = "SHA-2026-0412",
    on: date = TODAY,
    national_id: str = ID_NUMBER,
    source: str = "/providers/sha",
) -> AttendanceItem:
    record = CpdAttendanceRecord.model_validate(
        {
            "record_id": record_id,
            "national_id": national_id,
            "activity": {
                "title": "ACLS update",
                "provider": "Saudi Heart Association",
                "accreditation_number": number,
                "category": "workshop",
                "hours": "6.5",
                "attended_on": on.isoformat(),
            },
            "reported_at": "2026-11-25T09:00:00+00:00",
        }
    )
    attrs = CloudEventAttributes.new(source=source, type=GOV_CPD_ATTENDANCE.ce_type, subject=record_id)
    return AttendanceItem(attrs, record)


def kinds(decisions: list[Any]) -> list[str]:
    return [d.code.value if isinstance(d, Refused) else type(d).__name__ for d in decisions]


def test_a_record_for_a_known_practitioner_credits_its_activity() -> None:
    [decision] = decide([item("r-1")], {ID_NUMBER: ACCOUNT}, set(), TODAY)
    assert isinstance(decision, Credit) and decision.practitioner.id == "p-1"
    assert decision.key == activity_key("p-1", decision.item.record.activity)


def test_the_same_activity_is_credited_once_whatever_record_or_case_it_comes_in() -> None:
    already = {activity_key("p-1", item("x").record.activity)}
    assert kinds(decide([item("r-1")], {ID_NUMBER: ACCOUNT}, already, TODAY)) == ["cpd.already_credited"]
    # Two records of one activity in a batch (another record id, the number in lower case): the first counts.
    batch = [item("r-1"), item("r-2", number="sha-2026-0412"), item("r-3", on=date(2026, 11, 24))]
    assert kinds(decide(batch, {ID_NUMBER: ACCOUNT}, set(), TODAY)) == ["Credit", "cpd.already_credited", "Credit"]


def test_a_record_id_repeated_within_a_batch_is_received_once() -> None:
    decisions = decide([item("r-1"), item("r-1", number="OTHER-1")], {ID_NUMBER: ACCOUNT}, set(), TODAY)
    assert isinstance(decisions[0], Credit) and isinstance(decisions[1], AlreadyReceived)
    # ... but the same record id from another provider is another record.
    other = decide(
        [item("r-1"), item("r-1", number="OTHER-1", source="/providers/ksu")], {ID_NUMBER: ACCOUNT}, set(), TODAY
    )
    assert kinds(other) == ["Credit", "Credit"]


def test_unknown_or_inactive_practitioners_and_future_dates_are_refused() -> None:
    pending = {**ACCOUNT, "status": "pending_email"}
    assert kinds(decide([item("r-1")], {}, set(), TODAY)) == [RefusalCode.UNKNOWN_PRACTITIONER.value]
    assert kinds(decide([item("r-1")], {ID_NUMBER: pending}, set(), TODAY)) == ["feed.practitioner_not_active"]
    future = decide([item("r-1", on=date(2026, 11, 26)), item("r-1")], {ID_NUMBER: ACCOUNT}, set(), TODAY)
    assert kinds(future) == ["cpd.attended_in_future", "Credit"]  # a corrected record may follow


def test_a_cycle_stands_by_its_hours() -> None:
    held = standing(Decimal("20"), [Decimal("6.5"), Decimal("4")])
    assert (held.earned, held.still_needed, held.met) == (Decimal("10.5"), Decimal("9.5"), False)
    over = standing(Decimal("20"), [Decimal("21")])
    assert (over.still_needed, over.met) == (Decimal("0"), True)
