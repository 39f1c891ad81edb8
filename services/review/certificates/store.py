"""Review's collection of approved certificates that expire: what their reminders need.

`review.certificate_expiries` — one per approved certificate with an `expires_on` (`_id` its
    submission id): practitioner, the certificate's name, `expires_on` (midnight UTC),
    `approved_at`, and `reminded`: the milestones sent, by their days ("30"; one conditional
    `$addToSet` each, in the transaction of its outbox record). Indexed by `expires_on`: the sweep
    walks a date range of it. Written in the transaction of the approval (service.py).
"""

from collections.abc import AsyncIterator
from datetime import date

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.review.registrations.store import Doc, day


class CertificateExpiries:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.certificates = db["review.certificate_expiries"]

    async def ensure_indexes(self) -> None:
        await self.certificates.create_index([("expires_on", ASCENDING)])

    async def get(self, submission_id: str) -> Doc | None:
        return await self.certificates.find_one({"_id": submission_id})

    async def record(self, doc: Doc, session: AsyncClientSession) -> bool:
        """False when it is known already (looked up first: a duplicate key would abort the transaction)."""
        if await self.certificates.find_one({"_id": doc["_id"]}, {"_id": 1}, session=session):
            return False
        await self.certificates.insert_one(doc, session=session)
        return True

    async def mark_reminded(
        self, submission_id: str, milestone: str, settles: list[str], session: AsyncClientSession
    ) -> bool:
        """Note that `milestone` went out, with those it makes pointless; False when someone
        (another replica, an earlier sweep) sent it already."""
        result = await self.certificates.update_one(
            {"_id": submission_id, "reminded": {"$ne": milestone}},
            {"$addToSet": {"reminded": {"$each": settles}}},
            session=session,
        )
        return result.modified_count == 1

    async def expiring_between(self, start: date, end: date, batch: int) -> AsyncIterator[Doc]:
        """Certificates whose expiry falls in [start, end), streamed in batches in expiry order:
        an index range of `expires_on`, never the whole collection in memory."""
        query = {"expires_on": {"$gte": day(start), "$lt": day(end)}}
        projection = {"practitioner": 1, "name": 1, "expires_on": 1, "reminded": 1}
        cursor = self.certificates.find(query, projection, batch_size=batch).sort([("expires_on", ASCENDING)])
        async for doc in cursor:
            yield doc
