"""The review queue's subscribers: thin, each hands its event to the desk. A validated classification
document is not queued on its own: it goes to the fees area, and its request is queued once paid."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import ProfileChangeRequested, SubmissionKind, SubmissionValidated
from services.review import SERVICE
from services.review.fees.handlers import Fees, record_document
from services.review.queue.service import ReviewDesk

router = KafkaRouter()
Desk = Annotated[ReviewDesk, Context("desk")]

publishes(router, topics.REVIEW_QUEUED, service=SERVICE)
publishes(router, topics.REVIEW_DECIDED, service=SERVICE)


@subscriber(router, topics.SUBMISSION_VALIDATED, service=SERVICE)
async def on_submission_validated(event: SubmissionValidated, ce: CloudEvent, desk: Desk, fees: Fees) -> None:
    if event.kind is SubmissionKind.CLASSIFICATION_DOCUMENT:  # reviewed with its request, once paid
        await record_document(event, ce, fees)
    else:
        await desk.queue_submission(event, ce)


@subscriber(router, topics.PROFILE_CHANGE_REQUESTED, service=SERVICE)
async def on_profile_change_requested(event: ProfileChangeRequested, ce: CloudEvent, desk: Desk) -> None:
    await desk.queue_profile_change(event, ce)
