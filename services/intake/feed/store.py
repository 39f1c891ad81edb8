"""Intake's collections for gov.certificates, and the bulk writes of a batch.

- `intake.feed_records`: one document per received record (`_id`: publisher + record_id, see
  `rules.record_key`) naming the submission it made; its unique `_id` is what keeps a record
  republished under another event id from making a second submission.
- `intake.feed_refusals`: one document per refused record (`_id`: the CloudEvents id) with the
  publisher, record_id, issuer, refusal code and time; the ID number only as its HMAC
  (`candidate_ref`), so operations can answer "what happened to this person's record" without it.

A batch's submissions, their outbox events, the received-record markers, the refusals and the
ledger markers of every event in it are written with insert_many in one transaction (`write`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.clock import now
from mumaris.mongo import UnitOfWork
from schemas.topics import Topic

Doc = dict[str, Any]


def one_batch(cursor: AsyncCursor[Doc], at_most: int) -> AsyncCursor[Doc]:
    """A lookup of at most `at_most` documents (by unique keys) answered in one reply: without a
    limit the server sends its first 101 and the rest costs a getMore, a second round trip."""
    return cursor.limit(at_most).batch_size(at_most)


def ledger_marker(event_id: str, event_type: str, at: datetime) -> Doc:
    """The document `EventLedger.mark` writes: event `event_id` took effect in this service."""
    return {"_id": event_id, "type": event_type, "at": at}


async def existing_ids(collection: Any, ids: list[str]) -> set[str]:
    """Which of `ids` are `_id`s in `collection`: one query, one reply."""
    if not ids:
        return set()
    return {str(doc["_id"]) async for doc in one_batch(collection.find({"_id": {"$in": ids}}, {"_id": 1}), len(ids))}


@dataclass
class BatchWrites:
    """What one batch changes: `handled`, the (id, type) of every event that took effect (the
    ledger), and `events`, what goes to the outbox."""

    submissions: list[Doc] = field(default_factory=list)
    events: list[tuple[Topic, BaseModel]] = field(default_factory=list)
    received: list[Doc] = field(default_factory=list)
    refusals: list[Doc] = field(default_factory=list)
    handled: list[tuple[str, str]] = field(default_factory=list)


class FeedStore:
    def __init__(self, db: AsyncDatabase[Doc], uow: UnitOfWork) -> None:
        self.uow = uow
        self.accounts = db["intake.accounts"]
        self.submissions = db["intake.submissions"]
        self.received = db["intake.feed_records"]
        self.refusals = db["intake.feed_refusals"]

    async def ensure_indexes(self) -> None:
        # intake.accounts.id_number already has its unique index (AccountStore.ensure_indexes):
        # the batch's one `$in` query on it is an index lookup.
        await self.refusals.create_index([("record_id", ASCENDING)])
        await self.refusals.create_index([("code", ASCENDING), ("at", ASCENDING)])

    async def handled_event_ids(self, event_ids: list[str]) -> set[str]:
        return await existing_ids(self.uow.ledger.collection, event_ids)

    async def received_keys(self, keys: list[str]) -> set[str]:
        return await existing_ids(self.received, keys)

    async def accounts_by_id_number(self, id_numbers: set[str]) -> dict[str, Doc]:
        """Every account a batch names, in one query."""
        if not id_numbers:
            return {}
        projection = {
            "id_number": 1,
            "first_name": 1,
            "last_name": 1,
            "first_name_latin": 1,
            "last_name_latin": 1,
            "email": 1,
            "locale": 1,
            "status": 1,
        }
        # id_number is unique: at most one account per number, all of them in one reply.
        cursor = one_batch(self.accounts.find({"id_number": {"$in": sorted(id_numbers)}}, projection), len(id_numbers))
        return {doc["id_number"]: doc async for doc in cursor}

    async def write(self, writes: BatchWrites) -> None:
        """All of a batch's effects, or none of them. A duplicate key (another replica handled one
        of these events or records meanwhile) aborts the whole transaction; the caller retries and
        then finds those marked as handled."""
        at = now()  # one clock reading for the batch's markers: they commit together
        ledger = [ledger_marker(event_id, event_type, at) for event_id, event_type in writes.handled]
        outbox = [self.uow.outbox.record(topic, event) for topic, event in writes.events]

        async def work(session: AsyncClientSession) -> None:
            for collection, docs in (
                (self.uow.ledger.collection, ledger),
                (self.received, writes.received),
                (self.submissions, writes.submissions),
                (self.uow.outbox.collection, outbox),
                (self.refusals, writes.refusals),
            ):
                if docs:
                    await collection.insert_many(docs, ordered=True, session=session)

        await self.uow.run(work)
