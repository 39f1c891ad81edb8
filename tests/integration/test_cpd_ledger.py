"""The CPD ledger at intake, on the real broker and database: providers' attendance records
(gov.cpd_attendance, in batches) and approved CPD certificates, both shown on the practitioner's
registration (`GET /v1/me/registration`).

Intake runs in this process on a stack of its own (tests/registration_support.py); what providers
and review publish is put on the topics here as real CloudEvents records.
"""

import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from mumaris.clock import now, today_in_riyadh
from mumaris.identity import candidate_ref
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import CertificateMetadata, Decision, PractitionerRef, ReviewDecided, SubmissionKind
from services.intake.accounts.rules import Passwords
from tests.documents import jpeg_bytes
from tests.registration_support import Intake, running_intake
from tests.support import eventually, headers_of, read_all, unique, wait_consumed

pytestmark = pytest.mark.integration

TOPIC = topics.GOV_CPD_ATTENDANCE
PROVIDER = "/providers/saudi-heart-association"


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Intake]:
    async for running in running_intake(own_stack, tmp_path_factory.mktemp("clock") / "shift"):
        yield running


def activity(number: str, hours: str = "6.5", days_ago: int = 0) -> dict[str, Any]:
    return {
        "title": "Advanced Cardiac Life Support (ACLS) update",
        "provider": "Saudi Heart Association",
        "accreditation_number": number,
        "category": "workshop",
        "hours": hours,
        "attended_on": (today_in_riyadh() - timedelta(days=days_ago)).isoformat(),
    }


def attendance(record_id: str, national_id: str, done: dict[str, Any] | str) -> tuple[bytes, dict[str, str]]:
    """A provider's record in binary mode (a new event id each time); `done` may be a broken body."""
    body: Any = (
        done
        if isinstance(done, str)
        else {
            "record_id": record_id,
            "national_id": national_id,
            "activity": done,
            "reported_at": "2026-11-25T09:00:00+00:00",
        }
    )
    attrs = CloudEventAttributes.new(source=PROVIDER, type=TOPIC.ce_type, subject=record_id)
    return (body.encode() if isinstance(body, str) else json.dumps(body).encode()), attrs.to_headers()


async def registered(intake: Intake, code: str = "nursing.technician") -> tuple[PractitionerRef, dict[str, str], str]:
    who, auth, id_number = await intake.practitioner_with_id()
    await intake.approve(who, code)
    await intake.registration(auth)
    return who, auth, id_number


