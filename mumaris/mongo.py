"""MongoDB wiring every service shares: the client, effect-once event handling and the outbox.

PyMongo's native async API (`AsyncMongoClient`) is used rather than Motor: Motor is deprecated in
favour of it and it has the same shape.

Effect-once: a handler's state change, the marker "event X was handled by service S" and the
events it emits (outbox) commit in one transaction. A redelivered event finds its marker and
changes nothing; a crash before the commit leaves nothing behind and the redelivery does the work.

Outbox: outgoing events are written in the same transaction as the state that caused them; the
relay (`mumaris.relay`) publishes what is pending and then removes it (Kafka is the record from
then on, and a small outbox keeps the relay's query cheap). A relay crash between publishing and
removing republishes on restart; consumers drop the duplicate by its CloudEvents id.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, AsyncMongoClient, InsertOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

from mumaris.clock import now
from mumaris.settings import Settings
from schemas.cloudevents import CloudEventAttributes
from schemas.topics import Topic

log = logging.getLogger("mumaris.mongo")
T = TypeVar("T")


def make_client(settings: Settings) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        settings.mongo_uri,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        connectTimeoutMS=settings.mongo_timeout_ms,
        appname="mumaris",
    )


@dataclass(frozen=True)
class Insertion:
    """A new document for `collection`, written with the others of its transaction in one round
    trip (`UnitOfWork.insert_all`)."""

    collection: AsyncCollection[dict[str, Any]]
    document: dict[str, Any]


class AlreadyHandled(Exception):
    """The event's marker exists: it took effect before."""


class EventLedger:
    """Which events a service has applied (`<service>.handled_events`, keyed by CloudEvents id)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], service: str) -> None:
        self.collection = db[f"{service}.handled_events"]

    async def ensure_indexes(self, retention_s: int) -> None:
        # A marker only has to outlive every possible redelivery of its event: Kafka's retention
        # bounds that, so old markers expire instead of growing forever.
        await self.collection.create_index([("at", ASCENDING)], expireAfterSeconds=retention_s)

    async def mark(self, event_id: str, event_type: str, session: AsyncClientSession) -> None:
        try:
            await self.collection.insert_one({"_id": event_id, "type": event_type, "at": now()}, session=session)
        except DuplicateKeyError as exc:
            raise AlreadyHandled(event_id) from exc


class Outbox:
    """Events waiting to be published (`<service>.outbox`)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], service: str) -> None:
        self.service = service
        self.collection = db[f"{service}.outbox"]
        self.added = asyncio.Event()

    async def ensure_indexes(self) -> None:
        """The relay reads the oldest pending events in (`created_at`, `seq`) order: an index on
        both walks just the batch it returns. With `created_at` alone the database sorted the whole
        pending outbox on every pass (a scan that grows with the backlog: thousands under a feed,
        everything written while the broker was away). The compound index also serves the age of
        the oldest; the single-field one it replaces is dropped where an older release made it."""
        await self.collection.create_index([("created_at", ASCENDING), ("seq", ASCENDING)])
        if "created_at_1" in await self.collection.index_information():
            with contextlib.suppress(OperationFailure):  # another replica dropped it first
                await self.collection.drop_index("created_at_1")

    def record(self, topic: Topic, event: BaseModel) -> dict[str, Any]:
        """The outbox document for an event; insert it inside the caller's transaction."""
        subject = str(getattr(event, topic.key))
        attrs = CloudEventAttributes.new(source=f"/mumaris/{self.service}", type=topic.ce_type, subject=subject)
        return {
            "_id": attrs.id,
            "topic": topic.name,
            "key": subject,
            "headers": attrs.to_headers(),
            # The event's JSON, as the relay sends it: bytes (BSON binary) rather than a document, so
            # that neither the insert nor the relay's read encodes or decodes it field by field (a
            # tenth of intake's time under a feed) and the relay sends it as it is.
            "body": event.model_dump_json().encode(),
            "created_at": now(),
            # MongoDB keeps milliseconds: events written in the same one keep their order by this.
            "seq": time.monotonic_ns(),
        }

    @staticmethod
    def body_of(doc: dict[str, Any]) -> Any:
        """A pending event's body as data (for operations and tests): the JSON bytes parsed, or the
        document an earlier release wrote."""
        body = doc["body"]
        return json.loads(body) if isinstance(body, bytes) else body

    def insertion(self, topic: Topic, event: BaseModel) -> Insertion:
        """The event's outbox document, for `UnitOfWork.insert_all` inside the caller's transaction."""
        return Insertion(self.collection, self.record(topic, event))

    async def add(self, topic: Topic, event: BaseModel, session: AsyncClientSession) -> str:
        doc = self.record(topic, event)
        await self.collection.insert_one(doc, session=session)
        return str(doc["_id"])

    def notify(self) -> None:
        """Wake the relay now instead of at its next poll."""
        self.added.set()

    async def pending_count(self) -> int:
        return await self.collection.count_documents({})


class UnitOfWork:
    """One transaction: the event ledger, the service's own writes and its outbox commit together."""

    def __init__(
        self, client: AsyncMongoClient[dict[str, Any]], db: AsyncDatabase[dict[str, Any]], service: str
    ) -> None:
        self.client = client
        self.ledger = EventLedger(db, service)
        self.outbox = Outbox(db, service)

    async def run(self, work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
        async with self.client.start_session() as session:
            result: T = await session.with_transaction(work)
        self.outbox.notify()
        return result

    async def insert_all(self, insertions: Sequence[Insertion], session: AsyncClientSession) -> None:
        """Insert every document, in order, across collections, in one round trip (MongoDB 8's
        client-level bulkWrite) inside the caller's transaction: an upload's file, record and
        event cost one command instead of one each."""
        models = [InsertOne(namespace=i.collection.full_name, document=i.document) for i in insertions]
        await self.client.bulk_write(models, session=session, ordered=True)

    async def attempt(self, work: Callable[[AsyncClientSession], Awaitable[T | None]]) -> T | None:
        """One try of `work` in a transaction; None when a concurrent writer got there first
        (a write conflict). For races the caller would rather lose than wait for, like two
        reviewers claiming the same item: the loser moves on instead of retrying."""
        async with self.client.start_session() as session:
            try:
                async with await session.start_transaction():
                    result = await work(session)
            except PyMongoError as error:
                if error.has_error_label("TransientTransactionError"):
                    return None
                raise
        self.outbox.notify()
        return result

    async def apply_once(
        self, event_id: str, event_type: str, work: Callable[[AsyncClientSession], Awaitable[T]]
    ) -> T | None:
        """Run `work` unless the event took effect before; returns None for a duplicate."""

        async def guarded(session: AsyncClientSession) -> T:
            await self.ledger.mark(event_id, event_type, session)
            return await work(session)

        try:
            return await self.run(guarded)
        except AlreadyHandled:
            log.info("event %s (%s) already applied; skipped", event_id, event_type)
            return None
