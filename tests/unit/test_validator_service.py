"""The validator's use cases with an in-memory unit of work and stores: no broker, no database.
The same flows run on the real stack in tests/e2e/test_validation.py."""

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from gridfs.errors import NoFile

from mumaris.kafka import make_broker
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    Decision,
    PractitionerRef,
    ReviewDecided,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
)
from services.validator.inspection import handlers
from services.validator.inspection.checks import CheckLimits
from services.validator.inspection.rules import Fingerprint
from services.validator.inspection.service import Inspection
from tests.documents import jpeg_bytes, truncated_jpeg_bytes
from tests.fakes import FakeUnitOfWork
from tests.unit.test_logs import RecordingProducer

SETTINGS = Settings(ocr_enabled=False)
AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class FakeValidatorStore:
    def __init__(self) -> None:
        self.results: dict[str, tuple[list[Any], bool]] = {}
        self.fingerprints: dict[str, tuple[str, Fingerprint, bool]] = {}

    async def serialize_practitioner(self, practitioner_id: str, session: Any) -> None: ...

    async def pending_fingerprints(self, practitioner_id: str, session: Any) -> list[Fingerprint]:
        return [f for who, f, pending in self.fingerprints.values() if who == practitioner_id and pending]

    async def add_pending(self, practitioner_id: str, fingerprint: Fingerprint, session: Any) -> None:
        self.fingerprints[fingerprint.submission_id] = (practitioner_id, fingerprint, True)

    async def close(self, submission_id: str, session: Any) -> None:
        if submission_id in self.fingerprints:
            who, fingerprint, _ = self.fingerprints[submission_id]
            self.fingerprints[submission_id] = (who, fingerprint, False)

    async def save_result(
        self, submission_id: str, findings: list[Any], passed: bool, at: datetime, session: Any
    ) -> None:
        self.results[submission_id] = (findings, passed)


class FakeFiles:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    async def get(self, file_id: str) -> bytes:
        if file_id not in self.files:
            raise NoFile(file_id)
        return self.files[file_id]


@pytest.fixture
def inspection() -> Inspection:
    return Inspection(
        FakeUnitOfWork(),
        FakeValidatorStore(),
        FakeFiles(),
        CheckLimits.from_settings(SETTINGS),  # type: ignore[arg-type]
        SETTINGS,
    )


def received(
    inspection: Inspection,
    submission_id: str,
    data: bytes | None,
    *,
    practitioner: str = "p-1",
    kind: SubmissionKind = SubmissionKind.CERTIFICATE,
) -> SubmissionReceived:
    file_id = f"file-{submission_id}"
    if data is not None:
        inspection.files.files[file_id] = data  # type: ignore[attr-defined]
    return SubmissionReceived(
        submission_id=submission_id,
        kind=kind,
        practitioner=PractitionerRef(id=practitioner, name="Sara Al-Harbi", email="sara@example.sa"),
        certificate=CertificateMetadata(
            name="BLS",
            obtained_on=date(2025, 3, 14),
            institution="Saudi Heart Association",
            specialty="Nursing",
            degree="Course",
        ),
        file=StoredFile(
            file_id=file_id,
            filename="scan.jpg",
            size=len(data or b""),
            sha256=hashlib.sha256(data or b"").hexdigest(),
            content_type="image/jpeg",
        ),
        received_at=AT,
    )


def ce(topic: topics.Topic) -> CloudEventAttributes:
    return CloudEventAttributes.new(source="/test", type=topic.ce_type, subject="s")


def outcomes(inspection: Inspection) -> list[tuple[str, str]]:
    return [(topic.name, event.submission_id) for topic, event in inspection.uow.outbox.events]  # type: ignore[attr-defined]


