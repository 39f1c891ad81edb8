"""The review queue's use cases (queue/service.py) with an in-memory unit of work and stores: no
broker, no database. Claims, leases, claim-next, decisions, the exam gate of a classification and
the audit trail. The same flows run on the real database in tests/integration/test_review_desk.py."""

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mumaris.settings import Settings
from schemas import topics
from schemas.events import (
    Decision,
    FieldChange,
    ProfileChangeRequested,
    SubmissionKind,
)
from services.review.queue.rules import DecisionRefused, DecisionRequest, OrderKey, Priority, ReviewRefused
from services.review.queue.service import Actor, ClaimsInFlight
from services.review.queue.store import order_key
from tests.fee_support import ClassificationCase, payment
from tests.review_fakes import Review, cloud_event, stop_the_clock, validated_certificate

SETTINGS = Settings(review_lease_s=1800, review_resubmission_hold_s=3600, review_sla_working_days=5)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday
LEASE = timedelta(seconds=SETTINGS.review_lease_s)


@pytest.fixture
def review(monkeypatch: pytest.MonkeyPatch) -> Review:
    return Review(SETTINGS, stop_the_clock(monkeypatch, T0))


def reviewer(name: str = "Khalid", role: str = "reviewer") -> Actor:
    return Actor(f"rev-{name.lower()}", name, role, "10.0.0.7")


async def queue(review: Review, *ids: str, previous: str | None = None) -> None:
    for submission_id in ids:
        await review.desk.queue_submission(
            validated_certificate(submission_id, previous), cloud_event(topics.SUBMISSION_VALIDATED)
        )


def actions(review: Review, review_id: str) -> list[str]:
    return [e["action"] for e in review.queue_store.audit if e["review_id"] == review_id]


async def test_a_validated_certificate_and_a_profile_change_are_queued_once_per_event(review: Review) -> None:
    event, attrs = validated_certificate("s-1"), cloud_event(topics.SUBMISSION_VALIDATED)
    await review.desk.queue_submission(event, attrs)
    await review.desk.queue_submission(event, attrs)  # redelivered
    await review.desk.queue_submission(event, cloud_event(topics.SUBMISSION_VALIDATED))  # replayed under a new id
    change = ProfileChangeRequested(
        change_id="c-1",
        practitioner=event.practitioner,
        changes={"last_name": FieldChange(old="Al-Harbi", new="Al-Shehri")},
        requested_at=T0,
    )
    await review.desk.queue_profile_change(change, cloud_event(topics.PROFILE_CHANGE_REQUESTED))

    assert [(e.review_id, e.kind) for e in review.uow.outbox.of(topics.REVIEW_QUEUED)] == [
        ("s-1", SubmissionKind.CERTIFICATE),
        ("c-1", SubmissionKind.PROFILE_CHANGE),
    ]
    item = review.queue_store.items["s-1"]
    assert (item["status"], item["priority"], item["claim"]) == ("queued", 1, None)
    assert item["sla_due_at"] == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # five Saudi working days
    # The practitioner is told the same date the queue works to.
    assert review.uow.outbox.of(topics.REVIEW_QUEUED)[0].sla_due_at == item["sla_due_at"]
    assert review.queue_store.items["c-1"]["changes"]["last_name"]["new"] == "Al-Shehri"


async def test_a_claim_is_a_lease_that_lapses_to_the_next_reviewer(review: Review) -> None:
    await queue(review, "s-1")
    first, second = reviewer("First"), reviewer("Second")
    assert (await review.desk.claim_next(first))["_id"] == "s-1"  # type: ignore[index]
    assert await review.desk.claim_next(second) is None  # held: not handed out again

    review.time.advance(LEASE)
    taken = await review.desk.claim_next(second)
    assert taken is not None and taken["claim"]["reviewer_id"] == second.id
    with pytest.raises(DecisionRefused) as refused:  # the first reviewer lost it with the lease
        await review.desk.decide("s-1", first, DecisionRequest(Decision.APPROVE))
    assert (refused.value.code, refused.value.details) == ("review.claim_required", {"held_by": "Second"})
    assert review.queue_store.audit[-1]["details"]["lapsed_claim_of"] == {"id": first.id, "name": "First"}


