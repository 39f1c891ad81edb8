"""Classification change requests at intake, on the real broker and database.

Intake and the validator run in this process (their real applications and lifespans, reached over
ASGI), as in test_resubmission.py. What the review service would publish (fee.invoiced,
review.queued, review.decided, classification.changed, fee.expired, classification.lapsed) is put on
the topics here as real CloudEvents records. On a stack of its own (`own_stack`): the end-to-end
suite's review process would otherwise answer the made-up requests with real invoices.
"""

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.clock import now
from mumaris.identity import candidate_ref
from mumaris.kafka import encode_event
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    ClassificationChanged,
    ClassificationLapsed,
    Decision,
    Event,
    FeeExpired,
    FeeInvoiced,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    SubmissionKind,
)
from schemas.topics import Topic
from services.intake.accounts.rules import make_valid_id, membership_number
from services.intake.app import create_app as create_intake
from services.validator.app import create_app as create_validator
from tests.documents import jpeg_bytes, pdf_bytes
from tests.support import eventually, produce, read_all, settings_for, unique

pytestmark = pytest.mark.integration

MAX_UPLOAD = 2 * 1024 * 1024
SEEDS = iter(range(100, 10_000))  # every scan in this module differs (the validator refuses duplicates)


def scan() -> bytes:
    return jpeg_bytes(900, 700, seed=next(SEEDS))


@dataclass
class Practitioner:
    ref: PractitionerRef
    auth: dict[str, str]
    id_number: str
    membership_number: str


@dataclass
class Services:
    stack: StackInfo
    settings: Settings
    intake: httpx.AsyncClient
    db: Any

    async def practitioner(self, classification: str | None = None) -> Practitioner:
        """An active account as sign-up and the e-mail link leave it (ID number, membership number)."""
        account_id = unique("acct")
        id_number = make_valid_id("1", f"{random.randrange(10**8):08d}")
        number = membership_number(random.randrange(1, 10**7))
        email = f"{unique('reem')}@example.sa"
        await self.db["intake.accounts"].insert_one(
            {
                "_id": account_id,
                "first_name": "Reem",
                "last_name": "Al-Zahrani",
                "id_kind": "national_id",
                "id_number": id_number,
                "email": email,
                "mobile": "+966551234567",
                "locale": "en",
                "password_hash": "-",
                "role": "practitioner",
                "status": "active",
                "membership_number": number,
                "classification": classification,
                "created_at": now(),
            }
        )
        who = Principal(id=account_id, role="practitioner", name="Reem Al-Zahrani", email=email, locale="en")
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale)
        return Practitioner(ref, {"Authorization": f"Bearer {issue_token(who, self.settings)}"}, id_number, number)

    async def send(
        self,
        who: Practitioner,
        target: str,
        documents: dict[str, bytes],
        *,
        membership: str | None = None,
        accept: bool = True,
        version: str = CONDITIONS_VERSION,
    ) -> httpx.Response:
        request = {
            "membership_number": membership or who.membership_number,
            "target": target,
            "accept_conditions": accept,
            "conditions_version": version,
        }
        files = {name: (f"{name}.jpg", data, "image/jpeg") for name, data in documents.items()}
        return await self.intake.post(
            "/v1/classification-requests", headers=who.auth, data={"request": json.dumps(request)}, files=files
        )

    async def view(self, who: Practitioner, request_id: str) -> httpx.Response:
        return await self.intake.get(f"/v1/classification-requests/{request_id}", headers=who.auth)

    async def reach(
        self, who: Practitioner, request_id: str, status: str, probe_documents: str | None = None
    ) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            view = (await self.view(who, request_id)).json()
            if view["status"] != status:
                return None
            if probe_documents and any(d["status"] != probe_documents for d in view["documents"]):
                return None
            return view

        return await eventually(probe, timeout=60, what=f"{request_id} to reach {status}/{probe_documents}")

    async def me(self, who: Practitioner) -> dict[str, Any]:
        answer = await self.intake.get("/v1/me", headers=who.auth)
        answer.raise_for_status()
        return answer.json()

    async def publish(self, topic: Topic, event: Event, subject: str) -> None:
        """Put an event on a topic the way the review service does (CloudEvents headers, keyed)."""
        attrs = CloudEventAttributes.new(source="/mumaris/review", type=topic.ce_type, subject=subject)
        await produce(
            self.stack.kafka_bootstrap,
            topic.name,
            encode_event(event),
            key=subject.encode(),
            headers=attrs.to_headers(),
        )

    async def stored_for(self, who: Practitioner) -> dict[str, int]:
        """What the database holds for the practitioner: requests, documents, files, open marker."""
        return {
            "requests": await self.db["intake.classification_requests"].count_documents(
                {"practitioner_id": who.ref.id}
            ),
            "submissions": await self.db["intake.submissions"].count_documents({"practitioner_id": who.ref.id}),
            "files": await self.db["files.files"].count_documents({"metadata.owner": who.ref.id}),
            "open": await self.db["intake.classification_open"].count_documents({"_id": who.ref.id}),
        }


