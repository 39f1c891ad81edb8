"""The fees area's use cases: what happens to a classification request between "asked" and "in the
review queue" — its documents' results, the invoice, the deadline and its reminders, the payment —
and what its review needs: the exam results, and the request settled by the decision. Each step is
one transaction: the state change, the events it causes (outbox) and, for a consumed event, the
event ledger commit together.

- `FeeDesk`: those steps, and the jobs the deadline clock (scheduler.py) runs: expire, remind.
- `ClassificationReview`: exam results (gov.exams) and what the review queue asks about a
  classification item (`queue.service.ClassificationItems`): the exams missing, the request settled.
- `FeeEvents`: what each consumed event does, for the subscribers (handlers.py): its step applied
  once per event, then the deadline clock and the payment-issue counter told.

The rules are in rules.py (plain functions); the collections and their conditional updates in
store.py.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Protocol

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import now
from mumaris.identity import candidate_ref
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import CLASSIFICATIONS, EXAMS, money
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRef,
    ClassificationRequested,
    Decision,
    ExamResultPublished,
    FeeExpired,
    FeeInvoiced,
    FeeReminderDue,
    InvoicePurpose,
    PaymentReceived,
    PractitionerRef,
    SubmissionKind,
    SubmissionRejected,
    SubmissionValidated,
)
from services.review.fees.metrics import FeeMetrics
from services.review.fees.rules import (
    REQUEST_AFTER,
    DocumentOutcome,
    DocumentsProgress,
    ExamResult,
    InconsistentEvent,
    InvoiceFacts,
    InvoiceStatus,
    PaymentFacts,
    PaymentVerdict,
    RequestStatus,
    bill_number,
    bill_number_well_formed,
    bill_year,
    deadline_of,
    documents_progress,
    exam_standing,
    judge_payment,
    missing_exams,
    reminder_due,
    reminder_moments,
    to_millis,
)
from services.review.fees.store import ClassificationStore, Doc
from services.review.queue.rules import ItemStatus
from services.review.queue.service import ReviewDesk

log = logging.getLogger("mumaris.review.fees")


@dataclass(frozen=True)
class DocumentResult:
    """The validator's verdict on one document of a classification request."""

    request_id: str
    submission_id: str
    fields: Doc

    @classmethod
    def of(cls, event: SubmissionValidated | SubmissionRejected) -> "DocumentResult":
        if event.kind is not SubmissionKind.CLASSIFICATION_DOCUMENT or not event.request_id:
            raise InconsistentEvent(f"submission {event.submission_id}: a classification document needs its request_id")
        if "." in event.submission_id or event.submission_id.startswith("$"):
            raise InconsistentEvent(f"submission id {event.submission_id!r} cannot name a field")  # it is a key below
        passed = isinstance(event, SubmissionValidated)
        fields: Doc = {
            "outcome": (DocumentOutcome.PASSED if passed else DocumentOutcome.FAILED).value,
            "submission_id": event.submission_id,
            "document_type": event.document_type,
            "findings": [f.model_dump(mode="json") for f in event.findings],
            "at": event.validated_at if isinstance(event, SubmissionValidated) else event.rejected_at,
        }
        if isinstance(event, SubmissionValidated):  # kept for the reviewer, who sees the documents later
            fields["file"] = event.file.model_dump(mode="json")
            fields["certificate"] = event.certificate.model_dump(mode="json")
        return cls(event.request_id, event.submission_id, fields)


@dataclass(frozen=True)
class Bill:
    """What an invoice is issued for: the request (or renewal) it settles, whom, which
    classification (a reference, as stored), how much (a decimal string)."""

    request_id: str
    practitioner: Doc
    classification: Doc
    amount: str


@dataclass(frozen=True)
class PaymentOutcome:
    verdict: PaymentVerdict
    invoice_id: str | None
    issue_recorded: bool  # a new payment issue (False for a payment whose issue is on record already)


