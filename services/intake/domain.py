"""Intake's rules: the practitioner-facing status of a submission, projected from the events.

Events about one submission reach intake on different topics, so they can arrive out of order or
twice. The projection keeps every step once (by event id) in time order, and the status only moves
forward along the pipeline; a final decision is never undone by a late event.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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


def project(current: Projection, step: Step) -> Projection | None:
    """The projection after `step`, or None when the step was already recorded."""
    if step.event_id is not None and any(s.event_id == step.event_id for s in current.timeline):
        return None
    timeline = tuple(sorted((*current.timeline, step), key=lambda s: (s.at, RANK[s.status])))
    status = current.status
    if current.status not in FINAL and RANK[step.status] > RANK[current.status]:
        status = step.status
    return Projection(status=status, timeline=timeline)
