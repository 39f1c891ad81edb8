"""Resubmission after "request changes", on the real broker and database.

Intake and the validator run in this process: their real FastAPI applications, lifespans included
(broker, consumers, outbox relay), reached over ASGI. The reviewer's decisions arrive as real
CloudEvents on `review.queued` / `review.decided`, as the review service would publish them.
It runs on a stack of its own (`own_stack`): on the shared one, the end-to-end suite's service
processes share these consumer groups and would act on the made-up decisions too.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.clock import now, today_in_riyadh
from mumaris.kafka import encode_event
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    Decision,
    Event,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
)
from schemas.topics import Topic
from services.intake.app import create_app as create_intake
from services.validator.app import create_app as create_validator
from tests.documents import jpeg_bytes
from tests.support import eventually, produce, read_all, settings_for, unique

pytestmark = pytest.mark.integration

METADATA = {
    "name": "Advanced Cardiac Life Support",
    "obtained_on": "2025-05-20",
    "institution": "Saudi Heart Association",
    "specialty": "Emergency Medicine",
    "degree": "Course",
}
# The validator has passed a submission (or review has already queued it).
CHECKED = {"validated", "in_review"}


@dataclass
class Practitioner:
    ref: PractitionerRef
    auth: dict[str, str]


@dataclass
class Services:
    stack: StackInfo
    settings: Settings
    intake: httpx.AsyncClient

    def practitioner(self) -> Practitioner:
        who = Principal(
            id=unique("prac"),
            role="practitioner",
            name="Dr. Huda Al-Otaibi",
            email=f"{unique('huda')}@example.sa",
            locale="en",
        )
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale)
        return Practitioner(ref, {"Authorization": f"Bearer {issue_token(who, self.settings)}"})

    async def upload(self, who: Practitioner, scan: bytes) -> httpx.Response:
        return await self.intake.post(
            "/v1/certificates",
            headers=who.auth,
            data={"metadata": json.dumps(METADATA)},
            files={"file": ("scan.jpg", scan, "image/jpeg")},
        )

    async def resubmit(
        self, who: Practitioner, submission_id: str, scan: bytes, metadata: dict[str, Any] | None = None
    ) -> httpx.Response:
        form = {"metadata": json.dumps(metadata)} if metadata else {}
        return await self.intake.post(
            f"/v1/certificates/{submission_id}/resubmissions",
            headers=who.auth,
            data=form,
            files={"file": ("scan.jpg", scan, "image/jpeg")},
        )

    async def view(self, who: Practitioner, submission_id: str) -> dict[str, Any]:
        answer = await self.intake.get(f"/v1/certificates/{submission_id}", headers=who.auth)
        answer.raise_for_status()
        return answer.json()

    async def reach(self, who: Practitioner, submission_id: str, statuses: set[str]) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            view = await self.view(who, submission_id)
            return view if view["status"] in statuses else None

        return await eventually(probe, timeout=60, what=f"{submission_id} to reach {statuses}")

    async def publish(self, topic: Topic, event: Event, subject: str) -> None:
        """Put an event on a topic the way its producing service does (CloudEvents headers, keyed)."""
        attrs = CloudEventAttributes.new(source="/mumaris/review", type=topic.ce_type, subject=subject)
        await produce(
            self.stack.kafka_bootstrap,
            topic.name,
            encode_event(event),
            key=subject.encode(),
            headers=attrs.to_headers(),
        )

    async def decide(self, who: Practitioner, submission_id: str, decision: Decision, reason: str = "") -> None:
        event = ReviewDecided(
            submission_id=submission_id,
            review_id=submission_id,
            kind=SubmissionKind.CERTIFICATE,
            practitioner=who.ref,
            decision=decision,
            reason=reason,
            reviewer_id="rev-test",
            decided_at=now(),
        )
        await self.publish(topics.REVIEW_DECIDED, event, submission_id)

    async def send_back_for_changes(self, who: Practitioner, submission_id: str) -> None:
        # A reviewer only decides on what the validator passed: wait for that first.
        await self.reach(who, submission_id, CHECKED)
        await self.decide(who, submission_id, Decision.REQUEST_CHANGES, "Attach the page with the stamp.")
        await self.reach(who, submission_id, {"changes_requested"})

    async def submissions_of(self, who: Practitioner) -> list[dict[str, Any]]:
        return (await self.intake.get("/v1/certificates", headers=who.auth)).json()["items"]


@pytest.fixture(scope="module")
async def services(own_stack: StackInfo) -> AsyncIterator[Services]:
    stack = own_stack
    settings = settings_for(stack)
    intake, validator = create_intake(settings), create_validator(settings)
    async with intake.router.lifespan_context(intake), validator.router.lifespan_context(validator):
        transport = httpx.ASGITransport(app=intake)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=60) as client:
            yield Services(stack, settings, client)


async def received_events(stack: StackInfo, topic: Topic, submission_id: str) -> list[dict[str, Any]]:
    return [
        json.loads(r.value)
        for r in await read_all(stack.kafka_bootstrap, topic.name)
        if r.key == submission_id.encode()
    ]


def error_of(answer: httpx.Response) -> tuple[int, str, Any]:
    error = answer.json()["error"]
    return answer.status_code, error["code"], error.get("details")


async def test_a_submission_sent_back_for_changes_is_resubmitted_as_version_2_and_travels_the_same_road(
    services: Services,
) -> None:
    who = services.practitioner()
    scan = jpeg_bytes(900, 700, seed=21)
    first = await services.upload(who, scan)
    assert first.status_code == 202, first.text
    first_id = first.json()["submission_id"]
    await services.send_back_for_changes(who, first_id)

    # The same file again, and no metadata: the certificate's details are kept.
    answer = await services.resubmit(who, first_id, scan)
    assert answer.status_code == 202, answer.text
    second_id = answer.json()["submission_id"]
    assert second_id != first_id
    assert answer.headers["location"] == f"/v1/certificates/{second_id}"

    second = await services.view(who, second_id)
    assert (second["version"], second["previous_submission_id"], second["superseded_by"]) == (2, first_id, None)
    assert second["certificate"] == {
        **METADATA,
        "cpd": None,
        "expires_on": None,
        "recognition": None,
    }  # not CPD, no expiry
    previous = await services.view(who, first_id)
    assert (previous["status"], previous["superseded_by"], previous["version"]) == ("changes_requested", second_id, 1)

    [received] = await received_events(services.stack, topics.SUBMISSION_RECEIVED, second_id)
    assert (received["version"], received["previous_submission_id"]) == (2, first_id)

    # The validator released the first version's fingerprints on the decision: the same file passes.
    checked = await services.reach(who, second_id, CHECKED | {"validation_failed"})
    duplicate = next(f for f in checked["findings"] if f["rule"] == "duplicate")
    assert (duplicate["outcome"], checked["status"] in CHECKED) == ("pass", True), checked["findings"]
    [validated] = await received_events(services.stack, topics.SUBMISSION_VALIDATED, second_id)
    assert (validated["version"], validated["previous_submission_id"]) == (2, first_id)

    again = await services.resubmit(who, first_id, jpeg_bytes(900, 700, seed=22))
    assert error_of(again) == (409, "submission.already_resubmitted", {"resubmission_id": second_id})
    assert again.json()["error"]["message"]["ar"]
    assert len(await services.submissions_of(who)) == 2


async def test_new_metadata_on_a_resubmission_replaces_the_previous_versions(services: Services) -> None:
    who = services.practitioner()
    first_id = (await services.upload(who, jpeg_bytes(900, 700, seed=23))).json()["submission_id"]
    await services.send_back_for_changes(who, first_id)

    corrected = {**METADATA, "obtained_on": "2025-05-21"}
    answer = await services.resubmit(who, first_id, jpeg_bytes(900, 700, seed=24), metadata=corrected)
    assert answer.status_code == 202, answer.text
    assert (await services.view(who, answer.json()["submission_id"]))["certificate"] == {
        **corrected,
        "cpd": None,
        "expires_on": None,
        "recognition": None,
    }


async def test_only_a_submission_sent_back_for_changes_can_be_resubmitted(services: Services) -> None:
    who = services.practitioner()
    submission_id = (await services.upload(who, jpeg_bytes(900, 700, seed=25))).json()["submission_id"]
    await services.reach(who, submission_id, CHECKED)
    queued = ReviewQueued(submission_id=submission_id, review_id=submission_id, practitioner=who.ref, queued_at=now())
    await services.publish(topics.REVIEW_QUEUED, queued, submission_id)
    await services.reach(who, submission_id, {"in_review"})

    in_review = await services.resubmit(who, submission_id, jpeg_bytes(900, 700, seed=26))
    assert error_of(in_review) == (409, "submission.not_awaiting_changes", {"status": "in_review"})

    await services.decide(who, submission_id, Decision.APPROVE)
    await services.reach(who, submission_id, {"approved"})
    approved = await services.resubmit(who, submission_id, jpeg_bytes(900, 700, seed=26))
    assert error_of(approved) == (409, "submission.not_awaiting_changes", {"status": "approved"})

    [only] = await services.submissions_of(who)
    assert only["superseded_by"] is None


async def test_another_practitioners_submission_cannot_be_resubmitted_and_does_not_exist_for_them(
    services: Services,
) -> None:
    owner, stranger = services.practitioner(), services.practitioner()
    submission_id = (await services.upload(owner, jpeg_bytes(900, 700, seed=27))).json()["submission_id"]
    await services.send_back_for_changes(owner, submission_id)

    answer = await services.resubmit(stranger, submission_id, jpeg_bytes(900, 700, seed=28))
    assert error_of(answer)[:2] == (404, "not_found")
    unknown = await services.resubmit(stranger, unique("missing"), jpeg_bytes(900, 700, seed=28))
    assert error_of(unknown)[:2] == (404, "not_found")
    assert await services.submissions_of(stranger) == []
    assert (await services.view(owner, submission_id))["superseded_by"] is None


async def test_two_resubmissions_racing_for_one_submission_yield_exactly_one(services: Services) -> None:
    who = services.practitioner()
    first_id = (await services.upload(who, jpeg_bytes(900, 700, seed=29))).json()["submission_id"]
    await services.send_back_for_changes(who, first_id)

    answers = await asyncio.gather(
        services.resubmit(who, first_id, jpeg_bytes(900, 700, seed=30)),
        services.resubmit(who, first_id, jpeg_bytes(900, 700, seed=31)),
    )

    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 202).json()["submission_id"]
    loser = next(a for a in answers if a.status_code == 409)
    assert error_of(loser) == (409, "submission.already_resubmitted", {"resubmission_id": winner})
    assert (await services.view(who, first_id))["superseded_by"] == winner
    assert {s["submission_id"] for s in await services.submissions_of(who)} == {first_id, winner}
    # The loser's file went with its transaction: one stored file per submission.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.settings.mongo_uri)
    try:
        stored = await client[services.settings.mongo_db]["files.files"].count_documents({"metadata.owner": who.ref.id})
    finally:
        await client.close()
    assert stored == 2


@pytest.mark.parametrize(
    ("obtained_on", "code"), [("2099-01-01", "metadata.date_in_future"), ("1949-12-31", "metadata.date_implausible")]
)
async def test_an_impossible_date_is_refused_at_upload_and_at_resubmission_and_stores_nothing(
    services: Services,
    obtained_on: str,
    code: str,
) -> None:
    who = services.practitioner()
    impossible = {**METADATA, "obtained_on": obtained_on}
    upload = await services.intake.post(
        "/v1/certificates",
        headers=who.auth,
        data={"metadata": json.dumps(impossible)},
        files={"file": ("scan.jpg", jpeg_bytes(900, 700, seed=32), "image/jpeg")},
    )
    window = {
        "field": "obtained_on",
        "obtained_on": obtained_on,
        "earliest": "1950-01-01",
        "latest": today_in_riyadh().isoformat(),
    }
    assert error_of(upload) == (422, code, window)
    assert upload.json()["error"]["message"]["ar"] and upload.json()["error"]["message"]["en"]
    assert await services.submissions_of(who) == []

    first_id = (await services.upload(who, jpeg_bytes(900, 700, seed=33))).json()["submission_id"]
    await services.send_back_for_changes(who, first_id)
    refused = await services.resubmit(who, first_id, jpeg_bytes(900, 700, seed=34), metadata=impossible)
    assert error_of(refused)[:2] == (422, code)
    # Nothing changed: no new version, and the submission can still be resubmitted correctly.
    assert [s["submission_id"] for s in await services.submissions_of(who)] == [first_id]
    assert (await services.view(who, first_id))["superseded_by"] is None
    assert (await services.resubmit(who, first_id, jpeg_bytes(900, 700, seed=34))).status_code == 202
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(services.settings.mongo_uri)
    try:
        stored = await client[services.settings.mongo_db]["files.files"].count_documents({"metadata.owner": who.ref.id})
    finally:
        await client.close()
    assert stored == 2  # the first upload's and the good resubmission's, none for the refused ones
