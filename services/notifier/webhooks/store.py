"""The webhooks area's collections.

`notifier.webhook_subscriptions` — one per registered webhook: `facility_id`, `url`, the secret
    sealed (Fernet, the field-encryption key: it signs every delivery, so it is kept, never shown
    again), `active`, `created_at`; after a rotation the replaced secret (`previous_secret`, sealed)
    and until when it still signs (`previous_until`), and `rotated_at`.
`notifier.webhook_deliveries` — one per (subscription, event): `_id` "<subscription>:<event id>" (a
    redelivered event finds it and adds nothing), the CloudEvent to send, `registration_number` and
    `sequence` (the practitioner's order), `status` pending → delivered | dead, `waiting` (behind an
    earlier pending change of the same practitioner: not due whatever `next_at` says), `attempts`, `next_at`,
    the lease (`lease_until`, `lease_owner`) of the dispatcher trying it, and the `log` of its tries.
"""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.notifier.webhooks.rules import DEAD, DELIVERED, PENDING

Doc = dict[str, Any]


class WebhookStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.subscriptions = db["notifier.webhook_subscriptions"]
        self.deliveries = db["notifier.webhook_deliveries"]

    async def ensure_indexes(self) -> None:
        await self.subscriptions.create_index([("facility_id", ASCENDING), ("active", ASCENDING)])
        await self.deliveries.create_index([("status", ASCENDING), ("waiting", ASCENDING), ("next_at", ASCENDING)])
        await self.deliveries.create_index(
            [("subscription_id", ASCENDING), ("registration_number", ASCENDING), ("sequence", ASCENDING)]
        )
        await self.deliveries.create_index([("facility_id", ASCENDING), ("created_at", DESCENDING)])
        await self.deliveries.create_index([("status", ASCENDING), ("created_at", ASCENDING)])

    # --- subscriptions ------------------------------------------------------------------------

    async def add_subscription(self, doc: Doc) -> None:
        await self.subscriptions.insert_one(doc)

    async def subscriptions_of(
        self, facility_id: str, session: AsyncClientSession | None = None, *, active_only: bool = True
    ) -> list[Doc]:
        query: Doc = {"facility_id": facility_id}
        if active_only:
            query["active"] = True
        return await self.subscriptions.find(query, session=session).sort([("created_at", ASCENDING)]).to_list()

    async def subscription(self, subscription_id: str) -> Doc | None:
        return await self.subscriptions.find_one({"_id": subscription_id})

    async def deactivate(self, facility_id: str, subscription_id: str, at: datetime) -> bool:
        result = await self.subscriptions.update_one(
            {"_id": subscription_id, "facility_id": facility_id, "active": True},
            {"$set": {"active": False, "removed_at": at}},
        )
        return result.modified_count == 1

    async def rotate(self, subscription: Doc, sealed_new: str, until: datetime, at: datetime) -> bool:
        """The new sealed secret in place and the one it replaces kept beside it until `until`,
        only if the secret is still the one read (False: rotated meanwhile, or removed)."""
        result = await self.subscriptions.update_one(
            {"_id": subscription["_id"], "active": True, "secret": subscription["secret"]},
            {
                "$set": {
                    "previous_secret": subscription["secret"],
                    "previous_until": until,
                    "secret": sealed_new,
                    "rotated_at": at,
                }
            },
        )
        return result.modified_count == 1

    # --- deliveries ---------------------------------------------------------------------------

    async def add_delivery(self, doc: Doc, session: AsyncClientSession) -> bool:
        try:
            await self.deliveries.insert_one(doc, session=session)
        except DuplicateKeyError:
            return False
        return True

    async def due(self, at: datetime, limit: int) -> list[Doc]:
        """Deliveries to try now: the next of their practitioner for their subscription (not
        `waiting` behind an earlier one), due, and not held by a live lease."""
        query = {"status": PENDING, "waiting": False, "next_at": {"$lte": at}, "lease_until": {"$lte": at}}
        fields = {"subscription_id": 1, "registration_number": 1, "sequence": 1}
        return await self.deliveries.find(query, fields).sort([("next_at", ASCENDING)]).limit(limit).to_list()

    async def earlier_pending(self, delivery: Doc, session: AsyncClientSession | None = None) -> bool:
        """Whether an earlier change of the same practitioner waits for the same subscription."""
        query = {
            "subscription_id": delivery["subscription_id"],
            "registration_number": delivery["registration_number"],
            "sequence": {"$lt": delivery["sequence"]},
            "status": PENDING,
        }
        return await self.deliveries.find_one(query, {"_id": 1}, session=session) is not None

    async def waiting(self, limit: int) -> list[Doc]:
        fields = {"subscription_id": 1, "registration_number": 1, "sequence": 1}
        query = {"status": PENDING, "waiting": True}
        return await self.deliveries.find(query, fields).sort([("sequence", ASCENDING)]).limit(limit).to_list()

    async def release(self, delivery_id: str, at: datetime) -> None:
        """No earlier change waits any more: this one may be tried now."""
        await self.deliveries.update_one(
            {"_id": delivery_id, "status": PENDING, "waiting": True}, {"$set": {"waiting": False, "next_at": at}}
        )

    async def claim(self, delivery_id: str, owner: str, at: datetime, until: datetime) -> Doc | None:
        """The delivery, leased to `owner` until `until`; None when another holds a live lease or it is done."""
        return await self.deliveries.find_one_and_update(
            {"_id": delivery_id, "status": PENDING, "lease_until": {"$lte": at}},
            {"$set": {"lease_until": until, "lease_owner": owner}},
            return_document=ReturnDocument.AFTER,
        )

    async def settle(self, delivery_id: str, owner: str, changes: Doc, attempt: Doc) -> bool:
        """Record a try's outcome, only while `owner` still holds the lease."""
        result = await self.deliveries.update_one(
            {"_id": delivery_id, "lease_owner": owner, "status": PENDING},
            {"$set": changes, "$inc": {"attempts": 1}, "$push": {"log": attempt}},
        )
        return result.modified_count == 1

    async def replay(self, delivery_id: str, facility_id: str | None, at: datetime) -> Doc | None:
        """A parked delivery back to pending, to be tried now (the same event id: receivers dedupe)."""
        query: Doc = {"_id": delivery_id, "status": DEAD}
        if facility_id is not None:
            query["facility_id"] = facility_id
        return await self.deliveries.find_one_and_update(
            query,
            {
                "$set": {
                    "status": PENDING,
                    "waiting": False,
                    "next_at": at,
                    "lease_until": at,
                    "replayed_at": at,
                    "first_try_at": None,
                },
                "$unset": {"dead_at": ""},
            },
            return_document=ReturnDocument.AFTER,
        )

    async def has_delivery(self, delivery_id: str, facility_id: str | None) -> bool:
        query: Doc = {"_id": delivery_id} | ({"facility_id": facility_id} if facility_id is not None else {})
        return await self.deliveries.find_one(query, {"_id": 1}) is not None

    async def log_of(self, facility_id: str | None, status: str | None, limit: int) -> list[Doc]:
        query: Doc = {}
        if facility_id is not None:
            query["facility_id"] = facility_id
        if status is not None:
            query["status"] = status
        fields = {"envelope": 0}
        return await self.deliveries.find(query, fields).sort([("created_at", DESCENDING)]).limit(limit).to_list()

    async def parked_count(self) -> int:
        return await self.deliveries.count_documents({"status": DEAD})

    async def oldest_pending(self) -> datetime | None:
        """When the oldest delivery still pending was recorded."""
        found = await self.deliveries.find_one(
            {"status": PENDING}, {"created_at": 1}, sort=[("status", ASCENDING), ("created_at", ASCENDING)]
        )
        return found["created_at"] if found else None

    async def delivered_count(self, subscription_id: str) -> int:
        return await self.deliveries.count_documents({"subscription_id": subscription_id, "status": DELIVERED})
