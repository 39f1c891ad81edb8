"""The outbound register feed's use case: every change of a registration republished on
registry.registration_changed (CloudEvents, through intake's outbox), once per event.

Each of the registry's own events (registration.issued / renewed / expiring / lapsed / suspended,
classification.changed) is read in a consumer group of its own (`intake-registry`) and applied
once under its own ledger key (`<event id>/registry`: the registration area applies the same
events to the registration). In one transaction: the marker, the registration's next `sequence`
and the outbox record, so a redelivered event republishes nothing and one registration's changes
go out numbered 1, 2, 3 … in the order they were applied (one Kafka key: one partition, in order).
In the same transaction, one facility.registration_changed per facility with the practitioner on
its roster (notifier's webhooks deliver it, under the registry event's id).
"""

import logging

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import RegistryClock, now
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ClassificationChanged, FacilityRegistrationChanged, RegistryRegistrationChanged
from services.intake.registration.rules import Calendar, Status, status_on
from services.intake.registration.store import as_day
from services.intake.registry import rules
from services.intake.registry.rules import Change
from services.intake.registry.store import Doc, RegistryStore

log = logging.getLogger("mumaris.intake.registry")


class RegistryFeed:
    def __init__(self, uow: UnitOfWork, store: RegistryStore, settings: Settings, clock: RegistryClock) -> None:
        self.uow = uow
        self.store = store
        self.clock = clock
        self.calendar = Calendar(settings.registration_renewal_window_days, settings.registration_grace_days)

    async def republish(self, change: Change, ce: CloudEventAttributes) -> None:
        async def work(session: AsyncClientSession) -> None:
            kept = await self.store.registration(change.registration_number, session)
            await self._announce(change, kept, ce, session)

        await self.uow.apply_once(f"{ce.id}/registry", ce.type, work)

    async def classification_changed(self, event: ClassificationChanged, ce: CloudEventAttributes) -> None:
        """A later classification of a registered practitioner; the first one issues the
        registration and goes out as `issued` (none yet, or issued by this very request)."""

        async def work(session: AsyncClientSession) -> None:
            kept = await self.store.registration_of(event.practitioner.id, session)
            if kept is None or kept.get("request_id") == event.request_id:
                return
            await self._announce(rules.classification_changed(event, kept["number"]), kept, ce, session)

        await self.uow.apply_once(f"{ce.id}/registry", ce.type, work)

    async def _announce(
        self, change: Change, kept: Doc | None, ce: CloudEventAttributes, session: AsyncClientSession
    ) -> None:
        if kept is not None:
            expires_on = as_day(kept["expires_on"])
            today_status = status_on(Status(kept["status"]), expires_on, self.clock.today(), self.calendar)
            change = rules.fill(
                change,
                status=today_status.value,
                profession=kept["profession"],
                classification=CLASSIFICATIONS[kept["classification"]].ref(),
                expires_on=expires_on,
            )
        else:
            log.warning("registration %s is not kept here: announced from its event alone", change.registration_number)
        event = RegistryRegistrationChanged(
            registration_number=change.registration_number,
            change=change.change,
            sequence=await self.store.next_sequence(change.registration_number, session),
            name=change.name,
            profession=change.profession,
            classification=change.classification,
            status=change.status or "unknown",
            expires_on=change.expires_on,
            days_left=change.days_left,
            occurred_at=change.occurred_at,
            cause_id=ce.id,
        )
        event_id = await self.uow.outbox.add(topics.REGISTRY_REGISTRATION_CHANGED, event, session)
        # The facilities employing the practitioner hear of it through their webhooks (notifier).
        for facility_id in await self.store.facilities_employing(change.registration_number, session):
            told = FacilityRegistrationChanged(
                facility_id=facility_id,
                registration_number=change.registration_number,
                event_id=event_id,
                event_time=now(),
                change=event,
            )
            await self.uow.outbox.add(topics.FACILITY_REGISTRATION_CHANGED, told, session)