@pytest.fixture(scope="module")
async def services(own_stack: StackInfo) -> AsyncIterator[Services]:
    stack = own_stack
    settings = settings_for(stack, max_upload_bytes=MAX_UPLOAD)
    intake, validator = create_intake(settings), create_validator(settings)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    try:
        async with intake.router.lifespan_context(intake), validator.router.lifespan_context(validator):
            transport = httpx.ASGITransport(app=intake)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake", timeout=60) as http:
                yield Services(stack, settings, http, client[settings.mongo_db])
    finally:
        await client.close()


def error_of(answer: httpx.Response) -> tuple[int, str, Any]:
    error = answer.json()["error"]
    assert error["message"]["ar"] and error["message"]["en"]
    return answer.status_code, error["code"], error.get("details")


async def records_on(stack: StackInfo, topic: Topic, keys: set[str]) -> list[tuple[dict[str, Any], bytes]]:
    """(body, raw record bytes with headers) of every record on `topic` keyed by one of `keys`."""
    return [
        (json.loads(r.value), r.value + b"".join(k.encode() + v for k, v in r.headers))
        for r in await read_all(stack.kafka_bootstrap, topic.name)
        if r.key is not None and r.key.decode() in keys
    ]


NO_FILES = {"requests": 0, "submissions": 0, "files": 0, "open": 0}


async def test_a_complete_request_travels_to_approval_and_changes_the_classification(services: Services) -> None:
    who = await services.practitioner(classification="nursing.technician")
    assert (await services.me(who))["classification"]["code"] == "nursing.technician"
    documents = {"degree": scan(), "licence": scan()}

    answer = await services.send(who, "nursing.specialist", documents)
    assert answer.status_code == 202, answer.text
    request_id = answer.json()["request_id"]
    assert answer.headers["location"] == f"/v1/classification-requests/{request_id}"
    submission_of = {d["document_type"]: d["submission_id"] for d in answer.json()["documents"]}
    assert set(submission_of) == {"degree", "licence"}
    assert (await services.me(who))["classification_request_id"] == request_id

    # One submission.received per document, one classification.requested: with the HMAC, never the ID number.
    received = await records_on(services.stack, topics.SUBMISSION_RECEIVED, set(submission_of.values()))
    assert sorted(body["document_type"] for body, _ in received) == ["degree", "licence"]
    assert {(body["kind"], body["request_id"]) for body, _ in received} == {("classification_document", request_id)}
    [(requested, raw)] = await records_on(services.stack, topics.CLASSIFICATION_REQUESTED, {request_id})
    assert requested["candidate_ref"] == candidate_ref(who.id_number, services.settings)
    assert (requested["membership_number"], requested["current"]["code"], requested["target"]["code"]) == (
        who.membership_number,
        "nursing.technician",
        "nursing.specialist",
    )
    assert {(d["document_type"], d["submission_id"]) for d in requested["documents"]} == set(submission_of.items())
    assert (requested["required_exams"], Decimal(requested["fee"]), requested["conditions_version"]) == (
        ["SNLE"],
        Decimal("600"),
        CONDITIONS_VERSION,
    )
    for _, record in [*received, (requested, raw)]:
        assert who.id_number.encode() not in record

    # The validator checks each document like a certificate; its verdict names the request and document.
    view = await services.reach(who, request_id, "validating", probe_documents="validated")
    validated = await records_on(services.stack, topics.SUBMISSION_VALIDATED, set(submission_of.values()))
    assert {(body["request_id"], body["document_type"]) for body, _ in validated} == {
        (request_id, "degree"),
        (request_id, "licence"),
    }
    assert [d["label"]["en"] for d in view["documents"]] == ["Degree certificate", "Professional licence"]
    document = (await services.intake.get(f"/v1/certificates/{submission_of['degree']}", headers=who.auth)).json()
    assert (document["kind"], document["request_id"], document["document_type"]) == (
        "classification_document",
        request_id,
        "degree",
    )
    assert (await services.intake.get("/v1/certificates", headers=who.auth)).json()["items"] == []

    # What review publishes next: the invoice, the queue, the decision and the change.
    target = CLASSIFICATIONS["nursing.specialist"]
    issued = now()
    await services.publish(
        topics.FEE_INVOICED,
        FeeInvoiced(
            invoice_id=unique("inv"),
            bill_number="100200300",
            request_id=request_id,
            practitioner=who.ref,
            classification=target.ref(),
            amount=Decimal("600.00"),
            issued_at=issued,
            due_at=issued + timedelta(hours=24),
        ),
        request_id,
    )
    view = await services.reach(who, request_id, "awaiting_payment")
    assert (view["invoice"]["amount"], view["invoice"]["bill_number"]) == ("600.00", "100200300")
    assert view["invoice"]["due_at"].startswith((issued + timedelta(hours=24)).date().isoformat())

    await services.publish(
        topics.REVIEW_QUEUED,
        ReviewQueued(
            submission_id=request_id,
            review_id=request_id,
            kind=SubmissionKind.CLASSIFICATION,
            practitioner=who.ref,
            queued_at=now(),
        ),
        request_id,
    )
    await services.reach(who, request_id, "in_review")

    await services.publish(
        topics.REVIEW_DECIDED,
        ReviewDecided(
            submission_id=request_id,
            review_id=request_id,
            kind=SubmissionKind.CLASSIFICATION,
            practitioner=who.ref,
            decision=Decision.APPROVE,
            reviewer_id="rev-test",
            decided_at=now(),
        ),
        request_id,
    )
    await services.publish(
        topics.CLASSIFICATION_CHANGED,
        ClassificationChanged(
            request_id=request_id,
            practitioner=who.ref,
            previous=CLASSIFICATIONS["nursing.technician"].ref(),
            classification=target.ref(),
            changed_at=now(),
        ),
        request_id,
    )
    view = await services.reach(who, request_id, "approved")
    assert [s["status"] for s in view["timeline"]] == ["validating", "awaiting_payment", "in_review", "approved"]

    async def changed() -> dict[str, Any] | None:
        me = await services.me(who)
        return me if me["classification"] and me["classification"]["code"] == "nursing.specialist" else None

    me = await eventually(changed, what="the classification in /v1/me")
    assert me["classification"]["label"] == {"ar": "أخصائي تمريض", "en": "Nursing Specialist"}
    assert me["classification_request_id"] is None
    assert [
        r["request_id"]
        for r in (await services.intake.get("/v1/classification-requests", headers=who.auth)).json()["items"]
    ] == [request_id]

    # Closed: the next step up may be asked for.
    again = await services.send(
        who, "nursing.senior_specialist", {"degree": scan(), "licence": scan(), "experience_certificate": scan()}
    )
    assert again.status_code == 202, again.text


