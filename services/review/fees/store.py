"""Review's collections for classification requests, their invoices, payments and exam results.

`review.classification_requests` — one per request (`_id` request id): what was asked, and the
    validator's result for each of its documents (`checked`, keyed by submission id). A document's
    result may arrive before its request: it creates the document, which the request fills in
    later. Both write this one document, so the two can never miss each other: of two concurrent
    transactions one hits a write conflict and is retried after the other committed.
`review.invoices` — one per request; `bill_number` unique. Every change of `status` is a
    conditional update from `unpaid`, the single point where a payment and the deadline meet.
`review.payment_issues` — payments refused for operations to handle (`_id` bill + payment
    reference, so one payment is one issue however often it is delivered).
`review.exam_results` — results from the testing provider, keyed by their `result_id`, with the
    candidate's `candidate_ref` (an HMAC) and never the ID number.
`review.counters` — the per-year bill sequence.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.review.fees.rules import ExamResult, InvoiceStatus, PaymentVerdict, RequestStatus

Doc = dict[str, Any]


@dataclass(frozen=True)
class IssueFilter:
    """What a supervisor narrows payment issues by; None means "any"."""

    kind: PaymentVerdict | None = None
    bill_number: str | None = None
    limit: int = 50
    offset: int = 0

    def query(self) -> Doc:
        query: Doc = {}
        if self.kind is not None:
            query["kind"] = self.kind.value
        if self.bill_number:
            query["bill_number"] = self.bill_number
        return query


class ClassificationStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.requests = db["review.classification_requests"]
        self.invoices = db["review.invoices"]
        self.payment_issues = db["review.payment_issues"]
        self.exam_results = db["review.exam_results"]
        self.counters = db["review.counters"]

    async def ensure_indexes(self) -> None:
        await self.invoices.create_index([("bill_number", ASCENDING)], unique=True)
        await self.invoices.create_index([("request_id", ASCENDING)], unique=True)
        await self.invoices.create_index([("status", ASCENDING), ("due_at", ASCENDING)])
        await self.payment_issues.create_index([("recorded_at", DESCENDING)])
        await self.payment_issues.create_index([("bill_number", ASCENDING)])
        await self.exam_results.create_index([("candidate_ref", ASCENDING), ("exam", ASCENDING)])
        await self.requests.create_index([("practitioner.id", ASCENDING)])

    # --- requests ------------------------------------------------------------------------------

    async def get_request(self, request_id: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.requests.find_one({"_id": request_id}, session=session)

    async def record_request(self, request: Doc, session: AsyncClientSession) -> Doc | None:
        """Fill in a request (its document results may be there already); None when it was
        recorded before."""
        existing = await self.requests.find_one({"_id": request["_id"]}, {"status": 1}, session=session)
        if existing is not None and existing.get("status"):
            return None
        fields = {k: v for k, v in request.items() if k != "_id"}
        return await self.requests.find_one_and_update(
            {"_id": request["_id"]},
            {"$set": fields},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def record_document(
        self, request_id: str, submission_id: str, result: Doc, session: AsyncClientSession
    ) -> Doc:
        """Keep a document's validation result with its request (creating the request's document
        when the result arrives first); returns the request as it is now."""
        doc = await self.requests.find_one_and_update(
            {"_id": request_id},
            {"$set": {f"checked.{submission_id}": result}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert doc is not None  # upserted
        return doc

    async def move_request(
        self,
        request_id: str,
        from_status: RequestStatus | tuple[RequestStatus, ...],
        to_status: RequestStatus,
        at: datetime,
        session: AsyncClientSession,
    ) -> Doc | None:
        """The conditional step of a request's life; None when it was not in `from_status`."""
        allowed = [s.value for s in (from_status if isinstance(from_status, tuple) else (from_status,))]
        return await self.requests.find_one_and_update(
            {"_id": request_id, "status": {"$in": allowed}},
            {"$set": {"status": to_status.value, f"{to_status.value}_at": at}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    # --- invoices ------------------------------------------------------------------------------

    async def next_bill_sequence(self, year: int, session: AsyncClientSession) -> int:
        counter = await self.counters.find_one_and_update(
            {"_id": f"bill-{year}"},
            {"$inc": {"sequence": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert counter is not None
        return int(counter["sequence"])

    async def insert_invoice(self, invoice: Doc, session: AsyncClientSession) -> None:
        await self.invoices.insert_one(invoice, session=session)

    async def get_invoice(self, invoice_id: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.invoices.find_one({"_id": invoice_id}, session=session)

    async def invoice_by_bill(self, bill_number: str, session: AsyncClientSession | None = None) -> Doc | None:
        return await self.invoices.find_one({"bill_number": bill_number}, session=session)

    async def expire(self, invoice_id: str, at: datetime, session: AsyncClientSession) -> Doc | None:
        """Unpaid and past due → expired. Of everyone trying (replicas, the payment) one wins."""
        return await self.invoices.find_one_and_update(
            {"_id": invoice_id, "status": InvoiceStatus.UNPAID.value, "due_at": {"$lte": at}},
            {"$set": {"status": InvoiceStatus.EXPIRED.value, "expired_at": at}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def mark_paid(self, invoice_id: str, payment: Doc, at: datetime, session: AsyncClientSession) -> Doc | None:
        """Unpaid → paid by this payment; None when the invoice is no longer unpaid."""
        return await self.invoices.find_one_and_update(
            {"_id": invoice_id, "status": InvoiceStatus.UNPAID.value},
            {
                "$set": {
                    "status": InvoiceStatus.PAID.value,
                    "payment": payment,
                    "paid_at": payment["paid_at"],
                    "payment_recorded_at": at,
                }
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def mark_reminded(
        self, invoice_id: str, hours_before: int, settles: tuple[int, ...], session: AsyncClientSession
    ) -> Doc | None:
        """Note that the `hours_before` reminder went out; None when someone already sent it
        (another replica) or the invoice is no longer unpaid."""
        return await self.invoices.find_one_and_update(
            {"_id": invoice_id, "status": InvoiceStatus.UNPAID.value, "reminders_sent": {"$ne": hours_before}},
            {"$addToSet": {"reminders_sent": {"$each": list(settles)}}},
            return_document=ReturnDocument.AFTER,
            session=session,
        )

    async def due_unpaid(self, at: datetime) -> list[str]:
        """Ids of unpaid invoices whose deadline has come."""
        cursor = self.invoices.find({"status": InvoiceStatus.UNPAID.value, "due_at": {"$lte": at}}, {"_id": 1})
        return [d["_id"] for d in await cursor.sort([("due_at", ASCENDING)]).to_list()]

    async def unpaid_due_within(self, at: datetime, horizon: timedelta) -> list[Doc]:
        """Unpaid invoices whose deadline is still ahead but within `horizon` (reminder candidates)."""
        query = {"status": InvoiceStatus.UNPAID.value, "due_at": {"$gt": at, "$lte": at + horizon}}
        return await self.invoices.find(query).sort([("due_at", ASCENDING)]).to_list()

    async def unpaid(self) -> list[Doc]:
        return await self.invoices.find({"status": InvoiceStatus.UNPAID.value}).sort([("due_at", ASCENDING)]).to_list()

    async def awaiting_payment(self) -> tuple[int, datetime | None]:
        """How many invoices wait for payment, and the nearest deadline among them."""
        query = {"status": InvoiceStatus.UNPAID.value}
        count = await self.invoices.count_documents(query)
        nearest = await self.invoices.find_one(query, {"due_at": 1}, sort=[("due_at", ASCENDING)])
        return count, None if nearest is None else nearest["due_at"]

    # --- payment issues ------------------------------------------------------------------------

    async def record_issue(self, issue: Doc, session: AsyncClientSession) -> bool:
        """False when this payment's issue is on record already (the same payment delivered again)."""
        if await self.payment_issues.find_one({"_id": issue["_id"]}, {"_id": 1}, session=session):
            return False
        await self.payment_issues.insert_one(issue, session=session)
        return True

    async def issues(self, filters: IssueFilter) -> tuple[list[Doc], int]:
        query = filters.query()
        total = await self.payment_issues.count_documents(query)
        cursor = self.payment_issues.find(query).sort([("recorded_at", DESCENDING), ("_id", ASCENDING)])
        return await cursor.skip(filters.offset).limit(filters.limit).to_list(), total

    # --- exam results --------------------------------------------------------------------------

    async def save_exam_result(self, result: Doc, session: AsyncClientSession) -> None:
        """A result the provider sends again under the same id (a correction) replaces the first."""
        await self.exam_results.replace_one({"_id": result["_id"]}, result, upsert=True, session=session)

    async def exam_outcomes(
        self, candidate_ref: str, exams: list[str], session: AsyncClientSession | None = None
    ) -> list[ExamResult]:
        cursor = self.exam_results.find(
            {"candidate_ref": candidate_ref, "exam": {"$in": exams}}, {"exam": 1, "passed": 1}, session=session
        )
        return [ExamResult(d["exam"], bool(d["passed"])) for d in await cursor.to_list()]

    async def exam_details(self, candidate_ref: str, exams: list[str]) -> list[Doc]:
        """The results themselves (score, date), newest first, for the reviewer."""
        cursor = self.exam_results.find({"candidate_ref": candidate_ref, "exam": {"$in": exams}})
        return await cursor.sort([("taken_on", DESCENDING)]).to_list()