async def test_renewing_extends_the_lease_and_releasing_hands_the_item_to_others(review: Review) -> None:
    await queue(review, "s-1")
    holder, other = reviewer("Holder"), reviewer("Other")
    claimed = await review.desk.claim("s-1", holder)
    review.time.advance(timedelta(minutes=10))
    renewed = await review.desk.renew("s-1", holder)
    assert renewed["claim"]["expires_at"] == claimed["claim"]["expires_at"] + timedelta(minutes=10)

    with pytest.raises(ReviewRefused) as refused:
        await review.desk.claim("s-1", other)
    assert (refused.value.code, refused.value.details) == ("review.claimed_by_other", {"held_by": "Holder"})
    with pytest.raises(ReviewRefused) as refused:
        await review.desk.release("s-1", other)
    assert refused.value.code == "review.claim_required"
    assert await review.desk.claim("s-1", holder) == review.queue_store.items["s-1"]  # claiming what you hold

    await review.desk.release("s-1", holder)
    assert (await review.desk.claim("s-1", other))["claim"]["reviewer_id"] == other.id
    assert actions(review, "s-1") == ["claimed", "renewed", "released", "claimed"]


async def test_a_supervisor_may_release_another_reviewers_claim(review: Review) -> None:
    await queue(review, "s-1")
    holder, supervisor = reviewer("Holder"), reviewer("Huda", role="supervisor")
    await review.desk.claim("s-1", holder)
    await review.desk.release("s-1", supervisor)
    released = review.queue_store.audit[-1]
    assert (released["action"], released["actor"]["id"]) == ("released", supervisor.id)
    assert released["details"] == {"held_by": {"id": holder.id, "name": "Holder"}}


async def test_claim_next_serves_resubmissions_first_then_the_nearest_deadline(review: Review) -> None:
    await queue(review, "older")
    review.time.advance(timedelta(days=1))
    await queue(review, "newer")
    await queue(review, "resubmission", previous="decided-long-ago")
    actor = reviewer()
    order = [(await review.desk.claim_next(actor))["_id"] for _ in range(3)]  # type: ignore[index]
    assert order == ["resubmission", "older", "newer"]
    assert await review.desk.claim_next(actor) is None


FRONTS = {
    "from-the-start": lambda items: None,
    "in-the-resubmissions": lambda items: order_key(items["resubmission"]),  # reads none of the rest
    "before-all": lambda items: OrderKey(Priority.NORMAL, T0, T0),
    "between": lambda items: order_key(items["s-6"]),
    "between-two-due-together": lambda items: order_key(items["s-3"]),  # s-3 and s-4: due the same morning
    "past-all": lambda items: OrderKey(Priority.NORMAL, T0 + timedelta(days=400), T0),
}


@pytest.mark.parametrize("front", FRONTS)
async def test_wherever_the_front_stands_claim_next_hands_out_the_queue_in_claim_order(
    review: Review, front: str
) -> None:
    queued = []
    for day in range(12):  # from a Tuesday: s-3 comes on the Friday and s-4 on the Saturday
        await queue(review, f"s-{day}")
        queued.append(f"s-{day}")
        review.time.advance(timedelta(days=1))
    await queue(review, "resubmission", previous="decided-long-ago")
    items = review.queue_store.items
    assert items["s-3"]["sla_due_at"] == items["s-4"]["sla_due_at"]
    actor = reviewer()
    review.desk.front = FRONTS[front](items)
    order = []
    while (item := await review.desk.claim_next(actor)) is not None:
        order.append(item["_id"])
    assert order == ["resubmission", *queued]