def _utc(at: datetime) -> datetime:
    """A time the payment system sent without an offset is taken as UTC (the contract asks for one)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def about_invoice(invoice: Doc) -> dict[str, Any]:
    """What every event about an invoice says of it first (fee.invoiced, fee.reminder, fee.expired)."""
    return {
        "invoice_id": invoice["_id"],
        "bill_number": invoice["bill_number"],
        "request_id": invoice["request_id"],
        "purpose": InvoicePurpose(invoice.get("purpose", InvoicePurpose.CLASSIFICATION.value)),
        "practitioner": PractitionerRef.model_validate(invoice["practitioner"]),
    }


def invoice_facts(invoice: Doc) -> InvoiceFacts:
    return InvoiceFacts(
        status=InvoiceStatus(invoice["status"]),
        amount=Decimal(invoice["amount"]),
        due_at=invoice["due_at"],
        payment_reference=(invoice.get("payment") or {}).get("payment_reference"),
    )


class Settlement(Protocol):
    """What an invoice of another purpose than a classification request settles, told inside the
    transaction that pays or expires it (registrations/service.py: a renewal)."""

    async def paid(self, invoice: Doc, at: datetime, session: AsyncClientSession) -> PaymentVerdict | None:
        """Settle the paid invoice; an issue kind when the payment, though accepted, settles nothing
        (recorded for operations in the same transaction)."""
        ...

    async def expired(self, invoice: Doc, at: datetime, session: AsyncClientSession) -> None: ...


class FeeDesk:
    def __init__(self, store: ClassificationStore, desk: ReviewDesk, uow: UnitOfWork, settings: Settings) -> None:
        self.store = store
        self.desk = desk
        self.uow = uow
        self.settings = settings
        self.reminder_hour = timedelta(seconds=settings.fee_reminder_hour_s)
        self.settlements: dict[InvoicePurpose, Settlement] = {}

    def settles(self, purpose: InvoicePurpose, settlement: Settlement) -> None:
        """Invoices of `purpose` are paid and expired through `settlement`."""
        self.settlements[purpose] = settlement

    # --- requests and their documents ----------------------------------------------------------

    async def record_request(self, event: ClassificationRequested, session: AsyncClientSession) -> Doc | None:
        """Record the request; if its documents have all passed already, invoice it (returned)."""
        classification = CLASSIFICATIONS.get(event.target.code)
        if classification is None:
            raise InconsistentEvent(f"request {event.request_id}: unknown classification {event.target.code!r}")
        if money(event.fee) != money(classification.fee):
            log.warning(
                "request %s states a fee of %s; the catalogue's %s is invoiced",
                event.request_id,
                event.fee,
                classification.fee,
            )
        request = {
            "_id": event.request_id,
            "status": RequestStatus.AWAITING_DOCUMENTS.value,
            "practitioner": event.practitioner.model_dump(mode="json"),
            "membership_number": event.membership_number,
            "current": event.current.model_dump(mode="json") if event.current else None,
            "target": classification.ref().model_dump(mode="json"),
            "documents": [d.model_dump(mode="json") for d in event.documents],
            # The catalogue is the fee table and the list of exams; the event only repeats them.
            "fee": str(money(classification.fee)),
            "required_exams": list(classification.required_exams),
            "candidate_ref": event.candidate_ref,
            "conditions_version": event.conditions_version,
            "requested_at": event.requested_at,
            "recorded_at": now(),
        }
        recorded = await self.store.record_request(request, session)
        return None if recorded is None else await self._advance(recorded, session)

    async def record_document(self, result: DocumentResult, session: AsyncClientSession) -> Doc | None:
        """Keep a document's result; if it completes its request, invoice it (returned)."""
        request = await self.store.record_document(result.request_id, result.submission_id, result.fields, session)
        return await self._advance(request, session)

    async def _advance(self, request: Doc, session: AsyncClientSession) -> Doc | None:
        """Invoice a request whose documents all passed, close one with a failed document."""
        if request.get("status") != RequestStatus.AWAITING_DOCUMENTS.value:
            return None  # not arrived yet (a document came first), or decided before
        outcomes = {sid: result["outcome"] for sid, result in request.get("checked", {}).items()}
        progress = documents_progress([d["submission_id"] for d in request["documents"]], outcomes)
        at = now()
        if progress is DocumentsProgress.FAILED:
            # The practitioner hears of the failed check from the validator's submission.rejected.
            await self.store.move_request(
                request["_id"], RequestStatus.AWAITING_DOCUMENTS, RequestStatus.VALIDATION_FAILED, at, session
            )
            return None
        if progress is DocumentsProgress.WAITING:
            return None
        if (
            await self.store.move_request(
                request["_id"], RequestStatus.AWAITING_DOCUMENTS, RequestStatus.AWAITING_PAYMENT, at, session
            )
            is None
        ):
            return None
        return await self._issue_invoice(request, to_millis(at), session)

    async def _issue_invoice(self, request: Doc, issued_at: datetime, session: AsyncClientSession) -> Doc:
        return await self.issue_invoice(
            Bill(request["_id"], request["practitioner"], request["target"], request["fee"]), issued_at, session
        )

    async def issue_invoice(
        self,
        bill: "Bill",
        issued_at: datetime,
        session: AsyncClientSession,
        purpose: InvoicePurpose = InvoicePurpose.CLASSIFICATION,
        deadline_s: float | None = None,
    ) -> Doc:
        """An invoice (returned, for the deadline clock) and its fee.invoiced: a classification
        request's, due `fee_deadline_s` after it is issued, or another purpose's with its own deadline."""
        due = deadline_of(issued_at, self.settings.fee_deadline_s if deadline_s is None else deadline_s)
        sequence = await self.store.next_bill_sequence(bill_year(issued_at), session)
        moments = reminder_moments(issued_at, due, self.settings.fee_reminder_hours, self.reminder_hour)
        invoice: Doc = {
            "_id": str(uuid.uuid4()),
            "bill_number": bill_number(bill_year(issued_at), sequence),
            "request_id": bill.request_id,
            "purpose": purpose.value,
            "practitioner": bill.practitioner,
            "classification": bill.classification,
            "amount": bill.amount,
            "currency": "SAR",
            "issued_at": issued_at,
            "due_at": due,
            "status": InvoiceStatus.UNPAID.value,
            "reminder_hours": sorted(moments, reverse=True),  # the reminders this invoice gets
            "reminders_sent": [],
            "payment": None,
            "paid_at": None,
            "expired_at": None,
        }
        await self.store.insert_invoice(invoice, session)
        event = FeeInvoiced(
            **about_invoice(invoice),
            classification=ClassificationRef.model_validate(invoice["classification"]),
            amount=Decimal(invoice["amount"]),
            issued_at=issued_at,
            due_at=due,
        )
        await self.uow.outbox.add(topics.FEE_INVOICED, event, session)
        return invoice

    # --- the deadline -----------------------------------------------------------------------------

    async def expire(self, invoice_id: str) -> bool:
        """Expire the invoice if it is unpaid and due, and lapse its request. True only for the
        one caller (of all replicas, and against a racing payment) whose conditional update won:
        only that one publishes fee.expired and classification.lapsed."""

        async def work(session: AsyncClientSession) -> Doc | None:
            at = now()
            invoice = await self.store.expire(invoice_id, at, session)
            if invoice is None:
                return None
            settlement = self._settlement_of(invoice)
            if settlement is not None:
                await settlement.expired(invoice, at, session)
                await self.uow.outbox.add(
                    topics.FEE_EXPIRED, FeeExpired(**about_invoice(invoice), expired_at=at), session
                )
                return invoice
            if (
                await self.store.move_request(
                    invoice["request_id"], RequestStatus.AWAITING_PAYMENT, RequestStatus.LAPSED, at, session
                )
                is None
            ):
                log.warning(
                    "invoice %s expired but its request %s was not awaiting payment", invoice_id, invoice["request_id"]
                )
            expired = FeeExpired(**about_invoice(invoice), expired_at=at)
            await self.uow.outbox.add(topics.FEE_EXPIRED, expired, session)
            lapsed = ClassificationLapsed(
                request_id=invoice["request_id"],
                practitioner=expired.practitioner,
                classification=ClassificationRef.model_validate(invoice["classification"]),
                lapsed_at=at,
            )
            await self.uow.outbox.add(topics.CLASSIFICATION_LAPSED, lapsed, session)
            return invoice

        expired = await self.uow.run(work)
        if expired is not None:
            log.info(
                "invoice %s expired unpaid (due %s); request %s lapsed",
                expired["bill_number"],
                expired["due_at"].isoformat(),
                expired["request_id"],
            )
        return expired is not None

    async def expire_due(self) -> int:
        """Expire every unpaid invoice whose deadline has come; how many this call expired."""
        expired = 0
        for invoice_id in await self.store.due_unpaid(now()):
            expired += await self.expire(invoice_id)
        return expired

    def reminder_moments_of(self, invoice: Doc) -> dict[int, datetime]:
        return reminder_moments(
            invoice["issued_at"], invoice["due_at"], invoice.get("reminder_hours", []), self.reminder_hour
        )

    async def remind(self, invoice_id: str) -> int | None:
        """Send the reminder due now for this invoice, once across all replicas; returns its hours."""

        async def work(session: AsyncClientSession) -> int | None:
            at = now()
            invoice = await self.store.get_invoice(invoice_id, session)
            if invoice is None or invoice["status"] != InvoiceStatus.UNPAID.value:
                return None
            due = reminder_due(self.reminder_moments_of(invoice), invoice["reminders_sent"], invoice["due_at"], at)
            if (
                due is None
                or await self.store.mark_reminded(invoice_id, due.hours_before, due.settles, session) is None
            ):
                return None
            reminder = FeeReminderDue(
                **about_invoice(invoice),
                classification=ClassificationRef.model_validate(invoice["classification"]),
                amount=Decimal(invoice["amount"]),
                due_at=invoice["due_at"],
                hours_before=due.hours_before,
            )
            await self.uow.outbox.add(topics.FEE_REMINDER, reminder, session)
            return due.hours_before

        return await self.uow.run(work)

    async def send_due_reminders(self) -> int:
        if not self.settings.fee_reminder_hours:
            return 0
        at = now()
        horizon = max(self.settings.fee_reminder_hours) * self.reminder_hour
        sent = 0
        for invoice in await self.store.unpaid_due_within(at, horizon):
            if reminder_due(self.reminder_moments_of(invoice), invoice["reminders_sent"], invoice["due_at"], at):
                sent += await self.remind(invoice["_id"]) is not None
        return sent

    # --- payments ---------------------------------------------------------------------------------

    async def apply_payment(
        self, payment: PaymentReceived, event_id: str, session: AsyncClientSession
    ) -> PaymentOutcome:
        """Accept the payment (invoice paid, request into the review queue) or record why not."""
        at = now()
        facts = PaymentFacts(payment.amount, _utc(payment.paid_at), payment.payment_reference)
        record = {
            "amount": str(payment.amount),
            "currency": payment.currency,
            "paid_at": facts.paid_at,
            "payment_reference": payment.payment_reference,
            "event_id": event_id,
            "received_at": at,
        }
        invoice = await self.store.invoice_by_bill(payment.bill_number, session)
        verdict = judge_payment(None if invoice is None else invoice_facts(invoice), facts)
        if verdict is PaymentVerdict.ACCEPT:
            assert invoice is not None
            paid = await self.store.mark_paid(invoice["_id"], record, at, session)
            if paid is None:  # changed since we read it: judge what it became (the transaction normally retries first)
                invoice = await self.store.get_invoice(invoice["_id"], session)
                verdict = judge_payment(invoice_facts(invoice), facts) if invoice else PaymentVerdict.UNKNOWN_BILL
            else:
                verdict = await self._send_to_review(paid, at, session) or verdict
                invoice = paid
        recorded = verdict.is_issue and await self.store.record_issue(
            self._issue(verdict, payment.bill_number, record, invoice, at), session
        )
        return PaymentOutcome(verdict, None if invoice is None else invoice["_id"], recorded)

    @staticmethod
    def _issue(verdict: PaymentVerdict, bill: str, payment: Doc, invoice: Doc | None, at: datetime) -> Doc:
        details: Doc = {}
        if invoice is None:
            details["bill_number_well_formed"] = bill_number_well_formed(bill)
        elif verdict is PaymentVerdict.WRONG_AMOUNT:
            details["expected_amount"] = invoice["amount"]
        elif verdict is PaymentVerdict.LATE_PAYMENT:
            details["due_at"] = invoice["due_at"]
            details["paid_in_time"] = payment["paid_at"] <= invoice["due_at"]  # but reached us after the expiry
        elif verdict is PaymentVerdict.REGISTRATION_LAPSED:
            details["due_at"] = invoice["due_at"]
            details["refund"] = True  # the invoice is paid, the registration stays lapsed: the money goes back
        elif verdict is PaymentVerdict.DUPLICATE_PAYMENT:
            details["settled_by"] = (invoice.get("payment") or {}).get("payment_reference")
        return {
            # One payment (bill + the payment system's reference) is one issue, however often delivered.
            "_id": f"{bill}/{payment['payment_reference']}",
            "kind": verdict.value,
            "bill_number": bill,
            "payment": payment,
            "invoice_id": None if invoice is None else invoice["_id"],
            "request_id": None if invoice is None else invoice["request_id"],
            "invoice_status": None if invoice is None else invoice["status"],
            "details": details,
            "recorded_at": at,
        }

    def _settlement_of(self, invoice: Doc) -> Settlement | None:
        """None for a classification request's invoice (this desk settles those itself)."""
        purpose = InvoicePurpose(invoice.get("purpose", InvoicePurpose.CLASSIFICATION.value))
        if purpose is InvoicePurpose.CLASSIFICATION:
            return None
        if purpose not in self.settlements:
            raise InconsistentEvent(f"invoice {invoice['_id']}: nothing settles a {purpose.value} invoice here")
        return self.settlements[purpose]

    async def _send_to_review(self, invoice: Doc, at: datetime, session: AsyncClientSession) -> PaymentVerdict | None:
        settlement = self._settlement_of(invoice)
        if settlement is not None:
            return await settlement.paid(invoice, at, session)
        request = await self.store.move_request(
            invoice["request_id"], RequestStatus.AWAITING_PAYMENT, RequestStatus.IN_REVIEW, at, session
        )
        if request is None:
            log.warning(
                "invoice %s paid but its request %s was not awaiting payment", invoice["_id"], invoice["request_id"]
            )
            return None
        await self.desk.enqueue(review_item(request, invoice, at), session)
        return None


