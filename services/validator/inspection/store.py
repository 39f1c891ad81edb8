"""Validator's collections: `validator.results` (the findings of each checked submission) and
`validator.fingerprints` (what is under review, per practitioner, to refuse duplicates)."""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from schemas.events import Finding
from services.validator.inspection.rules import Fingerprint


class ValidatorStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.results = db["validator.results"]
        self.fingerprints = db["validator.fingerprints"]
        self.practitioners = db["validator.practitioners"]

    async def ensure_indexes(self) -> None:
        await self.fingerprints.create_index([("practitioner_id", ASCENDING), ("pending", ASCENDING)])

    async def serialize_practitioner(self, practitioner_id: str, session: AsyncClientSession) -> None:
        """Write one document per practitioner inside the transaction, so two of their submissions
        checked at the same moment conflict and one retries after the other committed: each then
        sees the other's fingerprint and a duplicate cannot slip through both."""
        await self.practitioners.update_one(
            {"_id": practitioner_id}, {"$inc": {"checks": 1}}, upsert=True, session=session
        )

    async def pending_fingerprints(self, practitioner_id: str, session: AsyncClientSession) -> list[Fingerprint]:
        docs = await self.fingerprints.find(
            {"practitioner_id": practitioner_id, "pending": True}, session=session
        ).to_list()
        return [Fingerprint(d["_id"], d["sha256"], d["certificate_key"], d.get("page_hash")) for d in docs]

    async def add_pending(self, practitioner_id: str, fingerprint: Fingerprint, session: AsyncClientSession) -> None:
        await self.fingerprints.replace_one(
            {"_id": fingerprint.submission_id},
            {
                "practitioner_id": practitioner_id,
                "sha256": fingerprint.sha256,
                "certificate_key": fingerprint.certificate_key,
                "page_hash": fingerprint.page_hash,
                "pending": True,
            },
            upsert=True,
            session=session,
        )

    async def close(self, submission_id: str, session: AsyncClientSession) -> None:
        """The submission is decided: the same certificate may be submitted again."""
        await self.fingerprints.update_one({"_id": submission_id}, {"$set": {"pending": False}}, session=session)

    async def save_result(
        self, submission_id: str, findings: list[Finding], passed: bool, at: datetime, session: AsyncClientSession
    ) -> None:
        await self.results.replace_one(
            {"_id": submission_id},
            {"findings": [f.model_dump(mode="json") for f in findings], "passed": passed, "checked_at": at},
            upsert=True,
            session=session,
        )
