"""The certificates' expiry sweep in review: reminders before an approved certificate expires,
on the registry's clock (mumaris.clock.RegistryClock), every `certificate_sweep_s` on each
replica (scheduler.py). The registrations' sweep (registrations/reminders.py) is its model.

Each sweep is one indexed range query on review.certificate_expiries (`expires_on`), streamed in
batches of `certificate_sweep_batch`: the certificates expiring from today to the farthest
milestone. None loads the collection. Each reminder is one transaction: the conditional update
that records its milestone as sent, and its outbox record (`certificate.expiring`). So whichever
replica, restart or late sweep gets there, a milestone goes out once.
"""

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import RegistryClock
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.events import CertificateExpiring, PractitionerRef
from services.review.certificates import rules
from services.review.certificates.store import CertificateExpiries
from services.review.registrations.rules import DueReminder
from services.review.registrations.store import Doc, as_day


class CertificateSweeps:
    def __init__(
        self, expiries: CertificateExpiries, uow: UnitOfWork, settings: Settings, clock: RegistryClock
    ) -> None:
        self.expiries = expiries
        self.uow = uow
        self.settings = settings
        self.clock = clock

    async def sweep(self) -> int:
        """The reminders sent."""
        today = self.clock.today()
        days = self.settings.certificate_reminder_days
        start, end = rules.reminder_window(today, days)
        reminded = 0
        async for doc in self.expiries.expiring_between(start, end, self.settings.certificate_sweep_batch):
            due = rules.reminder_due(as_day(doc["expires_on"]), today, days, doc.get("reminded", []))
            if due is not None:
                reminded += await self.remind(doc, due)
        return reminded

    async def remind(self, doc: Doc, due: DueReminder) -> bool:
        """Send the reminder unless another replica or an earlier sweep did."""

        async def work(session: AsyncClientSession) -> bool:
            sent = rules.milestone(due.days_before)
            if not await self.expiries.mark_reminded(doc["_id"], sent, list(due.settles), session):
                return False
            expiring = CertificateExpiring(
                submission_id=doc["_id"],
                practitioner=PractitionerRef.model_validate(doc["practitioner"]),
                certificate_name=doc["name"],
                expires_on=as_day(doc["expires_on"]),
                days_before=due.days_before,
                days_left=due.days_left,
            )
            await self.uow.outbox.add(topics.CERTIFICATE_EXPIRING, expiring, session)
            return True

        return await self.uow.run(work)
