"""The review desk against the real database: claims under contention, leases, decisions that race,
the audit trail, reservations for resubmissions, and what supervisors see.

Each test has its own database, so nothing here depends on another test's queue. The desk's
refusals are read as the JSON API answers them (`AsTheApiAnswers`): the code and its HTTP status.
"""

import asyncio
import inspect
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest

from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.mongo import Outbox
from mumaris.service import create_runtime
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.events import Decision
from services.review.queue.routes import api_error
from services.review.queue.rules import CLAIM_WINDOW, DecisionRequest, QueueKind, QueueState, ReviewRefused
from services.review.queue.service import Actor, ReviewDesk
from services.review.queue.store import QueueFilter, ReviewStore
from services.review.queue.views import item_view
from tests.support import eventually, settings_for, unique


class AsTheApiAnswers:
    """The desk, with each refusal raised as the ApiError the JSON API answers it with."""

    def __init__(self, desk: ReviewDesk) -> None:
        object.__setattr__(self, "_desk", desk)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._desk, name)
        if not inspect.iscoroutinefunction(found):
            return found

        async def answered(*args: Any, **kwargs: Any) -> Any:
            try:
                return await found(*args, **kwargs)
            except ReviewRefused as refusal:
                raise api_error(refusal) from refusal

        return answered

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._desk, name, value)


@dataclass
class Desk:
    desk: ReviewDesk  # as the API answers it (AsTheApiAnswers)
    store: ReviewStore

    async def seed(self, count: int = 1, **fields: Any) -> list[str]:
        ids = []
        for n in range(count):
            review_id = str(uuid.uuid4())
            item = {
                "_id": review_id,
                "submission_id": review_id,
                "kind": fields.get("kind", "certificate"),
                "practitioner": {
                    "id": fields.get("practitioner_id", unique("prac")),
                    "name": f"Dr. Test {n}",
                    "email": "t@example.sa",
                    "locale": "ar",
                },
                "specialty": fields.get("specialty", "Nursing"),
                "certificate": {
                    "name": fields.get("certificate_name", f"BLS {n}"),
                    "obtained_on": "2025-01-01",
                    "institution": "SHA",
                    "specialty": "Nursing",
                    "degree": "Course",
                    **fields.get("declared", {}),
                },
                "file": None,
                "findings": [],
                "status": "queued",
                "queued_at": fields.get("queued_at", now()),
                "previous_submission_id": fields.get("previous_submission_id"),
            }
            await self.desk.uow.run(lambda session, item=item: self.desk.enqueue(item, session))
            ids.append(review_id)
        return ids

    async def outbox(self, topic: topics.Topic) -> list[dict[str, Any]]:
        """The pending events of `topic`, each with its body as data."""
        docs = await self.desk.uow.outbox.collection.find({"topic": topic.name}).to_list()
        return [{**doc, "body": Outbox.body_of(doc)} for doc in docs]


@pytest.fixture
async def review(stack: StackInfo) -> AsyncIterator[Desk]:
    settings = settings_for(stack, mongo_db=unique("review"), review_lease_s=1800, review_resubmission_hold_s=3600)
    runtime = create_runtime("review", settings)
    store = ReviewStore(runtime.db)
    await store.ensure_indexes()
    try:
        yield Desk(cast(ReviewDesk, AsTheApiAnswers(ReviewDesk(store, runtime.uow, settings))), store)
    finally:
        await runtime.client.drop_database(settings.mongo_db)
        await runtime.client.close()


def reviewer(name: str = "Khalid", role: str = "reviewer") -> Actor:
    return Actor(unique("rev"), name, role, "10.0.0.7")


