"""Benchmark: validator replicas in one consumer group.

    python -m tests.benchmarks.validator_scaling --documents 120 --replicas 1 2 3

For each replica count: a fresh stack with 6 partitions, N stored scans with their
submission.received events already waiting on the topic, then that many validator processes
(one consumer group). Prints documents/s measured between the first and the last result, so
process start-up and the group join are not counted. It prints; it does not assert.
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
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


def run_once(replicas: int, scans: list[bytes], consumers: int, timeout: float) -> float:
    with tempfile.TemporaryDirectory(prefix="mumaris-vbench-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        stack.start(all_topic_names(), partitions=PARTITIONS)
        try:
            info = stack.info
            asyncio.run(seed(info.mongo_uri, info.kafka_bootstrap, scans))
            group = ServiceGroup(
                env={**info.env(), "MUMARIS_KAFKA_CONSUMERS_PER_SUBSCRIBER": str(consumers)}, log_dir=Path(tmp) / "logs"
            )
            try:
                for replica in range(replicas):
                    group.start("validator", free_port(), replica=replica)
                group.wait_healthy()
                return asyncio.run(rate_when_done(info.mongo_uri, len(scans), timeout))
            finally:
                group.stop_all()
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=120)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--consumers-per-replica", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    print(f"generating {args.documents} scans (1240x1754 JPEG) ...", flush=True)
    scans = [jpeg_bytes(1240, 1754, seed=i) for i in range(args.documents)]
    print(f"{PARTITIONS} partitions, {args.consumers_per_replica} consumer(s) per replica, OCR on")
    for replicas in args.replicas:
        rate = run_once(replicas, scans, args.consumers_per_replica, args.timeout)
        print(f"  {replicas} validator replica(s): {rate:7.2f} documents/s", flush=True)


if __name__ == "__main__":
    main()
