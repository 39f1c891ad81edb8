"""The outbox relay with several replicas: one publishes at a time (nothing twice, one key's
events in order), and when it dies another takes over once its lease lapses."""

import asyncio
from typing import Any

import pytest

from mumaris.kafka import HealingProducer
from mumaris.mongo import UnitOfWork, make_client
from mumaris.relay import OutboxRelay, RelayLease
from mumaris.tools.stack import StackInfo
from schemas.topics import Topic
from tests.integration.harness import Ping
from tests.support import eventually, headers_of, read_all, settings_for, unique

pytestmark = pytest.mark.integration


async def test_two_replicas_publish_each_record_once_in_order_and_a_dead_holder_is_replaced(
    stack: StackInfo, topic: Topic
) -> None:
    settings = settings_for(stack, mongo_db=unique("relay"), outbox_poll_s=0.05)
    service = unique("svc")
    client = make_client(settings)
    db = client[settings.mongo_db]
    uow = UnitOfWork(client, db, service)
    relays = []
    for _ in range(2):
        producer = HealingProducer(settings, service)
        relays.append(OutboxRelay(uow.outbox, producer, settings, RelayLease(db, service, lease_s=1.0)))
    try:
        for relay in relays:
            relay.start()

        async def write(first: int, count: int) -> None:
            for n in range(first, first + count):
                await uow.run(lambda session, n=n: uow.outbox.add(topic, Ping(ping_id="same-key", n=n), session))

        await write(0, 30)

        async def published(count: int) -> list[int] | None:
            records = await read_all(stack.kafka_bootstrap, topic.name)
            return [int(r.value.split(b'"n":')[1].rstrip(b"}")) for r in records] if len(records) >= count else None

        assert await eventually(lambda: published(30), what="30 records") == list(range(30))

        # The holder dies without a word (no release): the other takes over when the lease lapses.
        lease = await relays[0].lease.collection.find_one({"_id": "relay"})
        holder = next(relay for relay in relays if relay.lease.holder == lease["holder"])  # type: ignore[index]
        assert holder._task is not None
        holder._task.cancel()
        await write(30, 5)
        numbers = await eventually(lambda: published(35), timeout=15, what="the other replica to take over")
        assert numbers == list(range(35))
        ids = [headers_of(r)["ce_id"] for r in await read_all(stack.kafka_bootstrap, topic.name)]
        assert len(ids) == len(set(ids)) == 35
    finally:
        for relay in relays:
            await relay.stop()
        await client.drop_database(settings.mongo_db)
        await client.close()


class SlowBroker:
    """Stands in for a broker that acknowledges each send `delay_s` after it (a loaded machine, a
    producer still starting): keeps what it was sent."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.sent: list[bytes] = []

    async def send(self, topic: str, value: bytes, *, key: bytes | None, headers: Any) -> "asyncio.Future[None]":
        self.sent.append(value)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        loop.call_later(self.delay_s, future.set_result, None)
        return future

    async def replace(self) -> None: ...

    async def stop(self) -> None: ...


async def test_a_pass_slower_than_the_lease_keeps_it_and_the_other_replica_sends_nothing_twice(
    stack: StackInfo, topic: Topic
) -> None:
    settings = settings_for(stack, mongo_db=unique("relay"), outbox_poll_s=0.05)
    service = unique("svc")
    client = make_client(settings)
    db = client[settings.mongo_db]
    uow = UnitOfWork(client, db, service)
    brokers = [SlowBroker(delay_s=1.5), SlowBroker(delay_s=1.5)]
    # A lease of 0.4 s: each pass waits 1.5 s for its acknowledgements, almost four leases.
    relays = [OutboxRelay(uow.outbox, b, settings, RelayLease(db, service, lease_s=0.4)) for b in brokers]  # type: ignore[arg-type]
    for n in range(5):
        await uow.run(lambda session, n=n: uow.outbox.add(topic, Ping(ping_id=f"key-{n}", n=n), session))
    try:
        for relay in relays:
            relay.start()

        async def drained() -> bool:
            return await uow.outbox.pending_count() == 0

        await eventually(drained, timeout=30, what="the outbox to drain")
        await asyncio.sleep(1.0)  # time for a second replica's pass, had it begun one
        assert sorted(brokers[0].sent + brokers[1].sent) == sorted(set(brokers[0].sent + brokers[1].sent))
        assert len(brokers[0].sent + brokers[1].sent) == 5
    finally:
        for relay in relays:
            await relay.stop()
        await client.drop_database(settings.mongo_db)
        await client.close()
