"""The rules of submissions: the practitioner-facing status of a submission, projected from the
events, and resubmission after "request changes". Plain Python: no Kafka, MongoDB or HTTP.

Events about one submission reach intake on different topics, so they can arrive out of order or
twice. The projection keeps every step once (by event id) in time order, and the status only moves
forward along the pipeline; a final decision is never undone by a late event. `advance` is that
rule for every status timeline (a classification request's follows it too).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

from mumaris.errors import Refusal
from schemas.events import Decision


class SubmissionRefused(Refusal):
    """A submission intake does not accept: the same file while one is pending, a resubmission
    that does not follow "request changes"."""


class Status(StrEnum):
    RECEIVED = "received"
    VALIDATED = "validated"
    VALIDATION_FAILED = "validation_failed"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"


# How far along the pipeline each status is; outcomes of the same stage share a rank.
RANK: dict[Status, int] = {
    Status.RECEIVED: 0,
    Status.VALIDATED: 1,
    Status.VALIDATION_FAILED: 1,
    Status.IN_REVIEW: 2,
    Status.APPROVED: 3,
    Status.REJECTED: 3,
    Status.CHANGES_REQUESTED: 3,
}
FINAL = frozenset({Status.VALIDATION_FAILED, Status.APPROVED, Status.REJECTED, Status.CHANGES_REQUESTED})
# Statuses during which the same file may not be sent again.
PENDING = frozenset({Status.RECEIVED, Status.VALIDATED, Status.IN_REVIEW})
# What a reviewer's decision makes of a submission (and of a personal-data change).
DECISION_STATUS = {
    Decision.APPROVE: Status.APPROVED,
    Decision.REJECT: Status.REJECTED,
    Decision.REQUEST_CHANGES: Status.CHANGES_REQUESTED,
}


@dataclass(frozen=True)
class Attachment:
    """A document as a practitioner attached it: a safe file name, the bytes, and the content type
    judged from the bytes (PDF or JPEG)."""

    filename: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class Step:
    status: Status
    at: datetime
    event_id: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Projection:
    status: Status
    timeline: tuple[Step, ...]


class TimelineStep(Protocol):
    @property
    def at(self) -> datetime: ...

    @property
    def event_id(self) -> str | None: ...


S = TypeVar("S")
T = TypeVar("T", bound=TimelineStep)


def advance(
    status: S,
    timeline: tuple[T, ...],
    step: T,
    *,
    stage_of: Callable[[T], S],
    rank: Mapping[S, int],
    final: frozenset[S],
    step_only: frozenset[S] = frozenset(),
) -> tuple[S, tuple[T, ...]] | None:
    """The rule every status projection follows: each event once (None when it was recorded),
    steps in time order, and the status only moves forward, never out of a final one. A
    `step_only` stage is recorded on the timeline without moving the status."""
    if step.event_id is not None and any(s.event_id == step.event_id for s in timeline):
        return None
    stage = stage_of(step)
    merged = tuple(sorted((*timeline, step), key=lambda s: (s.at, rank[stage_of(s)])))
    moves = stage not in step_only and status not in final and rank[stage] > rank[status]
    return (stage if moves else status), merged


def project(current: Projection, step: Step) -> Projection | None:
    """The projection after `step`, or None when the step was already recorded."""
    advanced = advance(current.status, current.timeline, step, stage_of=lambda s: s.status, rank=RANK, final=FINAL)
    return None if advanced is None else Projection(*advanced)


# --- resubmission after "request changes" --------------------------------------------------------

FIRST_VERSION = 1


@dataclass(frozen=True)
class Lineage:
    """Where a submission stands in its chain of versions: a resubmission is a new submission
    that points back at the one the reviewer sent back."""

    version: int = FIRST_VERSION
    previous_submission_id: str | None = None


@dataclass(frozen=True)
class Predecessor:
    """What a resubmission needs to know about the submission it replaces."""

    submission_id: str
    status: Status
    version: int
    superseded_by: str | None


class ResubmissionRefused(SubmissionRefused):
    """The submission cannot be resubmitted."""


def resubmission_lineage(previous: Predecessor) -> Lineage:
    """The place of a resubmission of `previous` in the chain. Only a submission the reviewer sent
    back for changes can be resubmitted, and only once: a second resubmission would fork the chain."""
    if previous.superseded_by is not None:
        raise ResubmissionRefused("submission.already_resubmitted", {"resubmission_id": previous.superseded_by})
    if previous.status is not Status.CHANGES_REQUESTED:
        raise ResubmissionRefused("submission.not_awaiting_changes", {"status": previous.status.value})
    return Lineage(version=previous.version + 1, previous_submission_id=previous.submission_id)