async def cpd_of(intake: Intake, auth: dict[str, str], earned: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        cpd: dict[str, Any] = (await intake.registration(auth))["cpd"]
        return cpd if Decimal(cpd["hours_earned"]) == Decimal(earned) else None

    return await eventually(probe, timeout=60, what=f"{earned} CPD hours credited")


async def test_providers_records_credit_hours_once_and_refusals_keep_no_id_number(intake: Intake) -> None:
    who, auth, id_number = await registered(intake)
    stranger = "1000000008"  # no account has it
    acls, bls, old = f"SHA-{unique('a')[-8:]}", f"SHA-{unique('b')[-8:]}", f"SHA-{unique('c')[-8:]}"
    records = [
        attendance("rec-1", id_number, activity(acls)),
        attendance("rec-1", id_number, activity(acls)),  # the same record republished (a new event id)
        attendance("rec-2", stranger, activity(acls)),  # nobody with that number
        attendance("rec-3", id_number, '{"record_id": "rec-3", "national_id": "' + id_number + '", "activity": 1}'),
        attendance("rec-4", id_number, activity(acls.lower())),  # the same activity, another record of it
        attendance("rec-5", id_number, activity(bls, hours="4")),
        attendance("rec-6", id_number, activity(old, hours="9", days_ago=30)),  # before the registration's cycle
    ]
    partition, offsets = await intake.publish_raw(TOPIC, records)
    await wait_consumed(intake.stack.kafka_bootstrap, "intake", TOPIC.name, partition, offsets[-1], timeout=60)

    cpd = await cpd_of(intake, auth, "10.5")
    assert (cpd["hours_required"], cpd["hours_still_needed"]) == ("20", "9.5")  # nursing technician: 10 a year
    assert sorted((a["accreditation_number"], a["hours"], a["source"]) for a in cpd["activities"]) == sorted(
        [(acls, "6.5", "provider"), (bls, "4", "provider")]
    )
    assert await intake.db["intake.cpd_credits"].count_documents({"practitioner_id": who.id}) == 3  # old counted apart
    assert await intake.db["intake.cpd_records"].count_documents({"record_id": {"$in": ["rec-1", "rec-4"]}}) >= 2

    refusals = {
        r["record_id"]: r for r in await intake.db["intake.cpd_refusals"].find({"publisher": PROVIDER}).to_list()
    }
    assert refusals["rec-2"]["code"] == "feed.unknown_practitioner"
    assert refusals["rec-2"]["candidate_ref"] == candidate_ref(stranger, intake.settings)
    assert stranger not in json.dumps(refusals["rec-2"], default=str)
    assert refusals["rec-4"]["code"] == "cpd.already_credited"
    assert set(refusals) == {"rec-2", "rec-4"}  # rec-1 again was already received: nothing to refuse

    [dead] = [
        h
        for h in map(headers_of, await read_all(intake.stack.kafka_bootstrap, TOPIC.dlq))
        if h["ce_id"] == records[3][1]["ce_id"]
    ]
    assert dead["x-dlq-reason"] in ("invalid_event", "unparseable") and id_number not in dead["x-dlq-error"]


async def test_an_approved_cpd_certificate_is_credited_once_to_its_cycle(intake: Intake) -> None:
    who, auth, id_number = await registered(intake, "pharmacy.specialist")
    declared = activity(f"PH-{unique('x')[-8:]}", hours="5")
    metadata = {
        "name": "Pharmacovigilance certificate",
        "obtained_on": declared["attended_on"],
        "institution": "Saudi Pharmaceutical Society",
        "specialty": "Pharmacy",
        "degree": "CPD certificate",
        "cpd": declared,
    }
    upload = await intake.http.post(
        "/v1/certificates",
        headers=auth,
        data={"metadata": json.dumps(metadata)},
        files={"file": ("scan.jpg", jpeg_bytes(900, 700, seed=41), "image/jpeg")},
    )
    assert upload.status_code == 202, upload.text
    submission_id = upload.json()["submission_id"]
    stored = await intake.db["intake.submissions"].find_one({"_id": submission_id})
    assert (
        stored is not None and stored["certificate"]["cpd"]["accreditation_number"] == declared["accreditation_number"]
    )

    decided = ReviewDecided(
        submission_id=submission_id,
        review_id=submission_id,
        kind=SubmissionKind.CERTIFICATE,
        practitioner=who,
        decision=Decision.APPROVE,
        certificate=CertificateMetadata.model_validate(metadata),
        reviewer_id="rev-1",
        decided_at=now(),
    )
    await intake.publish(topics.REVIEW_DECIDED, decided, submission_id)
    cpd = await cpd_of(intake, auth, "5")
    assert cpd["hours_required"] == "40"  # pharmacists: 20 a year
    assert [(a["source"], a["hours"]) for a in cpd["activities"]] == [("certificate", "5")]

    # The decision delivered again under a new id, and a provider reporting the same activity: still 5 hours.
    again = await intake.publish(topics.REVIEW_DECIDED, decided, submission_id)
    partition, offsets = await intake.publish_raw(TOPIC, [attendance(unique("rec"), id_number, declared)], key=b"other")
    await wait_consumed(intake.stack.kafka_bootstrap, "intake", TOPIC.name, partition, offsets[0], timeout=60)
    await intake.handled(f"{again}/cpd")
    assert (await intake.registration(auth))["cpd"]["hours_earned"] == "5"
    assert await intake.db["intake.cpd_credits"].count_documents({"practitioner_id": who.id}) == 1


def recognition_claim(hours: str, days_ago: int = 0) -> dict[str, Any]:
    return {
        "title": "Resuscitation Council UK: Advanced Life Support",
        "provider": "Resuscitation Council UK",
        "country": "GB",
        "category": "course",
        "hours_claimed": hours,
        "attended_on": (today_in_riyadh() - timedelta(days=days_ago)).isoformat(),
    }


async def request_recognition(intake: Intake, auth: dict[str, str], claim: dict[str, Any], seed: int) -> str:
    answer = await intake.http.post(
        "/v1/me/cpd-recognitions",
        headers=auth,
        data={"claim": json.dumps(claim)},
        files={"file": ("evidence.jpg", jpeg_bytes(900, 700, seed=seed), "image/jpeg")},
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["submission_id"])


def recognition_decided(
    intake: Intake, who: PractitionerRef, submission_id: str, stored: dict[str, Any], **decision: Any
) -> ReviewDecided:
    return ReviewDecided(
        submission_id=submission_id,
        review_id=submission_id,
        kind=SubmissionKind.CPD_RECOGNITION,
        practitioner=who,
        certificate=CertificateMetadata.model_validate(stored["certificate"]),
        reviewer_id="rev-1",
        decided_at=now(),
        **decision,
    )


async def test_hours_recognised_from_abroad_are_credited_once_to_the_cycle_of_their_date(intake: Intake) -> None:
    who, auth, _ = await registered(intake, "medicine.consultant")
    this_cycle = await request_recognition(intake, auth, recognition_claim("8"), seed=51)
    before_it = await request_recognition(intake, auth, recognition_claim("3", days_ago=40), seed=52)
    turned_down = await request_recognition(intake, auth, recognition_claim("2"), seed=53)
    stored = {
        d["_id"]: d
        for d in await intake.db["intake.submissions"]
        .find({"_id": {"$in": [this_cycle, before_it, turned_down]}})
        .to_list()
    }
    assert {d["kind"] for d in stored.values()} == {"cpd_recognition"}
    assert stored[this_cycle]["certificate"]["institution"] == "Resuscitation Council UK"  # what the validator reads
    listed = (await intake.http.get("/v1/certificates", headers=auth)).json()["items"]
    assert this_cycle not in {c["submission_id"] for c in listed}  # not one of her certificates

    # Approved with fewer hours than claimed (part of the course does not count here), delivered twice.
    approved = recognition_decided(
        intake, who, this_cycle, stored[this_cycle], decision=Decision.APPROVE, cpd_hours_recognised=Decimal("6")
    )
    await intake.publish(topics.REVIEW_DECIDED, approved, this_cycle)
    again = await intake.publish(topics.REVIEW_DECIDED, approved, this_cycle)
    older = recognition_decided(
        intake, who, before_it, stored[before_it], decision=Decision.APPROVE, cpd_hours_recognised=Decimal("3")
    )
    await intake.publish(topics.REVIEW_DECIDED, older, before_it)
    rejected = recognition_decided(
        intake,
        who,
        turned_down,
        stored[turned_down],
        decision=Decision.REJECT,
        reason_codes=["incomplete_document"],
        reason="The certificate does not show the hours.",
    )
    declined = await intake.publish(topics.REVIEW_DECIDED, rejected, turned_down)

    cpd = await cpd_of(intake, auth, "6")
    assert [(a["source"], a["hours"], a["country"], a["accreditation_number"]) for a in cpd["activities"]] == [
        ("recognition", "6", "GB", None)
    ]
    await intake.handled(f"{again}/cpd")
    await intake.handled(declined)  # its timeline step; a rejection credits nothing
    assert (await intake.registration(auth))["cpd"]["hours_earned"] == "6"
    credits = await intake.db["intake.cpd_credits"].find({"practitioner_id": who.id}).to_list()
    assert sorted((c["hours"], c["hours_claimed"]) for c in credits) == [("3", "3"), ("6", "8")]  # the older apart

    async def statuses() -> dict[str, Any] | None:
        items = (await intake.http.get("/v1/me/cpd-recognitions", headers=auth)).json()["items"]
        found = {i["submission_id"]: (i["status"], i["hours_recognised"]) for i in items}
        return found if found.get(turned_down, ("",))[0] == "rejected" else None

    shown = await eventually(statuses, timeout=30, what="the recognition requests' decisions")
    assert shown == {this_cycle: ("approved", "6"), before_it: ("approved", "3"), turned_down: ("rejected", None)}


async def test_a_recognition_request_is_refused_without_its_claim_or_dated_in_the_future(intake: Intake) -> None:
    _, auth, _ = await registered(intake)
    evidence = {"file": ("evidence.jpg", jpeg_bytes(900, 700, seed=61), "image/jpeg")}
    no_country = {k: v for k, v in recognition_claim("4").items() if k != "country"}
    missing = await intake.http.post(
        "/v1/me/cpd-recognitions", headers=auth, data={"claim": json.dumps(no_country)}, files=evidence
    )
    assert (missing.status_code, missing.json()["error"]["code"]) == (422, "request.metadata_invalid")
    future = await intake.http.post(
        "/v1/me/cpd-recognitions",
        headers=auth,
        data={"claim": json.dumps(recognition_claim("4", days_ago=-3))},
        files=evidence,
    )
    assert (future.status_code, future.json()["error"]["code"]) == (422, "metadata.date_in_future")
    assert (await intake.http.get("/v1/me/cpd-recognitions", headers=auth)).json()["items"] == []


def text_of(page: str) -> str:
    """What a reader sees of the page: its words without the markup (isolated numbers and dates included)."""
    return re.sub(r"<[^>]+>", "", page)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found[1]


async def test_the_portal_asks_for_a_recognition_and_shows_it_then_its_hours_in_the_ledger(intake: Intake) -> None:
    password = "Sahara-2026!stars"
    who, auth, _ = await intake.practitioner_with_id(password_hash=Passwords().hash(password))
    await intake.approve(who, "nursing.technician")
    await intake.registration(auth)
    sign_in = await intake.http.get("/portal/sign-in")
    form = {"csrf": csrf_of(sign_in.text), "email": who.email, "password": password}
    assert (await intake.http.post("/portal/sign-in", data=form)).status_code == 303

    page = await intake.http.get("/portal/registration/recognitions/new?lang=en")
    assert page.status_code == 200 and 'data-testid="recognition-form"' in page.text
    typed = {**recognition_claim("7.5"), "country": "gbr", "csrf": csrf_of(page.text)}
    evidence = {"file": ("evidence.jpg", jpeg_bytes(900, 700, seed=71), "image/jpeg")}
    refused = await intake.http.post("/portal/registration/recognitions", data=typed, files=evidence)
    assert refused.status_code == 422
    assert 'id="f-country"' in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="Resuscitation Council UK"' in refused.text  # what she typed is kept
    assert await intake.db["intake.submissions"].count_documents({"practitioner_id": who.id}) == 0

    sent = await intake.http.post("/portal/registration/recognitions", data={**typed, "country": "gb"}, files=evidence)
    assert sent.status_code == 303 and sent.headers["location"].endswith(
        "/portal/registration?done=recognition_requested"
    )
    shown = await intake.http.get(sent.headers["location"])
    [stored] = await intake.db["intake.submissions"].find({"practitioner_id": who.id}).to_list()
    assert stored["kind"] == "cpd_recognition" and stored["certificate"]["recognition"]["country"] == "GB"
    assert f'data-submission-id="{stored["_id"]}" data-status="received"' in shown.text
    assert "7.5 hours claimed" in text_of(shown.text)

    approved = recognition_decided(
        intake, who, stored["_id"], stored, decision=Decision.APPROVE, cpd_hours_recognised=Decimal("5")
    )
    await intake.publish(topics.REVIEW_DECIDED, approved, stored["_id"])
    await cpd_of(intake, auth, "5")
    page = await intake.http.get("/portal/registration?lang=en")
    assert 'data-source="recognition"' in page.text and "recognised from abroad" in page.text
    assert "5 of 7.5 hours recognised" in text_of(page.text)
