"""In-memory stand-ins for review's stores and clock, for unit tests of its use cases (no broker, no
database). Each conditional update of the real stores is one step here too: nothing awaits between
its check and its write. Every method first yields to the event loop, as a round trip to the
database would, so use cases started together interleave the way they do against MongoDB. Reads
hand out copies, as a database does.

The real stores' queries are proven against the database in tests/integration/test_review_desk.py
and test_classification_fees.py.
"""

import asyncio
import copy
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import CertificateMetadata, PractitionerRef, StoredFile, SubmissionKind, SubmissionValidated
from services.review.certificates.service import ApprovedCertificates
from services.review.fees import service as fee_service
from services.review.fees.metrics import FeeMetrics
from services.review.fees.rules import ExamResult, InvoiceStatus, RequestStatus
from services.review.fees.service import ClassificationReview, FeeDesk, FeeEvents
from services.review.fees.store import Doc, IssueFilter
from services.review.queue import service as queue_service
from services.review.queue.rules import Claim, ItemStatus, OrderKey
from services.review.queue.service import ReviewDesk
from services.review.queue.store import claim_of, order_key
from tests.fakes import FakeUnitOfWork


async def round_trip() -> None:
    await asyncio.sleep(0)


def cloud_event(topic: topics.Topic) -> CloudEventAttributes:
    """Fresh CloudEvents attributes for an event on `topic` (a new id: a new event)."""
    return CloudEventAttributes.new(source="/test", type=topic.ce_type, subject="s")


def validated_certificate(
    submission_id: str, previous: str | None = None, expires_on: date | None = None
) -> SubmissionValidated:
    """submission.validated of a certificate (a resubmission when `previous` names the version before)."""
    return SubmissionValidated(
        submission_id=submission_id,
        kind=SubmissionKind.CERTIFICATE,
        version=2 if previous else 1,
        previous_submission_id=previous,
        practitioner=PractitionerRef(id="p-1", name="Sara Al-Harbi", email="sara@example.sa"),
        certificate=CertificateMetadata(
            name="BLS",
            obtained_on=date(2025, 3, 14),
            institution="SHA",
            specialty="Nursing",
            degree="Course",
            expires_on=expires_on,
        ),
        file=StoredFile(file_id="f-1", filename="scan.jpg", size=10, sha256="0" * 64, content_type="image/jpeg"),
        findings=[],
        validated_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )


class Clock:
    """The time the use cases read (their `now`), moved on by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


def stop_the_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> Clock:
    clock = Clock(at)
    for module in (queue_service, fee_service):
        monkeypatch.setattr(module, "now", clock.now)
    return clock


class FakeReviewStore:
    """review.items and review.audit (queue/store.py)."""

    def __init__(self) -> None:
        self.items: dict[str, Doc] = {}
        self.audit: list[Doc] = []

    async def enqueue(self, item: Doc, session: Any) -> bool:
        await round_trip()
        if item["_id"] in self.items:
            return False
        self.items[item["_id"]] = copy.deepcopy(item)
        return True

    async def get(self, review_id: str, session: Any = None) -> Doc | None:
        await round_trip()
        return copy.deepcopy(self.items.get(review_id))

    async def decider_of(self, review_id: str, session: Any) -> str | None:
        await round_trip()
        decision = (self.items.get(review_id) or {}).get("decision") or {}
        return decision.get("reviewer_id")

    def _claimable(self, item: Doc, reviewer_id: str, at: datetime) -> bool:
        claim = claim_of(item)
        reserved_until = item.get("reserved_until")
        return (
            item["status"] == ItemStatus.QUEUED.value
            and (claim is None or not claim.live(at))
            and (
                item.get("preferred_reviewer_id") in (None, reviewer_id)
                or (reserved_until is not None and reserved_until <= at)
            )
        )

    def _in_claim_order(self, reviewer_id: str, at: datetime) -> list[Doc]:
        waiting = [item for item in self.items.values() if self._claimable(item, reviewer_id, at)]
        return sorted(waiting, key=lambda item: (item["priority"], item["sla_due_at"], item["queued_at"]))

    async def claim_window(self, reviewer_id: str, at: datetime, front: OrderKey | None, limit: int) -> list[Doc]:
        await round_trip()
        found = self._in_claim_order(reviewer_id, at)
        if front is not None:
            found = [item for item in found if order_key(item) <= front]
        return copy.deepcopy(found[:limit])

    async def waiting(self, reviewer_id: str, at: datetime, limit: int = 50) -> list[Doc]:
        await round_trip()
        return copy.deepcopy(self._in_claim_order(reviewer_id, at)[:limit])

    async def try_claim(self, review_id: str, claim: Claim, at: datetime, session: Any) -> Doc | None:
        await round_trip()
        item = self.items.get(review_id)
        if item is None or not self._claimable(item, claim.reviewer_id, at):
            return None
        before = copy.deepcopy(item)
        item["claim"] = asdict(claim)
        return before

    def _claimed(self, review_id: str) -> tuple[Doc, Claim] | None:
        """A queued item and its claim (live or lapsed), if it has one."""
        item = self.items.get(review_id)
        claim = None if item is None else claim_of(item)
        if item is None or claim is None or item["status"] != ItemStatus.QUEUED.value:
            return None
        return item, claim

    async def renew(
        self, review_id: str, reviewer_id: str, expires_at: datetime, at: datetime, session: Any
    ) -> Doc | None:
        await round_trip()
        found = self._claimed(review_id)
        if found is None or found[1].reviewer_id != reviewer_id:  # a lapsed lease renews too
            return None
        found[0]["claim"]["expires_at"] = expires_at
        return copy.deepcopy(found[0])

    async def release(self, review_id: str, holder_id: str | None, at: datetime, session: Any) -> Doc | None:
        await round_trip()
        found = self._claimed(review_id)
        if found is None or not found[1].live(at) or holder_id not in (None, found[1].reviewer_id):
            return None
        before = copy.deepcopy(found[0])
        found[0]["claim"] = None
        return before

    async def record_decision(
        self, review_id: str, reviewer_id: str, decision: Doc, at: datetime, session: Any
    ) -> Doc | None:
        await round_trip()
        found = self._claimed(review_id)
        if found is None or not found[1].held_by(reviewer_id, at):
            return None
        found[0].update(status=ItemStatus.DECIDED.value, decision=decision, decided_at=at, claim=None)
        return copy.deepcopy(found[0])

    async def append_audit(
        self,
        review_id: str,
        action: str,
        actor: dict[str, str],
        address: str | None,
        at: datetime,
        details: Doc | None = None,
        session: Any = None,
    ) -> None:
        await round_trip()
        self.audit.append(
            {
                "review_id": review_id,
                "action": action,
                "actor": actor,
                "address": address,
                "at": at,
                "details": details or {},
            }
        )

    async def history(self, review_id: str) -> list[Doc]:
        await round_trip()
        return [copy.deepcopy(entry) for entry in self.audit if entry["review_id"] == review_id]


class FakeClassificationStore:
    """review.classification_requests, invoices, payment_issues, exam_results, counters (fees/store.py)."""

    def __init__(self) -> None:
        self.requests: dict[str, Doc] = {}
        self.invoices: dict[str, Doc] = {}
        self.payment_issues: dict[str, Doc] = {}
        self.exam_results: dict[str, Doc] = {}
        self.sequences: dict[int, int] = {}

    async def get_request(self, request_id: str, session: Any = None) -> Doc | None:
        await round_trip()
        return copy.deepcopy(self.requests.get(request_id))

    async def record_request(self, request: Doc, session: Any) -> Doc | None:
        await round_trip()
        existing = self.requests.setdefault(request["_id"], {"_id": request["_id"]})
        if existing.get("status"):
            return None
        existing.update(copy.deepcopy(request))
        return copy.deepcopy(existing)

    async def record_document(self, request_id: str, submission_id: str, result: Doc, session: Any) -> Doc:
        await round_trip()
        request = self.requests.setdefault(request_id, {"_id": request_id})
        request.setdefault("checked", {})[submission_id] = copy.deepcopy(result)
        return copy.deepcopy(request)

    async def move_request(
        self,
        request_id: str,
        from_status: RequestStatus | tuple[RequestStatus, ...],
        to_status: RequestStatus,
        at: datetime,
        session: Any,
    ) -> Doc | None:
        await round_trip()
        allowed = {s.value for s in (from_status if isinstance(from_status, tuple) else (from_status,))}
        request = self.requests.get(request_id)
        if request is None or request.get("status") not in allowed:
            return None
        request.update({"status": to_status.value, f"{to_status.value}_at": at})
        return copy.deepcopy(request)

    async def next_bill_sequence(self, year: int, session: Any) -> int:
        await round_trip()
        self.sequences[year] = self.sequences.get(year, 0) + 1
        return self.sequences[year]

    async def insert_invoice(self, invoice: Doc, session: Any) -> None:
        await round_trip()
        assert all(i["bill_number"] != invoice["bill_number"] for i in self.invoices.values()), "unique bill_number"
        self.invoices[invoice["_id"]] = copy.deepcopy(invoice)

    async def get_invoice(self, invoice_id: str, session: Any = None) -> Doc | None:
        await round_trip()
        return copy.deepcopy(self.invoices.get(invoice_id))

    async def invoice_by_bill(self, bill_number: str, session: Any = None) -> Doc | None:
        await round_trip()
        return copy.deepcopy(next((i for i in self.invoices.values() if i["bill_number"] == bill_number), None))

    def _unpaid(self, invoice_id: str) -> Doc | None:
        invoice = self.invoices.get(invoice_id)
        return invoice if invoice is not None and invoice["status"] == InvoiceStatus.UNPAID.value else None

    async def expire(self, invoice_id: str, at: datetime, session: Any) -> Doc | None:
        await round_trip()
        invoice = self._unpaid(invoice_id)
        if invoice is None or invoice["due_at"] > at:
            return None
        invoice.update(status=InvoiceStatus.EXPIRED.value, expired_at=at)
        return copy.deepcopy(invoice)

    async def mark_paid(self, invoice_id: str, payment: Doc, at: datetime, session: Any) -> Doc | None:
        await round_trip()
        invoice = self._unpaid(invoice_id)
        if invoice is None:
            return None
        invoice.update(
            status=InvoiceStatus.PAID.value, payment=payment, paid_at=payment["paid_at"], payment_recorded_at=at
        )
        return copy.deepcopy(invoice)

    async def mark_reminded(
        self, invoice_id: str, hours_before: int, settles: tuple[int, ...], session: Any
    ) -> Doc | None:
        await round_trip()
        invoice = self._unpaid(invoice_id)
        if invoice is None or hours_before in invoice["reminders_sent"]:
            return None
        invoice["reminders_sent"] += [h for h in settles if h not in invoice["reminders_sent"]]
        return copy.deepcopy(invoice)

    def _unpaid_by_deadline(self) -> list[Doc]:
        unpaid = [i for i in self.invoices.values() if i["status"] == InvoiceStatus.UNPAID.value]
        return sorted(unpaid, key=lambda invoice: invoice["due_at"])

    async def due_unpaid(self, at: datetime) -> list[str]:
        await round_trip()
        return [i["_id"] for i in self._unpaid_by_deadline() if i["due_at"] <= at]

    async def unpaid_due_within(self, at: datetime, horizon: timedelta) -> list[Doc]:
        await round_trip()
        return copy.deepcopy([i for i in self._unpaid_by_deadline() if at < i["due_at"] <= at + horizon])

    async def unpaid(self) -> list[Doc]:
        await round_trip()
        return copy.deepcopy(self._unpaid_by_deadline())

    async def awaiting_payment(self) -> tuple[int, datetime | None]:
        await round_trip()
        unpaid = self._unpaid_by_deadline()
        return len(unpaid), unpaid[0]["due_at"] if unpaid else None

    async def record_issue(self, issue: Doc, session: Any) -> bool:
        await round_trip()
        if issue["_id"] in self.payment_issues:
            return False
        self.payment_issues[issue["_id"]] = copy.deepcopy(issue)
        return True

    async def issues(self, filters: IssueFilter) -> tuple[list[Doc], int]:
        await round_trip()
        query = filters.query()
        found = [i for i in self.payment_issues.values() if all(i.get(k) == v for k, v in query.items())]
        found.sort(key=lambda issue: issue["recorded_at"], reverse=True)
        return copy.deepcopy(found[filters.offset : filters.offset + filters.limit]), len(found)

    async def save_exam_result(self, result: Doc, session: Any) -> None:
        await round_trip()
        self.exam_results[result["_id"]] = copy.deepcopy(result)

    def _results_of(self, candidate_ref: str, exams: list[str]) -> list[Doc]:
        return [r for r in self.exam_results.values() if r["candidate_ref"] == candidate_ref and r["exam"] in exams]

    async def exam_outcomes(self, candidate_ref: str, exams: list[str], session: Any = None) -> list[ExamResult]:
        await round_trip()
        return [ExamResult(r["exam"], bool(r["passed"])) for r in self._results_of(candidate_ref, exams)]

    async def exam_details(self, candidate_ref: str, exams: list[str]) -> list[Doc]:
        await round_trip()
        newest_first = sorted(self._results_of(candidate_ref, exams), key=lambda r: r["taken_on"], reverse=True)
        return copy.deepcopy(newest_first)


class FakeCertificateExpiries:
    """review.certificate_expiries as ApprovedCertificates writes it."""

    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}

    async def record(self, doc: Doc, session: Any) -> bool:
        if doc["_id"] in self.docs:
            return False
        self.docs[doc["_id"]] = doc
        return True


class FakeInvoiceClock:
    """The deadline clock (fees/scheduler.py) as FeeEvents sees it: what it was told."""

    def __init__(self) -> None:
        self.planned: list[str] = []  # invoice ids
        self.forgotten: list[str] = []

    def plan(self, invoice: Doc) -> None:
        self.planned.append(invoice["_id"])

    def forget(self, invoice_id: str) -> None:
        self.forgotten.append(invoice_id)


class Review:
    """Review's use cases as app.py assembles them, over fake stores and a fake unit of work, reading
    the time from `time` (stop_the_clock)."""

    def __init__(self, settings: Settings, time: Clock) -> None:
        self.time = time
        self.uow = FakeUnitOfWork()
        self.queue_store = FakeReviewStore()
        self.fee_store = FakeClassificationStore()
        self.classifications = ClassificationReview(self.fee_store, self.uow, settings)  # type: ignore[arg-type]
        self.expiries = FakeCertificateExpiries()
        approvals = ApprovedCertificates(self.expiries)  # type: ignore[arg-type]
        self.desk = ReviewDesk(self.queue_store, self.uow, settings, self.classifications, approvals)  # type: ignore[arg-type]
        self.fees = FeeDesk(self.fee_store, self.desk, self.uow, settings)  # type: ignore[arg-type]
        self.deadlines = FakeInvoiceClock()
        self.registry = CollectorRegistry()
        self.metrics = FeeMetrics(self.registry, self.fee_store)  # type: ignore[arg-type]
        self.events = FeeEvents(self.uow, self.fees, self.classifications, self.deadlines, self.metrics)  # type: ignore[arg-type]
