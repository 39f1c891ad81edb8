"""The review queue's rules: the order in which items are handed out, what a claim (lease) is, who
may decide, what a decision needs (for a classification: no required exam without a pass; which
ones lack one is the fees area's rule), and when an item's service-level deadline falls.

Plain Python: no Kafka, no MongoDB, no HTTP. The store turns these rules into conditional updates;
a refusal is a `ReviewRefused` with a stable code, which the routes answer with an HTTP status.
"""

import random
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

from mumaris.clock import RIYADH
from mumaris.errors import Refusal
from schemas.events import Decision, SubmissionKind
from schemas.review_reasons import NEEDS_NOTE, REJECTION_REASONS


class ItemStatus(StrEnum):
    QUEUED = "queued"
    DECIDED = "decided"


class Priority(IntEnum):
    """Lower is served first. A resubmission was already waited on once: it goes ahead."""

    RESUBMISSION = 0
    NORMAL = 1


def priority_of(previous_submission_id: str | None) -> Priority:
    return Priority.RESUBMISSION if previous_submission_id else Priority.NORMAL


# --- service-level deadline -------------------------------------------------------------------

# The Saudi working week is Sunday to Thursday (Python: Monday=0 ... Sunday=6).
SAUDI_WEEKEND = frozenset({4, 5})


@dataclass(frozen=True)
class WorkingCalendar:
    weekend: frozenset[int] = SAUDI_WEEKEND
    holidays: frozenset[date] = frozenset()
    zone: ZoneInfo = RIYADH

    def is_working_day(self, day: date) -> bool:
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The moment `days` working days after `start`, at the same local time of day.
        Work that arrives on a weekend or holiday starts counting from the next working morning."""
        local = start.astimezone(self.zone)
        day = local.date()
        if not self.is_working_day(day):
            while not self.is_working_day(day):
                day += timedelta(days=1)
            local = datetime.combine(day, time(8, 0), self.zone)
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)


# --- claims -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A reviewer's lease on an item: nobody else can take it until it expires or is released."""

    reviewer_id: str
    reviewer_name: str
    claimed_at: datetime
    expires_at: datetime

    def live(self, at: datetime) -> bool:
        return at < self.expires_at

    def held_by(self, reviewer_id: str, at: datetime) -> bool:
        return self.reviewer_id == reviewer_id and self.live(at)


def new_claim(reviewer_id: str, reviewer_name: str, at: datetime, lease: timedelta) -> Claim:
    return Claim(reviewer_id, reviewer_name, at, at + lease)


def reserved_for_other(
    preferred_reviewer_id: str | None, reserved_until: datetime | None, reviewer_id: str, at: datetime
) -> bool:
    """A resubmission waits a while for the reviewer who asked for the changes."""
    return (
        preferred_reviewer_id is not None
        and preferred_reviewer_id != reviewer_id
        and reserved_until is not None
        and at < reserved_until
    )


# --- claim-next: how far to read, which item to try ---------------------------------------------

# claim-next reads a window of the best items the reviewer may take and tries them. It holds the
# reviewers one desk serves at the same moment (ten on a busy day) with room to spare, so each of
# them finds an item in it that nobody else on the desk is trying.
CLAIM_WINDOW = 20


@dataclass(frozen=True, order=True)
class OrderKey:
    """A place in the claim order: priority, then the service-level deadline, then the time queued
    (everything queued over a weekend is due the same morning)."""

    priority: int
    sla_due_at: datetime
    queued_at: datetime


def next_front(front: OrderKey | None, found: Sequence[OrderKey], window: int = CLAIM_WINDOW) -> OrderKey | None:
    """How far the next window read reaches, given what a read up to `front` found, in claim order
    (None: from the beginning of the order): two windows out, pulled in when the read found more.

    Any front gives the right items: a read up to it returns the best items the reviewer may take,
    a prefix of the claim order. It only sets the price: the database reads every open item up to
    it, held ones included, and SecantusDB reads every item a filter matches whatever the limit, so
    a read from the beginning costs the whole open queue. So a read from the beginning sets the
    front two windows out, and reads up to it follow until fewer than a window is left before it
    (`running_thin`): then a read from the beginning sets it again (one read in about `window`
    claims)."""
    return found[2 * window - 1] if len(found) >= 2 * window else front


def running_thin(found: Sequence[OrderKey], window: int = CLAIM_WINDOW) -> bool:
    """Fewer than a window of items left before the front: time to read from the beginning again."""
    return len(found) < window


def next_candidate(
    candidates: Sequence[str], skip: Container[str], contended: bool, rng: random.Random, window: int = CLAIM_WINDOW
) -> str | None:
    """The item to try next among `candidates` (best first), none of `skip` (tried already, or being
    tried by another reviewer on this desk): the best one. When another desk, whose reviewers read
    the same items and go for the best ones too, took one from under this desk lately (`contended`),
    any one of the `window` best left: the order is kept to within a window."""
    left = [review_id for review_id in candidates if review_id not in skip]
    if not left:
        return None
    return rng.choice(left[:window]) if contended else left[0]


# --- decisions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionRequest:
    decision: Decision
    reason: str = ""  # the note (reject) or the message to the practitioner (request changes)
    reason_codes: tuple[str, ...] = ()
    cpd_hours_recognised: Decimal | None = None  # approving a CPD recognition request: the hours recognised


