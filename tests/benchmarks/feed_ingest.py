"""Benchmark: a bulk certificate feed into intake on the embedded local stack, beside a replay of
the minimum writes a record needs, in interleaved rounds on the same servers.

    python -m tests.benchmarks.feed_ingest --records 10000 --rounds 3

On one fresh stack: the practitioners' accounts (insert_many) and a few documents in GridFS, intake
started as its own process (`mumaris run intake`, as in production). Then, after a warm-up of both
(a fresh broker compiles its hot paths in its first seconds), `--rounds` rounds of each, one after
the other, so that both meet the same load of a shared machine:
- the feed: N gov.certificates records published with aiokafka in binary mode as fast as the
  producer goes; records/s accepted by intake and queued for validation, from the first record
  published until the last submission.received event is on the topic (the Kafka timestamp of the
  relay's send); the time the last submission was written is printed beside it;
- the replay of the minimum an accepted record needs, with no application code: the same N records
  consumed from a topic of their own in batches of the same size by as many consumers of one group
  as intake has (`--consumers`); per batch the reads (event ids in the ledger, record keys in the
  received markers, the accounts by ID number, the GridFS files' metadata, all at once) and one
  transaction of insert_many into the ledger, the received markers, the submissions and the
  outbox, then the offsets committed; beside it a relay reading the outbox, publishing each event
  and deleting what was acknowledged. Documents and event bodies are built before the clock starts.
Each figure is the total of the rounds (records over seconds). The CPU that intake (or the replay's
client), the broker and the database used per record is printed beside it (Linux /proc), to say
where the time goes on a machine whose cores they share. Raw parts on the same broker and database
follow: an aiokafka consumer, and insert_many. Progress is read from the broker and, every two
seconds, from intake's /metrics (a scrape makes intake ask the broker for consumer lag: at
Prometheus's pace, not four times a second). It prints; it does not assert.
"""

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.files import FileStore
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, create_topics, free_port
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from services.intake.accounts.rules import make_valid_id
from services.intake.feed.rules import record_key
from tests.benchmarks.figures import Figure, table
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


