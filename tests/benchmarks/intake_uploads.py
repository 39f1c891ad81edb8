"""Benchmark: certificate uploads accepted by intake (POST /v1/certificates → 202), beside a replay
of the upload's own database operations with no application code, on one fresh local stack.

    python -m tests.benchmarks.intake_uploads --uploads 600 --rounds 3 --concurrency 16
    python -m tests.benchmarks.intake_uploads --pipeline      # validator and review running too

intake runs as its own process (`mumaris run intake`, as in production); with `--pipeline` the
validator and review consume what it accepts meanwhile (on the same two cores). Before the run the
collection already holds `--existing` submissions, so a query that scans would show. Each upload
is a ~120 KiB JPEG scan by a practitioner of its own (the "same file while one is pending" rule is
per practitioner), its multipart body encoded once beforehand so the load generator costs little.

The replay, on the same database, with the same concurrency and the same files: the
duplicate-pending `find_one`, the GridFS put of the file, and one transaction inserting the
submission and its outbox event. After a warm-up of both, `--rounds` rounds of each, one after the
other, so that both meet the same load of a shared machine; each figure is the total of the rounds.
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
from gridfs import AsyncGridFSBucket
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import Principal, issue_token
from mumaris.settings import Settings
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from mumaris.tools.standins import MailCatcher
from schemas.topics import all_topic_names
from tests.benchmarks.figures import Figure, table
from tests.documents import jpeg_bytes
from tests.support import settings_for, unique

Doc = dict[str, Any]
METADATA = {
    "name": "Basic Life Support (BLS)",
    "obtained_on": "2025-03-14",
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Training certificate",
}
# Uploads before this 3× target: 48 accepted/s, 24 % of the replay (see the README's benchmark section).
TARGET_SHARE_OF_REPLAY = 0.72


def submission_doc(i: int, at: datetime, sha256: str) -> Doc:
    """A submission shaped as intake writes it (services/intake/submissions/store.py)."""
    practitioner = {"id": f"seed-{i}", "name": "Dr. Seed", "email": f"seed{i}@example.sa", "locale": "ar"}
    return {
        "_id": str(uuid.uuid4()),
        "kind": "certificate",
        "version": 1,
        "previous_submission_id": None,
        "practitioner_id": practitioner["id"],
        "practitioner": practitioner,
        "certificate": METADATA,
        "file": {
            "file_id": "0" * 24,
            "filename": "scan.jpg",
            "size": 120_000,
            "sha256": sha256,
            "content_type": "image/jpeg",
        },
        "status": "received",
        "timeline": [{"status": "received", "at": at, "event_id": None, "note": None}],
        "created_at": at,
        "updated_at": at,
        "revision": 0,
    }


async def seed_submissions(collection: Any, count: int) -> None:
    at = datetime.now(UTC)
    for first in range(0, count, 5_000):
        await collection.insert_many(
            [submission_doc(i, at, f"{i:064x}") for i in range(first, min(count, first + 5_000))]
        )


def multipart_bodies(intake: str, scans: list[bytes]) -> list[tuple[bytes, str]]:
    """Each scan's multipart body and its content type, as httpx would send them."""
    bodies = []
    for n, scan in enumerate(scans):
        request = httpx.Request(
            "POST",
            f"{intake}/v1/certificates",
            data={"metadata": json.dumps(METADATA)},
            files={"file": (f"scan-{n}.jpg", scan, "image/jpeg")},
        )
        bodies.append((request.read(), request.headers["content-type"]))
    return bodies