async def test_reviewers_pressing_claim_next_together_on_one_desk_never_try_the_same_item(
    review: Review, monkeypatch: pytest.MonkeyPatch
) -> None:
    await queue(review, *(f"s-{n}" for n in range(30)))
    attempts: list[str] = []
    try_claim = review.queue_store.try_claim

    async def counted(review_id: str, *args: Any) -> Any:
        attempts.append(review_id)
        return await try_claim(review_id, *args)

    monkeypatch.setattr(review.queue_store, "try_claim", counted)
    reviewers = [reviewer(f"R{n}") for n in range(10)]
    taken: list[str] = []

    async def work(actor: Actor) -> None:
        while (item := await review.desk.claim_next(actor)) is not None:
            taken.append(item["_id"])

    await asyncio.gather(*(work(r) for r in reviewers))
    assert sorted(taken) == sorted(review.queue_store.items)
    assert Counter(attempts) == Counter(taken)  # every attempt won: none raced another on this desk


def test_an_item_is_busy_on_the_desk_while_it_is_tried_and_for_a_while_after_it_was_won() -> None:
    flights, recently = ClaimsInFlight(), ClaimsInFlight.WON_RECENTLY
    flights.trying.add("s-1")
    assert flights.busy(T0) == {"s-1"}
    flights.trying.discard("s-1")
    flights.won("s-1", T0, T0 + LEASE)  # a window read before that claim committed may still show it free
    flights.won("s-2", T0, T0 + LEASE)
    flights.won("s-3", T0, T0 + recently / 2)  # a short lease: free to take over once it lapses
    assert flights.busy(T0 + recently / 3) == {"s-1", "s-2", "s-3"}
    flights.released("s-2")  # back in the queue: free at once
    assert flights.busy(T0 + recently / 2) == {"s-1"}
    assert flights.busy(T0 + recently) == set()


async def test_racing_claims_on_one_item_leave_exactly_one_holder(review: Review) -> None:
    await queue(review, "s-1")
    claimers = [reviewer(f"R{n}") for n in range(5)]
    outcomes = await asyncio.gather(*(review.desk.claim("s-1", r) for r in claimers), return_exceptions=True)

    held = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, ReviewRefused)]
    assert len(held) == 1 and len(refused) == 4, outcomes
    assert {r.code for r in refused} == {"review.claimed_by_other"}
    assert actions(review, "s-1") == ["claimed"]


async def test_reviewers_pressing_claim_next_together_spread_over_the_queue_and_lose_nothing(review: Review) -> None:
    await queue(review, *(f"s-{n}" for n in range(12)))
    reviewers = [reviewer(f"R{n}") for n in range(4)]

    first_round = await asyncio.gather(*(review.desk.claim_next(r) for r in reviewers))
    assert len({item["_id"] for item in first_round if item}) == 4  # each got one, none the same

    taken: dict[str, list[str]] = {r.id: [item["_id"]] for r, item in zip(reviewers, first_round, strict=True) if item}

    async def work(actor: Actor) -> None:
        while (item := await review.desk.claim_next(actor)) is not None:
            taken[actor.id].append(item["_id"])

    await asyncio.gather(*(work(r) for r in reviewers))
    handed_out = Counter(i for ids in taken.values() for i in ids)
    assert sorted(handed_out) == sorted(review.queue_store.items)  # none lost
    assert set(handed_out.values()) == {1}  # none twice
    assert Counter(e["review_id"] for e in review.queue_store.audit if e["action"] == "claimed") == handed_out


