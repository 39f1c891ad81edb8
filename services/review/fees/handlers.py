"""The fees area's subscribers: thin, each hands its event to FeeEvents. An event the fee rules find
inconsistent (InconsistentEvent) is dead-lettered at once: no retry can mend it."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, PermanentEventError, publishes, subscriber
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    ClassificationRequested,
    ExamResultPublished,
    PaymentReceived,
    SubmissionKind,
    SubmissionRejected,
    SubmissionValidated,
)
from services.review import SERVICE
from services.review.fees.rules import InconsistentEvent
from services.review.fees.service import FeeEvents

router = KafkaRouter()
Fees = Annotated[FeeEvents, Context("fee_events")]

for produced in (
    topics.FEE_INVOICED,
    topics.FEE_REMINDER,
    topics.FEE_EXPIRED,
    topics.CLASSIFICATION_LAPSED,
    topics.CLASSIFICATION_CHANGED,
):
    publishes(router, produced, service=SERVICE)


@contextmanager
def dead_letter_if_inconsistent() -> Iterator[None]:
    try:
        yield
    except InconsistentEvent as error:
        raise PermanentEventError(str(error)) from error


async def record_document(
    event: SubmissionValidated | SubmissionRejected, ce: CloudEventAttributes, fees: FeeEvents
) -> None:
    """A classification document's validation result, kept with its request (the queue's
    submission.validated subscriber hands its classification documents here too)."""
    with dead_letter_if_inconsistent():
        await fees.document_checked(event, ce)


@subscriber(router, topics.SUBMISSION_REJECTED, service=SERVICE)
async def on_submission_rejected(event: SubmissionRejected, ce: CloudEvent, fees: Fees) -> None:
    if event.kind is SubmissionKind.CLASSIFICATION_DOCUMENT:  # a rejected certificate never reaches review
        await record_document(event, ce, fees)


@subscriber(router, topics.CLASSIFICATION_REQUESTED, service=SERVICE)
async def on_classification_requested(event: ClassificationRequested, ce: CloudEvent, fees: Fees) -> None:
    with dead_letter_if_inconsistent():
        await fees.requested(event, ce)


@subscriber(router, topics.GOV_PAYMENTS, service=SERVICE)
async def on_payment(event: PaymentReceived, ce: CloudEvent, fees: Fees) -> None:
    await fees.paid(event, ce)


@subscriber(router, topics.GOV_EXAMS, service=SERVICE)
async def on_exam_result(event: ExamResultPublished, ce: CloudEvent, fees: Fees) -> None:
    await fees.exam_result(event, ce)
