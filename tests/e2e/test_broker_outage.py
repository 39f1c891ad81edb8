"""Nothing accepted is lost: an upload answered 202 while the broker is down reaches review once
the broker is back. This test stops the broker, so it runs on a stack of its own."""

from collections.abc import Iterator

import httpx
import pytest

from mumaris.tools.stack import LocalStack
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from schemas.topics import all_topic_names
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline, start_pipeline
from tests.e2e.test_pipeline import reach, status_of, upload

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def outage_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, LocalStack]]:
    stack = LocalStack(tmp_path_factory.mktemp("outage-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        with MailCatcher() as mail, SmsGatewayStandIn() as sms:
            settings, group = start_pipeline(stack.info, mail, sms, tmp_path_factory.mktemp("outage-logs"))
            try:
                yield Pipeline(stack.info, settings, group, mail, sms), stack
            finally:
                group.stop_all()
    finally:
        stack.stop()


async def test_an_upload_accepted_while_the_broker_is_down_reaches_review_after_it_returns(
    outage_pipeline: tuple[Pipeline, LocalStack], http: httpx.AsyncClient
) -> None:
    pipeline, stack = outage_pipeline
    _, auth = pipeline.practitioner()
    stack.stop_kafka()
    try:
        answer = await upload(http, pipeline, auth, jpeg_bytes(seed=21))
        assert answer.status_code == 202, answer.text
        submission_id = answer.json()["submission_id"]
        assert (await status_of(http, pipeline, auth, submission_id))["status"] == "received"
        health = (await http.get(f"{pipeline.url('intake')}/healthz")).json()
        assert health["outbox_pending"] >= 1  # stored, waiting for the broker
    finally:
        stack.start_kafka()

    view = await reach(http, pipeline, auth, submission_id, "in_review", timeout=120)
    assert [s["status"] for s in view["timeline"]] == ["received", "validated", "in_review"]
