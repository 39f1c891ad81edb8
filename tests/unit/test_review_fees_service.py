"""The fees area's use cases (fees/service.py) with an in-memory unit of work and stores: no broker,
no database. Documents and the invoice, the deadline and its reminders, payments (in time, late,
wrong amount, duplicate, unknown bill) and exam results. The same flows run on the real stack in
tests/integration/test_classification_fees.py."""

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mumaris.identity import candidate_ref
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ClassificationRef, Localized, PaymentReceived
from services.review.fees.rules import InconsistentEvent, bill_number_well_formed
from tests.fee_support import ClassificationCase, payment
from tests.review_fakes import Review, cloud_event, stop_the_clock

SETTINGS = Settings(fee_deadline_s=24 * 3600, fee_reminder_hours=[12, 1])
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DEADLINE = timedelta(seconds=SETTINGS.fee_deadline_s)


@pytest.fixture
def review(monkeypatch: pytest.MonkeyPatch) -> Review:
    return Review(SETTINGS, stop_the_clock(monkeypatch, T0))


def case(**overrides: Any) -> ClassificationCase:
    return ClassificationCase(SETTINGS, **overrides)


async def invoiced(review: Review, request: ClassificationCase) -> dict[str, Any]:
    await review.events.requested(request.requested(), cloud_event(topics.CLASSIFICATION_REQUESTED))
    for document_type in request.documents:
        await review.events.document_checked(request.validated(document_type), cloud_event(topics.SUBMISSION_VALIDATED))
    [invoice] = [i for i in review.fee_store.invoices.values() if i["request_id"] == request.request_id]
    return invoice


async def pay(review: Review, event: PaymentReceived, attrs: CloudEventAttributes | None = None) -> None:
    await review.events.paid(event, attrs or cloud_event(topics.GOV_PAYMENTS))


def request_status(review: Review, request: ClassificationCase) -> str:
    return str(review.fee_store.requests[request.request_id]["status"])


def issues(review: Review) -> dict[str, dict[str, Any]]:
    """Payment issues by payment reference."""
    return {i["payment"]["payment_reference"]: i for i in review.fee_store.payment_issues.values()}


def issue_count(review: Review, kind: str) -> float:
    return review.registry.get_sample_value("mumaris_fee_payment_issues_total", {"kind": kind}) or 0.0


async def test_a_request_is_invoiced_once_its_last_document_passes_whichever_arrives_first(review: Review) -> None:
    request = case()
    first, second = request.documents
    await review.events.document_checked(
        request.validated(first), cloud_event(topics.SUBMISSION_VALIDATED)
    )  # before the request
    await review.events.requested(request.requested(), cloud_event(topics.CLASSIFICATION_REQUESTED))
    assert request_status(review, request) == "awaiting_documents" and review.fee_store.invoices == {}

    await review.events.document_checked(request.validated(second), cloud_event(topics.SUBMISSION_VALIDATED))
    [invoice] = review.fee_store.invoices.values()
    assert (invoice["amount"], invoice["status"]) == ("600.00", "unpaid")  # the catalogue's fee
    assert bill_number_well_formed(invoice["bill_number"])
    assert invoice["due_at"] - invoice["issued_at"] == DEADLINE
    assert invoice["reminder_hours"] == [12, 1]
    [event] = review.uow.outbox.of(topics.FEE_INVOICED)
    assert (event.bill_number, event.amount, event.request_id) == (
        invoice["bill_number"],
        Decimal("600.00"),
        request.request_id,
    )
    assert request_status(review, request) == "awaiting_payment"
    assert review.deadlines.planned == [invoice["_id"]]  # the deadline clock was told


async def test_a_failed_document_ends_the_request_without_an_invoice(review: Review) -> None:
    request = case()
    first, second = request.documents
    await review.events.document_checked(request.rejected(first), cloud_event(topics.SUBMISSION_REJECTED))
    await review.events.requested(request.requested(), cloud_event(topics.CLASSIFICATION_REQUESTED))
    await review.events.document_checked(request.validated(second), cloud_event(topics.SUBMISSION_VALIDATED))
    assert request_status(review, request) == "validation_failed"
    assert review.fee_store.invoices == {} and review.deadlines.planned == []


async def test_an_event_the_fee_rules_cannot_place_is_inconsistent(review: Review) -> None:
    nowhere = ClassificationRef(code="dentistry.wizard", label=Localized(ar="ساحر", en="Wizard"))
    unknown = case().requested().model_copy(update={"target": nowhere})
    with pytest.raises(InconsistentEvent, match="unknown classification"):
        await review.events.requested(unknown, cloud_event(topics.CLASSIFICATION_REQUESTED))
    request = case()
    orphan = request.validated(next(iter(request.documents))).model_copy(update={"request_id": None})
    with pytest.raises(InconsistentEvent, match="needs its request_id"):
        await review.events.document_checked(orphan, cloud_event(topics.SUBMISSION_VALIDATED))
    assert review.uow.outbox.events == []


