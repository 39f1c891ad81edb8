"""The classification area's subscribers: fees and the outcome of a request, each handed to the
RequestTimeline use case; exam results (gov.exams), kept for the request's page. Review's queueing
and decisions of a whole request, and the rejection of one of its documents, arrive on the
subscribers of submissions/handlers.py (one subscriber per topic), which hand them to the same
use case."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import (
    ClassificationChanged,
    ClassificationLapsed,
    ExamResultPublished,
    FeeExpired,
    FeeInvoiced,
    InvoicePurpose,
)
from services.intake import SERVICE
from services.intake.classification.service import ClassificationRequests, RequestTimeline
from services.intake.registration.service import ProfessionalRegistrations
from services.intake.submissions.handlers import permanent_if_unknown

router = KafkaRouter()
Requests = Annotated[RequestTimeline, Context("request_timeline")]
Asked = Annotated[ClassificationRequests, Context("classification_requests")]
Registrations = Annotated[ProfessionalRegistrations, Context("professional_registrations")]

publishes(router, topics.CLASSIFICATION_REQUESTED, service=SERVICE)


@subscriber(router, topics.FEE_INVOICED, service=SERVICE)
async def on_fee_invoiced(event: FeeInvoiced, ce: CloudEvent, requests: Requests, registrations: Registrations) -> None:
    if event.purpose is InvoicePurpose.RENEWAL:  # a registration's renewal, not a classification request
        await registrations.renewal_invoiced(event, ce)
    else:
        await permanent_if_unknown(requests.invoiced(event, ce))


@subscriber(router, topics.FEE_EXPIRED, service=SERVICE)
async def on_fee_expired(event: FeeExpired, ce: CloudEvent, requests: Requests, registrations: Registrations) -> None:
    if event.purpose is InvoicePurpose.RENEWAL:
        await registrations.renewal_expired(event, ce)
    else:
        await permanent_if_unknown(requests.fee_expired(event, ce))


@subscriber(router, topics.CLASSIFICATION_LAPSED, service=SERVICE)
async def on_lapsed(event: ClassificationLapsed, ce: CloudEvent, requests: Requests) -> None:
    await permanent_if_unknown(requests.lapsed(event, ce))


@subscriber(router, topics.CLASSIFICATION_CHANGED, service=SERVICE)
async def on_classification_changed(
    event: ClassificationChanged, ce: CloudEvent, requests: Requests, registrations: Registrations
) -> None:
    """The account's classification, then the registration it issues (the first) or updates."""
    await permanent_if_unknown(requests.classification_changed(event, ce))
    await registrations.classification_changed(event, ce)


@subscriber(router, topics.GOV_EXAMS, service=SERVICE)
async def on_exam_result(event: ExamResultPublished, ce: CloudEvent, requests: Asked) -> None:
    await requests.exam_published(event, ce)