async def drive_uploads(
    intake: str, tokens: list[str], bodies: list[tuple[bytes, str]], concurrency: int
) -> tuple[int, int, float]:
    """(accepted, refused, seconds) for one upload per token, `concurrency` at a time."""
    queue = list(range(len(tokens)))
    accepted = refused = 0
    async with httpx.AsyncClient(
        timeout=60, limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    ) as http:

        async def uploader() -> None:
            nonlocal accepted, refused
            while queue:
                i = queue.pop()
                body, content_type = bodies[i % len(bodies)]
                answer = await http.post(
                    f"{intake}/v1/certificates",
                    content=body,
                    headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": content_type},
                )
                if answer.status_code == 202:
                    accepted += 1
                else:
                    refused += 1
                    if refused <= 3:
                        print(f"  refused: {answer.status_code} {answer.text[:200]}", flush=True)

        started = time.perf_counter()
        await asyncio.gather(*(uploader() for _ in range(concurrency)))
        return accepted, refused, time.perf_counter() - started


class Replay:
    """The upload's bare database operations (no HTTP, no application code), in a database of their
    own holding as many submissions, with the indexes intake creates: per upload the duplicate
    check (`find_one`), the GridFS put of the file, and one transaction inserting the submission
    and its outbox event; `concurrency` at a time."""

    def __init__(self, uri: str, scans: list[bytes], concurrency: int, existing: int) -> None:
        self.scans, self.concurrency, self.existing = scans, concurrency, existing
        self.client: AsyncMongoClient[Doc] = AsyncMongoClient(uri, tz_aware=True)
        self.db = self.client[unique("replay")]
        self.submissions, self.outbox = self.db["intake.submissions"], self.db["intake.outbox"]
        self.bucket = AsyncGridFSBucket(self.db, bucket_name="files")
        self.done = 0

    async def __aenter__(self) -> "Replay":
        db = self.db
        await self.submissions.create_index([("practitioner_id", ASCENDING), ("created_at", DESCENDING)])
        await self.submissions.create_index([("practitioner_id", ASCENDING), ("file.sha256", ASCENDING)])
        await self.outbox.create_index([("created_at", ASCENDING), ("seq", ASCENDING)])  # as intake's
        await db["files.files"].create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
        await db["files.chunks"].create_index([("files_id", ASCENDING), ("n", ASCENDING)], unique=True)
        await seed_submissions(self.submissions, self.existing)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.drop_database(self.db.name)
        await self.client.close()

    async def one(self, i: int) -> None:
        practitioner_id = f"replay-{i}"
        sha256 = f"{i:064x}"
        await self.submissions.find_one(
            {
                "practitioner_id": practitioner_id,
                "kind": {"$ne": "classification_document"},
                "file.sha256": sha256,
                "status": {"$in": ["received", "validated", "in_review"]},
            },
            projection={"_id": 1},
        )
        stream = self.bucket.open_upload_stream("scan.jpg", metadata={"sha256": sha256, "content_type": "image/jpeg"})
        object.__setattr__(stream, "_ensured_index", True)  # the indexes exist: as intake's FileStore does
        async with stream:
            await stream.write(self.scans[i % len(self.scans)])
        at = datetime.now(UTC)
        doc = submission_doc(i, at, sha256)
        event = {"_id": str(uuid.uuid4()), "topic": "submission.received", "key": doc["_id"], "body": doc["file"]}

        async def work(session: AsyncClientSession) -> None:
            await self.submissions.insert_one(doc, session=session)
            await self.outbox.insert_one({**event, "created_at": at, "seq": i}, session=session)

        async with self.client.start_session() as session:
            await session.with_transaction(work)

    async def round(self, uploads: int) -> float:
        """The seconds `uploads` more uploads take."""
        queue = list(range(self.done, self.done + uploads))
        self.done += uploads

        async def worker() -> None:
            while queue:
                await self.one(queue.pop())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return time.perf_counter() - started


def practitioner_tokens(settings: Settings, count: int) -> list[str]:
    tokens = []
    for n in range(count):
        who = Principal(id=unique("bench"), role="practitioner", name="Dr. Bench", email=f"bench{n}@example.sa")
        tokens.append(issue_token(who, settings, ttl_s=3600))
    return tokens


