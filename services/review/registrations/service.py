"""The registrations area's use cases in review: keep the projection registrations' clock needs
(registration.issued / suspended), invoice a renewal on the fee machinery (fees/service.py
FeeDesk, an invoice of purpose `renewal`), and settle it: paid in time, the registration runs a
new cycle from its OLD expiry (registration.renewed); unpaid by the deadline, the renewal lapses
(fee.expired, purpose renewal) and may be asked again while renewal is open.

Reminders before expiry and the lapse after the grace period are reminders.py (RegistrationSweeps).
Each step is one transaction: the state change, its outbox records and the event's ledger marker.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import now
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    InvoicePurpose,
    PractitionerRef,
    RegistrationIssued,
    RegistrationReinstated,
    RegistrationRenewalRefused,
    RegistrationRenewalRequested,
    RegistrationRenewed,
    RegistrationSuspended,
)
from schemas.registrations import RENEWAL_PAYMENT_DEADLINE_S, renewal_fee
from services.review.fees.rules import InconsistentEvent, PaymentVerdict, to_millis
from services.review.fees.service import Bill, FeeDesk, InvoiceClock
from services.review.registrations.store import Doc, RegistrationBook, as_day, day

log = logging.getLogger("mumaris.review.registrations")


class RenewalDesk:
    """The projection and the renewals' invoices; the fee desk's Settlement for purpose renewal."""

    def __init__(self, book: RegistrationBook, fees: FeeDesk, uow: UnitOfWork, settings: Settings) -> None:
        self.book = book
        self.fees = fees
        self.uow = uow
        self.settings = settings
        fees.settles(InvoicePurpose.RENEWAL, self)

    @property
    def deadline_s(self) -> float:
        configured = self.settings.renewal_payment_deadline_s
        return RENEWAL_PAYMENT_DEADLINE_S if configured is None else configured

    async def issued(self, event: RegistrationIssued, session: AsyncClientSession) -> None:
        await self.book.record_issued(
            {
                "_id": event.registration_number,
                "practitioner": event.practitioner.model_dump(mode="json"),
                "classification": event.classification.model_dump(mode="json"),
                "cycle": event.cycle,
                "expires_on": day(event.expires_on),
                "status": "active",
                "reminded": [],
                "issued_at": event.issued_at,
            },
            session,
        )

    async def suspended(self, event: RegistrationSuspended, session: AsyncClientSession) -> None:
        if await self.book.set_status(event.registration_number, "suspended", session, suspended_at=event.suspended_at):
            return
        log.warning("registration %s suspended before review knew of it", event.registration_number)

    async def reinstated(self, event: RegistrationReinstated, session: AsyncClientSession) -> None:
        """The suspension lifted: its clock (reminders, lapse) runs again."""
        if not await self.book.set_status(
            event.registration_number, event.status, session, reinstated_at=event.lifted_at
        ):
            log.warning("registration %s reinstated before review knew of it", event.registration_number)

    async def renewal_requested(self, event: RegistrationRenewalRequested, session: AsyncClientSession) -> Doc | None:
        """Record the renewal and invoice it (the invoice returned, for the deadline clock)."""
        if event.classification.code not in CLASSIFICATIONS:
            raise InconsistentEvent(f"renewal {event.renewal_id}: unknown classification {event.classification.code!r}")
        at = to_millis(now())
        renewal: Doc = {
            "_id": event.renewal_id,
            "registration_number": event.registration_number,
            "practitioner": event.practitioner.model_dump(mode="json"),
            "cycle": event.cycle,
            "expires_on": day(event.expires_on),
            "renews_until": day(event.renews_until),
            "status": "awaiting_payment",
            "requested_at": event.requested_at,
            "recorded_at": at,
        }
        if not await self.book.record_renewal(renewal, session):
            return None
        bill = Bill(
            request_id=event.renewal_id,
            practitioner=renewal["practitioner"],
            classification=event.classification.model_dump(mode="json"),
            amount=str(renewal_fee(event.classification.code)),  # the catalogue's; the event only repeats it
        )
        return await self.fees.issue_invoice(bill, at, session, InvoicePurpose.RENEWAL, self.deadline_s)

    # --- Settlement: what paying or expiring a renewal's invoice does ------------------------------

    async def paid(self, invoice: Doc, at: datetime, session: AsyncClientSession) -> PaymentVerdict | None:
        """The renewal paid: the next cycle from the old expiry (registration.renewed).

        Unless the registration lapsed before the payment reached us (its grace period ended while
        the invoice was open): then the payment renews nothing. A lapse has been announced to the
        practitioner, her employers (registry.registration_changed, webhooks) and the public
        register; a registry does not undo that retroactively for a fee, and a lapsed
        practitioner returns by reinstatement, a fresh application the commission checks (the
        period not covered is not covered). So the payment is recorded on its invoice (paid) and
        flagged for operations as a `registration_lapsed` payment issue, to be refunded; the
        renewal ends `refused` (registration.renewal_refused: intake shows it, refund due).
        This is the house rule for any late fee (fees/rules.py
        judge_payment: a payment that reaches us after its invoice expired is refused even if it
        was made in time); the renewal keeps when the registration lapsed (`lapsed_at`) beside
        the payment's `paid_at` on the issue, for operations to weigh a complaint."""
        asked = await self.book.renewal(invoice["request_id"], session)
        registration = None if asked is None else await self.book.get(asked["registration_number"], session)
        if registration is not None and registration["status"] == "lapsed":
            refused = await self.book.move_renewal(
                invoice["request_id"],
                "awaiting_payment",
                "refused",
                at,
                session,
                lapsed_at=registration.get("lapsed_at"),
            )
            if refused is not None:  # intake shows the renewal's end (registration.renewal_refused)
                await self.uow.outbox.add(topics.REGISTRATION_RENEWAL_REFUSED, refused_event(refused, invoice), session)
            log.warning(
                "invoice %s paid after registration %s lapsed: flagged for a refund",
                invoice["_id"],
                registration["_id"],
            )
            return PaymentVerdict.REGISTRATION_LAPSED
        renewal = await self.book.move_renewal(invoice["request_id"], "awaiting_payment", "paid", at, session)
        if renewal is None:
            log.warning(
                "invoice %s paid but renewal %s was not awaiting payment", invoice["_id"], invoice["request_id"]
            )
            return None
        previous, until = as_day(renewal["expires_on"]), as_day(renewal["renews_until"])
        number, cycle = renewal["registration_number"], renewal["cycle"] + 1
        if await self.book.extend(number, previous, until, cycle, session) is None:
            log.warning("registration %s did not end on %s when its renewal was paid", number, previous)
        renewed = RegistrationRenewed(
            registration_number=number,
            practitioner=PractitionerRef.model_validate(renewal["practitioner"]),
            renewal_id=renewal["_id"],
            cycle=cycle,
            previous_expires_on=previous,
            expires_on=until,
            renewed_at=at,
        )
        await self.uow.outbox.add(topics.REGISTRATION_RENEWED, renewed, session)
        return None

    async def expired(self, invoice: Doc, at: datetime, session: AsyncClientSession) -> None:
        if await self.book.move_renewal(invoice["request_id"], "awaiting_payment", "lapsed", at, session) is None:
            log.warning(
                "invoice %s expired but renewal %s was not awaiting payment", invoice["_id"], invoice["request_id"]
            )


