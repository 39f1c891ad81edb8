"""Helpers the integration, end-to-end tests and the benchmark share: reading and writing raw
Kafka records, waiting for a condition, settings pointed at a test stack."""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo

T = TypeVar("T")


def settings_for(info: StackInfo, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "kafka_bootstrap": info.kafka_bootstrap,
        "mongo_uri": info.mongo_uri,
        "retry_backoff_s": 0.05,
        "retry_backoff_max_s": 0.5,
    }
    values.update(overrides)
    return Settings(**values)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30, what: str = "condition") -> T:
    """Poll until `probe` returns something truthy; the timeout is a safety net, not a measurement."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def produce(
    bootstrap: str, topic: str, value: bytes, *, key: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, int]:
    """Write one raw record; returns (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            topic, value, key=key, headers=[(k, v.encode()) for k, v in (headers or {}).items()]
        )
        return meta.partition, meta.offset
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record currently on the topic (all partitions, from the beginning to the end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []

        async def behind() -> bool:
            return any([await consumer.position(tp) < end[tp] for tp in partitions])

        while await behind():
            batch = await consumer.getmany(timeout_ms=500)
            for tp_records in batch.values():
                records.extend(tp_records)
        return records
    finally:
        await consumer.stop()


def headers_of(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def committed_offset(bootstrap: str, group: str, topic: str, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        meta = offsets.get(TopicPartition(topic, partition))
        return -1 if meta is None else meta.offset
    finally:
        await admin.close()


async def wait_consumed(
    bootstrap: str, group: str, topic: str, partition: int, offset: int, timeout: float = 30
) -> None:
    """Wait until `group` has committed past `offset`: the record at `offset` has been handled."""

    async def past() -> bool:
        return await committed_offset(bootstrap, group, topic, partition) > offset

    await eventually(past, timeout=timeout, what=f"{group} to consume {topic}[{partition}]@{offset}")
