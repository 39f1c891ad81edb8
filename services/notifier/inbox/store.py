"""The inbox's collection, `notifier.inbox`: the practitioner's in-platform messages, one per event
(keyed by `delivery_key(event, "inbox", recipient)`), newest first, each read or not."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


class InboxStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.messages = db["notifier.inbox"]

    async def ensure_indexes(self) -> None:
        await self.messages.create_index([("recipient_id", ASCENDING), ("created_at", DESCENDING)])

    async def add(self, message: dict[str, Any], session: AsyncClientSession) -> None:
        await self.messages.insert_one(message, session=session)

    async def page(self, recipient_id: str, *, page: int, size: int) -> tuple[list[dict[str, Any]], int, int]:
        """One page, newest first; with the total and unread counts."""
        cursor = self.messages.find({"recipient_id": recipient_id}).sort(
            [("created_at", DESCENDING), ("_id", DESCENDING)]
        )
        items = await cursor.skip((page - 1) * size).limit(size).to_list()
        total = await self.messages.count_documents({"recipient_id": recipient_id})
        unread = await self.messages.count_documents({"recipient_id": recipient_id, "read_at": None})
        return items, total, unread

    async def mark_read(self, recipient_id: str, message_id: str, at: datetime) -> bool:
        """False when the message is not the recipient's (or does not exist); reading twice is fine."""
        mine = {"_id": message_id, "recipient_id": recipient_id}
        result = await self.messages.update_one({**mine, "read_at": None}, {"$set": {"read_at": at}})
        return result.matched_count == 1 or await self.messages.count_documents(mine, limit=1) == 1
