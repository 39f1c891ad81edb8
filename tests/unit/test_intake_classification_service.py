"""Intake's classification-request use cases with an in-memory unit of work and stores: the rules
checked before any file is read, acceptance (the request, one submission per document, their
events) and the one-open-request rule, and the request's status from events out of order or twice.
The same flows run on the real stack in tests/integration/test_classification_requests.py."""

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest

from mumaris.clock import now
from mumaris.settings import Settings
from schemas import topics
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION, ExamStanding
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    Decision,
    ExamResultPublished,
    FeeExpired,
    FeeInvoiced,
    Finding,
    PractitionerRef,
    ReviewDecided,
    SubmissionKind,
    SubmissionRejected,
)
from services.intake.classification.rules import RequestRefused
from services.intake.classification.service import ClassificationRequests, RequestTimeline
from services.intake.submissions.rules import Attachment
from tests.fakes import FakeUnitOfWork
from tests.unit.intake_fakes import FakeAccountStore, FakeClassificationStore, FakeFiles, FakeSubmissionStore, refused

SARA = PractitionerRef(id="p-1", name="Sara Al-Harbi", email="sara@example.sa")
TECHNICIAN = CLASSIFICATIONS["nursing.technician"]  # requires one document: the degree
DEGREE = Attachment("degree.pdf", b"%PDF-1.7 degree", "application/pdf")


class Requests:
    def __init__(self) -> None:
        self.uow = FakeUnitOfWork()
        self.accounts = FakeAccountStore()
        self.requests = FakeClassificationStore()
        self.submissions = FakeSubmissionStore()
        self.files = FakeFiles()
        self.use_cases = ClassificationRequests(
            self.uow,  # type: ignore[arg-type]
            self.requests,  # type: ignore[arg-type]
            self.submissions,  # type: ignore[arg-type]
            self.accounts,  # type: ignore[arg-type]
            self.files,  # type: ignore[arg-type]
            Settings(),
        )
        self.timeline = RequestTimeline(self.uow, self.requests, self.submissions, self.accounts)  # type: ignore[arg-type]
        self.accounts.accounts["p-1"] = {
            "_id": "p-1",
            "id_number": "1000000008",
            "email": "sara@example.sa",
            "membership_number": "MP-00000018",
            "classification": None,
        }

    async def checked(self, **form: Any) -> Any:
        values: dict[str, Any] = {
            "membership_number": "MP-00000018",
            "target": TECHNICIAN.code,
            "accept_conditions": True,
            "conditions_version": CONDITIONS_VERSION,
            "documents": ["degree"],
        }
        return await self.use_cases.checked("p-1", **{**values, **form})

    async def request(self) -> str:
        await self.use_cases.refuse_if_open("p-1")
        account, target = await self.checked()
        return (await self.use_cases.accept(SARA, account, target, {"degree": DEGREE})).request_id


def ce(topic: topics.Topic, event_id: str) -> CloudEventAttributes:
    return CloudEventAttributes.new(source="/test", type=topic.ce_type, subject="r").model_copy(update={"id": event_id})


@pytest.fixture
def requests() -> Requests:
    return Requests()


async def refusal(call: Awaitable[object]) -> RequestRefused:
    return await refused(RequestRefused, call)


async def test_the_rules_are_checked_before_any_file_in_the_order_a_practitioner_fixes_them(
    requests: Requests,
) -> None:
    malformed = await refusal(requests.checked(membership_number="MP-1"))
    assert (malformed.code, malformed.details) == ("account.membership_number_invalid", {"field": "membership_number"})
    assert (
        await refusal(requests.checked(membership_number="MP-00000026"))
    ).code == "classification.not_your_membership"
    assert (await refusal(requests.checked(target="nursing.consultant"))).code == "classification.step_not_allowed"
    assert (
        await refusal(requests.checked(conditions_version="2025-01"))
    ).code == "classification.conditions_not_accepted"
    incomplete = await refusal(requests.checked(documents=["licence"]))
    assert (incomplete.code, incomplete.details) == (
        "classification.incomplete",
        {"missing_documents": ["degree"], "unknown_documents": ["licence"]},
    )
    del requests.accounts.accounts["p-1"]
    stranger = await refusal(requests.checked())
    assert stranger.code == "classification.not_your_membership"  # a token without an account owns no number


async def test_a_request_is_stored_with_one_submission_per_document_and_all_their_events(requests: Requests) -> None:
    request_id = await requests.request()
    doc = requests.requests.requests[request_id]
    [submission_id] = doc["documents"].values()
    assert (doc["status"], doc["target"], doc["fee"]) == ("validating", TECHNICIAN.code, "300.00")
    document = requests.submissions.docs[submission_id]
    assert (document["kind"], document["request_id"], document["document_type"]) == (
        "classification_document",
        request_id,
        "degree",
    )
    [received] = requests.uow.outbox.of(topics.SUBMISSION_RECEIVED)
    [requested] = requests.uow.outbox.of(topics.CLASSIFICATION_REQUESTED)
    assert (received.submission_id, received.request_id, received.kind) == (
        submission_id,
        request_id,
        SubmissionKind.CLASSIFICATION_DOCUMENT,
    )
    assert (requested.request_id, [d.submission_id for d in requested.documents]) == (request_id, [submission_id])
    assert "1000000008" not in requested.model_dump_json()  # the ID number travels only as candidate_ref
    assert [meta["request_id"] for _, _, meta in requests.files.files.values()] == [request_id]


