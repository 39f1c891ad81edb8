"""Review's collections.

`review.items` — the queue: one item per submission (its id is the submission id, so a redelivered
or replayed event can never queue a submission twice). A claim is the item's `claim` field; every
change of it is one conditional update, so two reviewers can never hold the same item.
`review.audit` — the audit trail: insert-only; nothing in this service updates or deletes it.
"""

import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from schemas.events import SubmissionKind
from services.review.queue.rules import Claim, ItemStatus, OrderKey, Priority, QueueKind, QueueState

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)

# The order claim-next follows: resubmissions first, then the nearest service-level deadline.
CLAIM_ORDER = [("priority", ASCENDING), ("sla_due_at", ASCENDING), ("queued_at", ASCENDING)]


def claim_of(doc: dict[str, Any]) -> Claim | None:
    raw = doc.get("claim")
    if not raw:
        return None
    return Claim(raw["reviewer_id"], raw.get("reviewer_name", ""), raw["claimed_at"], raw["expires_at"])


def order_key(doc: dict[str, Any]) -> OrderKey:
    """Where an item stands in the claim order."""
    return OrderKey(doc["priority"], doc["sla_due_at"], doc["queued_at"])


def _free(at: datetime) -> dict[str, Any]:
    """Nobody holds a live claim on it."""
    return {"$or": [{"claim": None}, {"claim.expires_at": {"$lte": at}}]}


def _not_reserved_for_other(reviewer_id: str, at: datetime) -> dict[str, Any]:
    """Not a resubmission still held for the reviewer who asked for the changes, unless that is this one."""
    return {
        "$or": [
            {"preferred_reviewer_id": None},
            {"preferred_reviewer_id": reviewer_id},
            {"reserved_until": {"$lte": at}},
        ]
    }


def _up_to(front: OrderKey) -> dict[str, Any]:
    """Open items at or before `front` in claim order: every item of a higher priority, those of its
    priority due before its deadline, and those due at its deadline queued by its time.

    Each branch is a range of the claim-order index, each with its status: SecantusDB's index
    router bounds a read by such branches only (an `$and` of status with the claim conditions
    reads the whole open queue), and only by inclusive bounds on a field with more after it in the
    index (`$lt` on the deadline reads every item of the priority), so "before the deadline" is
    "at most a millisecond before it": BSON dates are milliseconds."""
    status = ItemStatus.QUEUED.value
    return {
        "$or": [
            *({"status": status, "priority": int(p)} for p in Priority if p < front.priority),
            {"status": status, "priority": front.priority, "sla_due_at": {"$lte": front.sla_due_at - MILLISECOND}},
            {
                "status": status,
                "priority": front.priority,
                "sla_due_at": front.sla_due_at,
                "queued_at": {"$lte": front.queued_at},
            },
        ]
    }


def _live_claim(at: datetime) -> dict[str, Any]:
    return {"claim.expires_at": {"$gt": at}}


def kind_clause(kind: QueueKind) -> dict[str, Any]:
    """Items of a queue kind: a CPD activity is a certificate that declares one (rules.queue_kind)."""
    if kind is QueueKind.CPD_ACTIVITY:
        return {"kind": SubmissionKind.CERTIFICATE.value, "certificate.cpd": {"$ne": None}}
    if kind is QueueKind.CERTIFICATE:
        return {"kind": SubmissionKind.CERTIFICATE.value, "certificate.cpd": None}
    return {"kind": kind.value}