async def test_only_the_holder_decides_and_racing_decisions_end_in_exactly_one(review: Review) -> None:
    await queue(review, "s-1")
    holder, other = reviewer("Holder"), reviewer("Other")
    await review.desk.claim("s-1", holder)
    with pytest.raises(DecisionRefused) as refused:
        await review.desk.decide("s-1", other, DecisionRequest(Decision.APPROVE))
    assert (refused.value.code, refused.value.details) == ("review.claim_required", {"held_by": "Holder"})

    requests = [DecisionRequest(Decision.APPROVE)] * 3 + [DecisionRequest(Decision.REJECT, "", ("name_mismatch",))] * 3
    outcomes = await asyncio.gather(*(review.desk.decide("s-1", holder, r) for r in requests), return_exceptions=True)

    landed = [o for o in outcomes if isinstance(o, dict)]
    refusals = [o for o in outcomes if isinstance(o, ReviewRefused)]
    assert len(landed) == 1 and len(refusals) == 5, outcomes
    assert {r.code for r in refusals} == {"review.already_decided"}
    [decided] = review.uow.outbox.of(topics.REVIEW_DECIDED)
    assert decided.decision.value == landed[0]["decision"]["decision"]
    assert actions(review, "s-1") == ["claimed", "decided"]


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (DecisionRequest(Decision.REJECT), "review.reason_codes_required"),
        (DecisionRequest(Decision.REJECT, "", ("not_in_catalogue",)), "review.reason_code_unknown"),
        (DecisionRequest(Decision.REJECT, " ", ("other",)), "review.reason_required"),
        (DecisionRequest(Decision.REQUEST_CHANGES), "review.reason_required"),
        (DecisionRequest(Decision.APPROVE, "", ("name_mismatch",)), "review.reason_codes_only_for_reject"),
    ],
)
async def test_a_refused_decision_says_why_and_changes_nothing(
    review: Review, request_: DecisionRequest, code: str
) -> None:
    await queue(review, "s-1")
    holder = reviewer()
    await review.desk.claim("s-1", holder)
    before = dict(review.queue_store.items["s-1"])
    with pytest.raises(DecisionRefused) as refused:
        await review.desk.decide("s-1", holder, request_)
    assert refused.value.code == code
    assert review.queue_store.items["s-1"] == before
    assert review.uow.outbox.of(topics.REVIEW_DECIDED) == []
    assert actions(review, "s-1") == ["claimed"]


async def test_a_request_for_changes_carries_its_message_and_the_resubmission_waits_for_its_reviewer(
    review: Review,
) -> None:
    await queue(review, "s-1")
    asker, other = reviewer("Asker"), reviewer("Other")
    await review.desk.claim("s-1", asker)
    await review.desk.decide("s-1", asker, DecisionRequest(Decision.REQUEST_CHANGES, "  Send page 2 too "))
    [decided] = review.uow.outbox.of(topics.REVIEW_DECIDED)
    assert (decided.decision, decided.reason, decided.reviewer_id) == (
        Decision.REQUEST_CHANGES,
        "Send page 2 too",
        asker.id,
    )

    await queue(review, "s-2", previous="s-1")
    assert review.queue_store.items["s-2"]["priority"] == 0  # served first
    assert await review.desk.claim_next(other) is None
    with pytest.raises(ReviewRefused) as refused:
        await review.desk.claim("s-2", other)
    assert refused.value.code == "review.reserved"
    review.time.advance(timedelta(seconds=SETTINGS.review_resubmission_hold_s))
    assert (await review.desk.claim_next(other))["_id"] == "s-2"  # type: ignore[index]


async def test_every_change_leaves_its_audit_entry_with_who_when_from_where_and_what(review: Review) -> None:
    await queue(review, "s-1")
    actor = reviewer("Khalid")
    for step in (review.desk.claim, review.desk.renew, review.desk.release, review.desk.claim):
        await step("s-1", actor)
        review.time.advance(timedelta(seconds=1))
    await review.desk.open_document("s-1", actor, {"via": "test"})
    await review.desk.decide("s-1", actor, DecisionRequest(Decision.REJECT, "Stamp missing", ("incomplete_document",)))

    entries = review.queue_store.audit
    assert [e["action"] for e in entries] == ["claimed", "renewed", "released", "claimed", "document_viewed", "decided"]
    assert all(e["actor"] == {"id": actor.id, "name": "Khalid", "role": "reviewer"} for e in entries)
    assert all(e["address"] == "10.0.0.7" for e in entries)
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert entries[4]["details"] == {"via": "test"}
    assert entries[-1]["details"] == {
        "decision": "reject",
        "reason_codes": ["incomplete_document"],
        "reason": "Stamp missing",
    }


