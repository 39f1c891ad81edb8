"""Resubmission after "request changes": only a submission sent back for changes can be resubmitted,
only once, and the new submission is the next version linked to the old one."""

from datetime import UTC, datetime

import pytest

from mumaris.errors import ApiError
from services.intake.submissions.rules import (
    Lineage,
    Predecessor,
    ResubmissionRefused,
    Status,
    resubmission_lineage,
)
from services.intake.submissions.store import new_submission_doc, predecessor
from services.intake.submissions.views import submission_view as _public_view

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def sent_back(
    version: int = 1, superseded_by: str | None = None, status: Status = Status.CHANGES_REQUESTED
) -> Predecessor:
    return Predecessor(submission_id="sub-1", status=status, version=version, superseded_by=superseded_by)


def stored(lineage: Lineage = Lineage()) -> dict[str, object]:
    return new_submission_doc(
        submission_id="sub-2",
        practitioner={"id": "prac-1", "name": "Sara", "email": "s@example.sa", "locale": "ar"},
        certificate={"name": "BLS"},
        file={"filename": "a.jpg", "size": 1, "content_type": "image/jpeg", "sha256": "x", "file_id": "f"},
        received_at=AT,
        lineage=lineage,
    )


def test_a_submission_sent_back_for_changes_is_resubmitted_as_the_next_version_linked_to_it() -> None:
    assert resubmission_lineage(sent_back(version=1)) == Lineage(version=2, previous_submission_id="sub-1")
    assert resubmission_lineage(sent_back(version=3)).version == 4


@pytest.mark.parametrize("status", sorted(set(Status) - {Status.CHANGES_REQUESTED}))
def test_only_a_submission_sent_back_for_changes_can_be_resubmitted(status: Status) -> None:
    with pytest.raises(ResubmissionRefused) as refused:
        resubmission_lineage(sent_back(status=status))
    assert refused.value.code == "submission.not_awaiting_changes"
    assert refused.value.details == {"status": status.value}


def test_a_submission_is_resubmitted_once_and_the_refusal_names_the_resubmission() -> None:
    with pytest.raises(ResubmissionRefused) as refused:
        resubmission_lineage(sent_back(superseded_by="sub-2"))
    assert refused.value.code == "submission.already_resubmitted"
    assert refused.value.details == {"resubmission_id": "sub-2"}


@pytest.mark.parametrize("code", ["submission.not_awaiting_changes", "submission.already_resubmitted"])
def test_the_refusals_have_an_arabic_and_an_english_message(code: str) -> None:
    message = ApiError(409, code).body()["error"]["message"]
    assert message["ar"] and message["en"] and message["ar"] != message["en"]


def test_a_record_from_before_versions_existed_counts_as_the_first_version() -> None:
    legacy = {k: v for k, v in stored().items() if k not in ("version", "previous_submission_id")}
    assert predecessor({**legacy, "status": "changes_requested"}).version == 1
    assert _public_view(legacy)["version"] == 1


def test_the_record_and_the_practitioners_view_keep_the_link_both_ways() -> None:
    resubmission = stored(Lineage(version=2, previous_submission_id="sub-1"))
    view = _public_view(resubmission)
    assert (view["version"], view["previous_submission_id"], view["superseded_by"]) == (2, "sub-1", None)

    previous = {**stored(), "status": "changes_requested", "superseded_by": "sub-2"}
    assert _public_view(previous)["superseded_by"] == "sub-2"
    assert predecessor(previous).superseded_by == "sub-2"
