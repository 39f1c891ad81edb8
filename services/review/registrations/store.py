"""Review's collections for professional registrations: what their clock needs (expiries, cycles,
the reminders sent) and their renewals' invoices. Intake keeps the registrations themselves; this
is a projection of registration.issued / renewed / suspended / lapsed.

`review.registrations` — one per registration (`_id` its number): practitioner, classification,
    cycle, `expires_on` (midnight UTC), `status`, and `reminded`: the milestones sent, as
    "<cycle>:<days before>" (one conditional `$addToSet` each, in the transaction of its outbox
    record). Indexed by (status, expires_on): the sweeps walk a date range of it.
`review.renewals` — one per renewal asked (`_id` the renewal id): the cycle it renews, its old and
    new expiry, and `status` (awaiting_payment → paid | lapsed | refused: paid after the registration lapsed, each a
    conditional update).
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

Doc = dict[str, Any]


def day(value: date) -> datetime:
    return datetime.combine(value, time(), UTC)


def as_day(value: datetime) -> date:
    return value.astimezone(UTC).date()


class RegistrationBook:
    EPOCH = datetime(1900, 1, 1, tzinfo=UTC)  # before any registration: the open end of the lapse range

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.registrations = db["review.registrations"]
        self.renewals = db["review.renewals"]

    async def ensure_indexes(self) -> None:
        await self.registrations.create_index([("status", ASCENDING), ("expires_on", ASCENDING)])
        await self.renewals.create_index([("registration_number", ASCENDING)])
        await self.renewals.create_index([("status", ASCENDING)])

    # --- registrations ---------------------------------------------------------------------------

    async def get(self, number: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.registrations.find_one({"_id": number}, session=session)

    async def record_issued(self, doc: Doc, session: AsyncClientSession) -> bool:
        """False when it is known already (looked up first: a duplicate key would abort the transaction)."""
        if await self.registrations.find_one({"_id": doc["_id"]}, {"_id": 1}, session=session):
            return False
        await self.registrations.insert_one(doc, session=session)
        return True

    async def set_status(self, number: str, status: str, session: AsyncClientSession, **fields: Any) -> Doc | None:
        return await self.registrations.find_one_and_update(
            {"_id": number},
            {"$set": {"status": status, **fields}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def extend(
        self, number: str, previous: date, expires_on: date, cycle: int, session: AsyncClientSession
    ) -> Doc | None:
        """The next cycle, from the old expiry; None unless the registration still ends on
        `previous`. A suspended registration stays suspended (renewed, its clock still stopped)."""
        extended = await self.registrations.find_one_and_update(
            {"_id": number, "expires_on": day(previous)},
            {"$set": {"expires_on": day(expires_on), "cycle": cycle}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if extended is not None and extended["status"] != "suspended":
            extended["status"] = "renewed"
            await self.registrations.update_one({"_id": number}, {"$set": {"status": "renewed"}}, session=session)
        return extended

    async def mark_reminded(self, number: str, milestone: str, settles: list[str], session: AsyncClientSession) -> bool:
        """Note that `milestone` ("<cycle>:<days>") went out, with those it makes pointless; False
        when someone (another replica, an earlier sweep) sent it already."""
        result = await self.registrations.update_one(
            {"_id": number, "reminded": {"$ne": milestone}},
            {"$addToSet": {"reminded": {"$each": settles}}},
            session=session,
        )
        return result.modified_count == 1

    async def lapse(self, number: str, expires_on: datetime, at: datetime, session: AsyncClientSession) -> Doc | None:
        """Active or renewed, still ending on `expires_on` → lapsed; None if someone did it first."""
        return await self.registrations.find_one_and_update(
            {"_id": number, "status": {"$in": ["active", "renewed"]}, "expires_on": expires_on},
            {"$set": {"status": "lapsed", "lapsed_at": at}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def expiring_between(self, start: date, end: date, batch: int) -> AsyncIterator[Doc]:
        """Registrations still running (active or renewed) whose expiry falls in [start, end),
        streamed in batches in expiry order: an index range of (status, expires_on), never the
        whole collection in memory."""
        projection = {"practitioner": 1, "cycle": 1, "expires_on": 1, "reminded": 1, "status": 1}
        for status in ("active", "renewed"):
            query = {"status": status, "expires_on": {"$gte": day(start), "$lt": day(end)}}
            cursor = self.registrations.find(query, projection, batch_size=batch).sort([("expires_on", ASCENDING)])
            async for doc in cursor:
                yield doc

    async def counts(
        self, today: date, window_opens: date, grace_from: date, due_by: date, month_start: date
    ) -> dict[str, int]:
        """What the metrics show (registrations/metrics.py), each an index range count: running
        registrations split by the calendar (renewal open from `window_opens` back, grace from
        `grace_from` to today), suspended, lapsed, due by `due_by`, lapsed since `month_start`."""
        running = {"$in": ["active", "renewed"]}

        async def count(query: Doc, collection: Any = None) -> int:
            return int(await (self.registrations if collection is None else collection).count_documents(query))

        def expiring(start: date | None, end: date | None) -> Doc:
            bounds: Doc = {}
            if start is not None:
                bounds["$gte"] = day(start)
            if end is not None:
                bounds["$lt"] = day(end)
            return bounds

        return {
            "active": await count({"status": "active", "expires_on": expiring(window_opens, None)}),
            "renewed": await count({"status": "renewed", "expires_on": expiring(window_opens, None)}),
            "renewal_open": await count({"status": running, "expires_on": expiring(today, window_opens)}),
            "grace": await count({"status": running, "expires_on": expiring(grace_from, today)}),
            "suspended": await count({"status": "suspended"}),
            "lapsed": await count({"status": "lapsed"})
            + await count({"status": running, "expires_on": expiring(None, grace_from)}),
            "due_30_days": await count({"status": running, "expires_on": expiring(today, due_by)}),
            "lapsed_this_month": await count({"status": "lapsed", "lapsed_at": {"$gte": day(month_start)}}),
            "renewals_awaiting_payment": await count({"status": "awaiting_payment"}, self.renewals),
        }

    # --- renewals --------------------------------------------------------------------------------

    async def record_renewal(self, doc: Doc, session: AsyncClientSession) -> bool:
        if await self.renewals.find_one({"_id": doc["_id"]}, {"_id": 1}, session=session):
            return False
        await self.renewals.insert_one(doc, session=session)
        return True

    async def renewal(self, renewal_id: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.renewals.find_one({"_id": renewal_id}, session=session)

    async def move_renewal(
        self,
        renewal_id: str,
        from_status: str,
        to_status: str,
        at: datetime,
        session: AsyncClientSession,
        **fields: Any,
    ) -> Doc | None:
        return await self.renewals.find_one_and_update(
            {"_id": renewal_id, "status": from_status},
            {"$set": {"status": to_status, f"{to_status}_at": at, **fields}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
