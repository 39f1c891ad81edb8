"""`mumaris topics`: the operator's view of offsets, rates and consumer lag, read from the broker."""

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from mumaris.tools.stack import StackInfo, create_topics
from mumaris.topic_status import topic_status
from tests.integration.test_cli import mumaris
from tests.support import produce, unique

pytestmark = pytest.mark.integration


async def consume(bootstrap: str, topic: str, group: str, count: int) -> None:
    """Read `count` records as `group` and commit them, like a service that then stops."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=count,
    )
    await consumer.start()
    try:
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=count - seen)
            seen += sum(len(records) for records in batch.values())
        await consumer.commit()
    finally:
        await consumer.stop()


async def test_lag_shows_while_a_consumer_is_stopped_and_is_zero_once_it_caught_up(
    stack: StackInfo, tmp_path: Path
) -> None:
    topic, group = unique("status"), unique("group")
    await create_topics(stack.kafka_bootstrap, [topic], partitions=1)
    for n in range(10):
        await produce(stack.kafka_bootstrap, topic, f'{{"n": {n}}}'.encode(), key=b"k")
    await consume(stack.kafka_bootstrap, topic, group, 4)  # then it stops

    [status] = await topic_status(stack.kafka_bootstrap, [topic, unique("missing")])
    assert (status.partitions, status.end_offset_total) == (1, 10)
    assert status.total_lag(group) == 6
    assert status.messages_per_s == pytest.approx(10 / 60)

    env = {"MUMARIS_KAFKA_BOOTSTRAP": stack.kafka_bootstrap, "MUMARIS_STACK_ENV": str(tmp_path / "none.env")}
    shown = await asyncio.to_thread(mumaris, "topics", "--topic", topic, env=env)
    assert shown.returncode == 0, shown.stderr
    lag_line = next(line for line in shown.stdout.splitlines() if group in line)
    assert lag_line.split()[:3] == ["lag", group, "6"]
    catalogue = await asyncio.to_thread(mumaris, "topics", "--no-dlq", env=env)
    assert "submission.received" in catalogue.stdout and ".dlq" not in catalogue.stdout

    await consume(stack.kafka_bootstrap, topic, group, 6)  # it comes back and catches up
    [status] = await topic_status(stack.kafka_bootstrap, [topic])
    assert status.total_lag(group) == 0


async def test_a_running_group_that_has_not_committed_yet_shows_everything_as_lag(stack: StackInfo) -> None:
    """E.g. an area's own group (`intake-registry`) on a topic it has only just been given: no
    committed offset anywhere, yet the records are waiting for it."""
    topic, group = unique("status"), unique("group")
    await create_topics(stack.kafka_bootstrap, [topic], partitions=2)
    for n in range(7):
        await produce(stack.kafka_bootstrap, topic, f'{{"n": {n}}}'.encode(), key=f"k{n}".encode())
    member = AIOKafkaConsumer(
        topic,
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await member.start()
    try:
        while not member.assignment():  # joined the group, nothing committed
            await member.getmany(timeout_ms=200, max_records=1)
        [status] = await topic_status(stack.kafka_bootstrap, [topic])
        assert status.total_lag(group) == 7
        assert sorted(status.lag[group]) == [0, 1]
    finally:
        await member.stop()
