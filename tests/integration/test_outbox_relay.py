"""The outbox relay with several replicas: one publishes at a time (nothing twice, one key's
events in order), and when it dies another takes over once its lease lapses."""

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
