"""Benchmark: a bulk certificate feed of N records into intake on the embedded local stack.

    python -m tests.benchmarks.feed_ingest --records 100000

On one fresh stack: N practitioners' accounts (insert_many) and a few documents in GridFS, intake
started as its own process (`mumaris run intake`, as in production), then N gov.certificates
records published with aiokafka in binary mode as fast as the producer goes. Prints:
- records/s accepted by intake (submissions written, from the first record published),
- the time until all N submission.received events are on the topic (queued for validation),
- beside them, on the same broker and database: the raw aiokafka consume rate for N records of
  the same size, and the raw insert_many rate for submission-sized documents.
It prints; it does not assert.
"""

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient

from mumaris.files import FileStore
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, create_topics, free_port
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from services.intake.accounts.rules import make_valid_id
from tests.documents import jpeg_bytes, pdf_bytes
from tests.support import unique

PUBLISHER = "/universities/bench"
Doc = dict[str, Any]


def id_number(i: int) -> str:
    return make_valid_id("1", f"{i:08d}")


def account(i: int) -> Doc:
    return {
        "_id": f"bench-{i}",
        "id_number": id_number(i),
        "first_name": "Reem",
        "last_name": f"Bench{i}",
        "email": f"bench{i}@example.sa",
        "status": "active",
        "locale": "ar",
    }


def feed_record(i: int, file_id: str) -> bytes:
    return json.dumps(
        {
            "record_id": f"BENCH-{i}",
            "issuer": "King Saud University",
            "national_id": id_number(i),
            "certificate": {
                "name": f"Bachelor of Nursing {i}",
                "obtained_on": "2024-06-30",
                "institution": "King Saud University",
                "specialty": "Nursing",
                "degree": "Bachelor",
            },
            "document": {"file_id": file_id},
            "issued_at": "2024-07-01T09:00:00+03:00",
        }
    ).encode()


def ce_headers(i: int) -> list[tuple[str, bytes]]:
    attrs = CloudEventAttributes.new(source=PUBLISHER, type=topics.GOV_CERTIFICATES.ce_type, subject=f"BENCH-{i}")
    return [(k, v.encode()) for k, v in attrs.to_headers().items()]


async def prepare(info: StackInfo, records: int, files: int) -> list[str]:
    """N active accounts with ID numbers, and `files` documents in GridFS for the records to name."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(info.mongo_uri)
    try:
        db = client["mumaris"]
        started = time.perf_counter()
        for first in range(0, records, 10_000):
            await db["intake.accounts"].insert_many([account(i) for i in range(first, min(records, first + 10_000))])
        print(f"  {records} accounts in {time.perf_counter() - started:.1f} s", flush=True)
        store = FileStore(db)
        await store.ensure_indexes()
        documents = [pdf_bytes() if n % 2 else jpeg_bytes(900, 700, seed=n) for n in range(files)]
        return [
            await store.put(f"certificate-{n}", data, metadata={"publisher": PUBLISHER})
            for n, data in enumerate(documents)
        ]
    finally:
        await client.close()


async def publish(
    bootstrap: str, topic: str, values: list[bytes], headers: list[list[tuple[str, bytes]]] | None, keys: list[bytes]
) -> float:
    """Send every record as fast as the producer goes (acks=all, idempotent); returns the seconds."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20, max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(topic, value, key=key, headers=headers[i] if headers else None)
            for i, (value, key) in enumerate(zip(values, keys, strict=True))
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def end_offsets_total(consumer: AIOKafkaConsumer, topic: str) -> int:
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    return sum((await consumer.end_offsets(partitions)).values()) if partitions else 0


async def accepted_so_far(http: httpx.AsyncClient, intake: str) -> tuple[int, int]:
    """(accepted, everything else handled) from intake's /metrics."""
    accepted = other = 0
    for line in (await http.get(f"{intake}/metrics")).text.splitlines():
        if line.startswith("mumaris_feed_records_total{"):
            count = int(float(line.rsplit(" ", 1)[1]))
            if 'outcome="accepted"' in line:
                accepted += count
            else:
                other += count
    return accepted, other


async def run_feed(info: StackInfo, intake: str, records: int, file_ids: list[str], timeout: float) -> dict[str, float]:
    values = [feed_record(i, file_ids[i % len(file_ids)]) for i in range(records)]
    headers = [ce_headers(i) for i in range(records)]
    keys = [f"BENCH-{i}".encode() for i in range(records)]
    received = topics.SUBMISSION_RECEIVED.name
    watcher = AIOKafkaConsumer(bootstrap_servers=info.kafka_bootstrap)
    await watcher.start()
    await watcher._client.force_metadata_update()
    before = await end_offsets_total(watcher, received)
    result: dict[str, float] = {"record_bytes": sum(map(len, values)) / records}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            started = time.perf_counter()
            publishing = asyncio.create_task(
                publish(info.kafka_bootstrap, topics.GOV_CERTIFICATES.name, values, headers, keys)
            )
            last_report = started
            while "queued_s" not in result:
                await asyncio.sleep(0.25)
                now = time.perf_counter()
                if publishing.done() and "published_s" not in result:
                    result["published_s"] = publishing.result()
                accepted, other = await accepted_so_far(http, intake)
                if accepted + other >= records and "accepted_s" not in result:
                    result["accepted_s"], result["accepted"], result["not_accepted"] = now - started, accepted, other
                if await end_offsets_total(watcher, received) - before >= records:
                    result["queued_s"] = now - started
                if now - last_report > 10:
                    last_report = now
                    print(f"  {now - started:6.0f} s: {accepted} accepted", flush=True)
                if now - started > timeout:
                    raise TimeoutError(f"only {accepted} of {records} accepted after {timeout:.0f}s")
            result.setdefault("published_s", await publishing)
    finally:
        await watcher.stop()
    return result


