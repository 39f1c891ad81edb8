"""The outbound register feed's collection, and its reads of the registrations.

`intake.registry_sequences` — one per registration: `_id` = its number, `sequence` = how many changes
    went out on registry.registration_changed (incremented in the transaction of the outbox record).
Registrations are read from `intake.registrations` (the registration area's), rosters from
`intake.facility_roster` (the facilities area's).
"""

from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]


class RegistryStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.sequences = db["intake.registry_sequences"]
        self.registrations = db["intake.registrations"]
        self.roster = db["intake.facility_roster"]

    async def next_sequence(self, number: str, session: AsyncClientSession) -> int:
        counter = await self.sequences.find_one_and_update(
            {"_id": number},
            {"$inc": {"sequence": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None
        return int(counter["sequence"])

    async def registration(self, number: str, session: AsyncClientSession) -> Doc | None:
        return await self.registrations.find_one({"number": number}, session=session)

    async def registration_of(self, practitioner_id: str, session: AsyncClientSession) -> Doc | None:
        return await self.registrations.find_one({"_id": practitioner_id}, session=session)

    async def facilities_employing(self, number: str, session: AsyncClientSession) -> list[str]:
        """The facilities with this practitioner on their roster (the facilities area's collection)."""
        found = self.roster.find({"registration_number": number}, {"facility_id": 1}, session=session)
        return [str(doc["facility_id"]) async for doc in found]