class QueueKind(StrEnum):
    """What the queue shows and filters an item as: its submission's kind, except that a
    certificate declaring a CPD activity is a CPD activity (its own checks: hours, accreditation
    number, provider, date), apart from the other certificates."""

    CERTIFICATE = "certificate"
    CPD_ACTIVITY = "cpd_activity"
    CPD_RECOGNITION = SubmissionKind.CPD_RECOGNITION.value
    PROFILE_CHANGE = SubmissionKind.PROFILE_CHANGE.value
    CLASSIFICATION = SubmissionKind.CLASSIFICATION.value
    CLASSIFICATION_DOCUMENT = SubmissionKind.CLASSIFICATION_DOCUMENT.value


def queue_kind(kind: SubmissionKind, declares_cpd: bool) -> QueueKind:
    if kind is SubmissionKind.CERTIFICATE and declares_cpd:
        return QueueKind.CPD_ACTIVITY
    return QueueKind(kind.value)


@dataclass(frozen=True)
class ItemState:
    """What the decision rules need to know about an item."""

    status: ItemStatus
    kind: SubmissionKind
    claim: Claim | None
    missing_exams: tuple[str, ...] = ()  # a classification's required exams without a passed result
    cpd_hours_claimed: Decimal | None = None  # a CPD recognition request's hours asked


class ReviewRefused(Refusal):
    """The queue's rules said no: the item is not there, is held by someone else, is decided, or
    its document is not for this reviewer."""


class DecisionRefused(ReviewRefused):
    """The reviewer may not take this decision now."""


def check_decision(item: ItemState, reviewer_id: str, request: DecisionRequest, at: datetime) -> None:
    """Raises DecisionRefused with a stable code when `reviewer_id` may not take this decision now."""
    if item.status is not ItemStatus.QUEUED:
        raise DecisionRefused("review.already_decided")
    if item.claim is None or not item.claim.held_by(reviewer_id, at):
        holder = item.claim.reviewer_name if item.claim is not None and item.claim.live(at) else None
        raise DecisionRefused("review.claim_required", {"held_by": holder})
    check_decision_request(request)
    if request.decision is Decision.APPROVE and item.kind is SubmissionKind.CLASSIFICATION and item.missing_exams:
        # Rejecting or asking for changes stays possible: only the approval needs the exams.
        raise DecisionRefused("review.exam_missing", {"missing": list(item.missing_exams)})
    check_recognised_hours(item, request)


def check_recognised_hours(item: ItemState, request: DecisionRequest) -> None:
    """Approving a CPD recognition request names the hours recognised: more than none, at most
    those claimed (a reviewer may recognise fewer: part of a course may not count here). No other
    decision carries hours."""
    recognising = item.kind is SubmissionKind.CPD_RECOGNITION and request.decision is Decision.APPROVE
    hours = request.cpd_hours_recognised
    if not recognising:
        if hours is not None:
            raise DecisionRefused("review.cpd_hours_not_expected")
        return
    claimed = item.cpd_hours_claimed
    if hours is None:
        raise DecisionRefused("review.cpd_hours_required", {"hours_claimed": str(claimed)})
    if hours <= 0 or (claimed is not None and hours > claimed):
        raise DecisionRefused("review.cpd_hours_beyond_claim", {"hours_claimed": str(claimed), "hours": str(hours)})


def check_decision_request(request: DecisionRequest) -> None:
    """The decision itself: reasons for a rejection, a message for a request for changes."""
    if request.decision is Decision.REJECT:
        if not request.reason_codes:
            raise DecisionRefused("review.reason_codes_required", {"catalogue": sorted(REJECTION_REASONS)})
        unknown = [code for code in request.reason_codes if code not in REJECTION_REASONS]
        if unknown:
            raise DecisionRefused(
                "review.reason_code_unknown", {"unknown": unknown, "catalogue": sorted(REJECTION_REASONS)}
            )
        if NEEDS_NOTE.intersection(request.reason_codes) and not request.reason.strip():
            raise DecisionRefused("review.reason_required")
    elif request.decision is Decision.REQUEST_CHANGES:
        if request.reason_codes:
            raise DecisionRefused("review.reason_codes_only_for_reject")
        if not request.reason.strip():
            raise DecisionRefused("review.reason_required")
    elif request.reason_codes:
        raise DecisionRefused("review.reason_codes_only_for_reject")


def unique_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """The reviewer's reason codes once each, in the order given."""
    return tuple(dict.fromkeys(code.strip() for code in codes if code.strip()))


# --- what supervisors see -------------------------------------------------------------------------


class QueueState(StrEnum):
    """How an item looks to a supervisor filtering the queue."""

    WAITING = "waiting"  # queued, nobody holds a live claim
    CLAIMED = "claimed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"


DECISION_STATE = {
    Decision.APPROVE: QueueState.APPROVED,
    Decision.REJECT: QueueState.REJECTED,
    Decision.REQUEST_CHANGES: QueueState.CHANGES_REQUESTED,
}


def queue_state(status: ItemStatus, claim: Claim | None, decision: Decision | None, at: datetime) -> QueueState:
    if status is ItemStatus.DECIDED and decision is not None:
        return DECISION_STATE[decision]
    return QueueState.CLAIMED if claim is not None and claim.live(at) else QueueState.WAITING