def feed_record(i: int, file_id: str, prefix: str = "BENCH") -> bytes:
    return json.dumps(
        {
            "record_id": f"{prefix}-{i}",
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


def ce_headers(i: int, publisher: str = PUBLISHER, prefix: str = "BENCH") -> list[tuple[str, bytes]]:
    attrs = CloudEventAttributes.new(source=publisher, type=topics.GOV_CERTIFICATES.ce_type, subject=f"{prefix}-{i}")
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


async def last_timestamp_s(consumer: AIOKafkaConsumer, topic: str) -> float:
    """The latest record timestamp on `topic` (epoch seconds): when the last event was sent."""
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    ends = await consumer.end_offsets(partitions)
    consumer.assign(partitions)
    latest = 0.0
    for partition, end in ends.items():
        if end == 0:
            continue
        consumer.seek(partition, end - 1)
        batch = await consumer.getmany(partition, timeout_ms=5000, max_records=1)
        latest = max([latest, *(r.timestamp / 1000 for r in batch.get(partition, []))])
    return latest


async def last_submission_written_s(uri: str, publisher: str) -> float:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(uri, tz_aware=True)
    try:
        last = await client["mumaris"]["intake.submissions"].find_one(
            {"origin.publisher": publisher}, {"created_at": 1}, sort=[("created_at", DESCENDING)]
        )
        return float(last["created_at"].timestamp()) if last else 0.0
    finally:
        await client.close()


async def run_feed(
    info: StackInfo,
    intake: str,
    records: int,
    file_ids: list[str],
    timeout: float,
    publisher: str = PUBLISHER,
    prefix: str = "BENCH",
) -> dict[str, float]:
    """Publish N records and wait until intake has handled them all and the relay has queued every
    submission.received; the seconds each took from the first record published."""
    values = [feed_record(i, file_ids[i % len(file_ids)], prefix) for i in range(records)]
    headers = [ce_headers(i, publisher, prefix) for i in range(records)]
    keys = [f"{prefix}-{i}".encode() for i in range(records)]
    received = topics.SUBMISSION_RECEIVED.name
    watcher = AIOKafkaConsumer(bootstrap_servers=info.kafka_bootstrap)
    await watcher.start()
    await watcher._client.force_metadata_update()
    before = await end_offsets_total(watcher, received)
    result: dict[str, float] = {"record_bytes": sum(map(len, values)) / records}
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            accepted_before, other_before = await accepted_so_far(http, intake)
            started_at = time.time()
            started = time.perf_counter()
            publishing = asyncio.create_task(
                publish(info.kafka_bootstrap, topics.GOV_CERTIFICATES.name, values, headers, keys)
            )
            last_report = last_scrape = started
            accepted = other = 0
            while True:
                await asyncio.sleep(0.25)
                now = time.perf_counter()
                queued = await end_offsets_total(watcher, received) - before
                if now - last_scrape >= 2 or queued >= records:
                    last_scrape = now
                    accepted, other = await accepted_so_far(http, intake)
                    accepted, other = accepted - accepted_before, other - other_before
                    if accepted + other >= records and queued >= accepted:
                        break
                if now - last_report > 10:
                    last_report = now
                    print(f"  {now - started:6.0f} s: {queued} queued", flush=True)
                if now - started > timeout:
                    raise TimeoutError(f"only {accepted} of {records} accepted after {timeout:.0f}s")
            result["published_s"] = await publishing
            result["accepted"], result["not_accepted"] = accepted, other
            result["queued_s"] = await last_timestamp_s(watcher, received) - started_at
            result["accepted_s"] = await last_submission_written_s(info.mongo_uri, publisher) - started_at
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

    try:
        started = time.perf_counter()
        for first in range(0, documents, per_call):
            await collection.insert_many([raw_submission(at) for _ in range(min(per_call, documents - first))])
        return documents / (time.perf_counter() - started)
    finally:
        await client.close()


def raw_submission(at: datetime) -> Doc:
    """A document shaped like a submission."""
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


class Replay:
    """The minimum an accepted record needs, with no application code (see the module's docstring),
    in a database of its own with the indexes intake has; as intake does, `consumers` consumers of
    one group take the topic's partitions and write their batches concurrently."""

    def __init__(self, info: StackInfo, records: int, batch: int, file_ids: list[str], consumers: int) -> None:
        self.info, self.records, self.batch, self.file_ids, self.consumers = info, records, batch, file_ids, consumers
        self.client: AsyncMongoClient[Doc] = AsyncMongoClient(info.mongo_uri, tz_aware=True)
        self.db = self.client[unique("replay")]
        db = self.db
        self.accounts, self.ledger, self.markers = (
            db["intake.accounts"],
            db["intake.handled_events"],
            db["intake.feed_records"],
        )
        self.submissions, self.outbox, self.files = db["intake.submissions"], db["intake.outbox"], db["files.files"]
        self.object_ids: list[Any] = []

    async def __aenter__(self) -> "Replay":
        await self.accounts.create_index([("id_number", ASCENDING)], unique=True)
        await self.ledger.create_index([("at", ASCENDING)], expireAfterSeconds=30 * 24 * 3600)
        await self.submissions.create_index([("practitioner_id", ASCENDING), ("created_at", DESCENDING)])
        await self.submissions.create_index([("practitioner_id", ASCENDING), ("file.sha256", ASCENDING)])
        await self.outbox.create_index([("created_at", ASCENDING), ("seq", ASCENDING)])  # as intake's
        for first in range(0, self.records, 10_000):
            await self.accounts.insert_many([account(i) for i in range(first, min(self.records, first + 10_000))])
        source = await self.client["mumaris"]["files.files"].find({}).to_list()
        await self.files.insert_many(source)
        self.object_ids = [doc["_id"] for doc in source]
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.drop_database(self.db.name)
        await self.client.close()

    def _prepared(self, prefix: str, target: str) -> dict[str, tuple[Doc, ...]]:
        """Each record's four documents (ledger marker, received marker, submission, outbox event)."""
        at = datetime.now(UTC)
        prepared: dict[str, tuple[Doc, ...]] = {}
        for i in range(self.records):
            submission_id = str(uuid.uuid4())
            submission = {**raw_submission(at), "_id": submission_id, "practitioner_id": f"bench-{i}"}
            prepared[f"{prefix}-{i}"] = (
                {"_id": f"ce-{prefix}-{i}", "type": topics.GOV_CERTIFICATES.ce_type, "at": at},
                {"_id": record_key(PUBLISHER, f"{prefix}-{i}"), "submission_id": submission_id, "at": at},
                submission,
                {
                    "_id": str(uuid.uuid4()),
                    "topic": target,
                    "key": submission_id,
                    "body": json.dumps(submission, default=str).encode(),
                    "created_at": at,
                    "seq": i,
                },
            )
        return prepared

    async def round(self, prefix: str) -> float:
        """One round of N records; the seconds from the first record published to the last event sent."""
        info, records, batch = self.info, self.records, self.batch
        topic, target = unique("bench-replay-feed"), unique("bench-replay-received")
        await create_topics(info.kafka_bootstrap, [topic, target], partitions=3)
        values = [feed_record(i, self.file_ids[i % len(self.file_ids)], prefix) for i in range(records)]
        keys = [f"{prefix}-{i}".encode() for i in range(records)]
        prepared = self._prepared(prefix, target)
        ledger, markers, accounts, files = self.ledger, self.markers, self.accounts, self.files
        submissions, outbox, object_ids = self.submissions, self.outbox, self.object_ids
        group = unique("bench-replay")
        partition_consumers = [
            AIOKafkaConsumer(
                topic,
                bootstrap_servers=info.kafka_bootstrap,
                group_id=group,
                auto_offset_reset="earliest",
                enable_auto_commit=False,
            )
            for _ in range(self.consumers)
        ]
        producer = AIOKafkaProducer(
            bootstrap_servers=info.kafka_bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        for consumer in partition_consumers:
            await consumer.start()
        await producer.start()
        written = asyncio.Event()
        done = 0

        async def consume_and_write(consumer: AIOKafkaConsumer) -> None:
            nonlocal done
            while done < records:
                fetched = await consumer.getmany(timeout_ms=200, max_records=batch)
                keys = [r.key.decode() for rs in fetched.values() for r in rs]
                if not keys:
                    continue
                docs = [prepared[key] for key in keys]
                n = len(keys)  # every lookup answered in one reply (limit and batch size), as intake's are
                await asyncio.gather(
                    ledger.find({"_id": {"$in": [d[0]["_id"] for d in docs]}}, {"_id": 1})
                    .limit(n)
                    .batch_size(n)
                    .to_list(),
                    markers.find({"_id": {"$in": [d[1]["_id"] for d in docs]}}, {"_id": 1})
                    .limit(n)
                    .batch_size(n)
                    .to_list(),
                    accounts.find({"id_number": {"$in": [id_number(int(k.rsplit("-", 1)[1])) for k in keys]}})
                    .limit(n)
                    .batch_size(n)
                    .to_list(),
                    files.find({"_id": {"$in": object_ids}}, {"length": 1, "filename": 1}).to_list(),
                )

                async def work(session: AsyncClientSession, docs: list[tuple[Doc, ...]] = docs) -> None:
                    for collection, n in ((ledger, 0), (markers, 1), (submissions, 2), (outbox, 3)):
                        await collection.insert_many([d[n] for d in docs], session=session)

                async with self.client.start_session() as session:
                    await session.with_transaction(work)
                await consumer.commit()
                written.set()
                done += len(keys)

        async def relay() -> None:
            published = 0
            while published < records:
                pending = (
                    await outbox.find({})
                    .sort([("created_at", ASCENDING), ("seq", ASCENDING)])
                    .limit(batch)
                    .batch_size(batch)
                    .to_list()
                )
                if not pending:
                    written.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(written.wait(), timeout=0.5)
                    continue
                sends = [await producer.send(target, doc["body"], key=doc["key"].encode()) for doc in pending]
                await asyncio.gather(*sends)
                await outbox.delete_many({"_id": {"$in": [doc["_id"] for doc in pending]}})
                published += len(pending)

        try:
            started = time.perf_counter()
            await asyncio.gather(
                publish(info.kafka_bootstrap, topic, values, None, keys),
                *(consume_and_write(consumer) for consumer in partition_consumers),
                relay(),
            )
            return time.perf_counter() - started
        finally:
            for consumer in partition_consumers:
                await consumer.stop()
            await producer.stop()


class CpuMeter:
    """CPU seconds used by intake, the broker, the database and this process (Linux /proc), to say
    where the time of a phase went: a 2-core machine shares its cores among all four."""

    TICK_S = 1 / os.sysconf("SC_CLK_TCK")

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def read(self) -> dict[str, float]:
        used = {}
        for name, pid in self.pids.items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                used[name] = (int(fields[11]) + int(fields[12])) * self.TICK_S
            except (OSError, IndexError, ValueError):
                used[name] = float("nan")
        return used

    @staticmethod
    def per_record_us(before: dict[str, float], after: dict[str, float], records: int) -> dict[str, float]:
        return {name: (after[name] - before[name]) / records * 1e6 for name in before}


def server_pids() -> dict[str, int]:
    """The broker's and the database's pids: this process's children running java / secantusd."""
    found = {}
    for child in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split():
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0].decode()
        if command.endswith("java"):
            found["broker"] = int(child)
        elif "secantusd" in command or "mongod" in command:
            found["database"] = int(child)
    return found


@dataclass
class Tally:
    """What a side (the feed through intake, or its replay) added up over the rounds."""

    records: float = 0.0
    seconds: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)

    def add(self, records: float, seconds: float, before: dict[str, float], after: dict[str, float]) -> None:
        self.records += records
        self.seconds += seconds
        for name in before:
            self.cpu_s[name] = self.cpu_s.get(name, 0.0) + after[name] - before[name]

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    def cpu_us(self, name: str) -> float:
        return self.cpu_s.get(name, float("nan")) / self.records * 1e6


async def measure(args: argparse.Namespace, stack: LocalStack, group: ServiceGroup) -> list[Figure]:
    info = stack.info
    intake = group.processes["intake"].url
    meter = CpuMeter({"intake": group.processes["intake"].process.pid, **server_pids(), "bench": os.getpid()})
    print(f"creating {args.records} accounts and {args.files} GridFS documents ...", flush=True)
    file_ids = await prepare(info, args.records, args.files)
    feed, replayed = Tally(), Tally()
    last: dict[str, float] = {}
    async with Replay(info, args.records, args.batch, file_ids, args.consumers) as replay:
        # A fresh broker compiles its hot paths (the JVM's JIT) in its first seconds: both sides are
        # warmed up before either is timed, so neither pays for it alone.
        print(f"warming up: {args.records} records through intake and through the replay ...", flush=True)
        await run_feed(info, intake, args.records, file_ids, args.timeout, "/universities/warmup", "WARMUP")
        await replay.round("WARMUP")
        for n in range(args.rounds):
            print(f"round {n + 1} of {args.rounds}: {args.records} records through intake, then the replay", flush=True)
            before = meter.read()
            last = await run_feed(info, intake, args.records, file_ids, args.timeout, f"/universities/r{n}", f"R{n}")
            feed.add(last["accepted"], last["queued_s"], before, meter.read())
            before = meter.read()
            seconds = await replay.round(f"R{n}")
            replayed.add(args.records, seconds, before, meter.read())
            print(
                f"  intake {last['accepted'] / last['queued_s']:6.0f} records/s, replay {args.records / seconds:6.0f}"
            )

    size = int(last["record_bytes"])
    print("the raw parts on the same stack ...", flush=True)
    consume_rate = await raw_consume_rate(info.kafka_bootstrap, args.records, size)
    insert_rate = await raw_insert_many_rate(info.mongo_uri, args.records, args.batch)

    print()
    print(
        f"feed of {args.rounds} × {args.records} records (~{size} bytes each, binary mode), intake batches of up to "
        f"{args.batch}, {args.consumers} consumer(s)"
    )
    print(
        f"  last round: published in {last['published_s']:.2f} s, last submission written after {last['accepted_s']:.2f} s"
    )
    print(f"  accepted and queued by intake    {feed.rate:8.0f} records/s")
    print(f"  replay of the minimum writes     {replayed.rate:8.0f} records/s")
    names = ("intake", "broker", "database")
    print("  CPU per record, µs: feed   " + ", ".join(f"{name} {feed.cpu_us(name):.0f}" for name in names))
    print(
        "                      replay "
        + ", ".join(f"{name} {replayed.cpu_us(name):.0f}" for name in ("bench", "broker", "database"))
        + f" (and intake, idle meanwhile, {replayed.cpu_us('intake'):.0f})"
    )
    # The work per record, wherever it ran: intake (or the replay's client) + the broker + the database.
    feed_work = sum(feed.cpu_us(name) for name in names)
    replay_work = sum(replayed.cpu_us(name) for name in ("bench", "broker", "database"))
    accepted = (
        f"feed records accepted and queued by intake ({args.rounds}×{args.records}, batches of {args.batch}, "
        f"{args.consumers} consumer(s))"
    )
    return [
        Figure(
            accepted,
            feed.rate,
            "records/s",
            baseline=replayed.rate,
            baseline_name="replay of the minimum writes a record needs",
            target=0.8,
            target_kind="ratio_at_least",
        ),
        Figure(accepted, feed.rate, "records/s", target=3000),
        Figure(
            "feed: CPU per record, intake + broker + database",
            feed_work,
            "µs",
            baseline=replay_work,
            baseline_name="the replay's client + broker + database",
        ),
        Figure(
            "feed records accepted / raw aiokafka consume",
            feed.rate,
            "records/s",
            baseline=consume_rate,
            baseline_name="aiokafka consumer",
        ),
        Figure(
            "feed documents written (4 a record)",
            feed.rate * 4,
            "docs/s",
            baseline=insert_rate,
            baseline_name=f"insert_many, {args.batch} a call",
        ),
    ]


def figures(args: argparse.Namespace) -> list[Figure]:
    """Start a fresh stack and intake, measure, stop; the figures beside their baselines."""
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        stack.start(topics.all_topic_names())
        try:
            env = {**stack.info.env(), "MUMARIS_FEED_BATCH_MAX_RECORDS": str(args.batch)}
            group = ServiceGroup(env=env, log_dir=Path(tmp) / "logs")
            try:
                group.start("intake", free_port())
                group.wait_healthy()
                return asyncio.run(measure(args, stack, group))
            finally:
                group.stop_all()
        finally:
            stack.stop()


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000, help="records per round (and in the warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the feed and of its replay, interleaved")
    parser.add_argument("--batch", type=int, default=500, help="MUMARIS_FEED_BATCH_MAX_RECORDS for intake")
    parser.add_argument(
        "--consumers", type=int, default=1, help="the replay's consumers of the topic (intake's feed has one)"
    )
    parser.add_argument("--files", type=int, default=4, help="distinct GridFS documents the records name")
    parser.add_argument("--timeout", type=float, default=1800)
    return parser


def bench() -> list[Figure]:
    """`make bench`: 3 rounds of 4,000 records each way (about a minute on the 2-core machine)."""
    return figures(parser().parse_args(["--records", "4000", "--rounds", "3"]))


def main() -> None:
    args = parser().parse_args()
    print("starting a fresh local stack and intake ...", flush=True)
    print(table(figures(args)))


if __name__ == "__main__":
    main()
