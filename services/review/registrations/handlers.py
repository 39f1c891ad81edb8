"""The registrations area's subscribers in review: thin, each hands its event to RegistrationEvents.
A renewal's payment arrives on the fees area's gov.payments subscriber (one per topic) and is
settled through RenewalDesk, the fee desk's settlement for invoices of purpose renewal."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import (
    RegistrationIssued,
    RegistrationReinstated,
    RegistrationRenewalRequested,
    RegistrationSuspended,
)
from services.review import SERVICE
from services.review.fees.handlers import dead_letter_if_inconsistent
from services.review.registrations.service import RegistrationEvents

router = KafkaRouter()
Registrations = Annotated[RegistrationEvents, Context("registration_events")]

for produced in (
    topics.REGISTRATION_RENEWED,
    topics.REGISTRATION_RENEWAL_REFUSED,
    topics.REGISTRATION_EXPIRING,
    topics.REGISTRATION_LAPSED,
):
    publishes(router, produced, service=SERVICE)


@subscriber(router, topics.REGISTRATION_ISSUED, service=SERVICE)
async def on_issued(event: RegistrationIssued, ce: CloudEvent, registrations: Registrations) -> None:
    await registrations.issued(event, ce)


@subscriber(router, topics.REGISTRATION_SUSPENDED, service=SERVICE)
async def on_suspended(event: RegistrationSuspended, ce: CloudEvent, registrations: Registrations) -> None:
    await registrations.suspended(event, ce)


@subscriber(router, topics.REGISTRATION_REINSTATED, service=SERVICE)
async def on_reinstated(event: RegistrationReinstated, ce: CloudEvent, registrations: Registrations) -> None:
    await registrations.reinstated(event, ce)


@subscriber(router, topics.REGISTRATION_RENEWAL_REQUESTED, service=SERVICE)
async def on_renewal_requested(
    event: RegistrationRenewalRequested, ce: CloudEvent, registrations: Registrations
) -> None:
    with dead_letter_if_inconsistent():
        await registrations.renewal_requested(event, ce)
