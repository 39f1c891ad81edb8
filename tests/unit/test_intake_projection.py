"""The practitioner-facing status: each step once, in time order, never moving backwards."""

from datetime import UTC, datetime, timedelta

from services.intake.submissions.rules import Projection, Status, Step, project

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fresh() -> Projection:
    return Projection(Status.RECEIVED, (Step(Status.RECEIVED, at(0)),))


def test_steps_in_order_advance_the_status() -> None:
    p = fresh()
    for i, status in enumerate([Status.VALIDATED, Status.IN_REVIEW, Status.APPROVED], start=1):
        p = project(p, Step(status, at(i), f"e{i}"))
        assert p is not None
    assert p.status is Status.APPROVED
    assert [s.status for s in p.timeline] == [Status.RECEIVED, Status.VALIDATED, Status.IN_REVIEW, Status.APPROVED]


def test_a_late_event_is_placed_by_its_time_and_does_not_move_the_status_back() -> None:
    p = project(fresh(), Step(Status.IN_REVIEW, at(2), "queued"))
    assert p is not None and p.status is Status.IN_REVIEW
    p = project(p, Step(Status.VALIDATED, at(1), "validated"))
    assert p is not None
    assert p.status is Status.IN_REVIEW
    assert [s.status for s in p.timeline] == [Status.RECEIVED, Status.VALIDATED, Status.IN_REVIEW]


def test_the_same_event_twice_is_recorded_once() -> None:
    p = project(fresh(), Step(Status.VALIDATED, at(1), "same-id"))
    assert p is not None
    assert project(p, Step(Status.VALIDATED, at(1), "same-id")) is None


def test_a_final_decision_is_never_overturned_by_a_later_step() -> None:
    p = project(fresh(), Step(Status.VALIDATION_FAILED, at(1), "rejected"))
    assert p is not None and p.status is Status.VALIDATION_FAILED
    p2 = project(p, Step(Status.IN_REVIEW, at(2), "stray"))
    assert p2 is not None and p2.status is Status.VALIDATION_FAILED
