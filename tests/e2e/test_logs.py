"""Operations follow one submission through the four services' log files, and find no personal
data in them: a real sign-up (national ID, mobile, e-mail, SMS code), an upload that reaches the
review queue, and events that carry personal data straight into a dead-letter error line."""

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from mumaris.tools.launcher import SERVICES
from schemas.cloudevents import CloudEventAttributes
from schemas.topics import SUBMISSION_RECEIVED
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.test_accounts import PASSWORD, e164, sign_up_body, sms_code_for
from tests.e2e.test_pipeline import METADATA, reach
from tests.support import eventually, produce, unique, wait_consumed

pytestmark = pytest.mark.e2e

REQUIRED_FIELDS = {"time", "level", "service", "logger", "message"}


def log_lines(path: Path) -> list[dict[str, Any]]:
    """Every complete line of a service's log, parsed (a service may be writing the last one now)."""
    text = path.read_text(encoding="utf-8")
    complete = text[: text.rfind("\n") + 1]
    return [json.loads(line) for line in complete.splitlines()]


def handled(lines: list[dict[str, Any]], submission_id: str) -> dict[str, dict[str, Any]]:
    """This submission's "handled <type>" lines, by event type."""
    return {
        line["event_type"]: line
        for line in lines
        if line.get("submission_id") == submission_id and line["message"].startswith("handled ")
    }


async def signed_up_and_confirmed(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """A practitioner through the whole sign-up: (sign-up body, auth header, the secrets she was sent)."""
    intake = pipeline.url("intake")
    body = sign_up_body()
    account_id = (await http.post(f"{intake}/v1/accounts", json=body)).json()["account_id"]
    code = await sms_code_for(pipeline, e164(body["mobile"]))
    confirmed = await http.post(f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": code})
    assert confirmed.status_code == 200, confirmed.text

    async def confirmation_mail() -> list[Any]:
        return pipeline.mails_to(body["email"])

    [mail] = await eventually(confirmation_mail, what="the confirmation e-mail")
    link = re.search(
        r"https?://\S+confirm-email\?token=([\w.\-]+)", mail.get_body(preferencelist=("plain",)).get_content()
    )
    assert link, "no confirmation link in the e-mail"
    target = urlparse(link.group(0))
    assert (await http.get(f"{intake}/v1/accounts/confirm-email?{target.query}")).status_code == 200
    tokens = (await http.post(f"{intake}/v1/auth/login", json={"email": body["email"], "password": PASSWORD})).json()
    return body, {"Authorization": f"Bearer {tokens['access_token']}"}, [code, link.group(1)]


async def test_one_submission_is_followed_across_the_services_and_no_line_holds_personal_data(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    body, auth, secrets = await signed_up_and_confirmed(pipeline, http)
    answer = await http.post(
        f"{pipeline.url('intake')}/v1/certificates",
        headers=auth,
        data={"metadata": json.dumps(METADATA)},
        files={"file": ("scan.jpg", jpeg_bytes(seed=71), "image/jpeg")},
    )
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")

    # Events whose validation error quotes her ID, mobile and e-mail: each consumer dead-letters
    # them with an ERROR line that would print them, were they not masked.
    probe = unique("probe")
    bootstrap = pipeline.stack.kafka_bootstrap
    headers = CloudEventAttributes.new(source="/tests", type=SUBMISSION_RECEIVED.ce_type, subject=probe).to_headers()
    for leak in ({"m": body["mobile"], "i": body["id_number"]}, {"e": body["email"]}):
        partition, offset = await produce(
            bootstrap, SUBMISSION_RECEIVED.name, json.dumps(leak).encode(), key=probe.encode(), headers=headers
        )
    for group in SUBMISSION_RECEIVED.consumers:
        await wait_consumed(bootstrap, group, SUBMISSION_RECEIVED.name, partition, offset)

    paths = {name: pipeline.group.processes[name].log_path for name in SERVICES}
    # Each consumer of an event leaves its line; the notifier may be the last to get there.
    expected = {
        "intake": {"mumaris.submission.validated.v1", "mumaris.review.queued.v1"},
        "validator": {"mumaris.submission.received.v1"},
        "review": {"mumaris.submission.validated.v1"},
        "notifier": {"mumaris.submission.received.v1", "mumaris.review.queued.v1"},
    }

    async def trail() -> dict[str, dict[str, dict[str, Any]]] | None:
        found = {name: handled(log_lines(path), submission_id) for name, path in paths.items()}
        return found if all(expected[name] <= set(found[name]) for name in SERVICES) else None

    found = await eventually(trail, what=f"the handled lines of {submission_id} in every service")
    for name in SERVICES:
        for event_type in expected[name]:
            line = found[name][event_type]
            assert line["service"] == name and line["level"] == "INFO" and line["event_id"]
            assert re.fullmatch(rf"handled {re.escape(event_type)} from \S+ in \d+ ms", line["message"]), line
    # The same event under the same id in each service that handled it: the thread to pull on.
    assert (
        found["validator"]["mumaris.submission.received.v1"]["event_id"]
        == found["notifier"]["mumaris.submission.received.v1"]["event_id"]
    )
    assert (
        found["review"]["mumaris.submission.validated.v1"]["event_id"]
        == found["intake"]["mumaris.submission.validated.v1"]["event_id"]
    )
    assert (
        found["intake"]["mumaris.review.queued.v1"]["event_id"]
        == found["notifier"]["mumaris.review.queued.v1"]["event_id"]
    )

    every = {name: log_lines(path) for name, path in paths.items()}  # each line parses: valid JSON
    for name, lines in every.items():
        assert all(set(line) >= REQUIRED_FIELDS and line["service"] == name for line in lines), name
    [upload_line] = [line for line in every["intake"] if line.get("request_id") == answer.headers["x-request-id"]]
    assert upload_line["message"].startswith("POST /v1/certificates 202 in ")
    assert upload_line["submission_id"] == submission_id

    dead_letters = [
        line
        for name in ("validator", "notifier")
        for line in every[name]
        if line.get("submission_id") == probe and "dead-lettered" in line["message"]
    ]
    assert len(dead_letters) == 4, dead_letters  # two events, two consumer groups
    masked_id = body["id_number"][0] + "******" + body["id_number"][-3:]
    assert any(masked_id in line["message"] for line in dead_letters)
    assert any("***@example.sa" in line["message"] for line in dead_letters)

    personal = [body["id_number"], body["mobile"], e164(body["mobile"]), body["email"], *secrets]
    for name, path in paths.items():
        text = path.read_text(encoding="utf-8")
        # Standing alone: the six digits of a code occur by chance inside the hex of some id.
        assert not [
            value for value in personal if re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text)
        ], f"personal data in {name}'s log"
