"""Dead letters for operations: list them, show one, replay them to the topic they came from.

Replay is idempotent twice over: the replay tool remembers how far it has replayed each
dead-letter topic (consumer group `mumaris-dlq-replay`, committed after each record is
republished), and the services apply each CloudEvents id once, so a record replayed again by
mistake still takes effect once.
"""

from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from schemas.topics import DLQ_SUFFIX

REPLAY_GROUP = "mumaris-dlq-replay"
DLQ_HEADER_PREFIX = "x-dlq-"


@dataclass(frozen=True)
class DeadLetterView:
    partition: int
    offset: int
    key: str | None
    reason: str
    service: str
    attempts: str
    error: str
    at: str
    headers: dict[str, str]
    body: bytes


def _dlq_name(topic: str) -> str:
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


def _view(record: ConsumerRecord[bytes, bytes]) -> DeadLetterView:
    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
    return DeadLetterView(
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode("utf-8", "replace") if record.key else None,
        reason=headers.get("x-dlq-reason", "?"),
        service=headers.get("x-dlq-service", "?"),
        attempts=headers.get("x-dlq-attempts", "?"),
        error=headers.get("x-dlq-error", ""),
        at=headers.get("x-dlq-at", ""),
        headers=headers,
        body=record.value or b"",
    )


async def _read(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> list[ConsumerRecord[bytes, bytes]]:
    end = await consumer.end_offsets(partitions)
    records: list[ConsumerRecord[bytes, bytes]] = []

    async def behind() -> bool:
        return any([await consumer.position(tp) < end[tp] for tp in partitions])

    while await behind():
        for batch in (await consumer.getmany(timeout_ms=500)).values():
            records.extend(r for r in batch if r.offset < end[TopicPartition(r.topic, r.partition)])
    return records


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    await consumer._client.force_metadata_update()
    return [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]


async def list_dead_letters(bootstrap: str, topic: str) -> list[DeadLetterView]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await _partitions(consumer, _dlq_name(topic))
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        return [_view(r) for r in await _read(consumer, partitions)]
    finally:
        await consumer.stop()


async def replay(bootstrap: str, topic: str) -> list[DeadLetterView]:
    """Republish every dead letter not replayed before to its original topic; returns them."""
    dlq = _dlq_name(topic)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=REPLAY_GROUP, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    replayed: list[DeadLetterView] = []
    try:
        partitions = await _partitions(consumer, dlq)
        if not partitions:
            return []
        consumer.assign(partitions)
        for tp in partitions:
            committed = await consumer.committed(tp)
            if committed is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed)
        for record in await _read(consumer, partitions):
            view = _view(record)
            original_headers = [(k, v.encode()) for k, v in view.headers.items() if not k.startswith(DLQ_HEADER_PREFIX)]
            original_headers.append(("x-replayed-from", f"{dlq}/{record.partition}/{record.offset}".encode()))
            await producer.send_and_wait(
                view.headers.get("x-dlq-topic", dlq.removesuffix(DLQ_SUFFIX)),
                record.value,
                key=record.key,
                headers=original_headers,
            )
            await consumer.commit(
                {TopicPartition(record.topic, record.partition): OffsetAndMetadata(record.offset + 1, "")}
            )
            replayed.append(view)
        return replayed
    finally:
        await producer.stop()
        await consumer.stop()


def summary(view: DeadLetterView) -> dict[str, Any]:
    return {
        "partition": view.partition,
        "offset": view.offset,
        "key": view.key,
        "reason": view.reason,
        "service": view.service,
        "attempts": view.attempts,
        "at": view.at,
        "error": view.error[:200],
    }