async def test_many_concurrent_claimers_never_share_an_item_and_lose_none(review: Desk) -> None:
    items = await review.seed(40)
    reviewers = [reviewer(f"R{n}") for n in range(10)]
    taken: dict[str, list[str]] = {r.id: [] for r in reviewers}

    async def work(actor: Actor) -> None:
        while (item := await review.desk.claim_next(actor)) is not None:
            taken[actor.id].append(item["_id"])

    await asyncio.gather(*(work(r) for r in reviewers))

    handed_out = Counter(i for ids in taken.values() for i in ids)
    assert sorted(handed_out) == sorted(items)  # none lost
    assert set(handed_out.values()) == {1}  # none twice
    for actor in reviewers:  # what each reviewer was told they hold is what the database says they hold
        assert sorted(d["_id"] for d in await review.store.held_by(actor.id, now())) == sorted(taken[actor.id])
    claims = Counter([e["review_id"] for i in items for e in await review.store.history(i) if e["action"] == "claimed"])
    assert set(claims.values()) == {1}


async def test_claim_next_serves_resubmissions_first_then_the_oldest_deadline(review: Desk) -> None:
    at = now()
    older, newer = await review.seed(1, queued_at=at - timedelta(days=3)) + await review.seed(1, queued_at=at)
    [resubmission] = await review.seed(1, queued_at=at, previous_submission_id=str(uuid.uuid4()))
    actor = reviewer()
    order = [(await review.desk.claim_next(actor))["_id"] for _ in range(3)]  # type: ignore[index]
    assert order == [resubmission, older, newer]
    assert await review.desk.claim_next(actor) is None


async def test_an_expired_lease_returns_the_item_to_the_queue(review: Desk) -> None:
    review.desk.lease = timedelta(milliseconds=300)
    [item] = await review.seed()
    first, second = reviewer("First"), reviewer("Second")
    assert (await review.desk.claim_next(first))["_id"] == item  # type: ignore[index]
    assert await review.desk.claim_next(second) is None  # held: not handed out again

    taken = await eventually(lambda: review.desk.claim_next(second), timeout=10, what="the lease to lapse")
    assert taken["_id"] == item

    with pytest.raises(ApiError) as refused:  # the first reviewer lost it with the lease
        await review.desk.decide(item, first, DecisionRequest(Decision.APPROVE))
    assert (refused.value.status, refused.value.code) == (409, "review.claim_required")
    entries = await review.store.history(item)
    assert entries[-1]["details"]["lapsed_claim_of"] == {"id": first.id, "name": "First"}


async def test_renewing_extends_the_lease_and_releasing_hands_the_item_to_others(review: Desk) -> None:
    [item] = await review.seed()
    holder, other = reviewer("Holder"), reviewer("Other")
    claimed = await review.desk.claim(item, holder)
    renewed = await review.desk.renew(item, holder)
    assert renewed["claim"]["expires_at"] > claimed["claim"]["expires_at"].replace(microsecond=0)

    with pytest.raises(ApiError) as refused:
        await review.desk.claim(item, other)
    assert (refused.value.code, refused.value.details) == ("review.claimed_by_other", {"held_by": "Holder"})
    with pytest.raises(ApiError) as refused:
        await review.desk.release(item, other)
    assert refused.value.code == "review.claim_required"

    await review.desk.release(item, holder)
    assert (await review.desk.claim(item, other))["claim"]["reviewer_id"] == other.id


async def test_a_supervisor_may_release_another_reviewers_claim(review: Desk) -> None:
    [item] = await review.seed()
    holder, supervisor = reviewer("Holder"), reviewer("Supervisor", role="supervisor")
    await review.desk.claim(item, holder)
    await review.desk.release(item, supervisor)
    released = [e for e in await review.store.history(item) if e["action"] == "released"]
    assert released[0]["actor"]["id"] == supervisor.id
    assert released[0]["details"]["held_by"]["id"] == holder.id