async def test_incomplete_requests_are_refused_with_what_is_missing_and_store_nothing(services: Services) -> None:
    who = await services.practitioner(classification="pharmacy.specialist")
    answer = await services.send(who, "pharmacy.senior_specialist", {"licence": scan(), "selfie": scan()})
    assert error_of(answer) == (
        422,
        "classification.incomplete",
        {"missing_documents": ["degree", "experience_certificate"], "unknown_documents": ["selfie"]},
    )

    not_a_step = await services.send(who, "pharmacy.consultant", {"degree": scan()})
    assert error_of(not_a_step) == (
        422,
        "classification.step_not_allowed",
        {"current": "pharmacy.specialist", "allowed": ["pharmacy.senior_specialist"]},
    )
    stale = await services.send(who, "pharmacy.senior_specialist", {}, version="2020-01")
    assert error_of(stale) == (
        422,
        "classification.conditions_not_accepted",
        {"conditions_version": CONDITIONS_VERSION},
    )
    declined = await services.send(who, "pharmacy.senior_specialist", {}, accept=False)
    assert error_of(declined)[:2] == (422, "classification.conditions_not_accepted")

    required = {"degree": scan(), "licence": scan()}
    empty = await services.send(who, "pharmacy.senior_specialist", {**required, "experience_certificate": b""})
    assert error_of(empty) == (400, "file.empty", {"document_type": "experience_certificate"})
    text = await services.send(who, "pharmacy.senior_specialist", {**required, "experience_certificate": b"%!PS-Adobe"})
    assert error_of(text)[:2] == (415, "file.unsupported_type")
    too_large = await services.send(
        who, "pharmacy.senior_specialist", {**required, "experience_certificate": b"\xff\xd8\xff" + bytes(MAX_UPLOAD)}
    )
    assert error_of(too_large) == (
        413,
        "file.too_large",
        {"max_bytes": MAX_UPLOAD, "document_type": "experience_certificate"},
    )

    assert await services.stored_for(who) == NO_FILES
    assert (await services.me(who))["classification_request_id"] is None