@dataclass(frozen=True)
class QueueFilter:
    """What a supervisor narrows the queue by; None means "any"."""

    kind: QueueKind | None = None
    state: QueueState | None = None
    reviewer_id: str | None = None  # who holds it or decided it
    specialty: str | None = None
    waiting_longer_than: timedelta | None = None
    text: str | None = None  # part of the practitioner's name or the certificate's name
    limit: int = 50
    offset: int = 0

    def query(self, at: datetime) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if self.kind is not None:
            clauses.append(kind_clause(self.kind))
        if self.state is QueueState.WAITING:
            clauses += [{"status": ItemStatus.QUEUED.value}, _free(at)]
        elif self.state is QueueState.CLAIMED:
            clauses += [{"status": ItemStatus.QUEUED.value}, _live_claim(at)]
        elif self.state is not None:
            decision = {
                QueueState.APPROVED: "approve",
                QueueState.REJECTED: "reject",
                QueueState.CHANGES_REQUESTED: "request_changes",
            }[self.state]
            clauses += [{"status": ItemStatus.DECIDED.value}, {"decision.decision": decision}]
        if self.reviewer_id:
            clauses.append(
                {"$or": [{"claim.reviewer_id": self.reviewer_id}, {"decision.reviewer_id": self.reviewer_id}]}
            )
        if self.specialty:
            clauses.append({"specialty": self.specialty})
        if self.waiting_longer_than is not None:
            clauses.append({"queued_at": {"$lte": at - self.waiting_longer_than}})
        if self.text:
            pattern = {"$regex": re.escape(self.text.strip()), "$options": "i"}
            clauses.append({"$or": [{"practitioner.name": pattern}, {"certificate.name": pattern}]})
        return {"$and": clauses} if clauses else {}


class ReviewStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.items = db["review.items"]
        self.audit = db["review.audit"]

    async def ensure_indexes(self) -> None:
        await self.items.create_index([("status", ASCENDING), *CLAIM_ORDER])
        await self.items.create_index([("practitioner.id", ASCENDING), ("queued_at", DESCENDING)])
        await self.items.create_index([("claim.reviewer_id", ASCENDING)])
        await self.audit.create_index([("review_id", ASCENDING), ("at", ASCENDING)])

    # --- the queue ---------------------------------------------------------------------------

    async def enqueue(self, item: dict[str, Any], session: AsyncClientSession) -> bool:
        """False when the submission is already in the queue."""
        if await self.items.find_one({"_id": item["_id"]}, {"_id": 1}, session=session):
            return False
        await self.items.insert_one(item, session=session)
        return True

    async def get(self, review_id: str, session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.items.find_one({"_id": review_id}, session=session)

    async def decider_of(self, review_id: str, session: AsyncClientSession) -> str | None:
        doc = await self.items.find_one({"_id": review_id}, {"decision.reviewer_id": 1}, session=session)
        reviewer: str | None = (doc or {}).get("decision", {}).get("reviewer_id")
        return reviewer

    def claimable_query(self, reviewer_id: str, at: datetime) -> dict[str, Any]:
        return {"$and": [{"status": ItemStatus.QUEUED.value}, _free(at), _not_reserved_for_other(reviewer_id, at)]}

    async def claim_window(
        self, reviewer_id: str, at: datetime, front: OrderKey | None, limit: int
    ) -> list[dict[str, Any]]:
        """The best items this reviewer may claim, in claim order, up to `front` (None: from the
        beginning of the order), `limit` of them at most: `_id`, the fields of the claim order and
        `preferred_reviewer_id`. Reading them takes no lock; the claim itself is conditional.

        Up to a front the read costs the open items before the front (`_up_to`); from the
        beginning it costs every open item, whatever the limit (SecantusDB reads every document
        a filter matches before it sorts and limits). Decided items cost nothing either way: the
        index starts with the status."""
        query: dict[str, Any] = self.claimable_query(reviewer_id, at)
        if front is not None:
            query = {"$and": [_up_to(front), _free(at), _not_reserved_for_other(reviewer_id, at)]}
        projection = {"_id": 1, "priority": 1, "sla_due_at": 1, "queued_at": 1, "preferred_reviewer_id": 1}
        return await self.items.find(query, projection).sort(CLAIM_ORDER).limit(limit).to_list()

    async def waiting(self, reviewer_id: str, at: datetime, limit: int = 50) -> list[dict[str, Any]]:
        """What this reviewer could claim, in claim order."""
        return await self.items.find(self.claimable_query(reviewer_id, at)).sort(CLAIM_ORDER).limit(limit).to_list()

    async def held_by(self, reviewer_id: str, at: datetime) -> list[dict[str, Any]]:
        query = {"status": ItemStatus.QUEUED.value, "claim.reviewer_id": reviewer_id, **_live_claim(at)}
        return await self.items.find(query).sort(CLAIM_ORDER).to_list()

    async def try_claim(
        self, review_id: str, claim: Claim, at: datetime, session: AsyncClientSession
    ) -> dict[str, Any] | None:
        """Take the item if this reviewer may: the single conditional update that makes a claim
        exclusive. Returns the item as it was before (to see whose expired lease was taken over)."""
        return await self.items.find_one_and_update(
            {"$and": [{"_id": review_id}, self.claimable_query(claim.reviewer_id, at)]},
            {"$set": {"claim": asdict(claim)}},
            return_document=ReturnDocument.BEFORE,
            session=session,
        )

    async def renew(
        self, review_id: str, reviewer_id: str, expires_at: datetime, at: datetime, session: AsyncClientSession
    ) -> dict[str, Any] | None:
        """Extend this reviewer's lease; also after it lapsed, as long as nobody else took the item."""
        return await self.items.find_one_and_update(
            {"_id": review_id, "status": ItemStatus.QUEUED.value, "claim.reviewer_id": reviewer_id},
            {"$set": {"claim.expires_at": expires_at}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def release(
        self, review_id: str, holder_id: str | None, at: datetime, session: AsyncClientSession
    ) -> dict[str, Any] | None:
        """Give the item back to the queue. `holder_id` None: whoever holds it (a supervisor)."""
        query: dict[str, Any] = {"_id": review_id, "status": ItemStatus.QUEUED.value, **_live_claim(at)}
        if holder_id is not None:
            query["claim.reviewer_id"] = holder_id
        return await self.items.find_one_and_update(
            query, {"$set": {"claim": None}}, return_document=ReturnDocument.BEFORE, session=session
        )

    async def record_decision(
        self, review_id: str, reviewer_id: str, decision: dict[str, Any], at: datetime, session: AsyncClientSession
    ) -> dict[str, Any] | None:
        """The conditional update that makes a decision final: only the holder of a live claim on
        a queued item can take one, so of two racing decisions exactly one lands."""
        return await self.items.find_one_and_update(
            {"_id": review_id, "status": ItemStatus.QUEUED.value, "claim.reviewer_id": reviewer_id, **_live_claim(at)},
            {"$set": {"status": ItemStatus.DECIDED.value, "decision": decision, "decided_at": at, "claim": None}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    # --- supervisors ---------------------------------------------------------------------------

    async def search(self, filters: QueueFilter, at: datetime) -> tuple[list[dict[str, Any]], int]:
        query = filters.query(at)
        total = await self.items.count_documents(query)
        cursor = self.items.find(query).sort([("queued_at", ASCENDING)]).skip(filters.offset).limit(filters.limit)
        return await cursor.to_list(), total

    async def counts(self, at: datetime) -> dict[str, int]:
        return {
            state.value: await self.items.count_documents(QueueFilter(state=state).query(at)) for state in QueueState
        }

    async def oldest_waiting(self, at: datetime) -> dict[str, Any] | None:
        """The item queued longest ago that nobody is working on."""
        query = QueueFilter(state=QueueState.WAITING).query(at)
        return await self.items.find_one(query, sort=[("queued_at", ASCENDING)])

    async def count_past_sla(self, at: datetime) -> int:
        return await self.items.count_documents({"status": ItemStatus.QUEUED.value, "sla_due_at": {"$lte": at}})

    async def for_practitioner(self, practitioner_id: str, exclude: str, limit: int = 20) -> list[dict[str, Any]]:
        cursor = self.items.find({"practitioner.id": practitioner_id, "_id": {"$ne": exclude}})
        return await cursor.sort([("queued_at", DESCENDING)]).limit(limit).to_list()

    # --- the audit trail -------------------------------------------------------------------------

    async def append_audit(
        self,
        review_id: str,
        action: str,
        actor: dict[str, str],
        address: str | None,
        at: datetime,
        details: dict[str, Any] | None = None,
        session: AsyncClientSession | None = None,
    ) -> None:
        await self.audit.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "review_id": review_id,
                "at": at,
                "action": action,
                "actor": actor,
                "address": address,
                "details": details or {},
                # MongoDB keeps `at` to the millisecond: two steps in the same millisecond would come
                # back in random (_id) order without the microseconds.
                "at_us": (at - EPOCH) // timedelta(microseconds=1),
            },
            session=session,
        )

    async def history(self, review_id: str) -> list[dict[str, Any]]:
        order = [("at", ASCENDING), ("at_us", ASCENDING), ("_id", ASCENDING)]
        return await self.audit.find({"review_id": review_id}).sort(order).to_list()
