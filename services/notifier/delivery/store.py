"""The delivery area's collection, `notifier.deliveries`: one document per event × channel ×
recipient, the intent and then its outcome (see rules.py for its statuses)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.notifier.delivery.rules import (
    EXPIRED,
    FAILED,
    PENDING,
    SENDABLE_STATUSES,
    SENDING,
    SENT,
)


class DeliveryStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.deliveries = db["notifier.deliveries"]

    async def ensure_indexes(self) -> None:
        await self.deliveries.create_index([("event_id", ASCENDING), ("status", ASCENDING)])

    async def add_intent(self, delivery: dict[str, Any], session: AsyncClientSession) -> None:
        await self.deliveries.insert_one(delivery, session=session)

    async def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return await self.deliveries.find_one({"_id": delivery_id})

    async def start_try(self, delivery_id: str, at: datetime) -> dict[str, Any] | None:
        """Record "about to send" (status sending, one more try) and return the intent; None when
        it is no longer sendable (another consumer finished it meanwhile)."""
        return await self.deliveries.find_one_and_update(
            {"_id": delivery_id, "status": {"$in": list(SENDABLE_STATUSES)}},
            {"$set": {"status": SENDING, "last_try_at": at, "updated_at": at}, "$inc": {"tries": 1}},
            return_document=ReturnDocument.AFTER,
        )

    async def mark_sent(self, delivery_id: str, at: datetime, provider_message_id: str) -> None:
        await self._finish(delivery_id, SENT, at, provider_message_id=provider_message_id, sent_at=at)

    async def mark_failed(self, delivery_id: str, at: datetime, reason: str) -> None:
        await self._finish(delivery_id, FAILED, at, error=reason)

    async def mark_expired(self, delivery_id: str, at: datetime) -> None:
        await self._finish(delivery_id, EXPIRED, at)

    async def note_transient_failure(self, delivery_id: str, at: datetime, error: str) -> None:
        """Back to pending: the delivery policy tries again, then dead-letters it for replay."""
        await self.deliveries.update_one(
            {"_id": delivery_id, "status": SENDING},
            {"$set": {"status": PENDING, "last_error": error, "updated_at": at}},
        )

    async def _finish(self, delivery_id: str, status: str, at: datetime, **fields: Any) -> None:
        # Conditional: a final status is never overwritten (a late, slow try cannot undo "sent").
        await self.deliveries.update_one(
            {"_id": delivery_id, "status": {"$in": list(SENDABLE_STATUSES)}},
            {"$set": {"status": status, "updated_at": at, **fields}},
        )
