"""Intake's rules for classification change requests: what a request must contain, and its status
projected from events that arrive out of order or twice."""

from datetime import UTC, date, datetime, timedelta

import pytest

from mumaris.errors import MESSAGES
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION, money
from services.intake.classification.rules import (
    FINAL,
    RequestProjection,
    RequestRefused,
    RequestStep,
    Stage,
    allowed_targets,
    catalogue_view,
    check_conditions,
    check_documents,
    check_membership,
    check_step,
    classification_view,
    document_metadata,
    newer_classification,
    opened,
    project_request,
)
from services.validator.inspection.rules import certificate_key, metadata_findings

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def refusal(call: object, *args: object) -> RequestRefused:
    with pytest.raises(RequestRefused) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code in MESSAGES
    return caught.value


# --- what a request must contain ---------------------------------------------------------------


def test_without_a_classification_only_the_first_step_of_a_ladder_may_be_asked_for() -> None:
    assert allowed_targets(None) == ["nursing.technician", "pharmacy.technician", "medicine.technician"]
    assert check_step(None, "nursing.technician").code == "nursing.technician"
    refused = refusal(check_step, None, "nursing.specialist")
    assert refused.code == "classification.step_not_allowed"
    assert refused.details == {"current": None, "allowed": allowed_targets(None)}


def test_one_step_up_the_own_ladder_and_nothing_else() -> None:
    assert check_step("nursing.specialist", "nursing.senior_specialist").rank == 3
    assert allowed_targets("nursing.specialist") == ["nursing.senior_specialist"]
    for target in (
        "nursing.consultant",
        "nursing.technician",
        "pharmacy.senior_specialist",
        "nursing.specialist",
        "nursing.astronaut",
    ):
        refused = refusal(check_step, "nursing.specialist", target)
        assert refused.details == {"current": "nursing.specialist", "allowed": ["nursing.senior_specialist"]}
    assert allowed_targets("medicine.consultant") == []  # the top of a ladder


def test_the_conditions_in_force_must_be_accepted() -> None:
    check_conditions(True, CONDITIONS_VERSION)
    for accepted, version in ((False, CONDITIONS_VERSION), (True, "2020-01"), (True, "")):
        refused = refusal(check_conditions, accepted, version)
        assert (refused.code, refused.details) == (
            "classification.conditions_not_accepted",
            {"conditions_version": CONDITIONS_VERSION},
        )


def test_exactly_the_required_documents_and_the_refusal_lists_what_is_missing_and_what_is_not_wanted() -> None:
    consultant = CLASSIFICATIONS["nursing.consultant"]
    check_documents(consultant, ["fellowship", "degree", "experience_certificate", "licence"])
    refused = refusal(check_documents, consultant, ["licence", "exam_result", "selfie"])
    assert refused.code == "classification.incomplete"
    assert refused.details == {
        "missing_documents": ["degree", "experience_certificate", "fellowship"],
        "unknown_documents": ["exam_result", "selfie"],
    }
    assert refusal(check_documents, consultant, []).details["missing_documents"] == list(consultant.required_documents)


def test_the_membership_number_must_be_the_callers_own() -> None:
    check_membership("MP-00000018", "MP-00000018")
    assert refusal(check_membership, "MP-00000018", "MP-00000026").code == "classification.not_your_membership"
    assert refusal(check_membership, None, "MP-00000018").code == "classification.not_your_membership"


def test_a_documents_declared_details_pass_the_validators_metadata_rules_and_differ_between_requests() -> None:
    target = CLASSIFICATIONS["pharmacy.specialist"]
    first = document_metadata("licence", target, "req-1", date(2026, 11, 25))
    second = document_metadata("licence", target, "req-2", date(2026, 11, 25))
    assert all(f.outcome == "pass" for f in metadata_findings(first, date(2026, 11, 25)))
    # Two requests' licences are not "the same certificate pending review" for the validator.
    assert certificate_key(first) != certificate_key(second)


