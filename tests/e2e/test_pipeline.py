"""A practitioner's certificate through the four real services over the real broker and database."""

import asyncio
import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from schemas.topics import REVIEW_DECIDED, SUBMISSION_RECEIVED
from tests.documents import jpeg_bytes, png_bytes, truncated_jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.support import eventually, headers_of, produce, read_all, wait_consumed

pytestmark = pytest.mark.e2e

METADATA = {
    "name": "Basic Life Support (BLS)",
    "obtained_on": "2025-03-14",
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Training certificate",
}


async def upload(
    http: httpx.AsyncClient,
    pipeline: Pipeline,
    auth: dict[str, str],
    data: bytes,
    filename: str = "scan.jpg",
    metadata: dict[str, Any] | None = None,
) -> httpx.Response:
    return await http.post(
        f"{pipeline.url('intake')}/v1/certificates",
        headers=auth,
        data={"metadata": json.dumps(metadata or METADATA)},
        files={"file": (filename, data, "image/jpeg")},
    )


async def status_of(
    http: httpx.AsyncClient, pipeline: Pipeline, auth: dict[str, str], submission_id: str
) -> dict[str, Any]:
    answer = await http.get(f"{pipeline.url('intake')}/v1/certificates/{submission_id}", headers=auth)
    answer.raise_for_status()
    return answer.json()


async def reach(
    http: httpx.AsyncClient,
    pipeline: Pipeline,
    auth: dict[str, str],
    submission_id: str,
    status: str,
    timeout: float = 60,
) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        view = await status_of(http, pipeline, auth, submission_id)
        return view if view["status"] == status else None

    return await eventually(probe, timeout=timeout, what=f"{submission_id} to reach {status}")


async def test_a_certificate_travels_from_upload_to_approval_and_the_practitioner_hears_of_it(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    who, auth = pipeline.practitioner(locale="en")
    answer = await upload(http, pipeline, auth, jpeg_bytes(900, 700, seed=1))
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    assert answer.headers["location"] == f"/v1/certificates/{submission_id}"

    await reach(http, pipeline, auth, submission_id, "in_review")
    queue = (await http.get(f"{pipeline.url('review')}/v1/review/queue", headers=pipeline.reviewer())).json()
    item = next(i for i in queue["items"] if i["submission_id"] == submission_id)
    assert item["certificate"]["institution"] == METADATA["institution"]
    assert {f["rule"] for f in item["findings"]} >= {"file.size", "file.type", "file.parse"}

    decided = await pipeline.decide(http, submission_id, {"decision": "approve"})
    assert decided.status_code == 200, decided.text

    final = await reach(http, pipeline, auth, submission_id, "approved")
    steps = [s["status"] for s in final["timeline"]]
    assert steps == ["received", "validated", "in_review", "approved"]
    times = [datetime.fromisoformat(s["at"]) for s in final["timeline"]]
    assert times == sorted(times)

    async def mail() -> list[Any]:
        return pipeline.mails_to(who.email)

    [email] = await eventually(mail, what="the approval e-mail")
    assert "approved" in email["Subject"].lower()
    assert "تم اعتماد" in email["Subject"]  # both languages, the practitioner's first
    assert email["Subject"].index("approved") < email["Subject"].index("تم")
    text = email.get_body(preferencelist=("plain",)).get_content()
    html = email.get_body(preferencelist=("html",)).get_content()
    assert submission_id in text and submission_id in html
    assert 'dir="rtl"' in html

    async def three_messages() -> dict[str, Any] | None:
        inbox = (await http.get(f"{pipeline.url('notifier')}/v1/inbox", headers=auth)).json()
        return inbox if inbox["total"] == 3 else None

    # Every step the practitioner follows: received, in review, approved (each once).
    inbox = await eventually(three_messages, what="received, in review and approved in the inbox")
    assert inbox["unread"] == 3
    assert sorted(m["kind"] for m in inbox["items"]) == ["review.approved", "review.queued", "submission.received"]
    approved = next(m for m in inbox["items"] if m["kind"] == "review.approved")
    assert "approved" in approved["title"].lower()


async def test_a_scan_that_fails_validation_comes_back_to_the_practitioner_with_what_to_fix(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    who, auth = pipeline.practitioner()
    answer = await upload(http, pipeline, auth, truncated_jpeg_bytes())
    assert answer.status_code == 202  # it looks like a JPEG; only decoding it shows the damage
    view = await reach(http, pipeline, auth, answer.json()["submission_id"], "validation_failed")
    failed = [f for f in view["findings"] if f["outcome"] == "fail"]
    assert [f["code"] for f in failed] == ["file.corrupt"]
    assert failed[0]["message"]["ar"] and failed[0]["message"]["en"]

    async def mail() -> list[Any]:
        return pipeline.mails_to(who.email)

    [email] = await eventually(mail, what="the rejection e-mail")
    assert failed[0]["message"]["en"] in email.get_body(preferencelist=("plain",)).get_content()


async def test_a_file_that_is_not_a_pdf_or_jpeg_is_refused_with_a_code_and_changes_nothing(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(pipeline.settings.mongo_uri)
    files_before = await client[pipeline.settings.mongo_db]["files.files"].count_documents({})

    answer = await upload(http, pipeline, auth, png_bytes(), filename="certificate.jpg")

    assert answer.status_code == 415
    error = answer.json()["error"]
    assert error["code"] == "file.unsupported_type"
    assert "PDF" in error["message"]["en"] and "JPEG" in error["message"]["ar"]
    mine = (await http.get(f"{pipeline.url('intake')}/v1/certificates", headers=auth)).json()
    assert mine["items"] == []
    assert await client[pipeline.settings.mongo_db]["files.files"].count_documents({}) == files_before
    await client.close()


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({**METADATA, "obtained_on": "yesterday"}, "obtained_on"),
        ({k: v for k, v in METADATA.items() if k != "institution"}, "institution"),
    ],
)
async def test_bad_metadata_is_refused_with_the_field_named(
    pipeline: Pipeline, http: httpx.AsyncClient, metadata: dict[str, Any], field: str
) -> None:
    _, auth = pipeline.practitioner()
    answer = await upload(http, pipeline, auth, jpeg_bytes(), metadata=metadata)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "request.metadata_invalid"
    assert [d["field"] for d in error["details"]] == [field]


async def test_uploads_need_a_valid_practitioner_token(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    anonymous = await upload(http, pipeline, {}, jpeg_bytes())
    forged = await upload(http, pipeline, {"Authorization": "Bearer not.a.token"}, jpeg_bytes())
    reviewer = await upload(http, pipeline, pipeline.reviewer(), jpeg_bytes())
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "auth.required")
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "auth.invalid_token")
    assert (reviewer.status_code, reviewer.json()["error"]["code"]) == (403, "auth.forbidden")


