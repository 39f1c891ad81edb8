"""Classification fee rules and the exam rule of an approval, without a broker or a database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from schemas.classifications import money
from schemas.events import Decision, SubmissionKind
from services.review.fees.rules import (
    DocumentOutcome,
    DocumentsProgress,
    ExamResult,
    ExamStanding,
    InvoiceFacts,
    InvoiceStatus,
    PaymentFacts,
    PaymentVerdict,
    bill_number,
    bill_number_well_formed,
    bill_year,
    deadline_of,
    documents_progress,
    exam_standing,
    judge_payment,
    luhn_check_digit,
    missing_exams,
    reminder_due,
    reminder_moments,
)
from services.review.queue.rules import (
    DecisionRefused,
    DecisionRequest,
    ItemState,
    ItemStatus,
    check_decision,
    new_claim,
)

ISSUED = datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=UTC)
HOUR = timedelta(hours=1)


# --- documents ---------------------------------------------------------------------------------


def test_a_request_waits_until_every_document_passed_and_fails_with_any_failed_one() -> None:
    expected = ["s1", "s2"]
    assert documents_progress(expected, {}) is DocumentsProgress.WAITING
    assert documents_progress(expected, {"s1": DocumentOutcome.PASSED}) is DocumentsProgress.WAITING
    assert documents_progress(expected, {"s1": "passed", "s2": "passed"}) is DocumentsProgress.ALL_PASSED
    assert documents_progress(expected, {"s2": "failed"}) is DocumentsProgress.FAILED
    # results of documents that are not the request's do not count
    assert documents_progress(expected, {"s1": "passed", "other": "passed"}) is DocumentsProgress.WAITING


# --- deadlines and bill numbers ------------------------------------------------------------------


def test_the_deadline_is_the_configured_time_after_issue_cut_to_milliseconds() -> None:
    due = deadline_of(ISSUED, 24 * 3600)
    assert due == datetime(2026, 11, 25, 9, 0, 0, 123000, tzinfo=UTC)


def test_bill_numbers_carry_a_luhn_check_digit_that_catches_a_mistyped_digit() -> None:
    assert luhn_check_digit("7992739871") == 3  # the textbook example
    number = bill_number(2026, 123)
    assert number == "SC-2026-0001233"
    assert bill_number_well_formed(number)
    assert not bill_number_well_formed("SC-2026-0001234")  # one digit off
    assert not bill_number_well_formed("SC-2026-0002133")  # two neighbours swapped
    assert not bill_number_well_formed("XX-2026-0001233")
    assert bill_number_well_formed(bill_number(2026, 12_345_678))  # the sequence may outgrow six digits


def test_bills_are_numbered_by_the_year_in_riyadh() -> None:
    assert bill_year(datetime(2026, 12, 31, 22, 0, tzinfo=UTC)) == 2027  # 01:00 on 1 January in Riyadh


def test_amounts_are_compared_to_the_cent() -> None:
    assert money(Decimal("600")) == Decimal("600.00")
    assert str(money(Decimal("600"))) == "600.00"


# --- reminders -----------------------------------------------------------------------------------


def test_reminders_fall_12_and_1_hours_before_the_deadline() -> None:
    due = deadline_of(ISSUED, 24 * 3600)
    moments = reminder_moments(ISSUED, due, [1, 12], HOUR)
    assert moments == {12: due - 12 * HOUR, 1: due - HOUR}


def test_a_reminder_before_the_invoice_was_issued_is_not_planned() -> None:
    due = deadline_of(ISSUED, 6 * 3600)
    assert reminder_moments(ISSUED, due, [12, 1], HOUR) == {1: due - HOUR}


def test_each_reminder_is_due_once_from_its_moment_until_the_deadline() -> None:
    due = deadline_of(ISSUED, 24 * 3600)
    moments = reminder_moments(ISSUED, due, [12, 1], HOUR)
    assert reminder_due(moments, [], due, due - 13 * HOUR) is None
    first = reminder_due(moments, [], due, due - 12 * HOUR)
    assert first is not None and (first.hours_before, first.settles) == (12, (12,))
    assert reminder_due(moments, [12], due, due - 2 * HOUR) is None  # sent already
    second = reminder_due(moments, [12], due, due - 30 * timedelta(minutes=1))
    assert second is not None and second.hours_before == 1
    assert reminder_due(moments, [12], due, due) is None  # the deadline has come: expiry, not reminder


def test_after_an_outage_only_the_most_urgent_reminder_goes_out_and_settles_the_other() -> None:
    due = deadline_of(ISSUED, 24 * 3600)
    moments = reminder_moments(ISSUED, due, [12, 1], HOUR)
    due_now = reminder_due(moments, [], due, due - 10 * timedelta(minutes=1))
    assert due_now is not None and (due_now.hours_before, due_now.settles) == (1, (1, 12))


def test_a_shorter_hour_scales_the_reminders_for_tests() -> None:
    due = deadline_of(ISSUED, 6)
    assert reminder_moments(ISSUED, due, [12, 1], timedelta(seconds=0.25)) == {
        12: due - timedelta(seconds=3),
        1: due - timedelta(seconds=0.25),
    }


# --- payments --------------------------------------------------------------------------------------

DUE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def invoice(status: InvoiceStatus = InvoiceStatus.UNPAID, reference: str | None = None) -> InvoiceFacts:
    return InvoiceFacts(status=status, amount=Decimal("600.00"), due_at=DUE, payment_reference=reference)


def payment(amount: str = "600", paid_at: datetime = DUE - HOUR, reference: str = "SADAD-1") -> PaymentFacts:
    return PaymentFacts(Decimal(amount), paid_at, reference)


@pytest.mark.parametrize(
    ("facts", "paid", "verdict"),
    [
        pytest.param(invoice(), payment(), PaymentVerdict.ACCEPT, id="in-time-exact-amount"),
        pytest.param(invoice(), payment(paid_at=DUE), PaymentVerdict.ACCEPT, id="at-the-deadline-itself"),
        pytest.param(None, payment(), PaymentVerdict.UNKNOWN_BILL, id="unknown-bill"),
        pytest.param(invoice(), payment("599.99"), PaymentVerdict.WRONG_AMOUNT, id="a-cent-short"),
        pytest.param(invoice(), payment("600.001"), PaymentVerdict.WRONG_AMOUNT, id="a-fraction-over"),
        pytest.param(
            invoice(),
            payment(paid_at=DUE + timedelta(seconds=1)),
            PaymentVerdict.LATE_PAYMENT,
            id="a-second-late-before-the-expiry-ran",
        ),
        pytest.param(
            invoice(InvoiceStatus.EXPIRED),
            payment(),
            PaymentVerdict.LATE_PAYMENT,
            id="in-time-but-arrived-after-the-expiry",
        ),
        pytest.param(
            invoice(InvoiceStatus.PAID, "SADAD-1"),
            payment(),
            PaymentVerdict.ALREADY_APPLIED,
            id="the-same-payment-again",
        ),
        pytest.param(
            invoice(InvoiceStatus.PAID, "SADAD-1"),
            payment(reference="SADAD-2"),
            PaymentVerdict.DUPLICATE_PAYMENT,
            id="a-second-payment",
        ),
    ],
)
def test_payment_verdicts(facts: InvoiceFacts | None, paid: PaymentFacts, verdict: PaymentVerdict) -> None:
    assert judge_payment(facts, paid) is verdict


def test_only_refusals_are_payment_issues() -> None:
    assert not PaymentVerdict.ACCEPT.is_issue and not PaymentVerdict.ALREADY_APPLIED.is_issue
    assert all(
        v.is_issue
        for v in (
            PaymentVerdict.UNKNOWN_BILL,
            PaymentVerdict.WRONG_AMOUNT,
            PaymentVerdict.LATE_PAYMENT,
            PaymentVerdict.DUPLICATE_PAYMENT,
        )
    )


# --- exams ----------------------------------------------------------------------------------------


def test_exam_standing_is_passed_failed_or_missing_and_a_later_failure_does_not_undo_a_pass() -> None:
    results = [
        ExamResult("SNLE", False),
        ExamResult("SNLE", True),
        ExamResult("SNLE", False),
        ExamResult("PROMOTION", False),
        ExamResult("SMLE", True),
    ]
    assert exam_standing(["SNLE", "PROMOTION", "SPLE"], results) == {
        "SNLE": ExamStanding.PASSED,
        "PROMOTION": ExamStanding.FAILED,
        "SPLE": ExamStanding.MISSING,
    }
    assert missing_exams(["SNLE", "PROMOTION", "SPLE"], results) == ("PROMOTION", "SPLE")
    assert missing_exams([], results) == ()


T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def classification(missing: tuple[str, ...]) -> ItemState:
    return ItemState(
        ItemStatus.QUEUED, SubmissionKind.CLASSIFICATION, new_claim("r-1", "Khalid", T0, timedelta(minutes=30)), missing
    )


def test_approving_a_classification_needs_every_required_exam_passed() -> None:
    with pytest.raises(DecisionRefused) as refused:
        check_decision(classification(("SNLE",)), "r-1", DecisionRequest(Decision.APPROVE), T0)
    assert (refused.value.code, refused.value.details) == ("review.exam_missing", {"missing": ["SNLE"]})
    check_decision(classification(()), "r-1", DecisionRequest(Decision.APPROVE), T0)


def test_a_classification_without_its_exams_may_still_be_rejected_or_sent_back() -> None:
    check_decision(classification(("SNLE",)), "r-1", DecisionRequest(Decision.REJECT, "No licence.", ("other",)), T0)
    check_decision(classification(("SNLE",)), "r-1", DecisionRequest(Decision.REQUEST_CHANGES, "Send the licence."), T0)


def test_the_claim_is_checked_before_the_exams() -> None:
    with pytest.raises(DecisionRefused) as refused:
        check_decision(classification(("SNLE",)), "someone-else", DecisionRequest(Decision.APPROVE), T0)
    assert refused.value.code == "review.claim_required"
