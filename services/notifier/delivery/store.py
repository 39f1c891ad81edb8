"""Notifier's collections: `notifier.inbox` (the practitioner's in-platform messages),
`notifier.deliveries` (one document per event × channel × recipient: the intent, then its outcome;
see intents.py) and `notifier.contacts` (where an account's messages go: e-mail, phone, locale)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
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

    async def save_contact(
        self, account_id: str, name: str, email: str, locale: str, session: AsyncClientSession
    ) -> None:
        # $set, not replace: the phone may have arrived first (account.phone_code is another topic).
        await self.contacts.update_one(
            {"_id": account_id},
            {"$set": {"name": name, "email": email, "locale": locale}},
            upsert=True,
            session=session,
        )

    async def save_phone(self, account_id: str, phone: str, session: AsyncClientSession) -> None:
        """The number a sign-up code was sent to: where the account's SMS notices go."""
        await self.contacts.update_one({"_id": account_id}, {"$set": {"phone": phone}}, upsert=True, session=session)

    async def phone_of(self, account_id: str, session: AsyncClientSession) -> str | None:
        contact = await self.contacts.find_one({"_id": account_id}, {"phone": 1}, session=session)
        return contact.get("phone") if contact else None

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
