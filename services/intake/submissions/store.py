"""The submissions' collection: `intake.submissions` (one document per submission with its timeline).

Certificates and the documents of classification requests (kind "classification_document") are
both submissions with the same shape, so each document has its own validation timeline readable at
GET /v1/certificates/{id}; only certificates are the practitioner's certificates (their list, the
profile, "the same file while one is pending"). A document's request decides its fate.

`save_projection` is the one conditional write of a new status and timeline, for submissions and
classification requests alike (classification/store.py).
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.mongo import Insertion
from schemas.events import SubmissionKind
from services.intake.submissions.rules import (
    FIRST_VERSION,
    PENDING,
    Lineage,
    Predecessor,
    Projection,
    Status,
    Step,
    project,
)


def _step_doc(step: Step) -> dict[str, Any]:
    return {"status": step.status.value, "at": step.at, "event_id": step.event_id, "note": step.note}


def _projection(doc: dict[str, Any]) -> Projection:
    return Projection(
        status=Status(doc["status"]),
        timeline=tuple(Step(Status(s["status"]), s["at"], s.get("event_id"), s.get("note")) for s in doc["timeline"]),
    )


def version_of(doc: dict[str, Any]) -> int:
    return int(doc.get("version", FIRST_VERSION))  # records from before versions existed are the first


def predecessor(doc: dict[str, Any]) -> Predecessor:
    """A stored submission seen as the one a resubmission would replace."""
    return Predecessor(
        submission_id=doc["_id"],
        status=Status(doc["status"]),
        version=version_of(doc),
        superseded_by=doc.get("superseded_by"),
    )


# Certificates only; the documents of classification requests belong to their request.
CERTIFICATES: dict[str, Any] = {"kind": {"$ne": SubmissionKind.CLASSIFICATION_DOCUMENT.value}}
# What the certificate list shows: not CPD recognition requests either (the registration page does),
# though the same file pending as either is one pending file (pending_with_file).
LISTED_AS_CERTIFICATES: dict[str, Any] = {
    "kind": {"$nin": [SubmissionKind.CLASSIFICATION_DOCUMENT.value, SubmissionKind.CPD_RECOGNITION.value]}
}


class UnknownRecord(LookupError):
    """An event names a record intake never wrote (a submission, a request, an account): it
    contradicts what intake knows, and no retry changes that."""


class UnknownSubmission(UnknownRecord):
    def __init__(self, submission_id: str) -> None:
        super().__init__(f"unknown submission {submission_id}")


class ConcurrentUpdate(RuntimeError):
    """Someone else moved the record since it was read: try again with a fresh read."""


async def save_projection(
    collection: AsyncCollection[dict[str, Any]],
    current: dict[str, Any],
    status: StrEnum,
    timeline: list[dict[str, Any]],
    session: AsyncClientSession,
    *,
    at: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a new status and timeline (and `extra` fields) on `current`, unless another writer
    moved it since it was read (its revision): ConcurrentUpdate then, and the handler retries."""
    changes = {"status": status.value, "timeline": timeline, "updated_at": at, **(extra or {})}
    result = await collection.update_one(
        {"_id": current["_id"], "revision": current["revision"]},
        {"$set": changes, "$inc": {"revision": 1}},
        session=session,
    )
    if result.modified_count != 1:
        raise ConcurrentUpdate(current["_id"])


class SubmissionStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.submissions = db["intake.submissions"]

    async def ensure_indexes(self) -> None:
        await self.submissions.create_index([("practitioner_id", ASCENDING), ("created_at", DESCENDING)])
        await self.submissions.create_index([("practitioner_id", ASCENDING), ("file.sha256", ASCENDING)])

    async def insert(self, doc: dict[str, Any], session: AsyncClientSession) -> None:
        await self.submissions.insert_one(doc, session=session)

    def insertion(self, doc: dict[str, Any]) -> Insertion:
        """A new submission, to write with its file and event in one round trip (`UnitOfWork.insert_all`)."""
        return Insertion(self.submissions, doc)

    async def pending_with_file(self, practitioner_id: str, sha256: str) -> str | None:
        doc = await self.submissions.find_one(
            {
                "practitioner_id": practitioner_id,
                **CERTIFICATES,
                "file.sha256": sha256,
                "status": {"$in": [s.value for s in PENDING]},
            },
            projection={"_id": 1},
        )
        return None if doc is None else str(doc["_id"])

    async def get(self, submission_id: str, session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.submissions.find_one({"_id": submission_id}, session=session)

    async def link_resubmission(self, previous_id: str, resubmission_id: str, session: AsyncClientSession) -> bool:
        """Point the previous version at its resubmission; False when it is no longer waiting for
        one. Conditional, so of two resubmissions racing for the same submission one wins."""
        result = await self.submissions.update_one(
            {"_id": previous_id, "status": Status.CHANGES_REQUESTED.value, "superseded_by": {"$exists": False}},
            {"$set": {"superseded_by": resubmission_id}},
            session=session,
        )
        return result.modified_count == 1

    async def list_for(
        self, practitioner_id: str, limit: int = 50, kind: SubmissionKind | None = None
    ) -> list[dict[str, Any]]:
        """The practitioner's certificates (or her submissions of `kind`), newest first."""
        which = LISTED_AS_CERTIFICATES if kind is None else {"kind": kind.value}
        cursor = self.submissions.find({"practitioner_id": practitioner_id, **which}).sort("created_at", DESCENDING)
        return await cursor.limit(limit).to_list()

    async def get_many(self, submission_ids: list[str]) -> dict[str, dict[str, Any]]:
        docs = await self.submissions.find({"_id": {"$in": submission_ids}}).to_list()
        return {str(d["_id"]): d for d in docs}

    async def record_step(
        self,
        submission_id: str,
        step: Step,
        session: AsyncClientSession,
        extra: dict[str, Any] | None = None,
    ) -> bool:
        """Apply one pipeline step to the projection; False when it was already there."""
        doc = await self.submissions.find_one({"_id": submission_id}, session=session)
        if doc is None:
            raise UnknownSubmission(submission_id)
        updated = project(_projection(doc), step)
        if updated is None:
            return False
        timeline = [_step_doc(s) for s in updated.timeline]
        await save_projection(self.submissions, doc, updated.status, timeline, session, at=step.at, extra=extra)
        return True


def new_submission_doc(
    *,
    submission_id: str,
    practitioner: dict[str, Any],
    certificate: dict[str, Any],
    file: dict[str, Any],
    received_at: datetime,
    lineage: Lineage = Lineage(),
    kind: SubmissionKind = SubmissionKind.CERTIFICATE,
    request_id: str | None = None,
    document_type: str | None = None,
) -> dict[str, Any]:
    """A new submission; a document of a classification request also names its request and type."""
    request_link = {"request_id": request_id, "document_type": document_type} if request_id else {}
    return {
        "_id": submission_id,
        "kind": kind.value,
        **request_link,
        "version": lineage.version,
        "previous_submission_id": lineage.previous_submission_id,
        "practitioner_id": practitioner["id"],
        "practitioner": practitioner,
        "certificate": certificate,
        "file": file,
        "status": Status.RECEIVED.value,
        "timeline": [_step_doc(Step(Status.RECEIVED, received_at))],
        "created_at": received_at,
        "updated_at": received_at,
        "revision": 0,
    }
