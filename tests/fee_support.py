"""What the classification-fee tests send and read: a practitioner's classification request with
its documents as intake and the validator publish them, payments as the national payment system
sends them, exam results as the testing provider does, all as real CloudEvents on the real topics."""

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mumaris.identity import candidate_ref
from mumaris.kafka import encode_event
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    ClassificationRequested,
    Event,
    ExamResultPublished,
    Finding,
    PaymentReceived,
    PractitionerRef,
    RequestDocument,
    StoredFile,
    SubmissionKind,
    SubmissionRejected,
    SubmissionValidated,
)
from schemas.topics import Topic
from tests.support import headers_of, produce, read_all, unique


@dataclass(frozen=True)
class Published:
    """Where a record landed, to wait until a consumer group is past it."""

    topic: str
    partition: int
    offset: int


async def publish(
    bootstrap: str, topic: Topic, event: Event, *, source: str = "/test", event_id: str | None = None
) -> Published:
    """One event the way its producer sends it: binary-mode CloudEvents headers, keyed."""
    subject = str(getattr(event, topic.key))
    attrs = CloudEventAttributes.new(source=source, type=topic.ce_type, subject=subject)
    if event_id is not None:
        attrs = attrs.model_copy(update={"id": event_id})
    partition, offset = await produce(
        bootstrap, topic.name, encode_event(event), key=subject.encode(), headers=attrs.to_headers()
    )
    return Published(topic.name, partition, offset)


async def bodies(bootstrap: str, topic: Topic, key: str) -> list[dict[str, Any]]:
    """Every distinct event on `topic` keyed `key`, oldest first, with its CloudEvents id and time as
    `_ce_id` and `_ce_time`. Distinct by CloudEvents id, the unit consumers apply once: the outbox
    relay may publish a record twice (a relay stopped between publishing and clearing it, or two
    replicas' relays reading the same pending record), never two different events."""
    found: dict[str, dict[str, Any]] = {}
    for record in sorted(await read_all(bootstrap, topic.name), key=lambda r: r.timestamp):
        if record.key == key.encode():
            headers = headers_of(record)
            found.setdefault(
                headers["ce_id"],
                {
                    **json.loads(record.value),
                    "_ce_id": headers["ce_id"],
                    "_ce_time": datetime.fromisoformat(headers["ce_time"]),
                },
            )
    return list(found.values())


def id_number() -> str:
    """A national-ID-shaped number (the exam provider's candidate ID); only its HMAC is kept."""
    return "1" + "".join(random.choice("0123456789") for _ in range(9))


@dataclass
class ClassificationCase:
    """One practitioner asking for one classification, with one document per required type."""

    settings: Settings
    target: str = "nursing.specialist"
    current: str | None = "nursing.technician"
    request_id: str = field(default_factory=lambda: unique("req"))
    id_number: str = field(default_factory=id_number)
    practitioner: PractitionerRef = field(
        default_factory=lambda: PractitionerRef(
            id=unique("prac"), name="Dr. Reem Al-Shehri", email=f"{unique('reem')}@example.sa", locale="en"
        )
    )
    documents: dict[str, str] = field(default_factory=dict)  # document type → submission id

    def __post_init__(self) -> None:
        if not self.documents:
            self.documents = {t: unique("sub") for t in CLASSIFICATIONS[self.target].required_documents}

    @property
    def fee(self) -> Decimal:
        return CLASSIFICATIONS[self.target].fee

    def requested(self) -> ClassificationRequested:
        wanted = CLASSIFICATIONS[self.target]
        return ClassificationRequested(
            request_id=self.request_id,
            practitioner=self.practitioner,
            membership_number="MP-00000042",
            current=CLASSIFICATIONS[self.current].ref() if self.current else None,
            target=wanted.ref(),
            documents=[RequestDocument(document_type=t, submission_id=s) for t, s in self.documents.items()],
            required_exams=list(wanted.required_exams),
            fee=wanted.fee,
            conditions_version=CONDITIONS_VERSION,
            candidate_ref=candidate_ref(self.id_number, self.settings),
            requested_at=datetime.now(UTC),
        )

    def validated(self, document_type: str) -> SubmissionValidated:
        submission_id = self.documents[document_type]
        return SubmissionValidated(
            submission_id=submission_id,
            kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
            request_id=self.request_id,
            document_type=document_type,
            practitioner=self.practitioner,
            certificate=CertificateMetadata(
                name=f"{document_type} of Reem",
                obtained_on=date(2024, 6, 1),
                institution="King Saud University",
                specialty="Nursing",
                degree="Bachelor",
            ),
            file=StoredFile(
                file_id=uuid.uuid4().hex,
                filename="scan.pdf",
                size=1234,
                sha256="0" * 64,
                content_type="application/pdf",
            ),
            findings=[Finding(rule="file.type", outcome="pass"), Finding(rule="content.name", outcome="warn")],
            validated_at=datetime.now(UTC),
        )

    def rejected(self, document_type: str) -> SubmissionRejected:
        return SubmissionRejected(
            submission_id=self.documents[document_type],
            kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
            request_id=self.request_id,
            document_type=document_type,
            practitioner=self.practitioner,
            findings=[Finding(rule="image.sharpness", outcome="fail", code="image.blurry")],
            rejected_at=datetime.now(UTC),
        )

    def exam(self, exam: str, passed: bool, score: float = 71.5) -> ExamResultPublished:
        return ExamResultPublished(
            result_id=unique("R"),
            candidate_id_number=self.id_number,
            exam=exam,
            score=score,
            passed=passed,
            taken_on=date(2026, 10, 1),
        )

    async def send_request_and_documents(self, bootstrap: str) -> None:
        await publish(bootstrap, topics.CLASSIFICATION_REQUESTED, self.requested(), source="/mumaris/intake")
        for document_type in self.documents:
            await publish(
                bootstrap, topics.SUBMISSION_VALIDATED, self.validated(document_type), source="/mumaris/validator"
            )


def payment(
    bill: str, amount: Decimal | str, *, paid_at: datetime | None = None, reference: str | None = None
) -> PaymentReceived:
    return PaymentReceived(
        bill_number=bill,
        amount=Decimal(str(amount)),
        paid_at=paid_at or datetime.now(UTC),
        payment_reference=reference or unique("SADAD"),
    )