async def test_only_the_holder_decides_and_racing_decisions_end_in_exactly_one(review: Desk) -> None:
    [item] = await review.seed()
    holder, other = reviewer("Holder"), reviewer("Other")
    await review.desk.claim(item, holder)
    with pytest.raises(ApiError) as refused:
        await review.desk.decide(item, other, DecisionRequest(Decision.APPROVE))
    assert refused.value.code == "review.claim_required"

    requests = [DecisionRequest(Decision.APPROVE)] * 3 + [DecisionRequest(Decision.REJECT, "", ("name_mismatch",))] * 3
    outcomes = await asyncio.gather(*(review.desk.decide(item, holder, r) for r in requests), return_exceptions=True)

    landed = [o for o in outcomes if isinstance(o, dict)]
    refusals = [o for o in outcomes if isinstance(o, ApiError)]
    assert len(landed) == 1 and len(refusals) == 5, outcomes
    assert {(e.status, e.code) for e in refusals} == {(409, "review.already_decided")}
    events = await review.outbox(topics.REVIEW_DECIDED)
    assert len(events) == 1
    assert events[0]["body"]["decision"] == landed[0]["decision"]["decision"]
    assert [e["action"] for e in await review.store.history(item)].count("decided") == 1


async def test_a_refused_decision_changes_nothing(review: Desk) -> None:
    [item] = await review.seed()
    holder = reviewer()
    await review.desk.claim(item, holder)
    before = await review.store.get(item)
    with pytest.raises(ApiError) as refused:
        await review.desk.decide(item, holder, DecisionRequest(Decision.REJECT, "", ("not_in_catalogue",)))
    assert (refused.value.status, refused.value.code) == (422, "review.reason_code_unknown")
    assert await review.store.get(item) == before
    assert await review.outbox(topics.REVIEW_DECIDED) == []


async def test_the_audit_trail_records_who_did_what_when_and_from_where_in_order(review: Desk) -> None:
    [item] = await review.seed()
    actor = reviewer("Khalid")
    await review.desk.claim(item, actor)
    await review.desk.renew(item, actor)
    await review.desk.release(item, actor)
    await review.desk.claim(item, actor)
    await review.store.append_audit(item, "document_viewed", actor.audit_doc(), actor.address, now(), {"via": "test"})
    await review.desk.decide(item, actor, DecisionRequest(Decision.REJECT, "Stamp missing", ("incomplete_document",)))

    entries = await review.store.history(item)
    assert [e["action"] for e in entries] == ["claimed", "renewed", "released", "claimed", "document_viewed", "decided"]
    assert all(e["actor"] == {"id": actor.id, "name": "Khalid", "role": "reviewer"} for e in entries)
    assert all(e["address"] == "10.0.0.7" for e in entries)
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert entries[-1]["details"] == {
        "decision": "reject",
        "reason_codes": ["incomplete_document"],
        "reason": "Stamp missing",
    }


async def test_a_resubmission_waits_for_the_reviewer_who_asked_for_changes(review: Desk) -> None:
    [original] = await review.seed()
    asker, other = reviewer("Asker"), reviewer("Other")
    await review.desk.claim(original, asker)
    await review.desk.decide(original, asker, DecisionRequest(Decision.REQUEST_CHANGES, "Send page 2 too"))

    [resubmission] = await review.seed(previous_submission_id=original)
    stored = await review.store.get(resubmission)
    assert stored["preferred_reviewer_id"] == asker.id  # type: ignore[index]
    assert await review.desk.claim_next(other) is None
    with pytest.raises(ApiError) as refused:
        await review.desk.claim(resubmission, other)
    assert refused.value.code == "review.reserved"
    assert (await review.desk.claim_next(asker))["_id"] == resubmission  # type: ignore[index]
    queued = [e["body"] for e in await review.outbox(topics.REVIEW_QUEUED) if e["body"]["review_id"] == resubmission]
    assert queued[0]["previous_submission_id"] == original


async def test_the_same_submission_is_queued_once(review: Desk) -> None:
    [item] = await review.seed()
    duplicate = {**(await review.store.get(item)), "queued_at": now()}  # type: ignore[dict-item]
    await review.desk.uow.run(lambda session: review.desk.enqueue(duplicate, session))
    assert await review.store.items.count_documents({}) == 1
    assert len(await review.outbox(topics.REVIEW_QUEUED)) == 1


