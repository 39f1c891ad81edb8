"""Validator's collections: `validator.results`, the findings of each checked submission."""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from schemas.events import Finding


class ValidatorStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.db = db
        self.results = db["validator.results"]

    async def save_result(
        self, submission_id: str, findings: list[Finding], passed: bool, at: datetime, session: AsyncClientSession
    ) -> None:
        await self.results.replace_one(
            {"_id": submission_id},
            {"findings": [f.model_dump(mode="json") for f in findings], "passed": passed, "checked_at": at},
            upsert=True,
            session=session,
        )
