"""The outbox relay heals by itself after a broker outage, with sends in flight on every
partition: everything written before, during and after the outage is published once the broker is
back, without restarting anything, each key's events in order, copies a small fraction of what was
sent, and the relay's health says `degraded` while it cannot publish. These tests stop and kill
the broker, so they run on a stack of their own."""

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from mumaris.kafka import HealingProducer
from mumaris.mongo import UnitOfWork, make_client
from mumaris.relay import OutboxRelay, RelayLease
from mumaris.settings import Settings
from mumaris.tools.stack import LocalStack, create_topics
from schemas.topics import Topic, all_topic_names
from tests.integration.harness import Ping
from tests.support import read_all, settings_for, unique

pytestmark = pytest.mark.integration

KEYS = 40  # keys spread over every partition
WRITE_RATE = 60  # events per second, so that sends are in flight when the broker goes
OUTAGE_S = 30


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    stack = LocalStack(tmp_path_factory.mktemp("relay-outage-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack
    finally:
        stack.stop()


class RelayUnderLoad:
    """One relay over a fresh outbox, and a writer adding events to it at a steady rate."""

    def __init__(self, stack: LocalStack, topic: Topic) -> None:
        self.topic = topic
        self.settings: Settings = settings_for(
            stack.info,
            mongo_db=unique("relay-heal"),
            outbox_poll_s=0.05,
            outbox_stuck_after_s=10.0,
            outbox_degraded_after_s=2.0,
            kafka_request_timeout_ms=5_000,
        )
        self.service = unique("svc")
        self.client = make_client(self.settings)
        self.uow = UnitOfWork(self.client, self.client[self.settings.mongo_db], self.service)
        self.relay = OutboxRelay(
            self.uow.outbox,
            HealingProducer(self.settings, self.service),
            self.settings,
            RelayLease(self.uow.outbox.collection.database, self.service, lease_s=5.0),
        )
        self.written = 0
        self.write_failures = 0
        self.written_during_outage = 0
        self.degraded_seen: list[str] = []
        self._writing = asyncio.Event()

    async def write_one(self) -> None:
        n = self.written
        event = Ping(ping_id=f"key-{n % KEYS}", n=n)
        await self.uow.run(lambda session: self.uow.outbox.add(self.topic, event, session))
        self.written += 1

    async def writer(self) -> None:
        while self._writing.is_set():
            started = time.monotonic()
            try:
                await self.write_one()
            except Exception:
                self.write_failures += 1
            await asyncio.sleep(max(0.0, 1 / WRITE_RATE - (time.monotonic() - started)))

    async def watcher(self) -> None:
        while self._writing.is_set():
            if problem := self.relay.problem():
                self.degraded_seen.append(problem)
            await asyncio.sleep(0.5)

    async def published(self) -> list[Any]:
        return await read_all(self.settings.kafka_bootstrap, self.topic.name)


@pytest.fixture
async def relay_under_load(outage_stack: LocalStack) -> AsyncIterator[RelayUnderLoad]:
    name = unique("relay-heal")
    await create_topics(outage_stack.info.kafka_bootstrap, [name], partitions=3)
    topic = Topic(
        name=name,
        model=Ping,
        ce_type="test.ping.v1",
        key="ping_id",
        producers=("test",),
        consumers=("test",),
        description="test topic",
    )
    load = RelayUnderLoad(outage_stack, topic)
    load.relay.start()
    try:
        yield load
    finally:
        await load.relay.stop()
        await load.client.drop_database(load.settings.mongo_db)
        await load.client.close()


async def drive_through_outage(load: RelayUnderLoad, stack: LocalStack, *, kill: bool) -> float:
    """Write before, during and after an outage; returns seconds from the broker's return until
    every written event was on the topic."""
    load._writing.set()
    tasks = [asyncio.create_task(load.writer()), asyncio.create_task(load.watcher())]
    try:
        await asyncio.sleep(5)
        await asyncio.to_thread(stack.kill_kafka if kill else stack.stop_kafka)
        written_before = load.written
        await asyncio.sleep(OUTAGE_S)
        load.written_during_outage = load.written - written_before
        # start_kafka must run on the main thread (the broker dies with the thread that started it).
        stack.start_kafka()
        back = time.monotonic()
        await asyncio.sleep(5)
    finally:
        load._writing.clear()
        await asyncio.gather(*tasks)
    deadline = back + 60
    while time.monotonic() < deadline:
        if await load.uow.outbox.pending_count() == 0:
            return time.monotonic() - back
        await asyncio.sleep(0.5)
    raise AssertionError(
        f"the relay did not drain its outbox within 60 s of the broker's return "
        f"({await load.uow.outbox.pending_count()} pending, health: {load.relay.problem()})"
    )


def assert_published_once_in_order(load: RelayUnderLoad, records: list[Any]) -> None:
    numbers = [json.loads(record.value)["n"] for record in records]
    copies = sum(count - 1 for count in Counter(numbers).values())
    print(f"{load.written} events written, {len(records)} records published, {copies} copies")
    assert set(numbers) == set(range(load.written)), "an event written was never published"
    # Copies are sends the broker took whose acknowledgement was lost in the outage: at most what
    # was in flight at that moment, a small fraction of what was sent.
    assert copies <= max(load.settings.outbox_batch, load.written // 10), (copies, load.written)
    first_seen: dict[str, list[int]] = defaultdict(list)
    seen: set[int] = set()
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        n = json.loads(record.value)["n"]
        if n not in seen:
            seen.add(n)
            first_seen[record.key.decode()].append(n)
    for key, order in first_seen.items():
        assert order == sorted(order), f"events of {key} out of order"


@pytest.mark.parametrize("kill", [False, True], ids=["broker-stopped", "broker-killed"])
async def test_the_relay_resumes_by_itself_after_an_outage_with_sends_in_flight(
    relay_under_load: RelayUnderLoad, outage_stack: LocalStack, kill: bool
) -> None:
    load = relay_under_load
    drained_after = await drive_through_outage(load, outage_stack, kill=kill)

    assert load.write_failures == 0
    assert load.written_during_outage >= 100  # events kept coming while the broker was away
    assert drained_after < 30, f"took {drained_after:.0f} s after the broker's return"
    assert_published_once_in_order(load, await load.published())
    assert any("cannot publish" in problem or "waiting for the broker" in problem for problem in load.degraded_seen)
    assert load.relay.problem() is None  # healthy again, with nothing restarted
