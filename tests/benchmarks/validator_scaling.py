"""Benchmark: validator replicas in one consumer group, each with W worker processes.

    python -m tests.benchmarks.validator_scaling --documents 60 --replicas 1 2 --workers 1 2

For each replica count and worker count (`MUMARIS_VALIDATOR_WORKERS`; 0 runs the checks in the
validator's own process, in threads): a fresh stack with 6 partitions, N stored scans with their
submission.received events already waiting on the topic, then that many validator processes (one
consumer group). Prints documents/s measured between the first and the last result, so process
start-up and the group join are not counted, beside the raw baseline measured in the same run: the
`tesseract` program (ara+eng, one thread) on the same scans, one process per page, as many at once
as this process may use CPUs. The scans are certificates set in real type (tests/certificate_scans.py)
or, with `--kind bars`, the 1240x1754 textured pages of tests/documents.py. It prints; it does not
assert. `measure()` returns the figures as data.
"""

import argparse
import asyncio
import io
import os
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from PIL import Image
from pymongo import AsyncMongoClient

from mumaris.files import CONTENT_TYPES, FileStore, sha256_hex
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, free_port
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    PractitionerRef,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
)
from schemas.topics import SUBMISSION_RECEIVED, all_topic_names
from tests.benchmarks.figures import Figure, table
from tests.certificate_scans import certificate_scans
from tests.documents import jpeg_bytes

PARTITIONS = 6


async def seed(info_mongo: str, bootstrap: str, scans: list[bytes]) -> None:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(info_mongo)
    files = FileStore(client["mumaris"])
    await files.ensure_indexes()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i, scan in enumerate(scans):
            file_id = await files.put(f"scan-{i}.jpg", scan, {})
            event = SubmissionReceived(
                submission_id=str(uuid.uuid4()),
                kind=SubmissionKind.CERTIFICATE,
                practitioner=PractitionerRef(id=f"p-{i}", name="Bench Practitioner", email=f"p{i}@example.sa"),
                certificate=CertificateMetadata(
                    name=f"Course {i}",
                    obtained_on=date(2025, 1, 1),
                    institution="King Saud University",
                    specialty="Nursing",
                    degree="CPD",
                ),
                file=StoredFile(
                    file_id=file_id,
                    filename=f"scan-{i}.jpg",
                    size=len(scan),
                    sha256=sha256_hex(scan),
                    content_type=CONTENT_TYPES["jpeg"],
                ),
                received_at=datetime.now(UTC),
            )
            attrs = CloudEventAttributes.new(
                source="/bench", type=SUBMISSION_RECEIVED.ce_type, subject=event.submission_id
            )
            await producer.send(
                SUBMISSION_RECEIVED.name,
                event.model_dump_json().encode(),
                key=event.submission_id.encode(),
                headers=[(k, v.encode()) for k, v in attrs.to_headers().items()],
            )
        await producer.flush()
    finally:
        await producer.stop()
        await client.close()


async def rate_when_done(mongo: str, documents: int, timeout: float) -> float:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo, tz_aware=True)
    results = client["mumaris"]["validator.results"]
    deadline = time.monotonic() + timeout
    while await results.count_documents({}) < documents:
        if time.monotonic() > deadline:
            raise TimeoutError("the validators did not finish")
        await asyncio.sleep(0.5)
    times = sorted([d["checked_at"] async for d in results.find({}, {"checked_at": 1})])
    await client.close()
    return (documents - 1) / max(1e-6, (times[-1] - times[0]).total_seconds())


def run_once(replicas: int, workers: int, scans: list[bytes], consumers: int, timeout: float) -> float:
    with tempfile.TemporaryDirectory(prefix="mumaris-vbench-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        stack.start(all_topic_names(), partitions=PARTITIONS)
        try:
            info = stack.info
            asyncio.run(seed(info.mongo_uri, info.kafka_bootstrap, scans))
            env = {
                **info.env(),
                "MUMARIS_KAFKA_CONSUMERS_PER_SUBSCRIBER": str(consumers),
                "MUMARIS_VALIDATOR_WORKERS": str(workers),
            }
            group = ServiceGroup(env=env, log_dir=Path(tmp) / "logs")
            try:
                for replica in range(replicas):
                    group.start("validator", free_port(), replica=replica)
                group.wait_healthy()
                return asyncio.run(rate_when_done(info.mongo_uri, len(scans), timeout))
            finally:
                group.stop_all()
        finally:
            stack.stop()


def tesseract_program_rate(scans: list[bytes]) -> float:
    """Pages/s of the plain `tesseract` program on the scans, one process per page, as many at once
    as this process may use CPUs."""
    pages = []
    for scan in scans:
        buffer = io.BytesIO()
        Image.open(io.BytesIO(scan)).convert("L").save(buffer, "PNG", compress_level=1)
        pages.append(buffer.getvalue())

    def read(page: bytes) -> None:
        subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "ara+eng", "--psm", "3"],
            input=page,
            capture_output=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            check=True,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
        list(pool.map(read, pages))
    return len(pages) / (time.perf_counter() - started)


def scans_of(kind: str, count: int) -> list[bytes]:
    if kind == "bars":
        return [jpeg_bytes(1240, 1754, seed=i) for i in range(count)]
    return [scan.data for scan in certificate_scans(count)]


def measure(
    documents: int = 60,
    replicas: tuple[int, ...] = (1, 2),
    workers: tuple[int, ...] = (1, 2),
    kind: str = "certificates",
    consumers: int = 2,
    timeout: float = 900,
    echo: bool = False,
) -> list[Figure]:
    scans = scans_of(kind, documents)
    raw = tesseract_program_rate(scans)
    if echo:
        print(
            f"raw baseline: tesseract program on the same scans, {len(os.sched_getaffinity(0))} at once: {raw:.2f} pages/s"
        )
    figures = []
    for replica_count in replicas:
        for worker_count in workers:
            rate = run_once(replica_count, worker_count, scans, consumers, timeout)
            figure = Figure(
                f"validator, {replica_count} replica(s) x {worker_count} worker(s)",
                rate,
                "documents/s",
                raw,
                "tesseract program, all CPUs",
            )
            figures.append(figure)
            if echo:
                print(f"  {figure.name}: {rate:7.2f} documents/s ({figure.ratio:.2f}x the raw baseline)", flush=True)
    return figures


def bench() -> list[Figure]:
    """For `make bench`: one replica with one and with two workers, 30 certificate scans each, and
    what the second worker adds (on a 2-core machine the broker and the database share the cores)."""
    one, two = measure(documents=30, replicas=(1,), workers=(1, 2))
    gain = Figure(
        "validator, 2 workers beside 1 (one replica)",
        two.value,
        "documents/s",
        one.value,
        "1 worker, same run",
        target=1.5,
        target_kind="ratio_at_least",
    )
    return [one, two, gain]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes per replica")
    parser.add_argument("--kind", choices=["certificates", "bars"], default="certificates")
    parser.add_argument("--consumers-per-replica", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    print(f"generating {args.documents} scans ({args.kind}) ...", flush=True)
    print(f"{PARTITIONS} partitions, {args.consumers_per_replica} consumer(s) per replica, OCR on")
    figures = measure(
        args.documents,
        tuple(args.replicas),
        tuple(args.workers),
        args.kind,
        args.consumers_per_replica,
        args.timeout,
        echo=True,
    )
    print()
    print("validator scaling")
    print(table(figures))


if __name__ == "__main__":
    main()
