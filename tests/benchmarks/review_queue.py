"""Benchmark: the review queue under a day's load, on the embedded local stack.

    python -m tests.benchmarks.review_queue --items 2000 --reviewers 1 10

Seeds a queue of N waiting items, then prints for each number of concurrent reviewers:
claim-next latency (p50/p95/max) and claims/s until the queue is empty; and, on the full queue,
how long the reviewer's queue page, a supervisor's filtered search and the counts take.
Beside them, the raw single-document conditional update rate on the same database, so each
figure reads as a ratio of what the database can do. It prints; it does not assert.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from mumaris.clock import now
from mumaris.service import ServiceRuntime, create_runtime
from mumaris.tools.stack import LocalStack
from services.review.queue.rules import QueueState
from services.review.queue.service import Actor, ReviewDesk
from services.review.queue.store import QueueFilter, ReviewStore
from tests.support import settings_for, unique


def item(n: int, queued_at: Any) -> dict[str, Any]:
    review_id = str(uuid.uuid4())
    return {
        "_id": review_id,
        "submission_id": review_id,
        "kind": "certificate",
        "version": 1,
        "practitioner": {"id": f"p-{n % 500}", "name": f"Practitioner {n}", "email": "p@example.sa", "locale": "ar"},
        "specialty": ("Nursing", "Radiology", "Pharmacy")[n % 3],
        "certificate": {
            "name": f"Course {n}",
            "obtained_on": "2025-01-01",
            "institution": "KSU",
            "specialty": "Nursing",
            "degree": "CPD",
        },
        "file": None,
        "findings": [],
        "status": "queued",
        "queued_at": queued_at,
        "previous_submission_id": None,
    }


async def timed(call: Callable[[], Awaitable[Any]], repeat: int = 20) -> tuple[float, float]:
    """(p50, max) milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


async def seeded_desk(stack: LocalStack, items: int) -> tuple[ServiceRuntime, ReviewDesk]:
    """A fresh database with a queue of `items` waiting items, enqueued as the handler would."""
    settings = settings_for(stack.info, mongo_db=unique("bench-review"))
    runtime = create_runtime("review", settings)
    store = ReviewStore(runtime.db)
    await store.ensure_indexes()
    desk = ReviewDesk(store, runtime.uow, settings)

    def enqueue(queued: dict[str, Any]) -> Awaitable[None]:
        return runtime.uow.run(lambda session: desk.enqueue(queued, session))

    at = now()
    for start in range(0, items, 500):  # in batches of transactions
        batch = [item(n, at - timedelta(minutes=n)) for n in range(start, min(items, start + 500))]
        await asyncio.gather(*(enqueue(i) for i in batch))
    return runtime, desk


async def time_pages(store: ReviewStore, items: int) -> None:
    """On the full queue: the reviewer's queue page, a supervisor's filtered search, the counts."""
    viewer = Actor("bench-viewer", "Viewer", "supervisor", None)
    page = await timed(lambda: store.waiting(viewer.id, now(), 50))
    search = await timed(
        lambda: store.search(QueueFilter(specialty="Radiology", state=QueueState.WAITING, text="course 1"), now())
    )
    counts = await timed(lambda: store.counts(now()), repeat=5)
    scan = await timed(lambda: store.items.find({}, {"_id": 1}).to_list(), repeat=5)
    print(
        f"full queue of {items}: queue page (50) p50 {page[0]:.1f} ms, max {page[1]:.1f}; "
        f"supervisor search p50 {search[0]:.1f} ms; counts p50 {counts[0]:.1f} ms; "
        f"raw scan of all ids p50 {scan[0]:.1f} ms"
    )


async def time_claims(desk: ReviewDesk, reviewers: int) -> None:
    """`reviewers` pressing claim-next together until the queue is empty."""
    latencies: list[float] = []

    async def work(actor: Actor) -> None:
        while True:
            started = time.perf_counter()
            claimed = await desk.claim_next(actor)
            if claimed is None:
                return
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(work(Actor(f"r-{n}", f"R{n}", "reviewer", None)) for n in range(reviewers)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(
        f"{reviewers:>3} reviewers: {len(latencies)} claims in {elapsed:.1f} s = {len(latencies) / elapsed:.0f}/s; "
        f"claim-next p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.1f} ms, max {latencies[-1]:.1f} ms"
    )


async def time_raw_updates(runtime: ServiceRuntime) -> None:
    raw = runtime.db[unique("raw")]
    await raw.insert_many([{"_id": n, "free": True} for n in range(500)])
    started = time.perf_counter()
    for n in range(500):
        await raw.find_one_and_update({"_id": n, "free": True}, {"$set": {"free": False}})
    print(f"     raw conditional update by id: {500 / (time.perf_counter() - started):.0f}/s (one writer)")


async def run(items: int, reviewer_counts: list[int], stack_dir: Path) -> None:
    stack = LocalStack(stack_dir, die_with_parent=True)
    stack.start([])
    try:
        for reviewers in reviewer_counts:
            runtime, desk = await seeded_desk(stack, items)
            if reviewers == reviewer_counts[0]:
                await time_pages(desk.store, items)
            await time_claims(desk, reviewers)
            await time_raw_updates(runtime)
            await runtime.client.drop_database(runtime.settings.mongo_db)
            await runtime.client.close()
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, nargs="+", default=[1, 10])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as folder:
        asyncio.run(run(args.items, args.reviewers, Path(folder)))


if __name__ == "__main__":
    main()
