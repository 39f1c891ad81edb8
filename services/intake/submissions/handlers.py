"""Intake's subscribers to the pipeline's events (one per topic in the service's consumer group),
each handing its event to the use case of what it is about: a submission's timeline, a whole
classification request (kind classification, or a document of one that failed validation), a
personal-data change (kind profile_change).

submission.received is declared here for AsyncAPI: certificate uploads, classification requests
and the certificate feed all publish it, through the outbox.
"""

from collections.abc import Awaitable
from typing import Annotated, Protocol

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, PermanentEventError, publishes, subscriber
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ReviewDecided, ReviewQueued, SubmissionKind, SubmissionRejected, SubmissionValidated
from services.intake import SERVICE
from services.intake.accounts.service import Profiles
from services.intake.classification.service import RequestTimeline
from services.intake.cpd.service import CpdLedger
from services.intake.submissions.service import SubmissionTimeline
from services.intake.submissions.store import UnknownRecord

router = KafkaRouter()
Timeline = Annotated[SubmissionTimeline, Context("submission_timeline")]
Requests = Annotated[RequestTimeline, Context("request_timeline")]
ProfileChanges = Annotated[Profiles, Context("profiles")]
Ledger = Annotated[CpdLedger, Context("cpd_ledger")]

publishes(router, topics.SUBMISSION_RECEIVED, service=SERVICE)


class Reviewed(Protocol):
    """What review's queueing and decisions move: a submission's timeline, a request's, a change's."""

    async def queued(self, event: ReviewQueued, ce: CloudEventAttributes) -> None: ...

    async def decided(self, event: ReviewDecided, ce: CloudEventAttributes) -> None: ...


def reviewed(kind: SubmissionKind, timeline: Timeline, requests: Requests, profiles: ProfileChanges) -> Reviewed:
    if kind is SubmissionKind.PROFILE_CHANGE:
        return profiles
    if kind is SubmissionKind.CLASSIFICATION:  # a whole request: submission_id is the request's id
        return requests
    return timeline


async def permanent_if_unknown(applied: Awaitable[None]) -> None:
    """An event about a record intake never wrote is dead-lettered at once: no retry helps."""
    try:
        await applied
    except UnknownRecord as exc:
        raise PermanentEventError(str(exc)) from exc


@subscriber(router, topics.SUBMISSION_VALIDATED, service=SERVICE)
async def on_validated(event: SubmissionValidated, ce: CloudEvent, timeline: Timeline) -> None:
    await permanent_if_unknown(timeline.validated(event, ce))


@subscriber(router, topics.SUBMISSION_REJECTED, service=SERVICE)
async def on_rejected(event: SubmissionRejected, ce: CloudEvent, timeline: Timeline, requests: Requests) -> None:
    if event.kind is SubmissionKind.CLASSIFICATION_DOCUMENT and event.request_id:
        await permanent_if_unknown(requests.document_rejected(event, ce, event.request_id))
    else:
        await permanent_if_unknown(timeline.rejected(event, ce))


@subscriber(router, topics.REVIEW_QUEUED, service=SERVICE)
async def on_queued(
    event: ReviewQueued, ce: CloudEvent, timeline: Timeline, requests: Requests, profiles: ProfileChanges
) -> None:
    await permanent_if_unknown(reviewed(event.kind, timeline, requests, profiles).queued(event, ce))


@subscriber(router, topics.REVIEW_DECIDED, service=SERVICE)
async def on_decided(
    event: ReviewDecided,
    ce: CloudEvent,
    timeline: Timeline,
    requests: Requests,
    profiles: ProfileChanges,
    ledger: Ledger,
) -> None:
    """The decision on its timeline; an approved CPD certificate's hours then go to the CPD ledger."""
    await permanent_if_unknown(reviewed(event.kind, timeline, requests, profiles).decided(event, ce))
    await ledger.certificate_decided(event, ce)
