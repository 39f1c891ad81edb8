"""Intake's collection of professional registrations.

`intake.registrations` — one per practitioner (`_id` = the practitioner's account id, so a second
    issue of the same practitioner's registration hits the duplicate key and changes nothing);
    `number` unique. Dates without a time (`issued_on`, `expires_on`) are kept as midnight UTC
    datetimes (BSON has no date-only type). `status` holds only what events decided (rules.STORED).
`intake.counters` — the registration number sequence (`_id` "registration"), beside accounts' own.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Doc = dict[str, Any]


def day(value: date) -> datetime:
    """A calendar day as stored."""
    return datetime.combine(value, time(), UTC)


def as_day(value: datetime) -> date:
    return value.astimezone(UTC).date()


class RegistrationStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.registrations = db["intake.registrations"]
        self.counters = db["intake.counters"]
        self.accounts = db["intake.accounts"]

    async def ensure_indexes(self) -> None:
        await self.registrations.create_index([("number", ASCENDING)], unique=True)

    async def get(self, practitioner_id: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.registrations.find_one({"_id": practitioner_id}, session=session)

    async def by_number(self, number: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.registrations.find_one({"number": number}, session=session)

    async def next_sequence(self, session: AsyncClientSession) -> int:
        counter = await self.counters.find_one_and_update(
            {"_id": "registration"},
            {"$inc": {"sequence": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None
        return int(counter["sequence"])

    async def insert(self, doc: Doc, session: AsyncClientSession) -> bool:
        """False when the practitioner has a registration already."""
        try:
            await self.registrations.insert_one(doc, session=session)
        except DuplicateKeyError:
            return False
        return True

    async def update(
        self, practitioner_id: str, expect: Doc, changes: Doc, session: AsyncClientSession, push: Doc | None = None
    ) -> Doc | None:
        """Conditional update: only while the registration still matches `expect`; None otherwise."""
        update: Doc = {"$set": changes}
        if push:
            update["$push"] = push
        return await self.registrations.find_one_and_update(
            {"_id": practitioner_id, **expect}, update, return_document=ReturnDocument.AFTER, session=session
        )

    async def approved_without_registration(self, batch: int) -> AsyncIterator[Doc]:
        """Practitioner accounts with a classification, streamed in batches (the migration)."""
        query = {"role": "practitioner", "classification": {"$nin": [None, ""]}}
        fields = {"first_name": 1, "last_name": 1, "email": 1, "locale": 1, "classification": 1}
        fields |= {"classification_changed_at": 1, "classification_request_id": 1, "created_at": 1}
        cursor = self.accounts.find(query, fields, batch_size=batch).sort([("_id", ASCENDING)])
        async for account in cursor:
            if await self.registrations.find_one({"_id": account["_id"]}, {"_id": 1}) is None:
                yield account