def test_the_catalogue_shows_labels_fees_with_two_decimals_and_the_conditions_version() -> None:
    view = catalogue_view()
    assert view["conditions_version"] == CONDITIONS_VERSION
    assert len(view["items"]) == len(CLASSIFICATIONS)
    specialist = next(i for i in view["items"] if i["code"] == "nursing.specialist")
    assert specialist["fee"] == "600.00" and specialist["rank"] == 2 and specialist["profession"] == "nursing"
    assert [d["type"] for d in specialist["required_documents"]] == ["degree", "licence"]
    assert specialist["required_documents"][1]["label"]["en"] == "Professional licence"
    assert specialist["required_exams"] == [
        {"code": "SNLE", "label": {"ar": "اختبار الترخيص السعودي للتمريض", "en": "Saudi Nursing Licensure Exam"}}
    ]
    assert specialist["conditions"]["version"] == CONDITIONS_VERSION and specialist["conditions"]["text"]["ar"]
    assert str(money(CLASSIFICATIONS["medicine.consultant"].fee)) == "1500.00"


def test_a_classification_is_shown_with_its_label_or_as_none() -> None:
    assert classification_view(None) is None
    assert classification_view("nursing.specialist") == {
        "code": "nursing.specialist",
        "label": {"ar": "أخصائي تمريض", "en": "Nursing Specialist"},
    }
    assert classification_view("retired.code") == {"code": "retired.code", "label": None}


# --- status projection ------------------------------------------------------------------------------


def walk(*steps: RequestStep) -> RequestProjection:
    projection = opened(at(0))
    for step in steps:
        moved = project_request(projection, step)
        assert moved is not None
        projection = moved
    return projection


def test_the_road_of_an_approved_request() -> None:
    p = walk(
        RequestStep(Stage.AWAITING_PAYMENT, at(1), "invoiced"),
        RequestStep(Stage.IN_REVIEW, at(2), "queued"),
        RequestStep(Stage.APPROVED, at(3), "decided"),
    )
    assert p.status is Stage.APPROVED and p.closed
    assert [s.stage for s in p.timeline] == [Stage.VALIDATING, Stage.AWAITING_PAYMENT, Stage.IN_REVIEW, Stage.APPROVED]


def test_late_events_take_their_place_in_time_and_never_move_the_status_back() -> None:
    p = walk(RequestStep(Stage.IN_REVIEW, at(2), "queued"), RequestStep(Stage.AWAITING_PAYMENT, at(1), "invoiced"))
    assert p.status is Stage.IN_REVIEW
    assert [s.stage for s in p.timeline] == [Stage.VALIDATING, Stage.AWAITING_PAYMENT, Stage.IN_REVIEW]


def test_the_same_event_twice_is_recorded_once() -> None:
    p = walk(RequestStep(Stage.AWAITING_PAYMENT, at(1), "invoiced"))
    assert project_request(p, RequestStep(Stage.AWAITING_PAYMENT, at(1), "invoiced")) is None


def test_a_failed_document_closes_the_request_and_nothing_reopens_it() -> None:
    p = walk(RequestStep(Stage.VALIDATION_FAILED, at(1), "rejected-degree"))
    assert p.status is Stage.VALIDATION_FAILED and p.closed
    # A second failed document is one more step; a stray later event moves nothing.
    p = walk(
        RequestStep(Stage.VALIDATION_FAILED, at(1), "rejected-degree"),
        RequestStep(Stage.VALIDATION_FAILED, at(2), "rejected-licence"),
        RequestStep(Stage.IN_REVIEW, at(3), "stray"),
    )
    assert p.status is Stage.VALIDATION_FAILED and len(p.timeline) == 4


def test_an_expired_fee_is_a_step_and_the_lapse_is_the_status() -> None:
    p = walk(RequestStep(Stage.AWAITING_PAYMENT, at(1), "invoiced"), RequestStep(Stage.FEE_EXPIRED, at(2), "expired"))
    assert p.status is Stage.AWAITING_PAYMENT and not p.closed
    p = project_request(p, RequestStep(Stage.LAPSED, at(2), "lapsed"))
    assert p is not None and p.status is Stage.LAPSED and p.closed
    assert [s.stage for s in p.timeline][-2:] == [Stage.FEE_EXPIRED, Stage.LAPSED]


@pytest.mark.parametrize("final", sorted(FINAL))
def test_every_final_status_closes_the_request_and_stays(final: Stage) -> None:
    p = walk(RequestStep(final, at(1), "end"))
    assert p.closed and p.status is final
    for later in (Stage.AWAITING_PAYMENT, Stage.IN_REVIEW, Stage.APPROVED, Stage.LAPSED):
        again = project_request(p, RequestStep(later, at(5), f"late-{later}"))
        assert again is not None and again.status is final


def test_only_a_later_change_of_classification_replaces_the_one_shown() -> None:
    assert newer_classification(None, at(0))
    assert newer_classification(at(0), at(1))
    assert not newer_classification(at(1), at(0))