async def test_a_sound_scan_is_validated_once_however_often_its_event_arrives(inspection: Inspection) -> None:
    event, attrs = received(inspection, "s-1", jpeg_bytes(seed=1)), ce(topics.SUBMISSION_RECEIVED)
    await inspection.check(event, attrs)
    await inspection.check(event, attrs)  # redelivered
    assert outcomes(inspection) == [("submission.validated", "s-1")]
    validated = inspection.uow.outbox.of(topics.SUBMISSION_VALIDATED)[0]  # type: ignore[attr-defined]
    assert {f.rule for f in validated.findings} >= {"file.size", "file.type", "file.parse", "image.sharpness"}
    assert inspection.store.results["s-1"][1] is True  # type: ignore[attr-defined]


async def test_a_broken_scan_and_a_missing_file_are_rejected_with_their_codes(inspection: Inspection) -> None:
    await inspection.check(received(inspection, "s-1", truncated_jpeg_bytes()), ce(topics.SUBMISSION_RECEIVED))
    await inspection.check(received(inspection, "s-2", None), ce(topics.SUBMISSION_RECEIVED))
    rejected = inspection.uow.outbox.of(topics.SUBMISSION_REJECTED)  # type: ignore[attr-defined]
    assert [(r.submission_id, {f.code for f in r.findings if f.outcome == "fail"}) for r in rejected] == [
        ("s-1", {"file.corrupt"}),
        ("s-2", {"file.missing"}),
    ]


async def test_the_same_file_is_refused_while_one_is_pending_and_accepted_once_it_is_decided(
    inspection: Inspection,
) -> None:
    scan = jpeg_bytes(seed=2)
    await inspection.check(received(inspection, "s-1", scan), ce(topics.SUBMISSION_RECEIVED))
    await inspection.check(received(inspection, "s-2", scan), ce(topics.SUBMISSION_RECEIVED))
    decided = ReviewDecided(
        submission_id="s-1",
        review_id="s-1",
        kind=SubmissionKind.CERTIFICATE,
        practitioner=received(inspection, "s-1", scan).practitioner,
        decision=Decision.APPROVE,
        reviewer_id="r-1",
        decided_at=AT,
    )
    await inspection.close(decided, ce(topics.REVIEW_DECIDED))
    await inspection.check(received(inspection, "s-3", scan), ce(topics.SUBMISSION_RECEIVED))

    assert outcomes(inspection) == [
        ("submission.validated", "s-1"),
        ("submission.rejected", "s-2"),
        ("submission.validated", "s-3"),
    ]
    refusal = inspection.uow.outbox.of(topics.SUBMISSION_REJECTED)[0]  # type: ignore[attr-defined]
    assert [(f.code, f.evidence) for f in refusal.findings if f.outcome == "fail"] == [
        ("duplicate.pending_file", "s-1")
    ]


async def test_documents_of_a_classification_request_take_no_part_in_the_duplicate_rule(
    inspection: Inspection,
) -> None:
    scan = jpeg_bytes(seed=3)
    await inspection.check(received(inspection, "s-1", scan), ce(topics.SUBMISSION_RECEIVED))
    await inspection.check(
        received(inspection, "d-1", scan, kind=SubmissionKind.CLASSIFICATION_DOCUMENT), ce(topics.SUBMISSION_RECEIVED)
    )
    assert outcomes(inspection) == [("submission.validated", "s-1"), ("submission.validated", "d-1")]
    assert set(inspection.store.fingerprints) == {"s-1"}  # type: ignore[attr-defined]


async def test_the_subscriber_hands_a_received_event_to_the_inspection(inspection: Inspection) -> None:
    broker, dead_letters = make_broker(SETTINGS, "validator")
    dead_letters.producer = RecordingProducer()  # type: ignore[assignment]
    broker.include_router(handlers.router)
    broker.context.set_global("inspection", inspection)
    event = received(inspection, "s-9", jpeg_bytes(seed=9))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            event.model_dump(mode="json"),
            topic=topics.SUBMISSION_RECEIVED.name,
            key=b"s-9",
            headers=ce(topics.SUBMISSION_RECEIVED).to_headers(),
        )
        handlers.on_submission_received.mock.assert_called_once_with(event.model_dump(mode="json"))
    assert outcomes(inspection) == [("submission.validated", "s-9")]
