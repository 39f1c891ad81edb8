"""The outbound register feed's subscribers, in a consumer group of their own (`intake-registry`):
the registration area reads some of the same topics for the registration itself."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import (
    ClassificationChanged,
    RegistrationExpiring,
    RegistrationIssued,
    RegistrationLapsed,
    RegistrationReinstated,
    RegistrationRenewed,
    RegistrationSuspended,
)
from services.intake import SERVICE
from services.intake.registry import rules
from services.intake.registry.service import RegistryFeed

router = KafkaRouter()
Feed = Annotated[RegistryFeed, Context("registry_feed")]
GROUP = "registry"

publishes(router, topics.REGISTRY_REGISTRATION_CHANGED, service=SERVICE)
publishes(router, topics.FACILITY_REGISTRATION_CHANGED, service=SERVICE)


@subscriber(router, topics.REGISTRATION_ISSUED, service=SERVICE, group=GROUP)
async def on_issued(event: RegistrationIssued, ce: CloudEvent, feed: Feed) -> None:
    await feed.republish(rules.issued(event), ce)


@subscriber(router, topics.REGISTRATION_RENEWED, service=SERVICE, group=GROUP)
async def on_renewed(event: RegistrationRenewed, ce: CloudEvent, feed: Feed) -> None:
    await feed.republish(rules.renewed(event), ce)


@subscriber(router, topics.REGISTRATION_EXPIRING, service=SERVICE, group=GROUP)
async def on_expiring(event: RegistrationExpiring, ce: CloudEvent, feed: Feed) -> None:
    await feed.republish(rules.expiring(event, ce.time), ce)


@subscriber(router, topics.REGISTRATION_LAPSED, service=SERVICE, group=GROUP)
async def on_lapsed(event: RegistrationLapsed, ce: CloudEvent, feed: Feed) -> None:
    await feed.republish(rules.lapsed(event), ce)


@subscriber(router, topics.REGISTRATION_SUSPENDED, service=SERVICE, group=GROUP)
async def on_suspended(event: RegistrationSuspended, ce: CloudEvent, feed: Feed) -> None:
    await feed.republish(rules.suspended(event), ce)


@subscriber(router, topics.REGISTRATION_REINSTATED, service=SERVICE, group=GROUP)
async def on_reinstated(event: RegistrationReinstated, ce: CloudEvent, feed: Feed) -> None:
    await feed.republish(rules.reinstated(event), ce)


@subscriber(router, topics.CLASSIFICATION_CHANGED, service=SERVICE, group=GROUP)
async def on_classification_changed(event: ClassificationChanged, ce: CloudEvent, feed: Feed) -> None:
    await feed.classification_changed(event, ce)
