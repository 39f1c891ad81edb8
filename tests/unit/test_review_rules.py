import pytest

from schemas.events import Decision
from services.review.domain import DecisionRefused, DecisionRequest, ItemStatus, check_decision


def test_a_queued_item_can_be_approved_without_a_reason() -> None:
    check_decision(ItemStatus.QUEUED, DecisionRequest(Decision.APPROVE, ""))


@pytest.mark.parametrize("decision", [Decision.REJECT, Decision.REQUEST_CHANGES])
def test_rejecting_or_requesting_changes_needs_a_reason(decision: Decision) -> None:
    with pytest.raises(DecisionRefused) as refused:
        check_decision(ItemStatus.QUEUED, DecisionRequest(decision, "   "))
    assert refused.value.code == "review.reason_required"


def test_a_decided_item_takes_no_second_decision() -> None:
    with pytest.raises(DecisionRefused) as refused:
        check_decision(ItemStatus.DECIDED, DecisionRequest(Decision.APPROVE, ""))
    assert refused.value.code == "review.already_decided"
