"""Each service's /metrics after real traffic: FastStream's message series, consumer lag per
topic/partition/group, dead-letter sizes and HTTP request series, with real values."""

import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.test_pipeline import reach, upload

pytestmark = pytest.mark.e2e


async def scrape(http: httpx.AsyncClient, url: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = (await http.get(f"{url}/metrics")).text
    series: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, []).append((sample.labels, sample.value))
    return series


async def test_metrics_expose_messages_lag_dead_letters_and_http_requests_after_traffic(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    submission_id = (await upload(http, pipeline, auth, jpeg_bytes(seed=91))).json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")
    assert (
        await http.get(f"{pipeline.url('review')}/v1/review/{submission_id}", headers=pipeline.reviewer())
    ).status_code == 200

    review = await scrape(http, pipeline.url("review"))
    received = [
        v
        for labels, v in review["faststream_received_messages_total"]
        if labels.get("handler") == "submission.validated"
    ]
    assert received and sum(received) >= 1
    lag = [(labels, v) for labels, v in review["mumaris_consumer_lag"] if labels["topic"] == "submission.validated"]
    assert {labels["group"] for labels, _ in lag} == {"review"}
    assert {labels["partition"] for labels, _ in lag} == {"0", "1", "2"}
    assert all(v >= 0 for _, v in lag)
    assert {labels["topic"] for labels, _ in review["mumaris_dlq_messages"]} >= {"submission.validated"}
    answered = [
        (labels, v)
        for labels, v in review["mumaris_http_requests_total"]
        if labels["route"] == "/v1/review/{review_id}" and labels["status"] == "200"
    ]
    assert answered and answered[0][1] >= 1  # the route template, never the id itself
    assert not any(submission_id in labels["route"] for labels, _ in review["mumaris_http_requests_total"])

    intake = await scrape(http, pipeline.url("intake"))
    uploads = [
        v
        for labels, v in intake["mumaris_http_requests_total"]
        if labels["route"] == "/v1/certificates" and labels["method"] == "POST"
    ]
    assert uploads and uploads[0] >= 1
    assert any(re.fullmatch(r"mumaris_http_request_duration_seconds_(bucket|count|sum)", name) for name in intake)
    # An area's own consumer group shows too, even before it has committed anything.
    registry_lag = {
        labels["topic"] for labels, _ in intake["mumaris_consumer_lag"] if labels["group"] == "intake-registry"
    }
    assert "registration.expiring" in registry_lag


async def test_every_series_the_dashboard_plots_is_exported(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    from mumaris.tools.dashboard import ON_FIRST_FAILURE, SERIES

    _, auth = pipeline.practitioner()
    submission_id = (await upload(http, pipeline, auth, jpeg_bytes(seed=92))).json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")
    exported: set[str] = set()
    for service in ("intake", "validator", "review", "notifier"):
        exported |= set(await scrape(http, pipeline.url(service)))
    assert exported >= SERIES - ON_FIRST_FAILURE, sorted(SERIES - ON_FIRST_FAILURE - exported)
    review = await scrape(http, pipeline.url("review"))
    waiting = [v for labels, v in review["mumaris_review_queue_items"] if labels["state"] == "waiting"]
    assert waiting and waiting[0] >= 1


async def test_each_service_documents_what_it_consumes_in_asyncapi(pipeline: Pipeline, http: httpx.AsyncClient) -> None:
    from schemas.topics import CATALOGUE

    for service in ("intake", "validator", "review", "notifier"):
        document = (await http.get(f"{pipeline.url(service)}/asyncapi.json")).json()
        channels = {name.split(":", 1)[1]: channel for name, channel in document["channels"].items()}
        consumed = {name: channel for name, channel in channels.items() if not name.endswith(":publish")}
        published = {name.removesuffix(":publish") for name in channels if name.endswith(":publish")}
        assert set(consumed) == {t.name for t in CATALOGUE if service in t.consumers}, service
        if published:  # services declare what they publish as they move to areas
            assert published == {t.name for t in CATALOGUE if service in t.producers}, service
        for name, channel in consumed.items():
            assert "CloudEvents 1.0" in channel["description"] and f"{name}.dlq" in channel["description"]
        page = await http.get(f"{pipeline.url(service)}/asyncapi")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