def refused_event(renewal: Doc, invoice: Doc) -> RegistrationRenewalRefused:
    return RegistrationRenewalRefused(
        registration_number=renewal["registration_number"],
        practitioner=PractitionerRef.model_validate(renewal["practitioner"]),
        renewal_id=renewal["_id"],
        cycle=renewal["cycle"],
        reason="registration_lapsed",
        bill_number=invoice["bill_number"],
        refund_due=True,
        lapsed_at=renewal.get("lapsed_at"),
        refused_at=renewal["refused_at"],
    )


@dataclass(frozen=True)
class RegistrationEvents:
    """What each registration event review consumes does: its step, once per CloudEvents id."""

    uow: UnitOfWork
    renewals: RenewalDesk
    clock: InvoiceClock

    async def issued(self, event: RegistrationIssued, ce: CloudEventAttributes) -> None:
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.renewals.issued(event, session))

    async def suspended(self, event: RegistrationSuspended, ce: CloudEventAttributes) -> None:
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.renewals.suspended(event, session))

    async def reinstated(self, event: RegistrationReinstated, ce: CloudEventAttributes) -> None:
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.renewals.reinstated(event, session))

    async def renewal_requested(self, event: RegistrationRenewalRequested, ce: CloudEventAttributes) -> None:
        invoice = await self.uow.apply_once(
            ce.id, ce.type, lambda session: self.renewals.renewal_requested(event, session)
        )
        if invoice is not None:
            self.clock.plan(invoice)