async def test_supervisors_filter_the_queue_and_see_counts_and_the_oldest_wait(review: Desk) -> None:
    at = now()
    [oldest] = await review.seed(
        1, queued_at=at - timedelta(hours=30), specialty="Radiology", certificate_name="Radiation safety"
    )
    claimed, decided, _waiting = await review.seed(3, queued_at=at - timedelta(hours=1))
    actor = reviewer("Huda")
    await review.desk.claim(claimed, actor)
    await review.desk.claim(decided, actor)
    await review.desk.decide(decided, actor, DecisionRequest(Decision.APPROVE))

    counts = await review.store.counts(now())
    assert counts == {"waiting": 2, "claimed": 1, "approved": 1, "rejected": 0, "changes_requested": 0}
    assert (await review.store.oldest_waiting(now()))["_id"] == oldest  # type: ignore[index]

    async def ids(**filters: Any) -> list[str]:
        found, total = await review.store.search(QueueFilter(**filters), now())
        assert total == len(found)
        return [d["_id"] for d in found]

    assert await ids(state=QueueState.CLAIMED) == [claimed]
    assert sorted(await ids(reviewer_id=actor.id)) == sorted([claimed, decided])
    assert await ids(specialty="Radiology") == [oldest]
    assert await ids(waiting_longer_than=timedelta(hours=24)) == [oldest]
    assert await ids(text="radiation") == [oldest]  # case-insensitive, part of the certificate name
    assert await ids(text="(.*") == []  # the text is matched literally, never as a pattern


CPD_ACTIVITY = {
    "title": "ACLS update",
    "provider": "Saudi Heart Association",
    "accreditation_number": "SHA-2025-118",
    "category": "workshop",
    "hours": "6.5",
    "attended_on": "2025-01-01",
}
RECOGNITION = {
    "title": "Advanced Life Support",
    "provider": "Resuscitation Council UK",
    "country": "GB",
    "category": "course",
    "hours_claimed": "8",
    "attended_on": "2025-01-01",
}


async def test_cpd_activities_and_recognition_requests_are_kinds_of_their_own_in_the_queue(review: Desk) -> None:
    [plain] = await review.seed()
    [activity] = await review.seed(declared={"cpd": CPD_ACTIVITY})
    [recognition] = await review.seed(kind="cpd_recognition", declared={"recognition": RECOGNITION})

    async def ids(kind: QueueKind) -> list[str]:
        found, _ = await review.store.search(QueueFilter(kind=kind), now())
        return [d["_id"] for d in found]

    assert await ids(QueueKind.CERTIFICATE) == [plain]
    assert await ids(QueueKind.CPD_ACTIVITY) == [activity]
    assert await ids(QueueKind.CPD_RECOGNITION) == [recognition]
    shown = {i: item_view(await review.store.get(i))["queue_kind"] for i in (plain, activity, recognition)}  # type: ignore[arg-type]
    assert shown == {plain: "certificate", activity: "cpd_activity", recognition: "cpd_recognition"}


async def test_a_recognition_is_approved_with_the_hours_recognised_at_most_those_claimed(review: Desk) -> None:
    [recognition] = await review.seed(kind="cpd_recognition", declared={"recognition": RECOGNITION})
    [certificate] = await review.seed()
    actor = reviewer("Huda")
    await review.desk.claim(recognition, actor)
    await review.desk.claim(certificate, actor)

    for hours, code in ((None, "review.cpd_hours_required"), (Decimal("8.5"), "review.cpd_hours_beyond_claim")):
        with pytest.raises(ApiError) as refused:
            await review.desk.decide(recognition, actor, DecisionRequest(Decision.APPROVE, cpd_hours_recognised=hours))
        assert (refused.value.code, refused.value.details["hours_claimed"]) == (code, "8")
    with pytest.raises(ApiError) as refused:
        await review.desk.decide(certificate, actor, DecisionRequest(Decision.APPROVE, cpd_hours_recognised=Decimal(2)))
    assert refused.value.code == "review.cpd_hours_not_expected"
    assert await review.outbox(topics.REVIEW_DECIDED) == []  # refused: nothing decided

    await review.desk.decide(recognition, actor, DecisionRequest(Decision.APPROVE, cpd_hours_recognised=Decimal(6)))
    [decided] = [e["body"] for e in await review.outbox(topics.REVIEW_DECIDED)]
    assert (decided["kind"], decided["cpd_hours_recognised"]) == ("cpd_recognition", "6")
    [entry] = [
        e for e in await review.store.audit.find({"review_id": recognition}).to_list() if e["action"] == "decided"
    ]
    assert entry["details"]["cpd_hours_recognised"] == "6"