async def test_only_the_callers_own_membership_number_is_accepted(services: Services) -> None:
    who, other = await services.practitioner(), await services.practitioner()
    answer = await services.send(who, "medicine.technician", {"degree": scan()}, membership=other.membership_number)
    assert error_of(answer) == (403, "classification.not_your_membership", None)
    assert await services.stored_for(who) == NO_FILES
    assert await services.stored_for(other) == NO_FILES

    mine = await services.send(who, "medicine.technician", {"degree": pdf_bytes()})
    assert mine.status_code == 202, mine.text
    # Another practitioner's request does not exist for them.
    assert error_of(await services.view(other, mine.json()["request_id"]))[:2] == (404, "not_found")


async def test_one_open_request_at_a_time_even_when_two_race(services: Services) -> None:
    who = await services.practitioner()
    answers = await asyncio.gather(
        services.send(who, "nursing.technician", {"degree": scan()}),
        services.send(who, "nursing.technician", {"degree": scan()}),
    )
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 202).json()["request_id"]
    loser = next(a for a in answers if a.status_code == 409)
    assert error_of(loser) == (409, "classification.request_open", {"request_id": winner})
    # The loser's file went with its transaction.
    assert await services.stored_for(who) == {"requests": 1, "submissions": 1, "files": 1, "open": 1}

    later = await services.send(who, "nursing.technician", {"degree": scan()})
    assert error_of(later) == (409, "classification.request_open", {"request_id": winner})


async def test_a_rejected_document_closes_the_request_and_a_new_one_may_follow(services: Services) -> None:
    who = await services.practitioner(classification="medicine.technician")
    tiny = jpeg_bytes(320, 240, seed=next(SEEDS))  # below the validator's minimum resolution
    degree = scan()
    answer = await services.send(who, "medicine.specialist", {"degree": degree, "licence": tiny})
    assert answer.status_code == 202, answer.text
    request_id = answer.json()["request_id"]

    view = await services.reach(who, request_id, "validation_failed")
    licence = next(d for d in view["documents"] if d["document_type"] == "licence")
    assert licence["status"] == "validation_failed" and licence["problems"][0]["code"] == "image.too_small"
    [(rejected, _)] = await records_on(services.stack, topics.SUBMISSION_REJECTED, {licence["submission_id"]})
    assert (rejected["request_id"], rejected["document_type"]) == (request_id, "licence")
    assert (await services.me(who))["classification_request_id"] is None

    # The same good degree scan again, with a fixed licence: documents of a request that ended are
    # not "pending duplicates" (only certificates take part in the validator's duplicate check).
    again = await services.send(who, "medicine.specialist", {"degree": degree, "licence": scan()})
    assert again.status_code == 202, again.text
    assert (await services.me(who))["classification_request_id"] == again.json()["request_id"]
    await services.reach(who, again.json()["request_id"], "validating", probe_documents="validated")


async def test_an_unpaid_fee_lapses_the_request(services: Services) -> None:
    who = await services.practitioner()
    answer = await services.send(who, "pharmacy.technician", {"degree": scan()})
    request_id = answer.json()["request_id"]
    await services.reach(who, request_id, "validating", probe_documents="validated")
    target = CLASSIFICATIONS["pharmacy.technician"]
    issued = now()
    invoice = FeeInvoiced(
        invoice_id=unique("inv"),
        bill_number="100200301",
        request_id=request_id,
        practitioner=who.ref,
        classification=target.ref(),
        amount=target.fee,
        issued_at=issued,
        due_at=issued + timedelta(hours=24),
    )
    await services.publish(topics.FEE_INVOICED, invoice, request_id)
    await services.reach(who, request_id, "awaiting_payment")
    expired_at = issued + timedelta(hours=24, seconds=1)
    await services.publish(
        topics.FEE_EXPIRED,
        FeeExpired(
            invoice_id=invoice.invoice_id,
            bill_number=invoice.bill_number,
            request_id=request_id,
            practitioner=who.ref,
            expired_at=expired_at,
        ),
        request_id,
    )
    await services.publish(
        topics.CLASSIFICATION_LAPSED,
        ClassificationLapsed(
            request_id=request_id, practitioner=who.ref, classification=target.ref(), lapsed_at=expired_at
        ),
        request_id,
    )

    view = await services.reach(who, request_id, "lapsed")
    assert [s["status"] for s in view["timeline"]] == ["validating", "awaiting_payment", "fee_expired", "lapsed"]
    me = await services.me(who)
    assert (me["classification"], me["classification_request_id"]) == (None, None)


async def test_the_catalogue_is_public(services: Services) -> None:
    answer = await services.intake.get("/v1/classifications")
    assert answer.status_code == 200
    codes = {item["code"]: item for item in answer.json()["items"]}
    assert codes["medicine.consultant"]["fee"] == "1500.00"
    assert answer.json()["conditions_version"] == CONDITIONS_VERSION