async def test_a_document_is_for_the_claim_holder_or_a_supervisor(review: Review) -> None:
    await queue(review, "s-1")
    holder, other, supervisor = reviewer("Holder"), reviewer("Other"), reviewer("Huda", role="supervisor")
    await review.desk.claim("s-1", holder)
    with pytest.raises(ReviewRefused) as refused:
        await review.desk.open_document("s-1", other, {"via": "test"})
    assert (refused.value.code, refused.value.details) == ("review.claim_required_to_view", {"held_by": "Holder"})
    assert (await review.desk.open_document("s-1", supervisor, {"via": "test"}))["file"]["file_id"] == "f-1"
    with pytest.raises(ReviewRefused) as refused:
        await review.desk.open_document("nothing-here", supervisor, {"via": "test"})
    assert refused.value.code == "not_found"
    assert actions(review, "s-1") == ["claimed", "document_viewed"]


async def paid_classification(review: Review) -> ClassificationCase:
    """A classification request whose documents passed and whose fee is paid: queued for review."""
    case = ClassificationCase(SETTINGS, target="nursing.senior_specialist", current="nursing.specialist")
    await review.events.requested(case.requested(), cloud_event(topics.CLASSIFICATION_REQUESTED))
    for document_type in case.documents:
        await review.events.document_checked(case.validated(document_type), cloud_event(topics.SUBMISSION_VALIDATED))
    [invoice] = review.fee_store.invoices.values()
    await review.events.paid(
        payment(invoice["bill_number"], invoice["amount"], paid_at=T0), cloud_event(topics.GOV_PAYMENTS)
    )
    return case


async def test_a_classification_is_approved_only_once_every_required_exam_is_passed(review: Review) -> None:
    case = await paid_classification(review)
    await review.events.exam_result(case.exam("SNLE", passed=True), cloud_event(topics.GOV_EXAMS))
    await review.events.exam_result(case.exam("PROMOTION", passed=False), cloud_event(topics.GOV_EXAMS))
    holder = reviewer()
    await review.desk.claim(case.request_id, holder)

    with pytest.raises(DecisionRefused) as refused:
        await review.desk.decide(case.request_id, holder, DecisionRequest(Decision.APPROVE))
    assert (refused.value.code, refused.value.details) == ("review.exam_missing", {"missing": ["PROMOTION"]})
    assert review.fee_store.requests[case.request_id]["status"] == "in_review"
    assert review.uow.outbox.of(topics.REVIEW_DECIDED) == []

    await review.events.exam_result(case.exam("PROMOTION", passed=True), cloud_event(topics.GOV_EXAMS))
    await review.desk.decide(case.request_id, holder, DecisionRequest(Decision.APPROVE))
    assert review.fee_store.requests[case.request_id]["status"] == "approved"
    [changed] = review.uow.outbox.of(topics.CLASSIFICATION_CHANGED)
    assert (changed.previous.code, changed.classification.code) == ("nursing.specialist", "nursing.senior_specialist")
    [decided] = review.uow.outbox.of(topics.REVIEW_DECIDED)
    assert (decided.kind, decided.decision) == (SubmissionKind.CLASSIFICATION, Decision.APPROVE)


async def test_rejecting_a_classification_needs_no_exams_and_changes_no_classification(review: Review) -> None:
    case = await paid_classification(review)
    holder = reviewer()
    await review.desk.claim(case.request_id, holder)
    await review.desk.decide(case.request_id, holder, DecisionRequest(Decision.REJECT, "No exams yet.", ("other",)))
    assert review.fee_store.requests[case.request_id]["status"] == "rejected"
    assert review.uow.outbox.of(topics.CLASSIFICATION_CHANGED) == []
