"""The registration area's use cases: issue a practitioner's professional registration when their
first classification is approved (classification.changed), or by the one-off migration for those
approved before registrations existed; keep its classification current; show it; suspend it.

Each step is one transaction: the registration, the event it causes (outbox) and, for a consumed
event, its ledger marker. The registry's time comes from an injected RegistryClock. The rules
are rules.py.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import RegistryClock, now, today_in_riyadh
from mumaris.mongo import UnitOfWork, make_client
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    ClassificationChanged,
    FeeExpired,
    FeeInvoiced,
    PractitionerRef,
    RegistrationIssued,
    RegistrationLapsed,
    RegistrationRenewalRefused,
    RegistrationRenewalRequested,
    RegistrationRenewed,
)
from schemas.registrations import renewal_fee, validity_years
from services.intake import SERVICE
from services.intake.accounts.service import full_name
from services.intake.registration import rules
from services.intake.registration.rules import Calendar, RegistrationRefused, Status
from services.intake.registration.store import Doc, RegistrationStore, as_day, day
from services.intake.submissions.store import UnknownRecord

if TYPE_CHECKING:
    from services.intake.cpd.rules import Standing


class CpdHours(Protocol):
    """The CPD ledger as a renewal reads it (cpd/service.py CpdLedger)."""

    async def standing(self, registration: Doc) -> tuple["Standing", list[Doc]]: ...


log = logging.getLogger("mumaris.intake.registration")


def calendar_of(settings: Settings) -> Calendar:
    return Calendar(settings.registration_renewal_window_days, settings.registration_grace_days)


def issued_event(doc: Doc) -> RegistrationIssued:
    return RegistrationIssued(
        registration_number=doc["number"],
        practitioner=PractitionerRef.model_validate(doc["practitioner"]),
        profession=doc["profession"],
        classification=CLASSIFICATIONS[doc["classification"]].ref(),
        cycle=doc["cycle"],
        issued_on=as_day(doc["issued_on"]),
        expires_on=as_day(doc["expires_on"]),
        issued_at=doc["issued_at"],
    )


def renewal_view(renewal: Doc | None) -> dict[str, Any] | None:
    if not renewal:
        return None
    invoice = renewal.get("invoice")
    return {
        "renewal_id": renewal["id"],
        "status": renewal["status"],
        "cycle": renewal["cycle"],
        "renews_until": as_day(renewal["renews_until"]).isoformat(),
        "fee": renewal["fee"],
        "currency": "SAR",
        "requested_at": renewal["requested_at"].isoformat(),
        # Refused (paid after the registration lapsed): why, and that its fee is to be refunded.
        "refused_reason": renewal.get("refused_reason"),
        "refund_due": renewal.get("refund_due", False),
        "invoice": None
        if invoice is None
        else {**invoice, "issued_at": invoice["issued_at"].isoformat(), "due_at": invoice["due_at"].isoformat()},
    }


@dataclass(frozen=True)
class Issue:
    """What a registration is issued on: who, which classification, since when."""

    practitioner: PractitionerRef
    classification: str
    changed_at: datetime
    source: str  # "classification.changed" or "migration"
    request_id: str | None = None


class ProfessionalRegistrations:
    def __init__(self, uow: UnitOfWork, store: RegistrationStore, settings: Settings, clock: RegistryClock) -> None:
        self.uow = uow
        self.store = store
        self.settings = settings
        self.clock = clock
        self.calendar = calendar_of(settings)

    # --- issue ------------------------------------------------------------------------------------

    async def classification_changed(self, event: ClassificationChanged, ce: CloudEventAttributes) -> None:
        """The first approved classification issues the registration; a later one is recorded on it."""
        issue = Issue(
            event.practitioner, event.classification.code, event.changed_at, topics.CLASSIFICATION_CHANGED.name
        )
        if event.classification.code not in CLASSIFICATIONS:
            log.warning(
                "classification.changed to %r, not in the catalogue: no registration", event.classification.code
            )
            return
        # Its own ledger key: the classification area applies the same event to the account.
        await self.uow.apply_once(f"{ce.id}/registration", ce.type, lambda session: self._issue(issue, session))

    async def _issue(self, issue: Issue, session: AsyncClientSession) -> Doc | None:
        """Issue the registration (returned), or record a newer classification on the one there."""
        existing = await self.store.get(issue.practitioner.id, session)
        if existing is not None:
            if existing["classification_changed_at"] < issue.changed_at:
                changes = {"classification": issue.classification, "classification_changed_at": issue.changed_at}
                await self.store.update(existing["_id"], {"revision": existing["revision"]}, changes, session)
            return None
        classification = CLASSIFICATIONS[issue.classification]
        issued_on = today_in_riyadh(issue.changed_at)
        number = rules.registration_number(await self.store.next_sequence(session))
        doc = {
            "_id": issue.practitioner.id,
            "number": number,
            "practitioner": issue.practitioner.model_dump(mode="json"),
            "profession": classification.profession,
            "classification": classification.code,
            "classification_changed_at": issue.changed_at,
            "cycle": 1,
            "issued_on": day(issued_on),
            "expires_on": day(rules.add_years(issued_on, validity_years(classification.profession))),
            "status": Status.ACTIVE.value,
            "suspension": None,
            "renewal": None,
            "history": [{"step": "issued", "at": issue.changed_at, "source": issue.source}],
            "issued_at": issue.changed_at,
            "source": issue.source,
            "request_id": issue.request_id,
            "revision": 0,
        }
        if not await self.store.insert(doc, session):
            return None
        await self.uow.outbox.add(topics.REGISTRATION_ISSUED, issued_event(doc), session)
        return doc

    async def migrate(self, batch: int = 500) -> tuple[int, int]:
        """The one-off migration: a registration for every practitioner approved before
        registrations existed, issued as of their classification's approval. Idempotent: run it
        again and it issues nothing. Returns (accounts seen, registrations issued)."""
        seen = issued = 0
        async for account in self.store.approved_without_registration(batch):
            seen += 1
            code = account["classification"]
            if code not in CLASSIFICATIONS:
                log.warning("account %s has classification %r, not in the catalogue: skipped", account["_id"], code)
                continue
            locale = account.get("locale")
            issue = Issue(
                practitioner=PractitionerRef(
                    id=account["_id"],
                    name=full_name(account),
                    email=account["email"],
                    locale=locale if locale in ("ar", "en") else "ar",
                ),
                classification=code,
                changed_at=account.get("classification_changed_at") or account["created_at"],
                source="migration",
                request_id=account.get("classification_request_id"),
            )
            issued += await self.uow.run(partial(self._issue, issue)) is not None
        return seen, issued

    # --- read -------------------------------------------------------------------------------------

    async def of(self, practitioner_id: str) -> Doc:
        doc = await self.store.get(practitioner_id)
        if doc is None:
            raise RegistrationRefused("registration.none")
        return doc

    def status(self, doc: Doc) -> Status:
        return rules.status_on(Status(doc["status"]), as_day(doc["expires_on"]), self.clock.today(), self.calendar)

    def view(self, doc: Doc) -> dict[str, Any]:
        today = self.clock.today()
        expires_on = as_day(doc["expires_on"])
        cycle = rules.current_cycle(doc["cycle"], expires_on, validity_years(doc["profession"]))
        classification = CLASSIFICATIONS[doc["classification"]]
        return {
            "registration_number": doc["number"],
            "status": self.status(doc).value,
            "profession": doc["profession"],
            "classification": classification.ref().model_dump(),
            "issued_on": as_day(doc["issued_on"]).isoformat(),
            "expires_on": expires_on.isoformat(),
            "days_left": rules.days_left(expires_on, today),
            "renewal_opens_on": self.calendar.renewal_opens_on(expires_on).isoformat(),
            "lapses_on": self.calendar.lapses_on(expires_on).isoformat(),
            "cycle": {
                "number": cycle.number,
                "starts_on": cycle.starts_on.isoformat(),
                "ends_on": cycle.ends_on.isoformat(),
            },
            "renewal": renewal_view(doc.get("renewal")),
            "suspension": None
            if not doc.get("suspension")
            else {k: v.isoformat() if isinstance(v, datetime) else v for k, v in doc["suspension"].items()},
        }

    # --- renewal ---------------------------------------------------------------------------------

    async def request_renewal(self, practitioner_id: str, hours: "CpdHours") -> Doc:
        """Ask to renew: refused unless renewal is open (or in grace), none is awaiting payment and
        the cycle's CPD hours are there (the refusal says how many are missing). Otherwise the
        renewal is recorded and announced in one transaction; review invoices it."""
        doc = await self.of(practitioner_id)
        refusal = rules.renewal_refusal(self.status(doc))
        if refusal is not None:
            raise refusal
        if (doc.get("renewal") or {}).get("status") in rules.RENEWAL_OPEN_STATES:
            raise RegistrationRefused("registration.renewal_pending", {"renewal_id": doc["renewal"]["id"]})
        held, _ = await hours.standing(doc)
        if not held.met:
            figures = {"required": str(held.required), "earned": str(held.earned), "needed": str(held.still_needed)}
            raise RegistrationRefused("registration.cpd_hours_short", {"cpd_hours": figures})
        at = self.clock.now()
        expires_on = as_day(doc["expires_on"])
        classification = CLASSIFICATIONS[doc["classification"]]
        renewal = {
            "id": str(uuid.uuid4()),
            "status": "requested",
            "cycle": doc["cycle"],
            "expires_on": doc["expires_on"],
            "renews_until": day(rules.add_years(expires_on, validity_years(doc["profession"]))),
            "fee": str(renewal_fee(classification.code)),
            "cpd_hours": {"required": str(held.required), "earned": str(held.earned)},
            "requested_at": at,
            "invoice": None,
        }
        event = RegistrationRenewalRequested(
            registration_number=doc["number"],
            practitioner=PractitionerRef.model_validate(doc["practitioner"]),
            renewal_id=renewal["id"],
            classification=classification.ref(),
            cycle=doc["cycle"],
            expires_on=expires_on,
            renews_until=as_day(renewal["renews_until"]),
            fee=renewal_fee(classification.code),
            cpd_hours_required=held.required,
            cpd_hours_earned=held.earned,
            requested_at=at,
        )

        async def work(session: AsyncClientSession) -> Doc:
            step = {"step": "renewal_requested", "at": at, "renewal_id": renewal["id"]}
            updated = await self.store.update(
                doc["_id"],
                {"revision": doc["revision"]},
                {"renewal": renewal, "revision": doc["revision"] + 1},
                session,
                push={"history": step},
            )
            if updated is None:  # asked twice at once: the other one is recorded
                raise RegistrationRefused("registration.renewal_pending")
            await self.uow.outbox.add(topics.REGISTRATION_RENEWAL_REQUESTED, event, session)
            return updated

        return await self.uow.run(work)

    async def renewal_invoiced(self, event: FeeInvoiced, ce: CloudEventAttributes) -> None:
        """The renewal's invoice (fee.invoiced of purpose renewal), shown with the registration."""
        invoice = {
            "bill_number": event.bill_number,
            "amount": str(event.amount),
            "currency": event.currency,
            "issued_at": event.issued_at,
            "due_at": event.due_at,
        }
        await self._renewal_step(ce, event.practitioner.id, event.request_id, "requested", "awaiting_payment", invoice)

    async def renewal_expired(self, event: FeeExpired, ce: CloudEventAttributes) -> None:
        """Unpaid by its deadline: the renewal lapses; another may be asked while renewal is open."""
        await self._renewal_step(
            ce, event.practitioner.id, event.request_id, ("requested", "awaiting_payment"), "lapsed"
        )

    async def renewal_refused(self, event: RegistrationRenewalRefused, ce: CloudEventAttributes) -> None:
        """Paid after the registration lapsed: the renewal ends refused, its fee due back (the
        registration stays lapsed; registration.lapsed recorded that)."""
        await self._renewal_step(
            ce,
            event.practitioner.id,
            event.renewal_id,
            ("requested", "awaiting_payment"),
            "refused",
            refused_reason=event.reason,
            refund_due=event.refund_due,
            registration_lapsed_at=event.lapsed_at,
        )

    async def _renewal_step(
        self,
        ce: CloudEventAttributes,
        practitioner_id: str,
        renewal_id: str,
        from_status: str | tuple[str, ...],
        to_status: str,
        invoice: Doc | None = None,
        **fields: Any,
    ) -> None:
        allowed = [from_status] if isinstance(from_status, str) else list(from_status)
        changes: Doc = {"renewal.status": to_status, f"renewal.{to_status}_at": now()}
        changes.update({f"renewal.{name}": value for name, value in fields.items()})
        if invoice is not None:
            changes["renewal.invoice"] = invoice

        async def work(session: AsyncClientSession) -> None:
            expect = {"renewal.id": renewal_id, "renewal.status": {"$in": allowed}}
            if await self.store.update(practitioner_id, expect, changes, session) is None:
                log.info("renewal %s: %s ignored (not %s)", renewal_id, to_status, "/".join(allowed))

        await self.uow.apply_once(ce.id, ce.type, work)

    async def renewed(self, event: RegistrationRenewed, ce: CloudEventAttributes) -> None:
        """The renewal was paid: a new cycle from the old expiry."""

        async def work(session: AsyncClientSession) -> None:
            doc = await self.store.by_number(event.registration_number, session)
            if doc is None:
                raise UnknownRecord(f"unknown registration {event.registration_number}")
            if as_day(doc["expires_on"]) != event.previous_expires_on:
                log.info("registration %s: renewal %s applied before", doc["number"], event.renewal_id)
                return
            step = {"step": "renewed", "at": event.renewed_at, "renewal_id": event.renewal_id}
            changes: Doc = {
                "expires_on": day(event.expires_on),
                "cycle": event.cycle,
                "revision": doc["revision"] + 1,
                "renewal.status": "paid",
                "renewal.paid_at": event.renewed_at,
            }
            if doc["status"] != Status.SUSPENDED.value:
                changes["status"] = Status.RENEWED.value
            expect = {"revision": doc["revision"]}
            if await self.store.update(doc["_id"], expect, changes, session, push={"history": step}) is None:
                raise RuntimeError("registration changed concurrently")  # the delivery policy retries

        await self.uow.apply_once(ce.id, ce.type, work)

    async def lapsed(self, event: RegistrationLapsed, ce: CloudEventAttributes) -> None:
        """Review's sweep found it past its grace period unrenewed: recorded (the dates said so already)."""

        async def work(session: AsyncClientSession) -> None:
            doc = await self.store.by_number(event.registration_number, session)
            if doc is None:
                raise UnknownRecord(f"unknown registration {event.registration_number}")
            if as_day(doc["expires_on"]) != event.expired_on or doc["status"] not in rules.RUNNING:
                log.info(
                    "registration %s: lapse of %s not applied (renewed or suspended since)",
                    doc["number"],
                    event.expired_on,
                )
                return
            step = {"step": "lapsed", "at": event.lapsed_at}
            changes = {"status": Status.LAPSED.value, "lapsed_at": event.lapsed_at, "revision": doc["revision"] + 1}
            if (
                await self.store.update(
                    doc["_id"], {"revision": doc["revision"]}, changes, session, push={"history": step}
                )
                is None
            ):
                raise RuntimeError("registration changed concurrently")  # the delivery policy retries

        await self.uow.apply_once(ce.id, ce.type, work)


async def migrate_registrations(settings: Settings, batch: int = 500) -> tuple[int, int]:
    """For operations (`mumaris registrations migrate`): the one-off migration with a client of its
    own. Returns (accounts without a registration seen, registrations issued)."""
    client = make_client(settings)
    try:
        db = client[settings.mongo_db]
        store = RegistrationStore(db)
        await store.ensure_indexes()
        registrations = ProfessionalRegistrations(
            UnitOfWork(client, db, SERVICE), store, settings, RegistryClock.from_file(settings.clock_shift_file)
        )
        return await registrations.migrate(batch)
    finally:
        await client.close()
