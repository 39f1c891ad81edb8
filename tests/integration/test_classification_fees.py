"""Classification fees on the real broker and database: invoice, payment, deadline, reminders,
refused payments, exams and the decision.

The review service runs in this process: its real FastAPI application with its lifespan (broker,
consumers, outbox relay, the deadline scheduler), reached over ASGI. Upstream events
(classification.requested, submission.validated, gov.payments, gov.exams) are produced onto the
topics as their producers send them. Deadlines are seconds long here (fee_deadline_s) and an
"hour" of the reminder schedule is 0.3 s, so the 12 h and 1 h reminders fall 3.6 s and 0.3 s
before the deadline.

This module runs on a stack of its own: a shared stack's review processes (the end-to-end suite)
would compete for the same consumer group with 24-hour deadlines.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from mumaris.clock import now
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from services.review.app import create_app
from services.review.fees.rules import bill_number_well_formed
from services.review.fees.service import FeeDesk
from tests.fee_support import ClassificationCase, Published, bodies, payment, publish
from tests.support import eventually, read_all, settings_for, unique, wait_consumed

pytestmark = pytest.mark.integration

DEADLINE_S = 5
REMINDER_HOUR_S = 0.3


@dataclass
class Review:
    stack: StackInfo
    settings: Settings
    http: httpx.AsyncClient
    fees: FeeDesk

    @property
    def bootstrap(self) -> str:
        return self.stack.kafka_bootstrap

    def case(self, **overrides: Any) -> ClassificationCase:
        return ClassificationCase(self.settings, **overrides)

    def auth(self, role: str = "reviewer") -> dict[str, str]:
        who = Principal(id=unique(role), role=role, name=f"{role.title()} Khalid", email=f"{role}@scfhs.local")  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    async def invoice_of(self, case: ClassificationCase) -> dict[str, Any]:
        return await eventually(
            lambda: self.fees.store.invoices.find_one({"request_id": case.request_id}),
            timeout=20,
            what=f"an invoice for {case.request_id}",
        )

    async def request_of(self, case: ClassificationCase) -> dict[str, Any]:
        found = await self.fees.store.get_request(case.request_id)
        assert found is not None
        return found

    async def reach(self, case: ClassificationCase, status: str, timeout: float = 20) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found = await self.fees.store.get_request(case.request_id)
            return found if found and found.get("status") == status else None

        return await eventually(probe, timeout=timeout, what=f"{case.request_id} to be {status}")

    async def events(
        self, topic: topics.Topic, about: ClassificationCase | str, count: int = 1, timeout: float = 20
    ) -> list[dict[str, Any]]:
        """Wait until `count` events about the request (a case or its id) are on the topic; then
        they are returned."""
        request_id = about if isinstance(about, str) else about.request_id

        async def probe() -> list[dict[str, Any]] | None:
            found = await bodies(self.bootstrap, topic, request_id)
            return found if len(found) >= count else None

        return await eventually(probe, timeout=timeout, what=f"{count} {topic.name} for {request_id}")

    async def consumed(self, published: Published) -> None:
        await wait_consumed(self.bootstrap, "review", published.topic, published.partition, published.offset)

    async def pay(self, bill: str, amount: Decimal | str, **options: Any) -> Published:
        event_id = options.pop("event_id", None)
        return await publish(
            self.bootstrap,
            topics.GOV_PAYMENTS,
            payment(bill, amount, **options),
            source="/gov/sadad",
            event_id=event_id,
        )

    async def issues(self, bill: str) -> list[dict[str, Any]]:
        answer = await self.http.get(
            "/v1/review/payment-issues", params={"bill_number": bill}, headers=self.auth("supervisor")
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    async def invoiced(self, case: ClassificationCase) -> dict[str, Any]:
        await case.send_request_and_documents(self.bootstrap)
        return await self.invoice_of(case)

    async def decide(
        self, review_id: str, decision: dict[str, Any], reviewer: dict[str, str] | None = None
    ) -> httpx.Response:
        """Claim the item (again, for the same reviewer: no error) and decide."""
        reviewer = reviewer or self.auth()
        claimed = await self.http.post(f"/v1/review/{review_id}/claim", headers=reviewer)
        assert claimed.status_code == 200, claimed.text
        return await self.http.post(f"/v1/review/{review_id}/decision", headers=reviewer, json=decision)

    async def queued_item(self, case: ClassificationCase) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            answer = await self.http.get(f"/v1/review/{case.request_id}", headers=self.auth())
            return answer.json() if answer.status_code == 200 else None

        return await eventually(probe, timeout=20, what=f"{case.request_id} in the review queue")


@pytest.fixture(scope="module")
async def review(own_stack: StackInfo) -> AsyncIterator[Review]:
    settings = settings_for(
        own_stack,
        mongo_db=unique("fees"),
        fee_deadline_s=DEADLINE_S,
        fee_reminder_hour_s=REMINDER_HOUR_S,
        fee_sweep_s=0.5,
        outbox_poll_s=0.1,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://review", timeout=30) as http:
            yield Review(own_stack, settings, http, app.state.runtime.provided["fees"])


async def test_paid_in_time_goes_to_review_and_its_approval_changes_the_classification(review: Review) -> None:
    case = review.case()
    first, second = case.documents
    # The documents travel another topic than the request: one result arrives before it.
    await publish(review.bootstrap, topics.SUBMISSION_VALIDATED, case.validated(first))
    await publish(review.bootstrap, topics.CLASSIFICATION_REQUESTED, case.requested())
    await review.reach(case, "awaiting_documents")
    assert await review.fees.store.invoices.find_one({"request_id": case.request_id}) is None
    await publish(review.bootstrap, topics.SUBMISSION_VALIDATED, case.validated(second))

    invoice = await review.invoice_of(case)
    assert invoice["amount"] == "600.00" and invoice["status"] == "unpaid"  # the catalogue's fee
    assert bill_number_well_formed(invoice["bill_number"])
    assert invoice["due_at"] - invoice["issued_at"] == timedelta(seconds=DEADLINE_S)
    [invoiced] = await review.events(topics.FEE_INVOICED, case)
    assert (invoiced["bill_number"], invoiced["amount"]) == (invoice["bill_number"], "600.00")
    assert (await review.request_of(case))["status"] == "awaiting_payment"

    await publish(review.bootstrap, topics.GOV_EXAMS, case.exam("SNLE", passed=True, score=82))
    await review.pay(invoice["bill_number"], "600.00")
    item = await review.queued_item(case)
    assert item["kind"] == "classification" and item["state"] == "waiting"
    assert item["classification"]["target"]["code"] == "nursing.specialist"
    assert [(d["document_type"], d["submission_id"]) for d in item["documents"]] == list(case.documents.items())
    assert all(d["file"] and d["findings"] for d in item["documents"])  # kept from the validator's results
    assert item["invoice"]["bill_number"] == invoice["bill_number"]
    assert (await review.request_of(case))["status"] == "in_review"
    [queued] = await review.events(topics.REVIEW_QUEUED, case)
    assert queued["kind"] == "classification"

    async def exams_shown() -> list[dict[str, Any]] | None:
        exams = (await review.queued_item(case))["exams"]
        return exams if exams and exams[0]["standing"] == "passed" else None

    [snle] = await eventually(exams_shown, what="the SNLE result on the item")
    assert (snle["exam"], snle["score"], snle["taken_on"]) == ("SNLE", 82, "2026-10-01")

    approved = await review.decide(case.request_id, {"decision": "approve"})
    assert approved.status_code == 200, approved.text
    [changed] = await review.events(topics.CLASSIFICATION_CHANGED, case)
    assert changed["previous"]["code"] == "nursing.technician"
    assert changed["classification"]["code"] == "nursing.specialist"
    assert changed["practitioner"]["id"] == case.practitioner.id
    [decided] = await review.events(topics.REVIEW_DECIDED, case)
    assert (decided["kind"], decided["decision"]) == ("classification", "approve")
    assert (await review.request_of(case))["status"] == "approved"
    assert (await review.fees.store.get_invoice(invoice["_id"]))["status"] == "paid"  # type: ignore[index]


async def test_approval_is_refused_while_a_required_exam_is_missing_or_failed(review: Review) -> None:
    case = review.case(target="nursing.senior_specialist", current="nursing.specialist")  # SNLE and PROMOTION
    invoice = await review.invoiced(case)
    await review.pay(invoice["bill_number"], "900.00")
    await review.queued_item(case)
    await publish(review.bootstrap, topics.GOV_EXAMS, case.exam("SNLE", passed=True))
    await publish(review.bootstrap, topics.GOV_EXAMS, case.exam("PROMOTION", passed=False))

    async def standings() -> dict[str, str] | None:
        exams = {e["exam"]: e["standing"] for e in (await review.queued_item(case))["exams"]}
        return exams if exams == {"SNLE": "passed", "PROMOTION": "failed"} else None

    await eventually(standings, what="both exam results on the item")
    before = await review.fees.desk.store.get(case.request_id)

    reviewer = review.auth()
    refused = await review.decide(case.request_id, {"decision": "approve"}, reviewer)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["details"]) == ("review.exam_missing", {"missing": ["PROMOTION"]})
    assert error["message"]["ar"] and error["message"]["en"]
    after = await review.fees.desk.store.get(case.request_id)
    assert {**after, "claim": None} == {**before, "claim": None}  # type: ignore[dict-item]  # nothing but the claim
    assert (await review.request_of(case))["status"] == "in_review"
    outbox = review.fees.uow.outbox.collection
    assert (
        await outbox.count_documents(
            {"key": case.request_id, "topic": {"$in": [topics.REVIEW_DECIDED.name, topics.CLASSIFICATION_CHANGED.name]}}
        )
        == 0
    )
    assert await bodies(review.bootstrap, topics.CLASSIFICATION_CHANGED, case.request_id) == []

    # Rejecting needs no exams.
    rejected = await review.decide(
        case.request_id,
        {"decision": "reject", "reason_codes": ["other"], "reason": "The promotion exam is not passed."},
        reviewer,
    )
    assert rejected.status_code == 200, rejected.text
    await review.reach(case, "rejected")
    [decided] = await review.events(topics.REVIEW_DECIDED, case)
    assert decided["decision"] == "reject"
    assert await bodies(review.bootstrap, topics.CLASSIFICATION_CHANGED, case.request_id) == []


async def test_an_unpaid_invoice_lapses_at_its_deadline_after_reminders_at_12_and_1_hours(review: Review) -> None:
    case = review.case(target="nursing.technician", current=None)
    invoice = await review.invoiced(case)
    due = invoice["due_at"]

    [lapsed] = await review.events(topics.CLASSIFICATION_LAPSED, case, timeout=DEADLINE_S + 15)
    assert lapsed["reason"] == "fee_unpaid" and lapsed["classification"]["code"] == "nursing.technician"
    assert lapsed["_ce_time"] >= due
    [expired] = await review.events(topics.FEE_EXPIRED, case)
    assert expired["bill_number"] == invoice["bill_number"]
    stored = await review.fees.store.get_invoice(invoice["_id"])
    assert stored is not None and stored["status"] == "expired" and stored["expired_at"] >= due
    assert (await review.request_of(case))["status"] == "lapsed"

    reminders = await review.events(topics.FEE_REMINDER, case, count=2)
    assert [r["hours_before"] for r in reminders] == [12, 1]
    for reminder in reminders:  # each at its moment, before the deadline
        moment = due - timedelta(seconds=reminder["hours_before"] * REMINDER_HOUR_S)
        assert moment <= reminder["_ce_time"] < due, reminder
    assert (await review.fees.store.get_invoice(invoice["_id"]))["reminders_sent"] == [12, 1]  # type: ignore[index]


async def test_a_payment_one_second_after_the_expiry_is_refused_and_flagged(review: Review) -> None:
    case = review.case(target="pharmacy.technician", current=None)
    invoice = await review.invoiced(case)
    bill = invoice["bill_number"]
    await review.events(topics.FEE_EXPIRED, case, timeout=DEADLINE_S + 15)
    expired = await review.fees.store.get_invoice(invoice["_id"])
    assert expired is not None

    await review.consumed(
        await review.pay(bill, "300.00", paid_at=expired["expired_at"] + timedelta(seconds=1), reference="SADAD-LATE")
    )
    # Made in time, but it reached us after the expiry: refused too, and marked so for operations.
    await review.consumed(
        await review.pay(bill, "300.00", paid_at=invoice["due_at"] - timedelta(seconds=1), reference="SADAD-SLOW")
    )

    issues = {i["payment"]["payment_reference"]: i for i in await review.issues(bill)}
    assert {i["kind"] for i in issues.values()} == {"late_payment"}
    assert issues["SADAD-LATE"]["details"]["paid_in_time"] is False
    assert issues["SADAD-SLOW"]["details"]["paid_in_time"] is True
    assert issues["SADAD-LATE"]["invoice_status"] == "expired"
    answer = await review.http.get(f"/v1/review/invoices/{bill}", headers=review.auth("supervisor"))
    assert answer.status_code == 200
    assert answer.json()["status"] == "expired" and len(answer.json()["issues"]) == 2
    assert (await review.request_of(case))["status"] == "lapsed"
    assert await review.fees.desk.store.get(case.request_id) is None  # never queued for review


async def test_a_wrong_amount_is_flagged_and_leaves_the_invoice_open(review: Review) -> None:
    case = review.case()
    invoice = await review.invoiced(case)
    bill = invoice["bill_number"]
    await review.consumed(await review.pay(bill, "599.99", reference="SADAD-SHORT"))

    [issue] = await review.issues(bill)
    assert (issue["kind"], issue["payment"]["amount"], issue["details"]["expected_amount"]) == (
        "wrong_amount",
        "599.99",
        "600.00",
    )
    assert (await review.fees.store.get_invoice(invoice["_id"]))["status"] == "unpaid"  # type: ignore[index]

    await review.pay(bill, "600", reference="SADAD-RIGHT")  # the right amount still settles it
    await review.reach(case, "in_review")
    assert (await review.fees.store.get_invoice(invoice["_id"]))["payment"]["payment_reference"] == "SADAD-RIGHT"  # type: ignore[index]


async def test_a_payment_for_an_unknown_bill_is_recorded_for_operations_and_counted(review: Review) -> None:
    bill = "SC-2026-9999998"  # one digit off a valid number
    await review.consumed(await review.pay(bill, "600.00", reference="SADAD-STRAY"))

    [issue] = await review.issues(bill)
    assert (issue["kind"], issue["invoice_id"], issue["details"]) == (
        "unknown_bill",
        None,
        {"bill_number_well_formed": False},
    )
    by_kind = await review.http.get(
        "/v1/review/payment-issues", params={"kind": "unknown_bill"}, headers=review.auth("supervisor")
    )
    assert bill in [i["bill_number"] for i in by_kind.json()["items"]]
    assert (await review.http.get(f"/v1/review/invoices/{bill}", headers=review.auth("supervisor"))).status_code == 404
    assert (await review.http.get("/v1/review/payment-issues", headers=review.auth())).status_code == 403
    bad = await review.http.get(
        "/v1/review/payment-issues", params={"kind": "nonsense"}, headers=review.auth("supervisor")
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "request.invalid")
    # Nothing was dead-lettered: a refused payment is a business outcome, not a broken record.
    assert [r for r in await read_all(review.bootstrap, topics.GOV_PAYMENTS.dlq) if r.key == bill.encode()] == []

    metrics = (await review.http.get("/metrics")).text
    assert 'mumaris_fee_payment_issues_total{kind="unknown_bill"} 1.0' in metrics
    assert "mumaris_fee_invoices_awaiting_payment" in metrics and "mumaris_fee_next_deadline_seconds" in metrics


async def test_a_duplicate_payment_event_takes_effect_once_and_a_second_payment_is_flagged(review: Review) -> None:
    case = review.case()
    invoice = await review.invoiced(case)
    bill = invoice["bill_number"]
    paid_at = now()
    await review.pay(bill, "600.00", reference="SADAD-ONE", paid_at=paid_at, event_id="pay-" + case.request_id)
    await review.reach(case, "in_review")

    # The same CloudEvent again, the same payment under a new event id, then another payment.
    await review.consumed(
        await review.pay(bill, "600.00", reference="SADAD-ONE", paid_at=paid_at, event_id="pay-" + case.request_id)
    )
    await review.consumed(await review.pay(bill, "600.00", reference="SADAD-ONE", paid_at=paid_at))
    assert await review.issues(bill) == []
    await review.consumed(await review.pay(bill, "600.00", reference="SADAD-TWO"))

    [issue] = await review.issues(bill)
    assert (issue["kind"], issue["payment"]["payment_reference"], issue["details"]["settled_by"]) == (
        "duplicate_payment",
        "SADAD-TWO",
        "SADAD-ONE",
    )
    assert len(await review.events(topics.REVIEW_QUEUED, case)) == 1
    assert (await review.fees.store.get_invoice(invoice["_id"]))["payment"]["payment_reference"] == "SADAD-ONE"  # type: ignore[index]


async def test_a_failed_document_ends_the_request_without_an_invoice(review: Review) -> None:
    case = review.case()
    first, second = case.documents
    await publish(review.bootstrap, topics.SUBMISSION_REJECTED, case.rejected(first))  # before the request
    await publish(review.bootstrap, topics.CLASSIFICATION_REQUESTED, case.requested())
    published = await publish(review.bootstrap, topics.SUBMISSION_VALIDATED, case.validated(second))
    await review.reach(case, "validation_failed")
    await review.consumed(published)
    assert await review.fees.store.invoices.find_one({"request_id": case.request_id}) is None


async def test_a_payment_racing_the_deadline_ends_in_exactly_one_outcome(review: Review) -> None:
    """The payment and the expiry meet on one conditional update of the invoice: whichever
    commits first wins, the other finds the invoice changed. Here they are started together at
    the deadline (with the service's own expiry job and sweep joining in)."""
    cases = [review.case(target="medicine.technician", current=None) for _ in range(3)]
    invoices = await asyncio.gather(*(review.invoiced(c) for c in cases))
    due = max(i["due_at"] for i in invoices)

    async def deadline_passed() -> bool:
        return now() >= due

    await eventually(deadline_passed, timeout=DEADLINE_S + 5, what="the deadline")

    async def pay_now(invoice: dict[str, Any]) -> Any:
        """Paid at the last permitted moment, applied as the consumer applies gov.payments."""
        event = payment(invoice["bill_number"], invoice["amount"], paid_at=invoice["due_at"], reference=unique("SADAD"))
        event_id = unique("race")
        return await review.fees.uow.apply_once(
            event_id, topics.GOV_PAYMENTS.ce_type, lambda session: review.fees.apply_payment(event, event_id, session)
        )

    results = await asyncio.gather(*(x for i in invoices for x in (review.fees.expire(i["_id"]), pay_now(i))))
    for case, invoice, (expired_here, paid) in zip(
        cases, invoices, zip(results[::2], results[1::2], strict=True), strict=True
    ):
        final = await review.fees.store.get_invoice(invoice["_id"])
        assert final is not None
        issues = await review.issues(invoice["bill_number"])
        if final["status"] == "paid":
            assert paid.verdict == "accept" and not expired_here and issues == []
            await review.reach(case, "in_review")
        else:
            assert final["status"] == "expired" and paid.verdict == "late_payment"
            assert [i["details"]["paid_in_time"] for i in issues] == [True]
            await review.reach(case, "lapsed")
            assert len(await review.events(topics.FEE_EXPIRED, case)) == 1
    await asyncio.sleep(1)  # a sweep or two later nothing more has been published
    for case, invoice in zip(cases, invoices, strict=True):
        expected = 0 if (await review.fees.store.get_invoice(invoice["_id"]))["status"] == "paid" else 1  # type: ignore[index]
        assert len(await bodies(review.bootstrap, topics.FEE_EXPIRED, case.request_id)) == expected
        assert len(await bodies(review.bootstrap, topics.CLASSIFICATION_LAPSED, case.request_id)) == expected


async def test_concurrent_reminders_and_expiries_each_take_effect_once(review: Review) -> None:
    """Many replicas' worth of callers at once on the same invoices (each call its own transaction,
    the service's own jobs and sweep joining in): one reminder per moment, one expiry per invoice."""
    at = now()
    invoices = [
        {
            "_id": unique("inv"),
            "bill_number": unique("SC-TEST"),
            "request_id": unique("req"),
            "practitioner": {"id": unique("prac"), "name": "Dr. Test", "email": "t@example.sa", "locale": "en"},
            "classification": {"code": "nursing.technician", "label": {"ar": "فني تمريض", "en": "Nursing Technician"}},
            "amount": "300.00",
            "currency": "SAR",
            "issued_at": at - timedelta(seconds=10),
            # the 12 h reminder (3.6 s before) has come, the 1 h one (0.3 s before) not yet
            "due_at": at + timedelta(seconds=3),
            "status": "unpaid",
            "reminder_hours": [12, 1],
            "reminders_sent": [],
            "payment": None,
            "paid_at": None,
            "expired_at": None,
        }
        for _ in range(8)
    ]
    await review.fees.store.invoices.insert_many(invoices)
    ids = [i["_id"] for i in invoices]

    sent = await asyncio.gather(*(review.fees.remind(i) for i in ids for _ in range(4)))
    await review.fees.store.invoices.update_many({"_id": {"$in": ids}}, {"$set": {"due_at": now()}})
    expired = await asyncio.gather(*(review.fees.expire(i) for i in ids for _ in range(4)))

    for invoice_id in ids:
        stored = await review.fees.store.get_invoice(invoice_id)
        assert stored is not None and stored["status"] == "expired" and stored["reminders_sent"] == [12]
    assert sent.count(12) <= len(ids) and sum(expired) <= len(ids)  # the service's own sweep may win some
    for invoice in invoices:
        [_] = await review.events(topics.FEE_EXPIRED, invoice["request_id"])  # published after the reminder
        reminders = await bodies(review.bootstrap, topics.FEE_REMINDER, invoice["request_id"])
        assert [r["hours_before"] for r in reminders] == [12], invoice["_id"]
