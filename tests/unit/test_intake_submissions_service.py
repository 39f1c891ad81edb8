"""Intake's submission use cases with an in-memory unit of work and stores: accepting an upload
(and refusing the same file while it is pending), resubmitting after "request changes", and the
status projection from events that arrive out of order or twice; one subscriber through
FastStream's test broker. The same flows run on the real stack in tests/e2e/test_pipeline.py and
tests/integration/test_resubmission.py."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker

from mumaris.clock import now
from mumaris.kafka import make_broker
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    Decision,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    StoredFile,
    SubmissionKind,
    SubmissionValidated,
)
from services.intake.submissions import handlers
from services.intake.submissions.rules import Attachment, ResubmissionRefused, Status, SubmissionRefused
from services.intake.submissions.service import Certificates, SubmissionTimeline
from services.intake.submissions.store import UnknownSubmission
from tests.fakes import FakeUnitOfWork
from tests.unit.intake_fakes import FakeFiles, FakeSubmissionStore
from tests.unit.test_logs import RecordingProducer

SARA = PractitionerRef(id="p-1", name="Sara Al-Harbi", email="sara@example.sa")
BLS = CertificateMetadata(
    name="BLS",
    obtained_on=date(2025, 3, 14),
    institution="Saudi Heart Association",
    specialty="Nursing",
    degree="Course",
)


def scan(seed: int = 1) -> Attachment:
    return Attachment("scan.jpg", b"\xff\xd8\xff" + bytes([seed]) * 64, "image/jpeg")


def ce(topic: topics.Topic, event_id: str) -> CloudEventAttributes:
    attrs = CloudEventAttributes.new(source="/test", type=topic.ce_type, subject="s")
    return attrs.model_copy(update={"id": event_id})


def at(seconds: int) -> datetime:
    """`seconds` after now: after the upload the test just accepted (its received time is now())."""
    return now() + timedelta(seconds=seconds)


class Submissions:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.store = FakeSubmissionStore()
        self.files = FakeFiles()
        self.certificates = Certificates(self.uow, self.store, self.files)  # type: ignore[arg-type]
        self.timeline = SubmissionTimeline(self.uow, self.store)  # type: ignore[arg-type]

    def validated(self, submission_id: str, validated_at: datetime) -> SubmissionValidated:
        return SubmissionValidated(
            submission_id=submission_id,
            kind=SubmissionKind.CERTIFICATE,
            practitioner=SARA,
            certificate=BLS,
            file=StoredFile.model_validate(self.store.docs[submission_id]["file"]),
            findings=[],
            validated_at=validated_at,
        )

    async def decide(self, submission_id: str, decision: Decision, event_id: str, seconds: int) -> None:
        event = ReviewDecided(
            submission_id=submission_id,
            review_id=submission_id,
            kind=SubmissionKind.CERTIFICATE,
            practitioner=SARA,
            decision=decision,
            reason="the scan is cut off" if decision is Decision.REQUEST_CHANGES else "",
            reviewer_id="r-1",
            decided_at=at(seconds),
        )
        await self.timeline.decided(event, ce(topics.REVIEW_DECIDED, event_id))


@pytest.fixture
def submissions() -> Submissions:
    return Submissions()


async def test_an_upload_is_stored_with_its_event_and_the_same_file_is_refused_while_pending(
    submissions: Submissions,
) -> None:
    first = await submissions.certificates.accept(SARA, BLS, scan())
    doc = submissions.store.docs[first]
    assert (doc["status"], doc["version"], doc["file"]["filename"]) == ("received", 1, "scan.jpg")
    [received] = submissions.uow.outbox.of(topics.SUBMISSION_RECEIVED)
    assert (received.submission_id, received.certificate, received.file.file_id) == (first, BLS, doc["file"]["file_id"])

    with pytest.raises(SubmissionRefused) as refused:
        await submissions.certificates.accept(SARA, BLS, scan())
    assert (refused.value.code, refused.value.details) == ("file.duplicate_pending", {"pending_submission_id": first})
    assert len(submissions.files.files) == 1 and len(submissions.uow.outbox.events) == 1

    await submissions.decide(first, Decision.REJECT, "decided", 5)
    assert await submissions.certificates.accept(SARA, BLS, scan()) != first  # decided: it may come again


async def test_a_failed_write_leaves_no_orphan_file(submissions: Submissions, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_insert(doc: dict[str, Any], session: Any) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(submissions.store, "insert", broken_insert)
    with pytest.raises(RuntimeError):
        await submissions.certificates.accept(SARA, BLS, scan())
    assert submissions.files.files == {} and submissions.uow.outbox.events == []


async def test_a_resubmission_is_the_next_version_once_changes_were_requested(submissions: Submissions) -> None:
    first = await submissions.certificates.accept(SARA, BLS, scan(1))
    with pytest.raises(ResubmissionRefused) as early:
        submissions.certificates.next_version(submissions.store.docs[first])
    assert (early.value.code, early.value.details) == ("submission.not_awaiting_changes", {"status": "received"})

    await submissions.decide(first, Decision.REQUEST_CHANGES, "changes", 5)
    lineage = submissions.certificates.next_version(submissions.store.docs[first])
    second = await submissions.certificates.accept(SARA, BLS, scan(2), lineage)
    assert (submissions.store.docs[second]["version"], submissions.store.docs[second]["previous_submission_id"]) == (
        2,
        first,
    )
    assert submissions.store.docs[first]["superseded_by"] == second
    with pytest.raises(ResubmissionRefused) as again:
        submissions.certificates.next_version(submissions.store.docs[first])
    assert (again.value.code, again.value.details) == ("submission.already_resubmitted", {"resubmission_id": second})


async def test_the_timeline_keeps_each_event_once_in_time_order_and_never_moves_back(submissions: Submissions) -> None:
    submission_id = await submissions.certificates.accept(SARA, BLS, scan())
    due = at(20) + timedelta(days=7)
    queued = ReviewQueued(
        submission_id=submission_id,
        review_id=submission_id,
        kind=SubmissionKind.CERTIFICATE,
        practitioner=SARA,
        queued_at=at(20),
        sla_due_at=due,
    )
    validated = submissions.validated(submission_id, at(10))
    await submissions.decide(submission_id, Decision.APPROVE, "decided", 30)
    await submissions.timeline.queued(queued, ce(topics.REVIEW_QUEUED, "queued"))  # late
    await submissions.timeline.validated(validated, ce(topics.SUBMISSION_VALIDATED, "validated"))  # later still
    await submissions.timeline.validated(validated, ce(topics.SUBMISSION_VALIDATED, "validated"))  # twice

    assert submissions.store.docs[submission_id]["status"] == Status.APPROVED
    assert submissions.store.timeline(submission_id) == ["received", "validated", "in_review", "approved"]
    assert submissions.uow.handled == ["decided", "queued", "validated"]
    assert submissions.store.docs[submission_id]["decision"]["decision"] == "approve"
    assert submissions.store.docs[submission_id]["review_due_at"] == due


async def test_an_event_about_an_unknown_submission_is_refused(submissions: Submissions) -> None:
    with pytest.raises(UnknownSubmission, match="unknown submission nope"):
        await submissions.decide("nope", Decision.APPROVE, "decided", 1)


async def test_the_subscriber_hands_a_validated_event_to_the_timeline(submissions: Submissions) -> None:
    submission_id = await submissions.certificates.accept(SARA, BLS, scan())
    broker, dead_letters = make_broker(Settings(), "intake")
    dead_letters.producer = RecordingProducer()  # type: ignore[assignment]
    broker.include_router(handlers.router)
    broker.context.set_global("submission_timeline", submissions.timeline)
    event = submissions.validated(submission_id, at(10))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            event.model_dump(mode="json"),
            topic=topics.SUBMISSION_VALIDATED.name,
            key=submission_id.encode(),
            headers=ce(topics.SUBMISSION_VALIDATED, "validated-1").to_headers(),
        )
        handlers.on_validated.mock.assert_called_once_with(event.model_dump(mode="json"))
    assert submissions.store.timeline(submission_id) == ["received", "validated"]
    assert submissions.uow.handled == ["validated-1"]