async def test_an_oversized_upload_is_refused_before_it_is_read(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    _, auth = pipeline.practitioner()
    too_big = b"\xff\xd8\xff" + b"\x00" * (pipeline.settings.max_upload_bytes + 1)
    answer = await upload(http, pipeline, auth, too_big)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "file.too_large"


async def test_a_practitioner_cannot_read_another_practitioners_submission(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, owner = pipeline.practitioner()
    _, stranger = pipeline.practitioner()
    submission_id = (await upload(http, pipeline, owner, jpeg_bytes(seed=5))).json()["submission_id"]
    answer = await http.get(f"{pipeline.url('intake')}/v1/certificates/{submission_id}", headers=stranger)
    assert answer.status_code == 404


async def test_the_same_file_cannot_be_sent_again_while_it_is_pending(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    scan = jpeg_bytes(seed=11)
    first = await upload(http, pipeline, auth, scan)
    second = await upload(http, pipeline, auth, scan)
    assert second.status_code == 409
    assert second.json()["error"]["details"]["pending_submission_id"] == first.json()["submission_id"]


async def test_a_malformed_event_is_dead_lettered_and_the_validator_keeps_going(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    bootstrap = pipeline.stack.kafka_bootstrap
    partition, offset = await produce(
        bootstrap, SUBMISSION_RECEIVED.name, b'{"submission_id": 42', key=b"broken", headers={"ce_id": "broken-1"}
    )
    await wait_consumed(bootstrap, "validator", SUBMISSION_RECEIVED.name, partition, offset)

    # Each consumer group of the topic dead-letters its own copy (the notifier reads it too).
    dead = [
        r
        for r in await read_all(bootstrap, SUBMISSION_RECEIVED.dlq)
        if r.key == b"broken" and headers_of(r)["x-dlq-service"] == "validator"
    ]
    assert len(dead) == 1
    assert dead[0].value == b'{"submission_id": 42'

    _, auth = pipeline.practitioner()
    answer = await upload(http, pipeline, auth, jpeg_bytes(seed=3))
    await reach(http, pipeline, auth, answer.json()["submission_id"], "in_review")


async def test_a_decision_delivered_twice_takes_effect_once(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    who, auth = pipeline.practitioner()
    submission_id = (await upload(http, pipeline, auth, jpeg_bytes(seed=4))).json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")
    await pipeline.decide(
        http,
        submission_id,
        {"decision": "reject", "reason_codes": ["incomplete_document"], "reason": "The scan is cut off."},
    )
    await reach(http, pipeline, auth, submission_id, "rejected")

    bootstrap = pipeline.stack.kafka_bootstrap
    [original] = [r for r in await read_all(bootstrap, REVIEW_DECIDED.name) if r.key == submission_id.encode()]
    partition, offset = await produce(
        bootstrap, REVIEW_DECIDED.name, original.value, key=original.key, headers=headers_of(original)
    )
    for group in REVIEW_DECIDED.consumers:
        await wait_consumed(bootstrap, group, REVIEW_DECIDED.name, partition, offset)

    view = await status_of(http, pipeline, auth, submission_id)
    assert [s["status"] for s in view["timeline"]].count("rejected") == 1
    assert len(pipeline.mails_to(who.email)) == 1
    inbox = (await http.get(f"{pipeline.url('notifier')}/v1/inbox", headers=auth)).json()
    assert [m["kind"] for m in inbox["items"]].count("review.rejected") == 1


async def test_two_reviewers_claiming_at_once_yield_one_holder_and_one_decision(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    submission_id = (await upload(http, pipeline, auth, jpeg_bytes(seed=6))).json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")
    review = f"{pipeline.url('review')}/v1/review/{submission_id}"
    first, second = pipeline.reviewer(), pipeline.reviewer()
    claims = await asyncio.gather(
        http.post(f"{review}/claim", headers=first), http.post(f"{review}/claim", headers=second)
    )
    assert sorted(c.status_code for c in claims) == [200, 409]
    holder = first if claims[0].status_code == 200 else second
    loser = second if holder is first else first
    assert next(c for c in claims if c.status_code == 409).json()["error"]["code"] == "review.claimed_by_other"

    refused = await http.post(f"{review}/decision", headers=loser, json={"decision": "approve"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "review.claim_required")
    answers = await asyncio.gather(
        http.post(f"{review}/decision", headers=holder, json={"decision": "approve"}),
        http.post(
            f"{review}/decision", headers=holder, json={"decision": "reject", "reason_codes": ["document_illegible"]}
        ),
    )
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert next(a for a in answers if a.status_code == 409).json()["error"]["code"] == "review.already_decided"
    history = (await http.get(f"{review}/history", headers=loser)).json()["entries"]
    assert [e["action"] for e in history] == ["claimed", "decided"]


async def test_the_inbox_pages_newest_first_and_only_its_owner_can_mark_a_message_read(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    _, stranger = pipeline.practitioner()
    notifier = pipeline.url("notifier")
    for seed in (41, 42):  # two damaged scans: each gives "received" and "needs corrections"
        answer = await upload(http, pipeline, auth, truncated_jpeg_bytes(keep=0.5 + seed / 1000))
        await reach(http, pipeline, auth, answer.json()["submission_id"], "validation_failed")

    async def four_messages() -> dict[str, Any] | None:
        inbox = (await http.get(f"{notifier}/v1/inbox", headers=auth)).json()
        return inbox if inbox["total"] == 4 else None

    inbox = await eventually(four_messages, what="four inbox messages")
    assert inbox["unread"] == 4
    first_page = (await http.get(f"{notifier}/v1/inbox?size=1", headers=auth)).json()
    second_page = (await http.get(f"{notifier}/v1/inbox?size=1&page=2", headers=auth)).json()
    newest, older = first_page["items"][0], second_page["items"][0]
    assert newest["created_at"] >= older["created_at"] and newest["id"] != older["id"]

    assert (await http.post(f"{notifier}/v1/inbox/{newest['id']}/read", headers=stranger)).status_code == 404
    assert (await http.post(f"{notifier}/v1/inbox/{newest['id']}/read", headers=auth)).status_code == 204
    assert (
        await http.post(f"{notifier}/v1/inbox/{newest['id']}/read", headers=auth)
    ).status_code == 204  # twice is fine
    after = (await http.get(f"{notifier}/v1/inbox", headers=auth)).json()
    assert after["unread"] == 3
    assert [m["read"] for m in after["items"]] == [True, False, False, False]
    bad = await http.get(f"{notifier}/v1/inbox?size=1000", headers=auth)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "request.invalid")
