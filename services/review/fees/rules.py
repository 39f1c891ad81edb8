"""Classification requests and their fees: the rules, in plain Python (no Kafka, no MongoDB).

- A request waits for its documents; when every one passed validation it is invoiced, when one
  failed it ends as `validation_failed`.
- An invoice is due `fee_deadline_s` after it is issued; unpaid at that moment it expires and the
  request lapses.
- Reminders go out at fixed distances before the deadline (`fee_reminder_hours`), each at most once.
- A payment is accepted only for a known bill, the exact amount, before the deadline, and only once.
- Bill numbers carry a check digit, so a mistyped number is recognised as unknown at once.
- A classification is approved only when each exam it requires has a passed result.

The fee store turns these rules into conditional updates; the use cases (service.py) run them in
transactions.
"""

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from mumaris.checkdigit import luhn_check_digit as luhn_check_digit  # shared with registration numbers
from mumaris.clock import RIYADH
from schemas.classifications import ExamResult as ExamResult  # the rule is shared with intake's portal
from schemas.classifications import ExamStanding as ExamStanding
from schemas.classifications import exam_standing as exam_standing
from schemas.events import Decision


class RequestStatus(StrEnum):
    AWAITING_DOCUMENTS = "awaiting_documents"
    VALIDATION_FAILED = "validation_failed"  # a document failed its automated checks: no invoice
    AWAITING_PAYMENT = "awaiting_payment"
    IN_REVIEW = "in_review"
    LAPSED = "lapsed"  # the fee was not paid in time
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"


# What a reviewer's decision on a classification item makes of its request.
REQUEST_AFTER = {
    Decision.APPROVE: RequestStatus.APPROVED,
    Decision.REJECT: RequestStatus.REJECTED,
    Decision.REQUEST_CHANGES: RequestStatus.CHANGES_REQUESTED,
}


class InconsistentEvent(Exception):
    """An event that contradicts what the fee rules know (a classification the catalogue does not
    have, a document without its request): handling it again cannot help."""


class InvoiceStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    EXPIRED = "expired"


class DocumentOutcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


class DocumentsProgress(StrEnum):
    WAITING = "waiting"
    ALL_PASSED = "all_passed"
    FAILED = "failed"


def documents_progress(expected: Iterable[str], outcomes: Mapping[str, DocumentOutcome | str]) -> DocumentsProgress:
    """Where a request stands with its documents (`expected`: their submission ids). Results may
    arrive before the request itself, so `outcomes` can hold more than is expected."""
    expected = list(expected)
    if any(outcomes.get(s) == DocumentOutcome.FAILED for s in expected):
        return DocumentsProgress.FAILED
    if all(outcomes.get(s) == DocumentOutcome.PASSED for s in expected):
        return DocumentsProgress.ALL_PASSED
    return DocumentsProgress.WAITING


# --- money and deadlines ---------------------------------------------------------------------------


