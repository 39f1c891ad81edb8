"""The classification journey through the four real services: a practitioner asks for the next
classification with its documents; the validator checks them; review invoices the fee; the
practitioner hears of it by inbox and e-mail; the payment system and the testing provider publish
into gov.payments (binary mode) and gov.exams (structured mode); a reviewer approves, which is
refused until the exam is in; the new classification shows on /v1/me and in the inbox."""

import json
import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.clock import now
from schemas import topics
from schemas.classifications import CONDITIONS_VERSION
from services.intake.accounts.rules import make_valid_id, membership_number
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.fee_support import payment, publish
from tests.support import eventually, produce, unique

pytestmark = pytest.mark.e2e


async def an_active_account(pipeline: Pipeline, classification: str) -> tuple[dict[str, str], str, str, str]:
    """(auth header, account id, membership number, ID number) of an account as sign-up leaves it."""
    account_id, email = unique("acct"), f"{unique('huda')}@example.sa"
    id_number = make_valid_id("1", f"{random.randrange(10**8):08d}")
    number = membership_number(random.randrange(1, 10**7))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(pipeline.stack.mongo_uri, tz_aware=True)
    try:
        await client[pipeline.settings.mongo_db]["intake.accounts"].insert_one(
            {
                "_id": account_id,
                "first_name": "Huda",
                "last_name": "Al-Otaibi",
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
    finally:
        await client.close()
    who = Principal(id=account_id, role="practitioner", name="Huda Al-Otaibi", email=email, locale="en")
    return {"Authorization": f"Bearer {issue_token(who, pipeline.settings)}"}, account_id, number, id_number


async def test_a_classification_change_from_request_to_new_classification(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake, review, notifier = pipeline.url("intake"), pipeline.url("review"), pipeline.url("notifier")
    auth, _, number, id_number = await an_active_account(pipeline, "nursing.technician")

    request = {
        "membership_number": number,
        "target": "nursing.specialist",
        "accept_conditions": True,
        "conditions_version": CONDITIONS_VERSION,
    }
    files = {
        kind: (f"{kind}.jpg", jpeg_bytes(900, 700, seed=random.randrange(10**6)), "image/jpeg")
        for kind in ("degree", "licence")
    }
    answer = await http.post(
        f"{intake}/v1/classification-requests", headers=auth, data={"request": json.dumps(request)}, files=files
    )
    assert answer.status_code == 202, answer.text
    request_id = answer.json()["request_id"]

    async def status(wanted: str) -> dict[str, Any] | None:
        view = (await http.get(f"{intake}/v1/classification-requests/{request_id}", headers=auth)).json()
        return view if view["status"] == wanted else None

    view = await eventually(lambda: status("awaiting_payment"), timeout=90, what="the invoice")
    bill, amount = view["invoice"]["bill_number"], view["invoice"]["amount"]
    assert Decimal(amount) == Decimal("600.00")

    async def inbox_kinds() -> list[str]:
        return [m["kind"] for m in (await http.get(f"{notifier}/v1/inbox", headers=auth)).json()["items"]]

    await eventually(lambda: _has(inbox_kinds(), "fee.invoiced"), what="the invoice in the inbox")
    [mail] = await eventually(lambda: _mails(pipeline, view, "Fee invoice"), what="the invoice e-mail")
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert bill in body and "SAR 600.00" in body and "Riyadh time" in body

    # The national payment system pays the bill (binary-mode CloudEvent on gov.payments).
    await publish(pipeline.stack.kafka_bootstrap, topics.GOV_PAYMENTS, payment(bill, amount), source="/gov/sadad")
    await eventually(lambda: status("in_review"), timeout=60, what="the paid request in review")

    reviewer = pipeline.reviewer()
    claimed = await http.post(f"{review}/v1/review/{request_id}/claim", headers=reviewer)
    assert claimed.status_code == 200, claimed.text
    refused = await http.post(
        f"{review}/v1/review/{request_id}/decision", headers=reviewer, json={"decision": "approve"}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "review.exam_missing")
    assert refused.json()["error"]["details"]["missing"] == ["SNLE"]

    # The testing provider publishes the result (structured-mode CloudEvent on gov.exams).
    exam = {
        "specversion": "1.0",
        "id": unique("exam"),
        "source": "/gov/exams",
        "type": topics.GOV_EXAMS.ce_type,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": {
            "result_id": unique("R"),
            "candidate_id_number": id_number,
            "exam": "SNLE",
            "score": 81,
            "passed": True,
            "taken_on": "2026-11-20",
        },
    }
    await produce(
        pipeline.stack.kafka_bootstrap,
        topics.GOV_EXAMS.name,
        json.dumps(exam).encode(),
        key=exam["data"]["result_id"].encode(),
        headers={"content-type": "application/cloudevents+json"},
    )

    async def approved() -> httpx.Response | None:
        answer = await http.post(
            f"{review}/v1/review/{request_id}/decision", headers=reviewer, json={"decision": "approve"}
        )
        return answer if answer.status_code == 200 else None

    await eventually(approved, what="the approval once the exam result is in")

    async def new_classification() -> dict[str, Any] | None:
        me = (await http.get(f"{intake}/v1/me", headers=auth)).json()
        return me if (me.get("classification") or {}).get("code") == "nursing.specialist" else None

    me = await eventually(new_classification, what="the new classification on /v1/me")
    assert me["classification"]["label"]["en"] == "Nursing Specialist"
    await eventually(lambda: status("approved"), what="the request approved")
    await eventually(lambda: _has(inbox_kinds(), "classification.changed"), what="the change in the inbox")


async def _has(kinds: Any, kind: str) -> bool:
    return kind in await kinds


async def _mails(pipeline: Pipeline, view: dict[str, Any], subject: str) -> list[Any] | None:
    found = [
        m
        for m in pipeline.mail.messages
        if subject in m["Subject"] and view["request_id"] in m.get_body(preferencelist=("plain",)).get_content()
    ]
    return found or None
