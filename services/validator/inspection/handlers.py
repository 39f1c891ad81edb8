"""The validator's subscribers: thin, each hands its event to the Inspection use cases."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import ReviewDecided, SubmissionReceived
from services.validator import SERVICE
from services.validator.inspection.service import Inspection

router = KafkaRouter()
Inspecting = Annotated[Inspection, Context("inspection")]

publishes(router, topics.SUBMISSION_VALIDATED, service=SERVICE)
publishes(router, topics.SUBMISSION_REJECTED, service=SERVICE)


@subscriber(router, topics.SUBMISSION_RECEIVED, service=SERVICE)
async def on_submission_received(event: SubmissionReceived, ce: CloudEvent, inspection: Inspecting) -> None:
    await inspection.check(event, ce)


@subscriber(router, topics.REVIEW_DECIDED, service=SERVICE)
async def on_review_decided(event: ReviewDecided, ce: CloudEvent, inspection: Inspecting) -> None:
    await inspection.close(event, ce)
