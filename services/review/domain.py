"""Review's rules: who may decide, what a decision needs, and which decisions end an item."""

from dataclasses import dataclass
from enum import StrEnum

from schemas.events import Decision


class ItemStatus(StrEnum):
    QUEUED = "queued"
    DECIDED = "decided"


@dataclass(frozen=True)
class DecisionRequest:
    decision: Decision
    reason: str


class DecisionRefused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_decision(status: ItemStatus, request: DecisionRequest) -> None:
    """Raises DecisionRefused with a stable code when the decision may not be taken."""
    if status is not ItemStatus.QUEUED:
        raise DecisionRefused("review.already_decided")
    if request.decision in (Decision.REJECT, Decision.REQUEST_CHANGES) and not request.reason.strip():
        raise DecisionRefused("review.reason_required")
