"""Intake's collections for classification change requests.

- `intake.classification_requests`: one document per request with its status timeline.
- `intake.classification_open`: the marker "this practitioner has an open request", `_id` = the
  practitioner's id. It is inserted in the same transaction as the request, so of two requests
  racing for one practitioner only one commits (the other hits the duplicate key); it is removed in
  the transaction that closes the request.
- `intake.exam_results`: the testing provider's results (gov.exams) by `result_id`, under the
  candidate's `candidate_ref` (an HMAC of the ID number, never the number), so a request's page
  shows which of its exams are passed. A result sent again under its id replaces the first.
"""

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from schemas.classifications import ExamResult
from services.intake.classification.rules import (
    RequestProjection,
    RequestStep,
    Stage,
    opened,
    project_request,
)
from services.intake.submissions.store import UnknownRecord, save_projection


class UnknownRequest(UnknownRecord):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"unknown classification request {request_id}")


def _step_doc(step: RequestStep) -> dict[str, Any]:
    return {"status": step.stage.value, "at": step.at, "event_id": step.event_id, "note": step.note}


def _projection(doc: dict[str, Any]) -> RequestProjection:
    return RequestProjection(
        status=Stage(doc["status"]),
        timeline=tuple(
            RequestStep(Stage(s["status"]), s["at"], s.get("event_id"), s.get("note")) for s in doc["timeline"]
        ),
    )


def new_request_doc(
    *,
    request_id: str,
    practitioner: dict[str, Any],
    membership_number: str,
    current: str | None,
    target: str,
    documents: dict[str, str],
    required_exams: list[str],
    fee: str,
    conditions_version: str,
    requested_at: datetime,
) -> dict[str, Any]:
    start = opened(requested_at)
    return {
        "_id": request_id,
        "practitioner_id": practitioner["id"],
        "practitioner": practitioner,
        "membership_number": membership_number,
        "current": current,
        "target": target,
        "documents": documents,  # document type -> its submission id
        "required_exams": required_exams,
        "fee": fee,
        "conditions": {"version": conditions_version, "accepted_at": requested_at},
        "status": start.status.value,
        "timeline": [_step_doc(s) for s in start.timeline],
        "invoice": None,
        "decision": None,
        "created_at": requested_at,
        "updated_at": requested_at,
        "revision": 0,
    }


class ClassificationStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.requests = db["intake.classification_requests"]
        self.open_markers = db["intake.classification_open"]
        self.exam_results = db["intake.exam_results"]

    async def ensure_indexes(self) -> None:
        await self.requests.create_index([("practitioner_id", ASCENDING), ("created_at", DESCENDING)])
        await self.exam_results.create_index([("candidate_ref", ASCENDING), ("exam", ASCENDING)])

    async def save_exam_result(self, result: dict[str, Any], session: AsyncClientSession) -> None:
        await self.exam_results.replace_one({"_id": result["_id"]}, result, upsert=True, session=session)

    async def exam_results_of(self, candidate_ref: str, exams: list[str]) -> list[ExamResult]:
        cursor = self.exam_results.find({"candidate_ref": candidate_ref, "exam": {"$in": exams}})
        return [ExamResult(d["exam"], bool(d["passed"])) for d in await cursor.to_list()]

    async def open_request_id(self, practitioner_id: str, session: AsyncClientSession | None = None) -> str | None:
        marker = await self.open_markers.find_one({"_id": practitioner_id}, session=session)
        return None if marker is None else str(marker["request_id"])

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession) -> None:
        """The request and its open marker; DuplicateKeyError when the practitioner has one open."""
        await self.open_markers.insert_one(
            {"_id": doc["practitioner_id"], "request_id": doc["_id"], "opened_at": doc["created_at"]}, session=session
        )
        await self.requests.insert_one(doc, session=session)

    async def get(self, request_id: str, session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.requests.find_one({"_id": request_id}, session=session)

    async def list_for(self, practitioner_id: str, limit: int = 50) -> list[dict[str, Any]]:
        cursor = self.requests.find({"practitioner_id": practitioner_id}).sort("created_at", DESCENDING)
        return await cursor.limit(limit).to_list()

    async def record_step(
        self, request_id: str, step: RequestStep, session: AsyncClientSession, extra: dict[str, Any] | None = None
    ) -> bool:
        """Apply one step to the request's projection (False when it was already there); the step
        that closes the request also frees the practitioner to open another."""
        doc = await self.requests.find_one({"_id": request_id}, session=session)
        if doc is None:
            raise UnknownRequest(request_id)
        before = _projection(doc)
        after = project_request(before, step)
        if after is None:
            return False
        timeline = [_step_doc(s) for s in after.timeline]
        await save_projection(self.requests, doc, after.status, timeline, session, at=step.at, extra=extra)
        if after.closed and not before.closed:
            await self.open_markers.delete_one(
                {"_id": doc["practitioner_id"], "request_id": request_id}, session=session
            )
        return True
