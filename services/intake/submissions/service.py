"""The submissions' use cases: accept a certificate upload (or the resubmission of one sent back for
changes), and keep each submission's status timeline as a projection of the pipeline's events.

Accepting writes the file, the record and its submission.received event together, in one
transaction (the outbox) and one round trip: an upload answered 202 survives a broker outage, and
an upload that failed leaves no file behind. (Classification requests store their documents first
and delete them again when the record could not be written: `deleted_unless_written`.)
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris import logs
from mumaris.clock import now
from mumaris.files import FileStore, StagedFile, sha256_hex
from mumaris.mongo import UnitOfWork
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
    SubmissionValidated,
)
from services.intake.submissions.rules import (
    DECISION_STATUS,
    Attachment,
    Lineage,
    Status,
    Step,
    SubmissionRefused,
    resubmission_lineage,
)
from services.intake.submissions.store import ConcurrentUpdate, SubmissionStore, new_submission_doc, predecessor

StepT = TypeVar("StepT")
StepT_contra = TypeVar("StepT_contra", contravariant=True)


@asynccontextmanager
async def deleted_unless_written(files: FileStore, written: Callable[[], Awaitable[bool]]) -> AsyncIterator[list[str]]:
    """The ids of the files stored for a record written after them: when writing it fails they are
    deleted, no orphan file without its record, unless the commit did land and only its answer was
    lost (`written` tells)."""
    file_ids: list[str] = []
    try:
        yield file_ids
    except BaseException:
        if not await written():
            for file_id in file_ids:
                await files.delete(file_id)
        raise


def findings_of(event: SubmissionValidated | SubmissionRejected) -> dict[str, Any]:
    return {"findings": [f.model_dump(mode="json") for f in event.findings]}


def review_due(event: ReviewQueued) -> dict[str, Any] | None:
    """When review expects to decide (its SLA), kept with what it is about for the practitioner."""
    return {"review_due_at": event.sla_due_at} if event.sla_due_at else None


def decision_of(event: ReviewDecided) -> dict[str, Any]:
    """The reviewer's decision as a submission or a request keeps it."""
    return {
        "decision": {
            "decision": event.decision.value,
            "reason_codes": event.reason_codes,
            "reason": event.reason,
            "decided_at": event.decided_at,
            **({} if event.cpd_hours_recognised is None else {"cpd_hours_recognised": str(event.cpd_hours_recognised)}),
        }
    }


