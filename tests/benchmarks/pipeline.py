"""Benchmark: N certificate uploads through the whole pipeline on the embedded local stack.

    python -m tests.benchmarks.pipeline --submissions 500 --concurrency 16
    python -m tests.benchmarks.pipeline --submissions 150 --then-half-rate --compare-with ../before

Prints, from one run on one fresh stack:
- submissions/s accepted by intake (HTTP 202s over the upload phase),
- latency from the start of each upload to "in review" (p50/p95/p99) and the time until all are,
- the raw aiokafka produce→consume rate and the raw insert rates on the same broker and database,
so every pipeline figure can be read as a ratio of what the parts can do.

`--then-half-rate` runs again on a fresh stack, offering uploads at half the end-to-end rate just
measured (the latency target: p99 under a second there). `--compare-with DIR` first runs the same
load against the services of another checkout of the project (say the commit before a change),
on a fresh stack of its own, so a speed-up is read against a baseline measured in the same run.
`--kind certificates` uploads certificates set in real type (tests/certificate_scans.py) instead of
the 800x600 textured scans. It prints; it does not assert. `measure()` returns the figures as data.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.tools import launcher
from mumaris.tools.launcher import SERVICES, ServiceGroup
from mumaris.tools.stack import LocalStack, create_topics, free_port
from mumaris.tools.standins import MailCatcher
from schemas.topics import all_topic_names
from tests.benchmarks.figures import Figure, table
from tests.certificate_scans import certificate_scans
from tests.documents import jpeg_bytes
from tests.support import settings_for, unique


def metadata(i: int) -> str:
    # Each upload a different certificate: the validator refuses one already under review.
    return json.dumps(
        {
            "name": f"Infection Control Course {i}",
            "obtained_on": "2025-09-01",
            "institution": "King Saud University",
            "specialty": "Nursing",
            "degree": "CPD",
        }
    )


async def raw_kafka_rate(bootstrap: str, messages: int, size: int = 1024) -> tuple[float, float]:
    """(produced/s, produce→consume/s) for `messages` records of `size` bytes, idempotent acks=all."""
    topic = unique("bench-raw")
    await create_topics(bootstrap, [topic], partitions=3)
    payload = b"x" * size
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=unique("bench"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send(topic, payload, key=str(i).encode()) for i in range(messages)]
        await asyncio.gather(*futures)
        produced = time.perf_counter() - started
        seen = 0
        while seen < messages:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batch.values())
        end_to_end = time.perf_counter() - started
        return messages / produced, messages / end_to_end
    finally:
        await producer.stop()
        await consumer.stop()


async def raw_mongo_rates(uri: str, documents: int, concurrency: int) -> tuple[float, float]:
    """(insert_one/s with `concurrency` writers, insert_many docs/s) for submission-sized documents."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    collection = client["bench"][unique("raw")]
    doc = {
        "kind": "certificate",
        "status": "received",
        "certificate": json.loads(metadata(0)),
        "timeline": [{"status": "received", "at": datetime.now(UTC)}],
        "padding": "x" * 512,
    }
    queue = list(range(documents))

    async def writer() -> None:
        while queue:
            queue.pop()
            await collection.insert_one(dict(doc))

    started = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(concurrency)))
    one_rate = documents / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(documents // 1000 or 1):
        await collection.insert_many([dict(doc) for _ in range(min(1000, documents))])
    many_rate = (documents // 1000 or 1) * min(1000, documents) / (time.perf_counter() - started)
    await client.close()
    return one_rate, many_rate


async def drive(
    intake: str, token: str, scans: list[bytes], concurrency: int, rate: float | None
) -> tuple[dict[str, float], float]:
    """Upload every scan, as fast as `concurrency` allows or at a steady `rate` per second;
    returns {submission_id: upload start (epoch s)} and the upload phase length."""
    sent: dict[str, float] = {}
    refused = 0
    queue = list(enumerate(scans))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:
        started = time.perf_counter()

        async def uploader() -> None:
            nonlocal refused
            while queue:
                i, scan = queue.pop()
                if rate:  # open loop: submission i is due at i/rate seconds
                    await asyncio.sleep(max(0.0, started + (len(scans) - 1 - i) / rate - time.perf_counter()))
                began = time.time()
                answer = await http.post(
                    f"{intake}/v1/certificates",
                    headers=headers,
                    data={"metadata": metadata(i)},
                    files={"file": (f"scan-{i}.jpg", scan, "image/jpeg")},
                )
                if answer.status_code == 202:
                    sent[answer.json()["submission_id"]] = began
                else:
                    refused += 1

        await asyncio.gather(*(uploader() for _ in range(concurrency)))
        phase = time.perf_counter() - started
    if refused:
        print(f"  warning: {refused} upload(s) refused")
    return sent, phase


async def wait_in_review(
    uri: str, practitioner_id: str, sent: dict[str, float], timeout: float
) -> tuple[list[float], float]:
    """Latencies (s) from upload start to the in_review step, and the time the last one got there."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    submissions = client["mumaris"]["intake.submissions"]
    deadline = time.monotonic() + timeout
    ids = list(sent)
    while await submissions.count_documents({"practitioner_id": practitioner_id, "status": "in_review"}) < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError("not every submission reached review")
        await asyncio.sleep(0.25)
    latencies: list[float] = []
    last = 0.0
    async for doc in submissions.find({"practitioner_id": practitioner_id}, {"timeline": 1}):
        reached = next(s["at"] for s in doc["timeline"] if s["status"] == "in_review").timestamp()
        latencies.append(reached - sent[doc["_id"]])
        last = max(last, reached)
    await client.close()
    return latencies, last


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


@dataclass(frozen=True)
class PipelineRun:
    submissions: int
    offered: float | None
    """Uploads offered per second (None: as fast as `concurrency` allows)."""
    accepted: float
    through: float
    """Submissions per second from the first upload until the last one was in review."""
    p50_ms: float
    p95_ms: float
    p99_ms: float
    kafka_rate: float
    insert_one_rate: float


def scans_for(args: argparse.Namespace) -> list[bytes]:
    if args.kind == "certificates":
        return [scan.data for scan in certificate_scans(args.submissions)]
    return [jpeg_bytes(args.width, args.height, seed=i) for i in range(args.submissions)]


async def run(
    args: argparse.Namespace,
    rate: float | None,
    stack: LocalStack,
    group: ServiceGroup,
    who: Principal,
    token: str,
    scans: list[bytes],
) -> PipelineRun:
    info = stack.info
    print("driving the pipeline ...", flush=True)
    started = time.time()
    sent, upload_phase = await drive(group.processes["intake"].url, token, scans, args.concurrency, rate)
    latencies, last = await wait_in_review(info.mongo_uri, who.id, sent, timeout=args.timeout)
    all_in_review = last - started

    print("measuring the parts on the same stack ...", flush=True)
    produced_rate, kafka_rate = await raw_kafka_rate(info.kafka_bootstrap, args.raw_messages)
    insert_one_rate, insert_many_rate = await raw_mongo_rates(info.mongo_uri, args.raw_documents, args.concurrency)

    accepted = len(sent) / upload_phase
    through = len(sent) / all_in_review
    print()
    load = f"at {rate:g}/s offered" if rate else f"{args.concurrency} concurrent uploads, as fast as accepted"
    print(f"pipeline, {len(sent)} submissions, {load}")
    print(f"  accepted by intake          {accepted:10.1f} submissions/s")
    print(f"  upload → in review   p50    {percentile(latencies, 50) * 1000:10.0f} ms")
    print(f"                       p95    {percentile(latencies, 95) * 1000:10.0f} ms")
    print(f"                       p99    {percentile(latencies, 99) * 1000:10.0f} ms")
    print(f"  all in review after         {all_in_review:10.2f} s   ({through:.1f} submissions/s end to end)")
    print("raw parts, same broker and database")
    print(f"  aiokafka produce (acks=all, idempotent) {produced_rate:10.0f} msg/s")
    print(f"  aiokafka produce → consume              {kafka_rate:10.0f} msg/s")
    print(f"  MongoDB insert_one ({args.concurrency} writers)          {insert_one_rate:10.0f} docs/s")
    print(f"  MongoDB insert_many (1000 per call)     {insert_many_rate:10.0f} docs/s")
    print("ratios")
    # One submission costs, end to end, 5 published events and about 12 single-document writes.
    print(f"  pipeline / raw kafka    {through * 5 / kafka_rate:8.1%}  (5 events per submission)")
    print(f"  pipeline / raw insert   {through * 12 / insert_one_rate:8.1%}  (~12 writes per submission)", flush=True)
    return PipelineRun(
        submissions=len(sent),
        offered=rate,
        accepted=accepted,
        through=through,
        p50_ms=percentile(latencies, 50) * 1000,
        p95_ms=percentile(latencies, 95) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        kafka_rate=kafka_rate,
        insert_one_rate=insert_one_rate,
    )


def run_on_fresh_stack(args: argparse.Namespace, rate: float | None, project_root: Path | None) -> PipelineRun:
    """One run on a fresh stack, the four services started from `project_root` (None: this checkout)."""
    scans = scans_for(args)
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        where = f" from {project_root}" if project_root else ""
        print(f"starting a fresh local stack and the four services{where} ...", flush=True)
        stack.start(all_topic_names())
        own_root = launcher.PROJECT_ROOT
        try:
            with MailCatcher() as mail:
                settings = settings_for(stack.info, smtp_port=mail.port)
                group = ServiceGroup(
                    env={**stack.info.env(), "MUMARIS_SMTP_PORT": str(mail.port)}, log_dir=Path(tmp) / "logs"
                )
                # The launcher starts `python -m mumaris.tools.cli` in the project's folder: another
                # checkout's folder runs that checkout's code.
                launcher.PROJECT_ROOT = project_root or own_root
                try:
                    for name in SERVICES:
                        group.start(name, free_port())
                    group.wait_healthy()
                    who = Principal(id=unique("bench"), role="practitioner", name="Bench", email="bench@example.sa")
                    return asyncio.run(
                        run(args, rate, stack, group, who, issue_token(who, settings, ttl_s=3600), scans)
                    )
                finally:
                    launcher.PROJECT_ROOT = own_root
                    group.stop_all()
        finally:
            stack.stop()


def measure(args: argparse.Namespace) -> list[Figure]:
    """Saturated (or at `--rate`), then optionally at half the rate reached; with `--compare-with`,
    the other checkout's services first under the same load."""
    figures: list[Figure] = []
    before = run_on_fresh_stack(args, args.rate, args.compare_with) if args.compare_with else None
    mine = run_on_fresh_stack(args, args.rate, None)
    load = f"at {args.rate:g}/s offered" if args.rate else f"{args.concurrency} concurrent uploads"
    figures.append(
        Figure(
            f"pipeline end to end ({load})",
            mine.through,
            "submissions/s",
            mine.kafka_rate / 5,
            "raw aiokafka, 5 events a submission",
        )
    )
    if before is not None:
        figures.append(
            Figure(
                f"pipeline end to end ({load}) vs {args.compare_with}",
                mine.through,
                "submissions/s",
                before.through,
                f"{args.compare_with}, same run",
                target=2.0,
                target_kind="ratio_at_least",
            )
        )
    figures.append(
        Figure(
            f"p99 upload → in review ({load})",
            mine.p99_ms,
            "ms",
            before.p99_ms if before else None,
            f"{args.compare_with}, same run" if before else "",
        )
    )
    if args.then_half_rate:
        half = round(mine.through / 2, 1)
        before_half = run_on_fresh_stack(args, half, args.compare_with) if args.compare_with else None
        mine_half = run_on_fresh_stack(args, half, None)
        figures.append(
            Figure(
                f"p99 upload → in review at {half:g}/s (half the rate reached)",
                mine_half.p99_ms,
                "ms",
                before_half.p99_ms if before_half else None,
                f"{args.compare_with}, same run" if before_half else "",
                target=1000,
                target_kind="at_most",
            )
        )
    return figures


def bench() -> list[Figure]:
    """For `make bench`: 150 scans saturated, then again at half the rate reached (two fresh stacks)."""
    return measure(parser().parse_args(["--submissions", "150", "--then-half-rate"]))


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offer uploads at this steady rate (open loop) to see latency below saturation",
    )
    parser.add_argument("--then-half-rate", action="store_true", help="run again at half the end-to-end rate reached")
    parser.add_argument("--compare-with", type=Path, default=None, help="another checkout to run first, same load")
    parser.add_argument("--kind", choices=["scans", "certificates"], default="scans")
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=600)
    parser.add_argument("--raw-messages", type=int, default=20_000)
    parser.add_argument("--raw-documents", type=int, default=5_000)
    parser.add_argument("--timeout", type=float, default=600)
    return parser


def main() -> None:
    figures = measure(parser().parse_args())
    print()
    print("pipeline")
    print(table(figures))


if __name__ == "__main__":
    main()