async def measure(args: argparse.Namespace, info: StackInfo, intake: str, settings: Settings) -> list[Figure]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(info.mongo_uri)
    await seed_submissions(client[settings.mongo_db]["intake.submissions"], args.existing)
    await client.close()
    scans = [jpeg_bytes(800, 600, seed=n) for n in range(args.scans)]
    bodies = multipart_bodies(intake, scans)
    print(f"  {args.existing} submissions present; scans of ~{sum(map(len, scans)) // len(scans) // 1024} KiB")
    accepted = refused = 0
    intake_s = replay_s = 0.0
    async with Replay(info.mongo_uri, scans, args.concurrency, args.existing) as replay:
        # Both sides warmed up first (connections, the servers' caches), then interleaved rounds, so
        # that both meet the same load of a shared machine.
        print(f"warming up: {args.uploads // 4} uploads through intake and through the replay ...", flush=True)
        await drive_uploads(intake, practitioner_tokens(settings, args.uploads // 4), bodies, args.concurrency)
        await replay.round(args.uploads // 4)
        for n in range(args.rounds):
            print(
                f"round {n + 1} of {args.rounds}: {args.uploads} uploads, {args.concurrency} at a time ...", flush=True
            )
            tokens = practitioner_tokens(settings, args.uploads)
            took = await drive_uploads(intake, tokens, bodies, args.concurrency)
            accepted, refused, intake_s = accepted + took[0], refused + took[1], intake_s + took[2]
            seconds = await replay.round(args.uploads)
            replay_s += seconds
            print(f"  intake {took[0] / took[2]:6.1f} uploads/s, replay {args.uploads / seconds:6.1f}", flush=True)
    replay_rate = args.rounds * args.uploads / replay_s
    with_what = "with validator and review running" if args.pipeline else "intake alone"
    return [
        Figure(
            f"uploads accepted by intake ({with_what}, {args.concurrency} concurrent, {args.existing} present)",
            accepted / intake_s,
            "uploads/s",
            baseline=replay_rate,
            baseline_name="replay of the upload's database operations",
            target=TARGET_SHARE_OF_REPLAY,
            target_kind="ratio_at_least",
        ),
        Figure("uploads refused", refused, "uploads", target=0, target_kind="at_most"),
    ]


def figures(args: argparse.Namespace) -> list[Figure]:
    """Start a fresh stack and intake (and validator and review with `args.pipeline`), measure, stop."""
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        stack.start(all_topic_names())
        try:
            with MailCatcher() as mail:
                settings = settings_for(stack.info, smtp_port=mail.port)
                env = {**stack.info.env(), "MUMARIS_SMTP_PORT": str(mail.port), "MUMARIS_OCR_ENABLED": "false"}
                group = ServiceGroup(env=env, log_dir=Path(tmp) / "logs")
                try:
                    for name in ("intake", "validator", "review") if args.pipeline else ("intake",):
                        group.start(name, free_port())
                    group.wait_healthy()
                    return asyncio.run(measure(args, stack.info, group.processes["intake"].url, settings))
                finally:
                    group.stop_all()
        finally:
            stack.stop()


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=600, help="uploads per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of uploads and of their replay, interleaved")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--existing", type=int, default=5000, help="submissions in the collection beforehand")
    parser.add_argument("--scans", type=int, default=20, help="distinct JPEG scans the uploads cycle through")
    parser.add_argument("--pipeline", action="store_true", help="run the validator and review beside intake")
    return parser


def bench() -> list[Figure]:
    """`make bench`: intake alone, 3 rounds of 300 uploads each way (about a minute on the 2-core machine)."""
    return figures(parser().parse_args(["--uploads", "300", "--rounds", "3"]))


def main() -> None:
    args = parser().parse_args()
    print("starting a fresh local stack and intake ...", flush=True)
    print(table(figures(args)))


if __name__ == "__main__":
    main()
