"""Notifier's collections: `notifier.inbox` (the practitioner's in-platform messages) and
`notifier.deliveries` (one document per event × channel × recipient: intent, then sent/failed)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class NotifierStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.inbox = db["notifier.inbox"]
        self.deliveries = db["notifier.deliveries"]
        self.contacts = db["notifier.contacts"]

    async def ensure_indexes(self) -> None:
        await self.inbox.create_index([("recipient_id", ASCENDING), ("created_at", DESCENDING)])
        await self.deliveries.create_index([("event_id", ASCENDING), ("status", ASCENDING)])

    async def add_inbox_message(self, message: dict[str, Any], session: AsyncClientSession) -> None:
        await self.inbox.insert_one(message, session=session)

    async def add_delivery_intent(self, delivery: dict[str, Any], session: AsyncClientSession) -> None:
        await self.deliveries.insert_one(delivery, session=session)

    async def pending_deliveries(self, event_id: str) -> list[dict[str, Any]]:
        return await self.deliveries.find({"event_id": event_id, "status": "pending"}).to_list()

    async def mark_delivery(self, delivery_id: str, status: str, at: datetime, **fields: Any) -> None:
        await self.deliveries.update_one(
            {"_id": delivery_id, "status": "pending"},
            {"$set": {"status": status, "updated_at": at, **fields}, "$inc": {"tries": 1}},
        )

    async def note_failed_try(self, delivery_id: str, error: str, at: datetime) -> None:
        await self.deliveries.update_one(
            {"_id": delivery_id}, {"$set": {"last_error": error, "updated_at": at}, "$inc": {"tries": 1}}
        )

    async def expire_pending(self, event_id: str, at: datetime) -> None:
        await self.deliveries.update_many(
            {"event_id": event_id, "status": "pending"}, {"$set": {"status": "expired", "updated_at": at}}
        )

    async def save_contact(self, account_id: str, name: str, email: str, locale: str, session: AsyncClientSession) -> None:
        await self.contacts.replace_one(
            {"_id": account_id}, {"name": name, "email": email, "locale": locale}, upsert=True, session=session
        )

    async def inbox_page(self, recipient_id: str, *, page: int, size: int) -> tuple[list[dict[str, Any]], int, int]:
        """One page, newest first; with the total and unread counts."""
        cursor = self.inbox.find({"recipient_id": recipient_id}).sort([("created_at", DESCENDING), ("_id", DESCENDING)])
        items = await cursor.skip((page - 1) * size).limit(size).to_list()
        total = await self.inbox.count_documents({"recipient_id": recipient_id})
        unread = await self.inbox.count_documents({"recipient_id": recipient_id, "read_at": None})
        return items, total, unread

    async def mark_read(self, recipient_id: str, message_id: str, at: datetime) -> bool:
        """False when the message is not the recipient's (or does not exist); reading twice is fine."""
        mine = {"_id": message_id, "recipient_id": recipient_id}
        result = await self.inbox.update_one({**mine, "read_at": None}, {"$set": {"read_at": at}})
        return result.matched_count == 1 or await self.inbox.count_documents(mine, limit=1) == 1
