"""The registration area's events. classification.changed, fee.invoiced and fee.expired are shared
with the classification area (one subscriber per topic in a service's group): classification/
handlers.py hands the registration's part of them here (the first classification issues the
registration; a renewal's invoice and its expiry, purpose renewal)."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import RegistrationLapsed, RegistrationRenewalRefused, RegistrationRenewed
from services.intake import SERVICE
from services.intake.registration.service import ProfessionalRegistrations
from services.intake.submissions.handlers import permanent_if_unknown

router = KafkaRouter()
Registrations = Annotated[ProfessionalRegistrations, Context("professional_registrations")]

for produced in (
    topics.REGISTRATION_ISSUED,
    topics.REGISTRATION_RENEWAL_REQUESTED,
    topics.REGISTRATION_SUSPENDED,
    topics.REGISTRATION_REINSTATED,
):
    publishes(router, produced, service=SERVICE)


@subscriber(router, topics.REGISTRATION_RENEWED, service=SERVICE)
async def on_renewed(event: RegistrationRenewed, ce: CloudEvent, registrations: Registrations) -> None:
    await permanent_if_unknown(registrations.renewed(event, ce))


@subscriber(router, topics.REGISTRATION_LAPSED, service=SERVICE)
async def on_lapsed(event: RegistrationLapsed, ce: CloudEvent, registrations: Registrations) -> None:
    await permanent_if_unknown(registrations.lapsed(event, ce))


@subscriber(router, topics.REGISTRATION_RENEWAL_REFUSED, service=SERVICE)
async def on_renewal_refused(event: RegistrationRenewalRefused, ce: CloudEvent, registrations: Registrations) -> None:
    await registrations.renewal_refused(event, ce)