# --- claim-next under contention --------------------------------------------------------------------


@dataclass
class Crowd:
    """Reviewers pressing claim-next together, spread over `desks` (replicas of the service)."""

    desks: list[ReviewDesk]
    store: ReviewStore

    async def claim_all(self, reviewers: list[Actor]) -> dict[str, list[str]]:
        """Each reviewer presses claim-next until nothing is left; what each was handed."""
        taken: dict[str, list[str]] = {r.id: [] for r in reviewers}

        async def work(actor: Actor, desk: ReviewDesk) -> None:
            while (item := await desk.claim_next(actor)) is not None:
                taken[actor.id].append(item["_id"])

        await asyncio.gather(*(work(r, self.desks[n % len(self.desks)]) for n, r in enumerate(reviewers)))
        return taken


@pytest.fixture(params=[1, 2], ids=["one-desk", "two-desks"])
async def crowd(stack: StackInfo, request: pytest.FixtureRequest) -> AsyncIterator[Crowd]:
    settings = settings_for(stack, mongo_db=unique("review-crowd"), review_lease_s=1800)
    runtimes = [create_runtime("review", settings) for _ in range(request.param)]
    stores = [ReviewStore(runtime.db) for runtime in runtimes]
    await stores[0].ensure_indexes()
    try:
        yield Crowd([ReviewDesk(s, r.uow, settings) for s, r in zip(stores, runtimes, strict=True)], stores[0])
    finally:
        await runtimes[0].client.drop_database(settings.mongo_db)
        for runtime in runtimes:
            await runtime.client.close()


def claim_order(items: list[dict[str, Any]]) -> list[str]:
    return [d["_id"] for d in sorted(items, key=lambda d: (d["priority"], d["sla_due_at"], d["queued_at"]))]


async def claims_in_commit_order(store: ReviewStore, ids: list[str], since: Any) -> list[dict[str, Any]]:
    entries = await store.audit.find({"review_id": {"$in": ids}, "action": "claimed", "at": {"$gte": since}}).to_list()
    return sorted(entries, key=lambda e: e["at_us"])


def assert_each_claim_was_within_a_window_of_the_best(
    order: list[str], claims: list[dict[str, Any]], slack: int
) -> None:
    """When each item was claimed, fewer than `slack` better items were still waiting: the order is
    kept to within the window (and the claims in flight beside it)."""
    rank = {review_id: n for n, review_id in enumerate(order)}
    waiting = set(order)
    for entry in claims:
        better_waiting = sum(1 for other in waiting if rank[other] < rank[entry["review_id"]])
        assert better_waiting < slack, (entry["review_id"], rank[entry["review_id"]], better_waiting)
        waiting.discard(entry["review_id"])