@dataclass(frozen=True)
class Certificates:
    """Certificate uploads and resubmissions, and reading them back."""

    uow: UnitOfWork
    store: SubmissionStore
    files: FileStore

    async def visible(self, submission_id: str, practitioner_id: str | None) -> dict[str, Any] | None:
        """The submission, if the reader may see it: `practitioner_id` sees only their own (None:
        staff, who see every one). Another practitioner's submission does not exist for them."""
        doc = await self.store.get(submission_id)
        if doc is None or (practitioner_id is not None and doc["practitioner_id"] != practitioner_id):
            return None
        return doc

    async def list_for(self, practitioner_id: str, kind: SubmissionKind | None = None) -> list[dict[str, Any]]:
        return await self.store.list_for(practitioner_id, kind=kind)

    @staticmethod
    def next_version(previous: dict[str, Any]) -> Lineage:
        """Where a resubmission of `previous` stands; ResubmissionRefused unless changes were
        requested and it was not resubmitted before."""
        return resubmission_lineage(predecessor(previous))

    async def accept(
        self,
        who: PractitionerRef,
        certificate: CertificateMetadata,
        attachment: Attachment,
        lineage: Lineage = Lineage(),
        kind: SubmissionKind = SubmissionKind.CERTIFICATE,
    ) -> str:
        """Write the file, the record and its submission.received event together (for a
        resubmission, with the link from the previous version in the same transaction); the new
        submission's id. SubmissionRefused while the same file is pending. `kind`: a certificate,
        or a CPD recognition request (its evidence travels the same road)."""
        sha256 = sha256_hex(attachment.data)
        if pending := await self.store.pending_with_file(who.id, sha256):
            raise SubmissionRefused("file.duplicate_pending", {"pending_submission_id": pending})
        submission_id = str(uuid.uuid4())
        logs.note(submission_id=submission_id)  # the upload's request line names what it created
        file = self.files.staged(
            attachment.filename,
            attachment.data,
            metadata={"sha256": sha256, "content_type": attachment.content_type, "owner": who.id},
        )
        stored = StoredFile(
            file_id=file.file_id,
            filename=attachment.filename,
            size=len(attachment.data),
            sha256=sha256,
            content_type=attachment.content_type,
        )
        await self._write(submission_id, who, certificate, stored, now(), lineage, file, kind)
        return submission_id

    async def _write(
        self,
        submission_id: str,
        who: PractitionerRef,
        certificate: CertificateMetadata,
        stored: StoredFile,
        received_at: datetime,
        lineage: Lineage,
        file: StagedFile,
        kind: SubmissionKind,
    ) -> None:
        event = SubmissionReceived(
            submission_id=submission_id,
            version=lineage.version,
            previous_submission_id=lineage.previous_submission_id,
            kind=kind,
            practitioner=who,
            certificate=certificate,
            file=stored,
            received_at=received_at,
        )
        record = new_submission_doc(
            submission_id=submission_id,
            practitioner=who.model_dump(mode="json"),
            certificate=certificate.model_dump(mode="json"),
            file=stored.model_dump(mode="json"),
            received_at=received_at,
            lineage=lineage,
            kind=kind,
        )

        async def work(session: AsyncClientSession) -> None:
            if lineage.previous_submission_id is not None:
                await self._link_to_previous(lineage.previous_submission_id, submission_id, session)
            received = self.uow.outbox.insertion(topics.SUBMISSION_RECEIVED, event)
            await self.uow.insert_all([self.store.insertion(record), received, *file.insertions], session)

        await self.uow.run(work)

    async def _link_to_previous(self, previous_id: str, resubmission_id: str, session: AsyncClientSession) -> None:
        if await self.store.link_resubmission(previous_id, resubmission_id, session):
            return
        # Another resubmission won the race since the check: refuse for the reason it now has.
        current = await self.store.get(previous_id, session)
        if current is not None:
            self.next_version(current)
        raise ConcurrentUpdate(previous_id)


class StepStore(Protocol[StepT_contra]):
    async def record_step(
        self, record_id: str, step: StepT_contra, session: AsyncClientSession, extra: dict[str, Any] | None = None
    ) -> bool: ...


@dataclass(frozen=True)
class Timeline(Generic[StepT]):
    """A status timeline kept from events: each event's step applied once (where it goes, and
    whether it moves the status, is the store's projection by the area's rule)."""

    uow: UnitOfWork
    store: StepStore[StepT]

    async def record(
        self, ce: CloudEventAttributes, record_id: str, step: StepT, extra: dict[str, Any] | None = None
    ) -> None:
        await self.uow.apply_once(
            ce.id, ce.type, lambda session: self.store.record_step(record_id, step, session, extra)
        )


@dataclass(frozen=True)
class SubmissionTimeline(Timeline[Step]):
    """Each submission's practitioner-facing status, projected from the pipeline's events
    (UnknownSubmission for an event about a submission intake never wrote)."""

    async def validated(self, event: SubmissionValidated, ce: CloudEventAttributes) -> None:
        step = Step(Status.VALIDATED, event.validated_at, ce.id)
        await self.record(ce, event.submission_id, step, findings_of(event))

    async def rejected(self, event: SubmissionRejected, ce: CloudEventAttributes) -> None:
        step = Step(Status.VALIDATION_FAILED, event.rejected_at, ce.id)
        await self.record(ce, event.submission_id, step, findings_of(event))

    async def queued(self, event: ReviewQueued, ce: CloudEventAttributes) -> None:
        step = Step(Status.IN_REVIEW, event.queued_at, ce.id)
        await self.record(ce, event.submission_id, step, review_due(event))

    async def decided(self, event: ReviewDecided, ce: CloudEventAttributes) -> None:
        step = Step(DECISION_STATUS[event.decision], event.decided_at, ce.id, event.reason or None)
        await self.record(ce, event.submission_id, step, decision_of(event))
