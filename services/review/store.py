"""Review's collections: `review.items`, the queue (one item per submission; its id is the
submission id, so a redelivered or replayed event can never queue a submission twice)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.review.domain import ItemStatus


class ReviewStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.items = db["review.items"]

    async def ensure_indexes(self) -> None:
        await self.items.create_index([("status", ASCENDING), ("queued_at", ASCENDING)])

    async def enqueue(self, item: dict[str, Any], session: AsyncClientSession) -> bool:
        """False when the submission is already in the queue."""
        if await self.items.find_one({"_id": item["_id"]}, {"_id": 1}, session=session):
            return False
        await self.items.insert_one(item, session=session)
        return True

    async def get(self, review_id: str, session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.items.find_one({"_id": review_id}, session=session)

    async def queued(self, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.items.find({"status": ItemStatus.QUEUED.value}).sort("queued_at", ASCENDING)
        return await cursor.limit(limit).to_list()

    async def record_decision(
        self, review_id: str, decision: dict[str, Any], at: datetime, session: AsyncClientSession
    ) -> dict[str, Any] | None:
        """The conditional update that makes a decision final: only a queued item can take one."""
        return await self.items.find_one_and_update(
            {"_id": review_id, "status": ItemStatus.QUEUED.value},
            {"$set": {"status": ItemStatus.DECIDED.value, "decision": decision, "decided_at": at}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
