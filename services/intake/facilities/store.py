"""Intake's collections of facilities and their rosters.

`intake.facilities`       — one per facility: `_id`, names, kind, `licence_number` (unique), created by whom.
`intake.facility_roster`  — one per (facility, practitioner): `_id` "<facility>:<registration number>",
                            `facility_id`, `registration_number`, `employee_number`, `added_at`, `upload_id`.
                            Indexed by (facility, number): a roster is paged and exported in number order;
                            by number: which facilities employ a practitioner.
`intake.roster_uploads`   — one per file a facility uploaded: `_id` "<facility>:<sha-256 of the bytes>",
                            and the report it was answered with (a second upload of the same file is
                            answered with it and changes nothing).
Facility staff accounts are `intake.accounts` of role `facility` with a `facility_id`.
"""

from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

Doc = dict[str, Any]


def roster_id(facility_id: str, number: str) -> str:
    return f"{facility_id}:{number}"


class FacilityStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.facilities = db["intake.facilities"]
        self.roster = db["intake.facility_roster"]
        self.uploads = db["intake.roster_uploads"]
        self.accounts = db["intake.accounts"]
        self.registrations = db["intake.registrations"]

    async def ensure_indexes(self) -> None:
        await self.facilities.create_index([("licence_number", ASCENDING)], unique=True)
        await self.roster.create_index([("facility_id", ASCENDING), ("registration_number", ASCENDING)])
        await self.roster.create_index([("registration_number", ASCENDING)])
        await self.accounts.create_index([("facility_id", ASCENDING)], sparse=True)

    # --- facilities ---------------------------------------------------------------------------

    async def insert_facility(self, doc: Doc) -> bool:
        """False when another facility has the licence number."""
        try:
            await self.facilities.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    async def facility(self, facility_id: str) -> Doc | None:
        return await self.facilities.find_one({"_id": facility_id})

    async def facility_of(self, account_id: str) -> str | None:
        """The facility a `facility` account works for."""
        account = await self.accounts.find_one({"_id": account_id, "role": "facility"}, {"facility_id": 1})
        return str(account["facility_id"]) if account and account.get("facility_id") else None

    async def staff(self, facility_id: str) -> list[Doc]:
        fields = {"first_name": 1, "last_name": 1, "email": 1, "created_at": 1}
        return await self.accounts.find({"facility_id": facility_id, "role": "facility"}, fields).to_list()

    # --- roster -------------------------------------------------------------------------------

    async def add(self, facility_id: str, rows: Iterable[Doc], at: datetime, upload_id: str | None) -> int:
        """Put these practitioners on the roster (those already there stay as they were); how many were new."""
        models = [
            UpdateOne(
                {"_id": roster_id(facility_id, row["registration_number"])},
                {
                    "$setOnInsert": {
                        "facility_id": facility_id,
                        "registration_number": row["registration_number"],
                        "employee_number": row.get("employee_number"),
                        "added_at": at,
                        "upload_id": upload_id,
                    }
                },
                upsert=True,
            )
            for row in rows
        ]
        if not models:
            return 0
        result = await self.roster.bulk_write(models, ordered=False)
        return result.upserted_count

    async def remove(self, facility_id: str, number: str) -> bool:
        result = await self.roster.delete_one({"_id": roster_id(facility_id, number)})
        return result.deleted_count == 1

    async def on_roster(self, facility_id: str, number: str) -> Doc | None:
        return await self.roster.find_one({"_id": roster_id(facility_id, number)})

    async def page(self, facility_id: str, after: str | None, limit: int) -> list[Doc]:
        query: Doc = {"facility_id": facility_id}
        if after:
            query["registration_number"] = {"$gt": after}
        cursor = self.roster.find(query).sort([("registration_number", ASCENDING)]).limit(limit)
        return await cursor.to_list()

    async def walk(self, facility_id: str, batch: int = 1000, after: str | None = None) -> AsyncIterator[list[Doc]]:
        """The roster in number order (after `after`), a batch at a time (the export, the summary,
        a filtered page)."""
        while True:
            found = await self.page(facility_id, after, batch)
            if not found:
                return
            yield found
            after = found[-1]["registration_number"]

    async def count(self, facility_id: str) -> int:
        return await self.roster.count_documents({"facility_id": facility_id})

    # --- registrations (read only: the registration area owns them) -------------------------

    async def registrations_by_number(self, numbers: Iterable[str]) -> dict[str, Doc]:
        wanted = list(numbers)
        if not wanted:
            return {}
        fields = {"number": 1, "practitioner.name": 1, "profession": 1, "classification": 1}
        fields |= {"status": 1, "expires_on": 1}
        found = self.registrations.find({"number": {"$in": wanted}}, fields)
        return {doc["number"]: doc async for doc in found}

    async def names(self, practitioner_ids: Iterable[str]) -> dict[str, Doc]:
        """The practitioners' names as their accounts hold them (both scripts), by account id."""
        wanted = list(practitioner_ids)
        if not wanted:
            return {}
        fields = {"first_name": 1, "last_name": 1, "first_name_latin": 1, "last_name_latin": 1}
        return {doc["_id"]: doc async for doc in self.accounts.find({"_id": {"$in": wanted}}, fields)}

    async def known_numbers(self, numbers: Iterable[str]) -> set[str]:
        wanted = list(numbers)
        if not wanted:
            return set()
        found = self.registrations.find({"number": {"$in": wanted}}, {"number": 1})
        return {doc["number"] async for doc in found}

    # --- uploads ------------------------------------------------------------------------------

    async def upload(self, upload_id: str) -> Doc | None:
        return await self.uploads.find_one({"_id": upload_id})

    async def record_upload(self, doc: Doc) -> None:
        await self.uploads.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)
