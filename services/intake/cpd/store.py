"""Intake's collections for the CPD ledger.

- `intake.cpd_credits`: one document per activity credited to a practitioner (`_id`:
  rules.activity_key, so the same activity is never credited twice, whichever road it came by),
  with its hours (a decimal string), date, where it came from (a provider's record or an approved
  certificate); indexed by practitioner and date for a cycle's sum.
- `intake.cpd_records`: one document per provider record received (`_id`: provider + record_id,
  feed.rules.record_key), naming the credit it made (or the activity it repeated).
- `intake.cpd_refusals`: refused provider records (`_id`: the CloudEvents id), the ID number only
  as its HMAC (`candidate_ref`).

A batch's credits, received markers, refusals and the ledger markers of its events are written
with insert_many in one transaction (`write`), as the certificate feed's are.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.clock import now
from mumaris.mongo import UnitOfWork
from services.intake.feed.store import existing_ids, ledger_marker

Doc = dict[str, Any]


def day(value: date) -> datetime:
    return datetime.combine(value, time(), UTC)


@dataclass
class CpdWrites:
    credits: list[Doc] = field(default_factory=list)
    received: list[Doc] = field(default_factory=list)
    refusals: list[Doc] = field(default_factory=list)
    handled: list[tuple[str, str]] = field(default_factory=list)


class CpdStore:
    def __init__(self, db: AsyncDatabase[Doc], uow: UnitOfWork) -> None:
        self.uow = uow
        self.credits = db["intake.cpd_credits"]
        self.received = db["intake.cpd_records"]
        self.refusals = db["intake.cpd_refusals"]

    async def ensure_indexes(self) -> None:
        await self.credits.create_index([("practitioner_id", ASCENDING), ("attended_on", ASCENDING)])
        await self.refusals.create_index([("record_id", ASCENDING)])

    async def received_keys(self, keys: list[str]) -> set[str]:
        return await existing_ids(self.received, keys)

    async def credited_keys(self, keys: list[str]) -> set[str]:
        return await existing_ids(self.credits, keys)

    async def write(self, writes: CpdWrites) -> None:
        """All of a batch's effects, or none. A duplicate key (another replica, or a certificate
        credited meanwhile) aborts the transaction; the caller retries and then finds it."""
        at = now()
        ledger = [ledger_marker(event_id, event_type, at) for event_id, event_type in writes.handled]

        async def work(session: AsyncClientSession) -> None:
            for collection, docs in (
                (self.uow.ledger.collection, ledger),
                (self.received, writes.received),
                (self.credits, writes.credits),
                (self.refusals, writes.refusals),
            ):
                if docs:
                    await collection.insert_many(docs, ordered=True, session=session)

        await self.uow.run(work)

    async def credit(self, credit: Doc, session: AsyncClientSession) -> bool:
        """One credit (an approved certificate's); False when the activity was credited before.
        Looked up first: a duplicate key would abort the transaction (a race still ends in one
        credit: the loser's transaction fails, and its redelivery finds the winner's)."""
        if await self.credits.find_one({"_id": credit["_id"]}, {"_id": 1}, session=session):
            return False
        await self.credits.insert_one(credit, session=session)
        return True

    async def credits_between(self, practitioner_id: str, starts_on: date, ends_on: date) -> list[Doc]:
        """The practitioner's credits dated in [starts_on, ends_on), oldest first (an index range)."""
        query = {"practitioner_id": practitioner_id, "attended_on": {"$gte": day(starts_on), "$lt": day(ends_on)}}
        return await self.credits.find(query).sort([("attended_on", ASCENDING), ("_id", ASCENDING)]).to_list()
