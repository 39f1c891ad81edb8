"""The CPD ledger's use cases: a batch of providers' attendance records (gov.cpd_attendance), an
approved CPD certificate's hours (review.decided), and a registration cycle's standing (hours
required / earned / still needed, the activities counted).

`CpdLedger.apply` decides every record of a batch and writes the lot in one transaction, the
certificate feed's way (feed/service.py): the reads of a batch go together, every event id takes
effect once, a record id once per provider. Decoding, retrying and dead-lettering are the
handler's (cpd/handlers.py, on mumaris/batches.py); the rules are cpd/rules.py.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import RegistryClock, now
from mumaris.identity import candidate_ref
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import CpdActivity, Decision, ReviewDecided, SubmissionKind
from schemas.registrations import CpdExemption, cpd_hours_required, validity_years
from services.intake.cpd import rules
from services.intake.cpd.rules import AlreadyReceived, AttendanceItem, Credit, RefusalCode, Refused, Standing
from services.intake.cpd.store import CpdStore, CpdWrites, Doc, day
from services.intake.feed.rules import Sorted, triage
from services.intake.feed.store import FeedStore
from services.intake.registration.rules import Cycle, current_cycle
from services.intake.registration.store import as_day

log = logging.getLogger("mumaris.intake.cpd")
TOPIC = topics.GOV_CPD_ATTENDANCE


class CpdMetrics:
    OUTCOMES = ("credited", "refused", "already_received", "repeated_event", "dead_lettered")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "mumaris_cpd_attendance_records",
            "gov.cpd_attendance records handled, by outcome",
            ["outcome"],
            registry=registry,
        )
        for outcome in self.OUTCOMES:
            self.records.labels(outcome)


@dataclass
class AttendanceOutcome:
    decisions: list[rules.Decision]
    sorted_out: Sorted[Any]


def credit_doc(key: str, practitioner_id: str, activity: CpdActivity, origin: Doc, at: datetime) -> Doc:
    return {
        "_id": key,
        "practitioner_id": practitioner_id,
        "title": activity.title,
        "provider": activity.provider,
        "accreditation_number": activity.accreditation_number,
        "category": activity.category,
        "hours": str(activity.hours),
        "attended_on": day(activity.attended_on),
        "origin": origin,
        "credited_at": at,
    }


class CpdLedger:
    def __init__(
        self,
        uow: UnitOfWork,
        store: CpdStore,
        feed: FeedStore,
        metrics: CpdMetrics,
        settings: Settings,
        clock: RegistryClock,
    ) -> None:
        self.uow = uow
        self.store = store
        self.feed = feed  # the event ledger and the accounts by ID number, as the certificate feed reads them
        self.metrics = metrics
        self.settings = settings
        self.clock = clock

    # --- providers' attendance records -----------------------------------------------------------

    async def apply(self, items: list[AttendanceItem]) -> AttendanceOutcome:
        handled, received, accounts = await asyncio.gather(
            self.feed.handled_event_ids([item.ce.id for item in items]),
            self.store.received_keys(list({item.key for item in items})),
            self.feed.accounts_by_id_number({item.record.national_id for item in items}),
        )
        sorted_out = triage(items, handled, received)
        keys = {
            rules.activity_key(str(account["_id"]), item.record.activity)
            for item in sorted_out.fresh
            if (account := accounts.get(item.record.national_id)) is not None
        }
        credited = await self.store.credited_keys(sorted(keys))
        decisions = rules.decide(sorted_out.fresh, accounts, credited, self.clock.today())
        await self.store.write(self._writes(sorted_out, decisions))
        return AttendanceOutcome(decisions, sorted_out)

    def _writes(self, sorted_out: Sorted[Any], decisions: list[rules.Decision]) -> CpdWrites:
        writes = CpdWrites()
        at = now()
        for item in sorted_out.already_received:
            writes.handled.append((item.ce.id, item.ce.type))
        for decision in decisions:
            item = decision.item
            writes.handled.append((item.ce.id, item.ce.type))
            if isinstance(decision, Credit):
                origin = {"kind": "provider", "publisher": item.ce.source, "record_id": item.record.record_id}
                origin["event_id"] = item.ce.id
                writes.credits.append(
                    credit_doc(decision.key, decision.practitioner.id, item.record.activity, origin, at)
                )
            if isinstance(decision, Credit) or (
                isinstance(decision, Refused) and decision.code is RefusalCode.ALREADY_CREDITED
            ):
                writes.received.append(
                    {
                        "_id": item.key,
                        "publisher": item.ce.source,
                        "record_id": item.record.record_id,
                        "credited": isinstance(decision, Credit),
                        "event_id": item.ce.id,
                        "at": at,
                    }
                )
            if isinstance(decision, Refused):
                writes.refusals.append(self._refusal(decision, at))
        return writes

    def _refusal(self, refused: Refused, at: datetime) -> Doc:
        """What operations keep of a refused record: the ID number only as its HMAC."""
        item = refused.item
        return {
            "_id": item.ce.id,
            "publisher": item.ce.source,
            "record_id": item.record.record_id,
            "accreditation_number": item.record.activity.accreditation_number,
            "code": refused.code.value,
            "candidate_ref": candidate_ref(item.record.national_id, self.settings),
            "at": at,
        }

    def count(self, outcome: AttendanceOutcome | None, dead_lettered: int) -> None:
        """Counted once the batch is committed, so a retried batch is not counted twice."""
        tally = dict.fromkeys(CpdMetrics.OUTCOMES, 0)
        tally["dead_lettered"] = dead_lettered
        if outcome is not None:
            tally["repeated_event"] = len(outcome.sorted_out.repeats)
            tally["already_received"] = len(outcome.sorted_out.already_received)
            for decision in outcome.decisions:
                name = (
                    "credited"
                    if isinstance(decision, Credit)
                    else "already_received"
                    if isinstance(decision, AlreadyReceived)
                    else "refused"
                )
                tally[name] += 1
        for name, value in tally.items():
            self.metrics.records.labels(name).inc(value)
        log.info(
            "%s: batch of %d: %s",
            TOPIC.name,
            sum(tally.values()),
            ", ".join(f"{value} {name}" for name, value in tally.items() if value),
        )

    # --- approved CPD certificates ---------------------------------------------------------------

    async def certificate_decided(self, event: ReviewDecided, ce: CloudEventAttributes) -> None:
        """An approved certificate that declares a CPD activity: its hours credited, once. An
        approved CPD recognition request: the hours recognised, once."""
        if event.kind is SubmissionKind.CPD_RECOGNITION:
            await self.recognition_decided(event, ce)
            return
        activity = event.certificate.cpd if event.certificate else None
        if event.kind is not SubmissionKind.CERTIFICATE or event.decision is not Decision.APPROVE or activity is None:
            return
        key = rules.activity_key(event.practitioner.id, activity)
        origin = {"kind": "certificate", "submission_id": event.submission_id, "event_id": ce.id}
        credit = credit_doc(key, event.practitioner.id, activity, origin, now())

        async def work(session: AsyncClientSession) -> bool:
            return await self.store.credit(credit, session)

        # Its own ledger key: the submissions area applies the same event to the timeline.
        credited = await self.uow.apply_once(f"{ce.id}/cpd", ce.type, work)
        if credited is False:
            log.info("submission %s: its CPD activity was credited before; not again", event.submission_id)

    async def recognition_decided(self, event: ReviewDecided, ce: CloudEventAttributes) -> None:
        """Approved: the hours the reviewer recognised (not those claimed) credited to the cycle
        the activity's date falls in, once per request whatever redelivers the decision."""
        claim = event.certificate.recognition if event.certificate else None
        if event.decision is not Decision.APPROVE or claim is None:
            return
        if event.cpd_hours_recognised is None:
            log.warning("recognition %s approved without hours: nothing credited", event.submission_id)
            return
        credit = {
            "_id": rules.recognition_key(event.practitioner.id, event.submission_id),
            "practitioner_id": event.practitioner.id,
            "title": claim.title,
            "provider": claim.provider,
            "accreditation_number": None,
            "country": claim.country,
            "category": claim.category,
            "hours": str(event.cpd_hours_recognised),
            "hours_claimed": str(claim.hours_claimed),
            "attended_on": day(claim.attended_on),
            "origin": {"kind": "recognition", "submission_id": event.submission_id, "event_id": ce.id},
            "credited_at": now(),
        }

        async def work(session: AsyncClientSession) -> bool:
            return await self.store.credit(credit, session)

        await self.uow.apply_once(f"{ce.id}/cpd", ce.type, work)

    # --- a cycle's standing ----------------------------------------------------------------------

    def cycle_of(self, registration: Doc) -> Cycle:
        return current_cycle(
            registration["cycle"], as_day(registration["expires_on"]), validity_years(registration["profession"])
        )

    def required(self, registration: Doc) -> Decimal:
        exemption = registration.get("cpd_exemption")
        return cpd_hours_required(registration["classification"], CpdExemption(exemption) if exemption else None)

    async def standing(self, registration: Doc) -> tuple[Standing, list[Doc]]:
        """The current cycle's hours and the activities counted in it."""
        cycle = self.cycle_of(registration)
        credits = await self.store.credits_between(registration["_id"], cycle.starts_on, cycle.ends_on)
        return rules.standing(self.required(registration), (Decimal(c["hours"]) for c in credits)), credits

    async def view(self, registration: Doc) -> dict[str, Any]:
        held, credits = await self.standing(registration)
        return {
            "hours_required": str(held.required),
            "hours_earned": str(held.earned),
            "hours_still_needed": str(held.still_needed),
            "exemption": registration.get("cpd_exemption"),
            "activities": [
                {
                    "title": c["title"],
                    "provider": c["provider"],
                    "accreditation_number": c["accreditation_number"],
                    "category": c["category"],
                    "hours": c["hours"],
                    "attended_on": as_day(c["attended_on"]).isoformat(),
                    "source": c["origin"]["kind"],
                    "country": c.get("country"),
                }
                for c in credits
            ],
        }