async def test_an_unpaid_invoice_expires_at_its_deadline_exactly_once(review: Review) -> None:
    request = case()
    invoice = await invoiced(review, request)
    assert await review.fees.expire(invoice["_id"]) is False  # not yet due
    review.time.advance(DEADLINE)

    expired = await asyncio.gather(*(review.fees.expire(invoice["_id"]) for _ in range(3)), review.fees.expire_due())
    assert sorted(expired) == [0, False, False, True]  # of every caller (jobs, sweeps, replicas) one wins
    assert review.fee_store.invoices[invoice["_id"]]["status"] == "expired"
    assert request_status(review, request) == "lapsed"
    [fee_expired] = review.uow.outbox.of(topics.FEE_EXPIRED)
    [lapsed] = review.uow.outbox.of(topics.CLASSIFICATION_LAPSED)
    assert (fee_expired.bill_number, lapsed.reason, lapsed.classification.code) == (
        invoice["bill_number"],
        "fee_unpaid",
        "nursing.specialist",
    )


async def test_reminders_go_out_once_each_at_12_and_1_hours_before_the_deadline(review: Review) -> None:
    invoice = await invoiced(review, case())
    assert await review.fees.send_due_reminders() == 0
    review.time.advance(DEADLINE - timedelta(hours=12))
    assert await review.fees.send_due_reminders() == 1
    assert await review.fees.remind(invoice["_id"]) is None  # a second job or replica finds it sent
    review.time.advance(timedelta(hours=11))
    assert await asyncio.gather(*(review.fees.remind(invoice["_id"]) for _ in range(3))) == [1, None, None]
    review.time.advance(timedelta(hours=1))
    assert await review.fees.send_due_reminders() == 0  # the deadline itself: expiry, not a reminder
    assert [r.hours_before for r in review.uow.outbox.of(topics.FEE_REMINDER)] == [12, 1]
    assert review.fee_store.invoices[invoice["_id"]]["reminders_sent"] == [12, 1]


async def test_after_an_outage_only_the_most_urgent_reminder_goes_out(review: Review) -> None:
    invoice = await invoiced(review, case())
    review.time.advance(DEADLINE - timedelta(minutes=30))  # both moments passed while nobody was running
    assert await review.fees.send_due_reminders() == 1
    [reminder] = review.uow.outbox.of(topics.FEE_REMINDER)
    assert reminder.hours_before == 1
    assert review.fee_store.invoices[invoice["_id"]]["reminders_sent"] == [1, 12]  # both settled


async def test_a_payment_in_time_for_the_exact_amount_sends_the_request_to_review(review: Review) -> None:
    request = case()
    invoice = await invoiced(review, request)
    review.time.advance(timedelta(hours=2))
    await pay(review, payment(invoice["bill_number"], "600", paid_at=review.time.now(), reference="SADAD-1"))

    paid = review.fee_store.invoices[invoice["_id"]]
    assert (paid["status"], paid["payment"]["payment_reference"]) == ("paid", "SADAD-1")
    assert request_status(review, request) == "in_review"
    item = review.queue_store.items[request.request_id]
    assert (item["kind"], item["status"], item["invoice"]["bill_number"]) == (
        "classification",
        "queued",
        invoice["bill_number"],
    )
    assert [d["submission_id"] for d in item["documents"]] == list(request.documents.values())
    assert [e.review_id for e in review.uow.outbox.of(topics.REVIEW_QUEUED)] == [request.request_id]
    assert review.deadlines.forgotten == [invoice["_id"]]  # no expiry job left for it
    assert review.fee_store.payment_issues == {}
    review.time.advance(DEADLINE)
    assert await review.fees.expire_due() == 0 and await review.fees.send_due_reminders() == 0


async def test_a_late_payment_is_refused_and_flagged_whether_or_not_the_expiry_ran(review: Review) -> None:
    early, late = case(target="nursing.technician", current=None), case(target="nursing.technician", current=None)
    in_time_but_expired, after_due = await invoiced(review, early), await invoiced(review, late)
    review.time.advance(DEADLINE + timedelta(seconds=1))
    await review.fees.expire(in_time_but_expired["_id"])
    # Made before the deadline, reaching us after the expiry; and made after the deadline, before any expiry ran.
    await pay(
        review, payment(in_time_but_expired["bill_number"], "300", paid_at=T0 + timedelta(hours=1), reference="SLOW")
    )
    await pay(review, payment(after_due["bill_number"], "300", paid_at=review.time.now(), reference="LATE"))

    found = issues(review)
    assert {i["kind"] for i in found.values()} == {"late_payment"}
    assert (found["SLOW"]["details"]["paid_in_time"], found["SLOW"]["invoice_status"]) == (True, "expired")
    assert (found["LATE"]["details"]["paid_in_time"], found["LATE"]["invoice_status"]) == (False, "unpaid")
    assert review.queue_store.items == {}  # never queued for review
    assert issue_count(review, "late_payment") == 2