def review_item(request: Doc, invoice: Doc, at: datetime) -> dict[str, Any]:
    """The review queue's item for a paid request: its id is the request id (queued once)."""
    checked = request.get("checked", {})
    documents = [
        {
            "document_type": d["document_type"],
            "submission_id": d["submission_id"],
            **{k: checked.get(d["submission_id"], {}).get(k) for k in ("file", "certificate")},
            "findings": checked.get(d["submission_id"], {}).get("findings", []),
        }
        for d in request["documents"]
    ]
    return {
        "_id": request["_id"],
        "submission_id": request["_id"],
        "kind": SubmissionKind.CLASSIFICATION.value,
        "practitioner": request["practitioner"],
        "specialty": None,
        "membership_number": request.get("membership_number"),
        "classification": {"current": request.get("current"), "target": request["target"]},
        "documents": documents,
        "required_exams": request["required_exams"],
        "candidate_ref": request["candidate_ref"],
        "invoice": {"bill_number": invoice["bill_number"], "amount": invoice["amount"], "paid_at": invoice["paid_at"]},
        "file": None,  # several documents: each is opened by its submission id
        "findings": [],
        "status": ItemStatus.QUEUED.value,
        "queued_at": at,
    }


class ClassificationReview:
    """What reviewing a classification request needs: the exam results (gov.exams), the exams an
    approval still lacks, and the request settled by the decision. The review queue reaches it as
    its `ClassificationItems`."""

    def __init__(self, store: ClassificationStore, uow: UnitOfWork, settings: Settings) -> None:
        self.store = store
        self.uow = uow
        self.settings = settings

    async def record_exam_result(self, event: ExamResultPublished, session: AsyncClientSession) -> None:
        await self.store.save_exam_result(
            {
                "_id": event.result_id,
                "candidate_ref": candidate_ref(event.candidate_id_number, self.settings),  # never the number itself
                "exam": event.exam,
                "score": event.score,
                "passed": event.passed,
                "taken_on": datetime.combine(event.taken_on, time(), UTC),  # BSON has no date-only type
                "received_at": now(),
            },
            session,
        )

    async def exams_of(self, item: Doc) -> list[Doc]:
        """Each exam a classification item requires: passed / failed / missing, with the result shown."""
        required: list[str] = item.get("required_exams") or []
        if not required or not item.get("candidate_ref"):
            return []
        results = await self.store.exam_details(item["candidate_ref"], required)
        standing = exam_standing(required, [ExamResult(r["exam"], r["passed"]) for r in results])
        panel = []
        for exam, state in standing.items():
            mine = [r for r in results if r["exam"] == exam]
            shown = next((r for r in mine if r["passed"]), mine[0] if mine else None)  # newest first
            label = EXAMS[exam].model_dump() if exam in EXAMS else {"ar": exam, "en": exam}
            panel.append(
                {
                    "exam": exam,
                    "label": label,
                    "standing": state.value,
                    "score": None if shown is None else shown["score"],
                    "taken_on": None if shown is None else shown["taken_on"].date().isoformat(),
                }
            )
        return panel

    async def missing_exams(self, item: Doc, session: AsyncClientSession) -> tuple[str, ...]:
        required: list[str] = item.get("required_exams") or []
        results = await self.store.exam_outcomes(item["candidate_ref"], required, session) if required else []
        return missing_exams(required, results)

    async def settle(self, item: Doc, decision: Decision, at: datetime, session: AsyncClientSession) -> None:
        """The request follows the decision; an approval changes the practitioner's classification,
        announced on classification.changed (intake keeps the profile; other systems listen too)."""
        await self.store.move_request(item["_id"], RequestStatus.IN_REVIEW, REQUEST_AFTER[decision], at, session)
        if decision is Decision.APPROVE:
            classification = item["classification"]
            changed = ClassificationChanged(
                request_id=item["_id"],
                practitioner=PractitionerRef.model_validate(item["practitioner"]),
                previous=ClassificationRef.model_validate(classification["current"])
                if classification.get("current")
                else None,
                classification=ClassificationRef.model_validate(classification["target"]),
                changed_at=at,
            )
            await self.uow.outbox.add(topics.CLASSIFICATION_CHANGED, changed, session)


