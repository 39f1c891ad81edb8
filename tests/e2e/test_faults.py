"""The four services under faults, with uploads flowing hard: the broker stopped or killed for 30 s,
the database stopped for 12 s. Nothing accepted is lost, nothing doubles, nothing is stuck, no
service is restarted, and the outbox relays of intake, validator and review heal by themselves.
These tests stop the servers, so they run on a stack of their own.

OCR is off here: these tests are about delivery under faults, and at this rate OCR would only make
the validator's queue longer (it has its own tests)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pymongo import AsyncMongoClient

from mumaris.tools.launcher import SERVICES
from mumaris.tools.stack import LocalStack
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from mumaris.topic_status import topic_status
from schemas.topics import (
    CATALOGUE,
    REVIEW_QUEUED,
    SUBMISSION_RECEIVED,
    SUBMISSION_VALIDATED,
    Topic,
    all_topic_names,
)
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline, start_pipeline
from tests.e2e.test_pipeline import reach, upload
from tests.load import (
    UploadLoad,
    copies_per_event,
    distinct_scans,
    statuses,
    wait_until_all_reach,
)
from tests.support import committed_offset, eventually, read_all

pytestmark = pytest.mark.e2e

RATE = 8.0  # uploads per second: enough for sends in flight on every partition of every relay
OUTAGE_S = 30.0
RELAYS = ("intake", "validator", "review")


@pytest.fixture(scope="module")
def fault_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Pipeline, LocalStack]]:
    stack = LocalStack(tmp_path_factory.mktemp("fault-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        with MailCatcher() as mail, SmsGatewayStandIn() as sms:
            settings, group = start_pipeline(
                stack.info,
                mail,
                sms,
                tmp_path_factory.mktemp("fault-logs"),
                env={"MUMARIS_OCR_ENABLED": "false", "MUMARIS_OUTBOX_STUCK_AFTER_S": "20"},
            )
            try:
                yield Pipeline(stack.info, settings, group, mail, sms), stack
            finally:
                group.stop_all()
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def scans() -> list[bytes]:
    return distinct_scans(int(RATE * (OUTAGE_S + 15)) + 10)


def pids(pipeline: Pipeline) -> dict[str, int]:
    return {
        name: service.process.pid
        for name, service in pipeline.group.processes.items()
        if service.process.poll() is None
    }


async def health(http: httpx.AsyncClient, pipeline: Pipeline, service: str) -> dict[str, object]:
    try:
        return (await http.get(f"{pipeline.url(service)}/healthz", timeout=5)).json()
    except httpx.HTTPError as exc:
        return {"status": "unreachable", "reason": repr(exc)}


async def watch_health(
    http: httpx.AsyncClient, pipeline: Pipeline, seen: dict[str, set[str]], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        for service in RELAYS:
            report = await health(http, pipeline, service)
            seen.setdefault(service, set()).add(str(report.get("status")))
        await asyncio.sleep(1.0)


async def total_lag(pipeline: Pipeline) -> int:
    consumed = [topic.name for topic in CATALOGUE if topic.consumers]
    return sum(
        status.total_lag(group)
        for status in await topic_status(pipeline.stack.kafka_bootstrap, consumed)
        for group in SERVICES
    )


async def wait_for_no_lag(pipeline: Pipeline, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (lag := await total_lag(pipeline)) and time.monotonic() < deadline:
        await asyncio.sleep(1.0)
    assert lag == 0, f"consumers still {lag} records behind"


async def assert_copies_bounded(pipeline: Pipeline, accepted: int) -> None:
    for topic in (SUBMISSION_RECEIVED, SUBMISSION_VALIDATED, REVIEW_QUEUED):
        records, distinct, most = await copies_per_event(pipeline.stack.kafka_bootstrap, topic.name)
        # A relay resends only what was not acknowledged: at most what was in flight when the
        # broker went, a small fraction of the whole, never a multiple of it.
        assert records - distinct <= max(20, distinct // 5), (topic.name, records, distinct)
        assert most <= 3, (topic.name, most)


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
async def test_uploads_through_a_broker_outage_all_reach_review_and_every_relay_heals(
    fault_pipeline: tuple[Pipeline, LocalStack], scans: list[bytes], kill: bool
) -> None:
    pipeline, stack = fault_pipeline
    before = pids(pipeline)
    load = UploadLoad(pipeline.url("intake"), pipeline.settings, scans, RATE)
    seen: dict[str, set[str]] = {}
    watching = asyncio.Event()
    async with httpx.AsyncClient(timeout=30) as http:
        watcher = asyncio.create_task(watch_health(http, pipeline, seen, watching))
        await load.run(http, 5)
        await asyncio.to_thread(stack.kill_kafka if kill else stack.stop_kafka)
        await load.run(http, OUTAGE_S)
        stack.start_kafka()  # on the main thread: the broker dies with the thread that started it
        back = time.monotonic()
        await load.run(http, 5)
        elapsed = await wait_until_all_reach(
            pipeline.stack.mongo_uri, pipeline.settings.mongo_db, load.accepted, "in_review", timeout=120
        )
        recovered_s = time.monotonic() - back
        await wait_for_no_lag(pipeline)
        final = {service: await health(http, pipeline, service) for service in RELAYS}
        watching.set()
        await watcher

    assert load.refused == {} and load.transport_errors == 0  # the outbox takes uploads while the broker is away
    assert len(load.accepted) >= RATE * (OUTAGE_S + 10) * 0.9
    assert recovered_s < 120 and elapsed < 120
    assert pids(pipeline) == before, "a service was restarted"
    await assert_copies_bounded(pipeline, len(load.accepted))
    assert all("degraded" in seen[service] for service in ("intake",)), seen
    assert all(report["status"] == "ok" and report["outbox_pending"] == 0 for report in final.values()), final


async def test_uploads_during_a_database_outage_are_refused_with_retry_after_and_the_rest_complete(
    fault_pipeline: tuple[Pipeline, LocalStack], scans: list[bytes]
) -> None:
    pipeline, stack = fault_pipeline
    before = pids(pipeline)
    load = UploadLoad(pipeline.url("intake"), pipeline.settings, scans[::-1], RATE)
    async with httpx.AsyncClient(timeout=30) as http:
        await load.run(http, 5)
        accepted_before = len(load.accepted)
        await asyncio.to_thread(stack.stop_mongo)
        await load.run(http, 12)
        stack.start_mongo()
        await load.run(http, 5)
        await wait_until_all_reach(
            pipeline.stack.mongo_uri, pipeline.settings.mongo_db, load.accepted, "in_review", timeout=120
        )
        await wait_for_no_lag(pipeline)

    assert accepted_before >= RATE * 5 * 0.8
    assert len(load.accepted) > accepted_before + RATE * 3  # uploads are taken again once it is back
    assert load.refused, "nothing was refused while the database was away"
    assert set(load.refused) == {"503 service.unavailable"}, load.refused
    assert load.retry_after == {"5"}
    assert pids(pipeline) == before, "a service was restarted"
    found = await statuses(pipeline.stack.mongo_uri, pipeline.settings.mongo_db, load.accepted)
    assert found["missing"] == 0


# --- kill -9 while a service works through redeliveries -------------------------------------------
STORM = 1500  # copies of one already-applied event: the service is busy on the "already applied" path


@dataclass(frozen=True)
class Storm:
    service: str
    topic: Topic  # an event of the submission on this topic is redelivered over and over


STORMS = [
    Storm("validator", SUBMISSION_RECEIVED),
    Storm("review", SUBMISSION_VALIDATED),
    Storm("intake", REVIEW_QUEUED),
    Storm("notifier", REVIEW_QUEUED),
]


async def effects(
    pipeline: Pipeline, http: httpx.AsyncClient, auth: dict[str, str], who: str, submission_id: str
) -> dict[str, object]:
    """What the submission has caused anywhere: events per output topic, timeline, inbox, deliveries."""
    bootstrap = pipeline.stack.kafka_bootstrap
    caused: dict[str, object] = {}
    for topic in (SUBMISSION_VALIDATED, REVIEW_QUEUED):
        records = [r for r in await read_all(bootstrap, topic.name) if r.key == submission_id.encode()]
        caused[topic.name] = len({dict(r.headers)["ce_id"] for r in records})
    view = (await http.get(f"{pipeline.url('intake')}/v1/certificates/{submission_id}", headers=auth)).json()
    caused["timeline"] = [step["status"] for step in view["timeline"]]
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(pipeline.stack.mongo_uri)
    try:
        db = client[pipeline.settings.mongo_db]
        caused["inbox"] = await db["notifier.inbox"].count_documents({"recipient_id": who})
        caused["deliveries"] = await db["notifier.deliveries"].count_documents({"recipient_id": who})
        caused["review_items"] = await db["review.items"].count_documents({"_id": submission_id})
    finally:
        await client.close()
    return caused


@pytest.mark.parametrize("storm", STORMS, ids=[f"{s.service}-{s.topic.name}" for s in STORMS])
async def test_a_service_killed_while_it_skips_redelivered_events_changes_nothing_when_it_returns(
    fault_pipeline: tuple[Pipeline, LocalStack], storm: Storm
) -> None:
    pipeline, _ = fault_pipeline
    who, auth = pipeline.practitioner()
    bootstrap = pipeline.stack.kafka_bootstrap
    async with httpx.AsyncClient(timeout=30) as http:
        answer = await upload(http, pipeline, auth, jpeg_bytes(700, 620, seed=90_000 + STORMS.index(storm)))
        submission_id = answer.json()["submission_id"]
        await reach(http, pipeline, auth, submission_id, "in_review")
        await asyncio.sleep(2)  # the in-review notice is delivered
        before = await effects(pipeline, http, auth, who.id, submission_id)

        original = next(r for r in await read_all(bootstrap, storm.topic.name) if r.key == submission_id.encode())
        partition = original.partition
        start = await end_offset(bootstrap, storm.topic.name, partition)
        await produce_copies(bootstrap, original, STORM)

        async def progress() -> int:
            return await committed_offset(bootstrap, storm.service, storm.topic.name, partition) - start

        while (done := await progress()) < 1:
            await asyncio.sleep(0.02)
        assert done < STORM, "the service went through every copy before it could be killed"
        port = pipeline.group.processes[storm.service].port
        pipeline.group.stop(storm.service, kill=True)
        pipeline.group.start(storm.service, port)
        await asyncio.to_thread(pipeline.group.wait_healthy)
        await eventually(lambda: _all_consumed(progress), timeout=120, what=f"{storm.service} to finish the copies")
        after = await effects(pipeline, http, auth, who.id, submission_id)

    assert after == before
    assert not [r for r in await read_all(bootstrap, storm.topic.dlq) if r.key == submission_id.encode()]


async def _all_consumed(progress: Callable[[], Awaitable[int]]) -> bool:
    return await progress() >= STORM


async def end_offset(bootstrap: str, topic: str, partition: int) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        return (await consumer.end_offsets([tp]))[tp]
    finally:
        await consumer.stop()


async def produce_copies(bootstrap: str, record: ConsumerRecord[bytes, bytes], copies: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = [
            await producer.send(
                record.topic, record.value, key=record.key, headers=list(record.headers), partition=record.partition
            )
            for _ in range(copies)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()
