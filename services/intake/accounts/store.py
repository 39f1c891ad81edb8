"""Intake's account collections.

- `intake.accounts`: one document per account; unique ID number and e-mail (a race between two
  sign-ups with the same ID yields one account and a duplicate-key error for the other).
- `intake.refresh_tokens`: refresh tokens by SHA-256 of the token (never the token itself); one
  family per sign-in, its id the `sid` of the session's access tokens (services/intake/accounts/sessions.py).
- `intake.login_failures`: recent failed logins per account and per client address.
- `intake.reset_requests`: recent forgotten-password requests per client address.
- `intake.counters`: the membership-number sequence.
- `intake.profile_changes`: personal-data changes, open while they wait for a reviewer's decision.
"""

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.submissions.store import UnknownRecord


class UnknownAccount(UnknownRecord):
    def __init__(self, account_id: str) -> None:
        super().__init__(f"unknown account {account_id}")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AccountStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.accounts = db["intake.accounts"]
        self.refresh_tokens = db["intake.refresh_tokens"]
        self.login_failures = db["intake.login_failures"]
        self.reset_requests = db["intake.reset_requests"]
        self.counters = db["intake.counters"]
        self.profile_changes = db["intake.profile_changes"]

    async def ensure_indexes(self) -> None:
        await self.accounts.create_index([("id_number", ASCENDING)], unique=True, name="one_account_per_id")
        await self.accounts.create_index([("email", ASCENDING)], unique=True, name="one_account_per_email")
        await self.refresh_tokens.create_index([("family", ASCENDING)])
        await self.refresh_tokens.create_index([("account_id", ASCENDING)])
        await self.refresh_tokens.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        await self.profile_changes.create_index([("account_id", ASCENDING), ("open", ASCENDING)])

    async def insert(self, account: dict[str, Any], session: AsyncClientSession) -> None:
        await self.accounts.insert_one(account, session=session)

    async def get(self, account_id: str, session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.accounts.find_one({"_id": account_id}, session=session)

    async def by_email(self, email: str) -> dict[str, Any] | None:
        return await self.accounts.find_one({"email": email})

    async def update(
        self,
        account_id: str,
        changes: dict[str, Any],
        session: AsyncClientSession | None = None,
        expect: dict[str, Any] | None = None,
    ) -> bool:
        """Conditional update: only when the account still matches `expect`."""
        result = await self.accounts.update_one(
            {"_id": account_id, **(expect or {})}, {"$set": changes}, session=session
        )
        return result.modified_count == 1

    async def next_membership_number(self, session: AsyncClientSession) -> int:
        counter = await self.counters.find_one_and_update(
            {"_id": "membership"},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None  # an upsert returning the document after it always has one
        return int(counter["value"])

    # --- login throttling ----------------------------------------------------------------------

    async def failures(self, key: str, since: datetime) -> list[datetime]:
        doc = await self.login_failures.find_one({"_id": key})
        return [at for at in (doc or {}).get("at", []) if at >= since]

    async def record_failure(self, key: str, at: datetime, keep: int) -> None:
        await self.login_failures.update_one(
            {"_id": key}, {"$push": {"at": {"$each": [at], "$slice": -keep}}}, upsert=True
        )

    async def clear_failures(self, key: str) -> None:
        await self.login_failures.delete_one({"_id": key})

    # --- forgotten-password requests per client address ------------------------------------------

    async def reset_requests_since(self, key: str, since: datetime) -> list[datetime]:
        doc = await self.reset_requests.find_one({"_id": key})
        return [at for at in (doc or {}).get("at", []) if at >= since]

    async def record_reset_request(self, key: str, at: datetime, keep: int) -> None:
        await self.reset_requests.update_one(
            {"_id": key}, {"$push": {"at": {"$each": [at], "$slice": -keep}}}, upsert=True
        )

    # --- refresh tokens ------------------------------------------------------------------------

    async def store_refresh(self, token: str, account_id: str, family: str, now: datetime, ttl_s: int) -> None:
        await self.refresh_tokens.insert_one(
            {
                "_id": token_digest(token),
                "account_id": account_id,
                "family": family,
                "issued_at": now,
                "expires_at": now + timedelta(seconds=ttl_s),
                "used": False,
                "revoked": False,
            }
        )

    async def use_refresh(self, token: str) -> tuple[dict[str, Any] | None, bool]:
        """Mark the token used; returns (its record, whether this call was the first use)."""
        record = await self.refresh_tokens.find_one_and_update(
            {"_id": token_digest(token), "used": False, "revoked": False},
            {"$set": {"used": True}},
        )
        if record is not None:
            return record, True
        return await self.refresh_tokens.find_one({"_id": token_digest(token)}), False

    async def revoke_family(self, family: str, session: AsyncClientSession) -> None:
        await self.refresh_tokens.update_many({"family": family}, {"$set": {"revoked": True}}, session=session)

    async def live_families(self, account_id: str, at: datetime, session: AsyncClientSession | None = None) -> set[str]:
        """The account's sign-in sessions that can still be refreshed."""
        docs = await self.refresh_tokens.find(
            {"account_id": account_id, "revoked": False, "expires_at": {"$gt": at}},
            {"family": 1},
            session=session,
        ).to_list()
        return {doc["family"] for doc in docs}

    # --- personal-data changes (reviewed before they take effect) -------------------------------

    async def open_change(self, account_id: str) -> dict[str, Any] | None:
        return await self.profile_changes.find_one({"account_id": account_id, "open": True})

    async def add_change(self, change: dict[str, Any], session: AsyncClientSession) -> None:
        await self.profile_changes.insert_one(change, session=session)

    async def set_change_status(
        self, change_id: str, status: str, session: AsyncClientSession, **fields: Any
    ) -> dict[str, Any] | None:
        return await self.profile_changes.find_one_and_update(
            {"_id": change_id, "open": True},
            {"$set": {"status": status, **fields}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