async def raw_consume_rate(bootstrap: str, records: int, size: int) -> float:
    """Records/s one aiokafka consumer reads from a 3-partition topic holding N records of `size`."""
    topic = unique("bench-raw-feed")
    await create_topics(bootstrap, [topic], partitions=3)
    payload = b"x" * size
    await publish(bootstrap, topic, [payload] * records, None, [str(i).encode() for i in range(records)])
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=unique("bench"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        started, seen = time.perf_counter(), 0
        while seen < records:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(r) for r in batch.values())
        return records / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def raw_insert_many_rate(uri: str, documents: int, per_call: int) -> float:
    """Documents/s of insert_many, `per_call` at a time, for documents shaped like a submission."""
    client: AsyncMongoClient[Doc] = AsyncMongoClient(uri)
    collection = client["bench"][unique("raw")]
    at = datetime.now(UTC)

    def submission() -> Doc:
        return {
            "_id": str(uuid.uuid4()),
            "kind": "certificate",
            "version": 1,
            "previous_submission_id": None,
            "practitioner_id": "bench-1",
            "practitioner": {"id": "bench-1", "name": "Reem Bench", "email": "b@example.sa", "locale": "ar"},
            "certificate": {
                "name": "Bachelor of Nursing",
                "obtained_on": "2024-06-30",
                "institution": "King Saud University",
                "specialty": "Nursing",
                "degree": "Bachelor",
            },
            "file": {
                "file_id": "0" * 24,
                "filename": "certificate.pdf",
                "size": 1234,
                "sha256": "0" * 64,
                "content_type": "application/pdf",
            },
            "status": "received",
            "timeline": [{"status": "received", "at": at}],
            "created_at": at,
            "updated_at": at,
            "revision": 0,
        }

    try:
        started = time.perf_counter()
        for first in range(0, documents, per_call):
            await collection.insert_many([submission() for _ in range(min(per_call, documents - first))])
        return documents / (time.perf_counter() - started)
    finally:
        await client.close()


async def measure(args: argparse.Namespace, stack: LocalStack, group: ServiceGroup) -> None:
    info = stack.info
    intake = group.processes["intake"].url
    print(f"creating {args.records} accounts and {args.files} GridFS documents ...", flush=True)
    file_ids = await prepare(info, args.records, args.files)

    print(f"publishing {args.records} gov.certificates records and waiting for intake ...", flush=True)
    feed = await run_feed(info, intake, args.records, file_ids, args.timeout)

    print("measuring the parts on the same stack ...", flush=True)
    size = int(feed["record_bytes"])
    consume_rate = await raw_consume_rate(info.kafka_bootstrap, args.records, size)
    insert_rate = await raw_insert_many_rate(info.mongo_uri, args.records, args.batch)

    accepted_rate = feed["accepted"] / feed["accepted_s"]
    print()
    print(f"feed of {args.records} records (~{size} bytes each, binary mode), intake batches of up to {args.batch}")
    print(
        f"  published by aiokafka in        {feed['published_s']:8.1f} s   ({args.records / feed['published_s']:8.0f} records/s)"
    )
    print(
        f"  accepted (submissions written)  {feed['accepted_s']:8.1f} s   ({accepted_rate:8.0f} records/s)"
        f"   [{feed['accepted']:.0f} accepted, {feed['not_accepted']:.0f} otherwise]"
    )
    print(
        f"  all submission.received queued  {feed['queued_s']:8.1f} s   ({args.records / feed['queued_s']:8.0f} records/s)"
    )
    print("raw parts, same broker and database")
    print(f"  aiokafka consume, {args.records} records of {size} B      {consume_rate:10.0f} records/s")
    print(f"  MongoDB insert_many ({args.batch} per call)     {insert_rate:10.0f} docs/s")
    print("ratios")
    print(f"  accepted / raw consume            {accepted_rate / consume_rate:8.1%}")
    # Each accepted record writes 4 documents (submission, outbox event, record marker, ledger marker).
    print(f"  accepted x 4 docs / raw insert    {accepted_rate * 4 / insert_rate:8.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="MUMARIS_FEED_BATCH_MAX_RECORDS for intake")
    parser.add_argument("--files", type=int, default=4, help="distinct GridFS documents the records name")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        print("starting a fresh local stack and intake ...", flush=True)
        stack.start(topics.all_topic_names())
        try:
            env = {**stack.info.env(), "MUMARIS_FEED_BATCH_MAX_RECORDS": str(args.batch)}
            group = ServiceGroup(env=env, log_dir=Path(tmp) / "logs")
            try:
                group.start("intake", free_port())
                group.wait_healthy()
                asyncio.run(measure(args, stack, group))
            finally:
                group.stop_all()
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
