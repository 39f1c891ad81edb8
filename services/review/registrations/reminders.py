"""The registrations' sweeps in review: reminders before expiry and the lapse after the grace
period, on the registry's clock (mumaris.clock.RegistryClock), every `registration_sweep_s` on
each replica (scheduler.py).

Each sweep is two indexed range queries on review.registrations (status, expires_on), streamed in
batches of `registration_sweep_batch`: the registrations expiring within the farthest milestone,
and those past their grace period. None loads the collection. Each reminder is one transaction:
the conditional update that records its milestone as sent, and its outbox record; each lapse the
same with the conditional move to `lapsed`. So whichever replica, restart or late sweep gets
there, a milestone goes out once.
"""

import logging
from dataclasses import dataclass

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import RegistryClock
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.events import PractitionerRef, RegistrationExpiring, RegistrationLapsed
from services.review.registrations import rules
from services.review.registrations.rules import DueReminder
from services.review.registrations.store import Doc, RegistrationBook, as_day

log = logging.getLogger("mumaris.review.registrations")


@dataclass(frozen=True)
class SweepOutcome:
    reminded: int
    lapsed: int


class RegistrationSweeps:
    def __init__(self, book: RegistrationBook, uow: UnitOfWork, settings: Settings, clock: RegistryClock) -> None:
        self.book = book
        self.uow = uow
        self.settings = settings
        self.clock = clock

    async def sweep(self) -> SweepOutcome:
        today = self.clock.today()
        reminded = lapsed = 0
        days = self.settings.registration_reminder_days
        start, end = rules.reminder_window(today, days)
        async for doc in self.book.expiring_between(start, end, self.settings.registration_sweep_batch):
            due = rules.reminder_due(doc["cycle"], as_day(doc["expires_on"]), today, days, doc.get("reminded", []))
            if due is not None:
                reminded += await self.remind(doc, due)
        by = rules.lapsing_before(today, self.settings.registration_grace_days)
        async for doc in self.book.expiring_between(
            as_day(self.book.EPOCH), by, self.settings.registration_sweep_batch
        ):
            lapsed += await self.lapse(doc)
        return SweepOutcome(reminded, lapsed)

    async def remind(self, doc: Doc, due: DueReminder) -> bool:
        """Send the reminder unless another replica or an earlier sweep did."""
        window = self.settings.registration_renewal_window_days

        async def work(session: AsyncClientSession) -> bool:
            sent = rules.milestone(doc["cycle"], due.days_before)
            if not await self.book.mark_reminded(doc["_id"], sent, list(due.settles), session):
                return False
            expiring = RegistrationExpiring(
                registration_number=doc["_id"],
                practitioner=PractitionerRef.model_validate(doc["practitioner"]),
                cycle=doc["cycle"],
                expires_on=as_day(doc["expires_on"]),
                days_before=due.days_before,
                days_left=due.days_left,
                renewal_open=due.days_left <= window,
            )
            await self.uow.outbox.add(topics.REGISTRATION_EXPIRING, expiring, session)
            return True

        return await self.uow.run(work)

    async def lapse(self, doc: Doc) -> bool:
        async def work(session: AsyncClientSession) -> bool:
            at = self.clock.now()
            lapsed = await self.book.lapse(doc["_id"], doc["expires_on"], at, session)
            if lapsed is None:
                return False
            event = RegistrationLapsed(
                registration_number=doc["_id"],
                practitioner=PractitionerRef.model_validate(doc["practitioner"]),
                cycle=doc["cycle"],
                expired_on=as_day(doc["expires_on"]),
                lapsed_at=at,
            )
            await self.uow.outbox.add(topics.REGISTRATION_LAPSED, event, session)
            return True

        return await self.uow.run(work)