def to_millis(at: datetime) -> datetime:
    """MongoDB keeps milliseconds: deadlines are cut to them before anyone sees or schedules them,
    so the moment a job fires and the moment stored are the same."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def deadline_of(issued_at: datetime, deadline_s: float) -> datetime:
    """The moment an invoice issued at `issued_at` expires unpaid."""
    return to_millis(issued_at + timedelta(seconds=deadline_s))


# --- bill numbers ----------------------------------------------------------------------------------

BILL_PREFIX = "SC"
SEQUENCE_DIGITS = 6
_BILL_NUMBER = re.compile(rf"^{BILL_PREFIX}-(\d{{4}})-(\d{{{SEQUENCE_DIGITS},}})(\d)$")


def bill_number(year: int, sequence: int) -> str:
    """ "SC-<year>-<sequence, at least six digits><check digit>", e.g. SC-2026-0001234."""
    body = f"{sequence:0{SEQUENCE_DIGITS}d}"
    return f"{BILL_PREFIX}-{year:04d}-{body}{luhn_check_digit(f'{year:04d}{body}')}"


def bill_number_well_formed(value: str) -> bool:
    match = _BILL_NUMBER.match(value)
    return match is not None and luhn_check_digit(match[1] + match[2]) == int(match[3])


def bill_year(issued_at: datetime) -> int:
    """Bills are numbered per year as the commission counts them (Riyadh time)."""
    return issued_at.astimezone(RIYADH).year


# --- reminders -------------------------------------------------------------------------------------


def reminder_moments(
    issued_at: datetime, due: datetime, reminder_hours: Iterable[int], hour: timedelta
) -> dict[int, datetime]:
    """When each reminder ("N hours before the deadline") falls, for those that fall after the
    invoice was issued: a 12-hour reminder makes no sense for an invoice due in 6 hours."""
    moments = {h: to_millis(due - h * hour) for h in sorted(set(reminder_hours), reverse=True) if h > 0}
    return {h: at for h, at in moments.items() if at > issued_at}


@dataclass(frozen=True)
class DueReminder:
    hours_before: int  # what the practitioner is told
    settles: tuple[int, ...]  # every reminder this one makes pointless (those whose moment has passed too)


def reminder_due(
    moments: Mapping[int, datetime], sent: Collection[int], due: datetime, at: datetime
) -> DueReminder | None:
    """The reminder to send now, if any. After an outage several may have come due together: only
    the most urgent one is sent ("1 hour left", not also "12 hours left"), and it settles the rest."""
    if at >= due:
        return None
    come = [h for h, moment in moments.items() if moment <= at]
    waiting = [h for h in come if h not in sent]
    if not waiting:
        return None
    return DueReminder(hours_before=min(waiting), settles=tuple(sorted(come)))


# --- payments --------------------------------------------------------------------------------------


class PaymentVerdict(StrEnum):
    ACCEPT = "accept"
    ALREADY_APPLIED = "already_applied"  # the same payment (reference) again: nothing new happens
    # Refusals: each is recorded as a payment issue for operations (refund or follow-up).
    UNKNOWN_BILL = "unknown_bill"
    WRONG_AMOUNT = "wrong_amount"
    LATE_PAYMENT = "late_payment"
    DUPLICATE_PAYMENT = "duplicate_payment"
    # A renewal's invoice paid (in time, the right amount) for a registration that has lapsed
    # meanwhile: the money is kept on the invoice and flagged for a refund; it renews nothing
    # (registrations/service.py RenewalDesk.paid says why).
    REGISTRATION_LAPSED = "registration_lapsed"

    @property
    def is_issue(self) -> bool:
        return self not in (PaymentVerdict.ACCEPT, PaymentVerdict.ALREADY_APPLIED)


ISSUE_KINDS: tuple[PaymentVerdict, ...] = tuple(v for v in PaymentVerdict if v.is_issue)


@dataclass(frozen=True)
class InvoiceFacts:
    status: InvoiceStatus
    amount: Decimal
    due_at: datetime
    payment_reference: str | None  # of the payment that settled it


@dataclass(frozen=True)
class PaymentFacts:
    amount: Decimal
    paid_at: datetime
    payment_reference: str


def judge_payment(invoice: InvoiceFacts | None, payment: PaymentFacts) -> PaymentVerdict:
    """Is this payment accepted for this invoice? In this order:
    - no such bill → unknown_bill;
    - the invoice was settled by this very payment → already_applied (a redelivery, not an issue);
    - settled by another payment → duplicate_payment (money to return);
    - expired, or paid after the deadline even if the expiry has not run yet → late_payment.
      A payment made in time that reaches us after the invoice expired is refused too: the
      request has lapsed and the practitioner was told; operations see `paid_in_time` on the issue;
    - any other amount than the invoice's, to the cent → wrong_amount (the invoice stays open);
    - otherwise → accept."""
    if invoice is None:
        return PaymentVerdict.UNKNOWN_BILL
    if invoice.status is InvoiceStatus.PAID:
        if invoice.payment_reference == payment.payment_reference:
            return PaymentVerdict.ALREADY_APPLIED
        return PaymentVerdict.DUPLICATE_PAYMENT
    if invoice.status is InvoiceStatus.EXPIRED or payment.paid_at > invoice.due_at:
        return PaymentVerdict.LATE_PAYMENT
    if payment.amount != invoice.amount:
        return PaymentVerdict.WRONG_AMOUNT
    return PaymentVerdict.ACCEPT


# --- exams a classification needs -------------------------------------------------------------------


def missing_exams(required: Sequence[str], results: Iterable[ExamResult]) -> tuple[str, ...]:
    """Required exams without a passed result: while there is one, a classification is not approved."""
    return tuple(
        exam for exam, standing in exam_standing(required, results).items() if standing is not ExamStanding.PASSED
    )
