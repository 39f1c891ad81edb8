"""The webhooks' events: a change of a rostered practitioner's registration, for one facility."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, subscriber
from schemas import topics
from schemas.events import FacilityRegistrationChanged
from services.notifier import SERVICE
from services.notifier.webhooks.service import Webhooks

router = KafkaRouter()
WebhooksDep = Annotated[Webhooks, Context("webhooks")]


@subscriber(router, topics.FACILITY_REGISTRATION_CHANGED, service=SERVICE)
async def on_facility_registration_changed(
    event: FacilityRegistrationChanged, ce: CloudEvent, webhooks: WebhooksDep
) -> None:
    await webhooks.changed(event, ce)
