"""Review's rules without a broker or a database: decisions, claims, reservations, deadlines, and
how far claim-next reads and which item it tries."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from schemas.events import Decision, SubmissionKind
from schemas.review_reasons import REJECTION_REASONS
from services.review.queue.rules import (
    CLAIM_WINDOW,
    Claim,
    DecisionRefused,
    DecisionRequest,
    ItemState,
    ItemStatus,
    OrderKey,
    Priority,
    QueueState,
    WorkingCalendar,
    check_decision,
    new_claim,
    next_candidate,
    next_front,
    priority_of,
    queue_state,
    reserved_for_other,
    unique_codes,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday
LEASE = timedelta(minutes=30)


def held(reviewer: str = "r-1", at: datetime = T0) -> ItemState:
    return ItemState(ItemStatus.QUEUED, SubmissionKind.CERTIFICATE, new_claim(reviewer, "Khalid", at, LEASE))


def refusal(item: ItemState, request: DecisionRequest, reviewer: str = "r-1", at: datetime = T0) -> DecisionRefused:
    with pytest.raises(DecisionRefused) as refused:
        check_decision(item, reviewer, request, at)
    return refused.value


def test_the_holder_of_a_live_claim_may_approve_without_a_note() -> None:
    check_decision(held(), "r-1", DecisionRequest(Decision.APPROVE), T0 + timedelta(minutes=29))


def test_nobody_may_decide_an_unclaimed_item() -> None:
    item = ItemState(ItemStatus.QUEUED, SubmissionKind.CERTIFICATE, None)
    assert refusal(item, DecisionRequest(Decision.APPROVE)).code == "review.claim_required"


def test_another_reviewer_may_not_decide_and_learns_who_holds_it() -> None:
    refused = refusal(held("r-1"), DecisionRequest(Decision.APPROVE), reviewer="r-2")
    assert refused.code == "review.claim_required"
    assert refused.details == {"held_by": "Khalid"}


def test_a_lapsed_claim_no_longer_lets_its_holder_decide() -> None:
    refused = refusal(held(), DecisionRequest(Decision.APPROVE), at=T0 + LEASE)
    assert refused.code == "review.claim_required"
    assert refused.details == {"held_by": None}


def test_a_decided_item_takes_no_second_decision() -> None:
    item = ItemState(ItemStatus.DECIDED, SubmissionKind.CERTIFICATE, None)
    assert refusal(item, DecisionRequest(Decision.APPROVE)).code == "review.already_decided"


def test_a_rejection_needs_at_least_one_reason_code_from_the_catalogue() -> None:
    refused = refusal(held(), DecisionRequest(Decision.REJECT, "blurred"))
    assert refused.code == "review.reason_codes_required"
    assert set(refused.details["catalogue"]) == set(REJECTION_REASONS)


def test_an_unknown_reason_code_is_named_in_the_refusal() -> None:
    refused = refusal(held(), DecisionRequest(Decision.REJECT, "", ("document_illegible", "looks_fishy")))
    assert refused.code == "review.reason_code_unknown"
    assert refused.details["unknown"] == ["looks_fishy"]


def test_a_rejection_with_catalogue_reasons_needs_no_note() -> None:
    check_decision(held(), "r-1", DecisionRequest(Decision.REJECT, "", ("document_illegible", "name_mismatch")), T0)


def test_the_reason_other_needs_a_note() -> None:
    assert refusal(held(), DecisionRequest(Decision.REJECT, "  ", ("other",))).code == "review.reason_required"
    check_decision(held(), "r-1", DecisionRequest(Decision.REJECT, "Stamp belongs to another hospital", ("other",)), T0)


def test_requesting_changes_needs_a_message_and_no_reason_codes() -> None:
    assert refusal(held(), DecisionRequest(Decision.REQUEST_CHANGES, " ")).code == "review.reason_required"
    refused = refusal(held(), DecisionRequest(Decision.REQUEST_CHANGES, "Send page 2", ("document_illegible",)))
    assert refused.code == "review.reason_codes_only_for_reject"
    check_decision(held(), "r-1", DecisionRequest(Decision.REQUEST_CHANGES, "Send page 2 as well"), T0)


def test_an_approval_carries_no_reason_codes() -> None:
    refused = refusal(held(), DecisionRequest(Decision.APPROVE, "", ("document_illegible",)))
    assert refused.code == "review.reason_codes_only_for_reject"


def test_reason_codes_are_kept_once_each_in_order() -> None:
    assert unique_codes([" name_mismatch", "document_illegible", "name_mismatch", " "]) == (
        "name_mismatch",
        "document_illegible",
    )


# --- claims and reservations ---------------------------------------------------------------------


def test_a_claim_is_live_until_its_lease_expires() -> None:
    claim = new_claim("r-1", "Khalid", T0, LEASE)
    assert claim.held_by("r-1", T0 + LEASE - timedelta(seconds=1))
    assert not claim.live(T0 + LEASE)
    assert not claim.held_by("r-2", T0)


def test_a_resubmission_is_held_for_the_reviewer_who_asked_until_the_hold_ends() -> None:
    until = T0 + timedelta(hours=8)
    assert reserved_for_other("r-1", until, "r-2", T0)
    assert not reserved_for_other("r-1", until, "r-1", T0)
    assert not reserved_for_other("r-1", until, "r-2", until)
    assert not reserved_for_other(None, None, "r-2", T0)


def test_resubmissions_are_served_before_new_work() -> None:
    assert priority_of("previous-id") is Priority.RESUBMISSION
    assert priority_of(None) is Priority.NORMAL
    assert Priority.RESUBMISSION < Priority.NORMAL


@pytest.mark.parametrize(
    ("claim", "decision", "at", "state"),
    [
        (None, None, T0, QueueState.WAITING),
        (Claim("r", "R", T0, T0 + LEASE), None, T0, QueueState.CLAIMED),
        (Claim("r", "R", T0, T0 + LEASE), None, T0 + LEASE, QueueState.WAITING),
    ],
)
def test_queue_state_of_an_open_item(
    claim: Claim | None, decision: Decision | None, at: datetime, state: QueueState
) -> None:
    assert queue_state(ItemStatus.QUEUED, claim, decision, at) is state


def test_queue_state_of_a_decided_item_is_its_decision() -> None:
    assert queue_state(ItemStatus.DECIDED, None, Decision.REQUEST_CHANGES, T0) is QueueState.CHANGES_REQUESTED


# --- the service-level deadline --------------------------------------------------------------------

CALENDAR = WorkingCalendar()


def riyadh(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=CALENDAR.zone)


def test_five_working_days_from_a_sunday_end_the_next_sunday() -> None:
    assert CALENDAR.add_working_days(riyadh(22, 10), 5) == riyadh(29, 10)  # Sun 22 Nov → Sun 29 Nov


def test_the_friday_saturday_weekend_is_not_counted() -> None:
    # Wednesday 25 Nov + 2 working days: Thursday 26, (Fri, Sat skipped), Sunday 29.
    assert CALENDAR.add_working_days(riyadh(25, 14), 2) == riyadh(29, 14)


def test_work_arriving_at_the_weekend_starts_counting_on_sunday_morning() -> None:
    assert CALENDAR.add_working_days(riyadh(27, 22), 1) == riyadh(30, 8)  # Fri night → Mon 08:00


def test_public_holidays_are_skipped() -> None:
    calendar = WorkingCalendar(holidays=frozenset({date(2026, 11, 26)}))
    assert calendar.add_working_days(riyadh(25, 9), 1) == riyadh(29, 9)


def test_the_deadline_keeps_the_callers_time_zone() -> None:
    due = CALENDAR.add_working_days(datetime(2026, 11, 22, 7, 0, tzinfo=UTC), 1)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


# --- how far claim-next reads, which item it tries --------------------------------------------------


def keys(count: int, priority: Priority = Priority.NORMAL, every: timedelta = timedelta(minutes=10)) -> list[OrderKey]:
    """`count` places in the claim order, one every `every` from T0."""
    return [OrderKey(priority, T0 + n * every, T0) for n in range(count)]


def test_a_read_from_the_start_sets_the_front_at_two_windows_or_keeps_reading_from_the_start() -> None:
    found = keys(2 * CLAIM_WINDOW)
    assert next_front(None, found) == found[-1]
    assert next_front(None, found[:-1]) is None  # the whole queue is smaller than that: nothing to bound


def test_the_front_is_pulled_in_past_two_windows_kept_down_to_half_a_window_then_dropped() -> None:
    front = OrderKey(Priority.NORMAL, T0 + timedelta(days=3), T0)
    found = keys(3 * CLAIM_WINDOW)
    assert next_front(front, found) == found[2 * CLAIM_WINDOW - 1]
    assert next_front(front, found[:CLAIM_WINDOW]) == front
    assert next_front(front, found[: CLAIM_WINDOW // 2]) == front
    assert next_front(front, found[: CLAIM_WINDOW // 2 - 1]) is None  # the next read starts from the beginning


def test_the_claim_order_breaks_a_tie_of_deadlines_by_the_time_queued() -> None:
    due = T0 + timedelta(days=5)
    assert OrderKey(Priority.RESUBMISSION, due + timedelta(days=9), T0) < OrderKey(Priority.NORMAL, due, T0)
    assert OrderKey(Priority.NORMAL, due, T0) < OrderKey(Priority.NORMAL, due, T0 + timedelta(hours=1))


def test_claim_next_tries_the_best_item_nobody_on_the_desk_is_trying() -> None:
    window = ["a", "b", "c", "d"]
    rng = random.Random(7)
    assert next_candidate(window, set(), False, rng) == "a"
    assert next_candidate(window, {"a", "b"}, False, rng) == "c"
    assert next_candidate(window, set(window), False, rng) is None


def test_after_losing_a_race_claim_next_spreads_over_the_rest_of_the_window_only() -> None:
    window = [f"s-{n}" for n in range(3 * CLAIM_WINDOW)]
    rng = random.Random(7)
    picked = {next_candidate(window, {"s-0"}, True, rng) for _ in range(2000)}
    assert picked == set(window[1 : CLAIM_WINDOW + 1])
