"""What the public register reads: intake's registrations (by their unique `number` index) and the
names on the practitioners' accounts (by `_id`). It writes nothing and owns no collection; its one
index, `register_search` on the accounts' classification, narrows a name search to a profession.

Only the fields the register may show are ever read (projections), so the rest of an account —
ID number, phone, e-mail, birth date, password hash — never reaches this area at all.
"""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]

REGISTRATION_FIELDS = {
    "number": 1,
    "profession": 1,
    "classification": 1,
    "status": 1,
    "issued_on": 1,
    "expires_on": 1,
    "cycle": 1,
}
NAME_FIELDS = {"first_name": 1, "last_name": 1, "first_name_latin": 1, "last_name_latin": 1}
SEARCHED = ("first_name", "last_name", "first_name_latin", "last_name_latin")


class RegisterStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.registrations = db["intake.registrations"]
        self.accounts = db["intake.accounts"]

    async def ensure_indexes(self) -> None:
        # The registrations' unique `number` index is the registration area's (its ensure_indexes).
        await self.accounts.create_index([("classification", ASCENDING)], name="register_search")

    async def by_number(self, number: str) -> Doc | None:
        return await self.registrations.find_one({"number": number}, REGISTRATION_FIELDS)

    async def of_practitioner(self, practitioner_id: str) -> Doc | None:
        return await self.registrations.find_one({"_id": practitioner_id}, REGISTRATION_FIELDS)

    async def names(self, practitioner_id: str) -> Doc | None:
        return await self.accounts.find_one({"_id": practitioner_id}, NAME_FIELDS)

    async def search(self, codes: list[str], patterns: list[str], skip: int, limit: int) -> list[Doc]:
        """Accounts of these classifications whose names have every pattern (each word typed must
        start a word of the first or last name, in either script), in name order."""
        words = [{"$or": [{field: {"$regex": pattern, "$options": "i"}} for field in SEARCHED]} for pattern in patterns]
        query: Doc = {"classification": {"$in": codes}, "role": "practitioner", "$and": words}
        cursor = (
            self.accounts.find(query, NAME_FIELDS)
            .sort([("last_name", ASCENDING), ("first_name", ASCENDING), ("_id", ASCENDING)])
            .skip(skip)
            .limit(limit)
        )
        return await cursor.to_list(length=limit)

    async def registrations_of(self, practitioner_ids: list[str]) -> dict[str, Doc]:
        found = self.registrations.find({"_id": {"$in": practitioner_ids}}, REGISTRATION_FIELDS)
        return {doc["_id"]: doc async for doc in found}