async def test_a_wrong_amount_is_flagged_and_leaves_the_invoice_open(review: Review) -> None:
    request = case()
    invoice = await invoiced(review, request)
    await pay(review, payment(invoice["bill_number"], "599.99", paid_at=T0, reference="SHORT"))
    short = issues(review)["SHORT"]
    assert (short["kind"], short["payment"]["amount"], short["details"]["expected_amount"]) == (
        "wrong_amount",
        "599.99",
        "600.00",
    )
    assert review.fee_store.invoices[invoice["_id"]]["status"] == "unpaid"
    assert review.deadlines.forgotten == []

    await pay(review, payment(invoice["bill_number"], "600.00", paid_at=T0, reference="RIGHT"))  # still settles it
    assert request_status(review, request) == "in_review"
    assert issue_count(review, "wrong_amount") == 1


async def test_the_same_payment_takes_effect_once_and_a_second_payment_is_a_duplicate(review: Review) -> None:
    invoice = await invoiced(review, case())
    first = payment(invoice["bill_number"], "600.00", paid_at=T0, reference="SADAD-ONE")
    delivered = cloud_event(topics.GOV_PAYMENTS)
    await pay(review, first, delivered)
    await pay(review, first, delivered)  # the same CloudEvent again
    await pay(review, first)  # the same payment under a new event id
    assert review.fee_store.payment_issues == {}
    await pay(review, payment(invoice["bill_number"], "600.00", paid_at=T0, reference="SADAD-TWO"))
    await pay(review, payment(invoice["bill_number"], "600.00", paid_at=T0, reference="SADAD-TWO"))  # its issue once

    [duplicate] = review.fee_store.payment_issues.values()
    assert (duplicate["kind"], duplicate["details"]["settled_by"]) == ("duplicate_payment", "SADAD-ONE")
    assert len(review.uow.outbox.of(topics.REVIEW_QUEUED)) == 1
    assert review.fee_store.invoices[invoice["_id"]]["payment"]["payment_reference"] == "SADAD-ONE"
    assert issue_count(review, "duplicate_payment") == 1


async def test_a_payment_for_a_bill_never_issued_is_recorded_for_operations(review: Review) -> None:
    await pay(review, payment("SC-2026-9999998", "600.00", paid_at=T0, reference="STRAY"))
    stray = issues(review)["STRAY"]
    assert (stray["kind"], stray["invoice_id"], stray["details"]) == (
        "unknown_bill",
        None,
        {"bill_number_well_formed": False},
    )
    assert issue_count(review, "unknown_bill") == 1


async def test_a_payment_racing_the_deadline_ends_in_exactly_one_outcome(review: Review) -> None:
    request = case()
    invoice = await invoiced(review, request)
    review.time.advance(DEADLINE)
    last_moment = payment(invoice["bill_number"], "600.00", paid_at=invoice["due_at"], reference="LAST")
    expired, _ = await asyncio.gather(review.fees.expire(invoice["_id"]), pay(review, last_moment))

    final = review.fee_store.invoices[invoice["_id"]]["status"]
    if final == "paid":
        assert not expired and review.fee_store.payment_issues == {} and request_status(review, request) == "in_review"
    else:
        assert expired and [i["kind"] for i in review.fee_store.payment_issues.values()] == ["late_payment"]
        assert request_status(review, request) == "lapsed"
    assert len(review.uow.outbox.of(topics.FEE_EXPIRED)) == (final == "expired")


async def test_exam_results_are_kept_under_the_candidates_reference_and_shown_per_required_exam(review: Review) -> None:
    request = case(target="nursing.senior_specialist", current="nursing.specialist")  # SNLE and PROMOTION
    snle = request.exam("SNLE", passed=False, score=55)
    await review.events.exam_result(snle, cloud_event(topics.GOV_EXAMS))
    await review.events.exam_result(
        snle.model_copy(update={"passed": True, "score": 81}), cloud_event(topics.GOV_EXAMS)
    )
    await review.events.exam_result(request.exam("PROMOTION", passed=False, score=40), cloud_event(topics.GOV_EXAMS))

    [corrected, promotion] = review.fee_store.exam_results.values()  # a result sent again replaces the first
    assert corrected["candidate_ref"] == candidate_ref(request.id_number, SETTINGS)
    assert request.id_number not in str(review.fee_store.exam_results)
    item = {"required_exams": ["SNLE", "PROMOTION"], "candidate_ref": corrected["candidate_ref"]}
    panel = await review.classifications.exams_of(item)
    assert [(e["exam"], e["standing"], e["score"], e["taken_on"]) for e in panel] == [
        ("SNLE", "passed", 81, "2026-10-01"),
        ("PROMOTION", "failed", 40, "2026-10-01"),
    ]
    assert promotion["passed"] is False
    assert await review.classifications.missing_exams(item, None) == ("PROMOTION",)  # type: ignore[arg-type]