class InvoiceClock(Protocol):
    """What keeps the deadlines (scheduler.FeeDeadlines): told of each invoice issued and each paid."""

    def plan(self, invoice: Doc) -> None: ...

    def forget(self, invoice_id: str) -> None: ...


@dataclass(frozen=True)
class FeeEvents:
    """What each event the fees area consumes does: its step, once per CloudEvents id."""

    uow: UnitOfWork
    fees: FeeDesk
    review: ClassificationReview
    clock: InvoiceClock
    metrics: FeeMetrics

    async def requested(self, event: ClassificationRequested, ce: CloudEventAttributes) -> None:
        """classification.requested: recorded, and invoiced if its documents have all passed already."""
        self._plan(await self.uow.apply_once(ce.id, ce.type, lambda session: self.fees.record_request(event, session)))

    async def document_checked(self, event: SubmissionValidated | SubmissionRejected, ce: CloudEventAttributes) -> None:
        """The validator's result on one of a request's documents: kept, and the request invoiced
        when it was the last one to pass."""
        result = DocumentResult.of(event)
        self._plan(
            await self.uow.apply_once(ce.id, ce.type, lambda session: self.fees.record_document(result, session))
        )

    async def paid(self, event: PaymentReceived, ce: CloudEventAttributes) -> None:
        """gov.payments. A refused payment is a recorded business outcome (a payment issue), not a
        failure: it returns normally and the record is committed."""
        outcome = await self.uow.apply_once(
            ce.id, ce.type, lambda session: self.fees.apply_payment(event, ce.id, session)
        )
        if outcome is None:
            return
        if outcome.issue_recorded:
            self.metrics.payment_issue(outcome.verdict)
        if outcome.verdict in (PaymentVerdict.ACCEPT, PaymentVerdict.REGISTRATION_LAPSED) and outcome.invoice_id:
            self.clock.forget(outcome.invoice_id)

    async def exam_result(self, event: ExamResultPublished, ce: CloudEventAttributes) -> None:
        """gov.exams: the result kept (a result sent again under its id replaces the first)."""
        await self.uow.apply_once(ce.id, ce.type, lambda session: self.review.record_exam_result(event, session))

    def _plan(self, invoice: Doc | None) -> None:
        if invoice is not None:
            self.clock.plan(invoice)