async def test_one_open_request_at_a_time_and_a_new_one_once_it_closed(requests: Requests) -> None:
    first = await requests.request()
    open_one = await refusal(requests.request())
    assert (open_one.code, open_one.details) == ("classification.request_open", {"request_id": first})

    # Two requests racing past the early check: the open marker lets one commit, the other stores nothing.
    account, target = await requests.checked()
    raced = await refusal(requests.use_cases.accept(SARA, account, target, {"degree": DEGREE}))
    assert (raced.code, raced.details) == ("classification.request_open", {"request_id": first})
    assert len(requests.files.files) == 1 and len(requests.uow.outbox.of(topics.CLASSIFICATION_REQUESTED)) == 1

    [degree] = requests.requests.requests[first]["documents"].values()
    rejected = SubmissionRejected(
        submission_id=degree,
        kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
        practitioner=SARA,
        request_id=first,
        document_type="degree",
        findings=[Finding(rule="image.sharpness", outcome="fail", code="image.blurry", message={"ar": "-", "en": "-"})],
        rejected_at=now(),
    )
    await requests.timeline.document_rejected(rejected, ce(topics.SUBMISSION_REJECTED, "rejected"), first)
    assert requests.requests.requests[first]["status"] == "validation_failed"
    assert requests.submissions.docs[degree]["status"] == "validation_failed"
    assert await requests.request() != first  # closed: the corrected request may follow


async def test_the_request_status_takes_each_event_once_and_a_final_one_stays(requests: Requests) -> None:
    request_id = await requests.request()
    issued = now() + timedelta(seconds=10)
    invoiced = FeeInvoiced(
        invoice_id="inv-1",
        request_id=request_id,
        bill_number="1234567890",
        practitioner=SARA,
        classification=TECHNICIAN.ref(),
        amount=TECHNICIAN.fee,
        currency="SAR",
        issued_at=issued,
        due_at=issued + timedelta(hours=24),
    )
    decided = ReviewDecided(
        submission_id=request_id,
        review_id=request_id,
        kind=SubmissionKind.CLASSIFICATION,
        practitioner=SARA,
        decision=Decision.APPROVE,
        reviewer_id="r-1",
        decided_at=issued + timedelta(hours=1),
    )
    expired = FeeExpired(
        invoice_id="inv-1",
        bill_number="1234567890",
        request_id=request_id,
        practitioner=SARA,
        expired_at=issued + timedelta(hours=25),
    )
    await requests.timeline.decided(decided, ce(topics.REVIEW_DECIDED, "decided"))  # before the invoice it follows
    await requests.timeline.invoiced(invoiced, ce(topics.FEE_INVOICED, "invoiced"))
    await requests.timeline.invoiced(invoiced, ce(topics.FEE_INVOICED, "invoiced"))  # twice
    await requests.timeline.fee_expired(expired, ce(topics.FEE_EXPIRED, "expired"))  # after the final decision

    doc = requests.requests.requests[request_id]
    assert doc["status"] == "approved" and doc["invoice"]["amount"] == "300.00"
    assert [s.stage.value for s in requests.requests.steps[request_id]] == [
        "validating",
        "awaiting_payment",
        "approved",
        "fee_expired",
    ]
    assert requests.uow.handled == ["decided", "invoiced", "expired"]
    assert await requests.requests.open_request_id("p-1") is None  # approved: closed


async def test_exam_results_show_on_the_request_as_review_judges_them() -> None:
    requests = Requests()
    request_id = await requests.request()
    doc = requests.requests.requests[request_id]
    doc["required_exams"] = ["SNLE", "PROMOTION"]
    assert await requests.use_cases.exams_of(doc) == {"SNLE": ExamStanding.MISSING, "PROMOTION": ExamStanding.MISSING}

    def result(result_id: str, exam: str, passed: bool, number: str = "1000000008") -> ExamResultPublished:
        return ExamResultPublished(
            result_id=result_id, candidate_id_number=number, exam=exam, score=70, passed=passed, taken_on="2026-11-20"
        )

    await requests.use_cases.exam_published(result("R-1", "SNLE", False), ce(topics.GOV_EXAMS, "e-1"))
    await requests.use_cases.exam_published(result("R-2", "SNLE", True), ce(topics.GOV_EXAMS, "e-2"))
    await requests.use_cases.exam_published(result("R-3", "SNLE", False), ce(topics.GOV_EXAMS, "e-3"))  # a pass stays
    await requests.use_cases.exam_published(result("R-4", "PROMOTION", False), ce(topics.GOV_EXAMS, "e-4"))
    await requests.use_cases.exam_published(result("R-5", "PROMOTION", True, "2000000007"), ce(topics.GOV_EXAMS, "e-5"))
    assert await requests.use_cases.exams_of(doc) == {"SNLE": ExamStanding.PASSED, "PROMOTION": ExamStanding.FAILED}
    assert all("1000000008" not in str(r) for r in requests.requests.exam_results.values())  # only its HMAC