async def test_ten_reviewers_claim_every_item_once_in_order_and_take_over_lapsed_leases(crowd: Crowd) -> None:
    at = now()
    for n in range(200):  # a resubmission every tenth item: it is served first
        previous = str(uuid.uuid4()) if n % 10 == 0 else None
        item = {**_certificate(at - timedelta(minutes=n)), "previous_submission_id": previous}
        await crowd.desks[0].uow.run(lambda session, item=item: crowd.desks[0].enqueue(item, session))
    order = claim_order(await crowd.store.items.find({}).to_list())
    slack = CLAIM_WINDOW + 10

    first_round = [reviewer(f"First {n}") for n in range(10)]
    for desk in crowd.desks:
        desk.lease = timedelta(seconds=15)
    started = now()
    taken = await crowd.claim_all(first_round)
    assert now() - started < timedelta(seconds=15), "the first round must end before its leases lapse"

    handed_out = Counter(i for ids in taken.values() for i in ids)
    assert sorted(handed_out) == sorted(order)  # none lost
    assert set(handed_out.values()) == {1}  # none twice
    for actor in first_round:  # what each was told they hold is what the database says they hold
        assert sorted(d["_id"] for d in await crowd.store.held_by(actor.id, now())) == sorted(taken[actor.id])
    assert_each_claim_was_within_a_window_of_the_best(
        order, await claims_in_commit_order(crowd.store, order, at), slack
    )

    holder_of = {i: actor.id for actor in first_round for i in taken[actor.id]}
    latest = max(d["claim"]["expires_at"] for d in await crowd.store.items.find({}).to_list())
    await asyncio.sleep(max(0.0, (latest - now()).total_seconds()) + 0.2)

    second_round = [reviewer(f"Second {n}") for n in range(10)]
    for desk in crowd.desks:
        desk.lease = timedelta(minutes=30)
    lapsed_at = now()
    retaken = await crowd.claim_all(second_round)

    handed_out = Counter(i for ids in retaken.values() for i in ids)
    assert sorted(handed_out) == sorted(order) and set(handed_out.values()) == {1}
    claims = await claims_in_commit_order(crowd.store, order, lapsed_at)
    assert len(claims) == len(order)
    assert all(e["details"]["lapsed_claim_of"]["id"] == holder_of[e["review_id"]] for e in claims)
    assert_each_claim_was_within_a_window_of_the_best(order, claims, slack)


async def test_ten_reviewers_claiming_and_deciding_together_decide_every_item_once(crowd: Crowd) -> None:
    at = now()
    for n in range(150):
        item = _certificate(at - timedelta(minutes=n))
        await crowd.desks[0].uow.run(lambda session, item=item: crowd.desks[0].enqueue(item, session))
    decided: list[str] = []

    async def work(actor: Actor, desk: ReviewDesk) -> None:
        while (item := await desk.claim_next(actor)) is not None:
            await desk.decide(item["_id"], actor, DecisionRequest(Decision.APPROVE))
            decided.append(item["_id"])

    reviewers = [reviewer(f"R{n}") for n in range(10)]
    await asyncio.gather(*(work(r, crowd.desks[n % len(crowd.desks)]) for n, r in enumerate(reviewers)))

    assert len(decided) == len(set(decided)) == 150
    assert await crowd.store.items.count_documents({"status": "decided"}) == 150
    events = await crowd.desks[0].uow.outbox.collection.find({"topic": topics.REVIEW_DECIDED.name}).to_list()
    assert sorted(Outbox.body_of(e)["review_id"] for e in events) == sorted(decided)
    actions = Counter(e["action"] for e in await crowd.store.audit.find({}).to_list())
    assert actions == {"claimed": 150, "decided": 150}


def _certificate(queued_at: Any) -> dict[str, Any]:
    review_id = str(uuid.uuid4())
    return {
        "_id": review_id,
        "submission_id": review_id,
        "kind": "certificate",
        "practitioner": {"id": unique("prac"), "name": "Dr. Crowd", "email": "c@example.sa", "locale": "ar"},
        "specialty": "Nursing",
        "certificate": {
            "name": "BLS",
            "obtained_on": "2025-01-01",
            "institution": "SHA",
            "specialty": "Nursing",
            "degree": "Course",
        },
        "file": None,
        "findings": [],
        "status": "queued",
        "queued_at": queued_at,
        "previous_submission_id": None,
    }
