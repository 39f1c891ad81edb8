"""Benchmark: claim-next under contention, on a queue of open items among many decided ones, on the
embedded local stack (the database only: the desk is driven in-process, as its routes drive it).

    python -m tests.benchmarks.review_queue                                   # 1 and 10 reviewers
    python -m tests.benchmarks.review_queue --items 1000 --decided 50000 --reviewers 10 --seconds 20 --desks 2

Seeds `--decided` decided items (with their audit entries) and `--items` open ones, enqueued as
the handler enqueues them. Then, for each number of reviewers, they press claim-next and decide
what they got, over and over, for `--seconds`, while arrivals keep the open queue at `--items`;
`--desks N` spreads them over N desks with a client each, as N replicas of the service would be.
It prints claims/s and claim-next latency (p50/p95/max), and, measured on the same server in the
same run with as many concurrent clients:

- a bare conditional update by id (each client its own documents: no contention at all);
- a bare `find_one_and_update` with a sort over an indexed status (every client races for the
  first document, the design claim-next must not have);
- a claim's writes alone: the conditional update by id and an audit insert in one transaction,
  each client its own documents (the floor under claim-next, which also has to find its item).

Then, on the full queue, the plan of every command one claim-next, one decision and a supervisor's
pages send (`explain`: the index, the keys and documents examined), and how long the reviewer's
queue page, a supervisor's filtered search and the counts take. It prints; it does not assert.
`measure()` returns the figures (tests/benchmarks/figures.py) for `make bench`.
"""

import argparse
import asyncio
import copy
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.clock import now
from mumaris.mongo import UnitOfWork, make_client
from mumaris.settings import Settings
from mumaris.tools.stack import LocalStack
from schemas.events import Decision
from services.review.queue.rules import DecisionRequest, QueueState
from services.review.queue.service import Actor, ReviewDesk
from services.review.queue.store import EPOCH, QueueFilter, ReviewStore
from tests.benchmarks.figures import Figure, table
from tests.support import settings_for, unique

CLAIM_P95_TARGET_MS = 100.0


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


def decided_item(n: int, at: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An item decided long ago, as the desk leaves it, and its two audit entries."""
    reviewer = {"id": f"old-{n % 40}", "name": f"Old reviewer {n % 40}", "role": "reviewer"}
    decision = ("approve", "reject", "request_changes")[n % 3]
    queued_at = at - timedelta(days=30, minutes=n)
    doc = {
        **item(n, queued_at),
        "status": "decided",
        "priority": 1,
        "sla_due_at": queued_at + timedelta(days=7),
        "claim": None,
        "preferred_reviewer_id": None,
        "reserved_until": None,
        "decision": {
            "decision": decision,
            "reason_codes": ["document_illegible"] if decision == "reject" else [],
            "reason": "" if decision == "approve" else "See the note.",
            "reviewer_id": reviewer["id"],
            "reviewer_name": reviewer["name"],
        },
        "decided_at": queued_at + timedelta(days=2),
    }
    audit = []
    for minutes, action in enumerate(("claimed", "decided")):
        when = queued_at + timedelta(days=1, minutes=minutes)
        audit.append(
            {
                "_id": str(uuid.uuid4()),
                "review_id": doc["_id"],
                "at": when,
                "action": action,
                "actor": reviewer,
                "address": None,
                "details": {},
                "at_us": (when - EPOCH) // timedelta(microseconds=1),
            }
        )
    return doc, audit


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@dataclass
class Latencies:
    """What a run measured: one sample (ms) per call, over `elapsed` seconds."""

    samples: list[float] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.samples) / self.elapsed if self.elapsed else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    @property
    def max(self) -> float:
        return max(self.samples)

    def line(self) -> str:
        return f"{self.rate:6.0f}/s  p50 {self.p50:6.1f} ms  p95 {self.p95:6.1f} ms  max {self.max:7.1f} ms"


async def timed(call: Callable[[], Awaitable[Any]], repeat: int = 20) -> tuple[float, float]:
    """(p50, max) milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), max(samples)


# --- the queue ------------------------------------------------------------------------------------


@dataclass
class Queue:
    """One database with the review collections, and a desk per replica on it."""

    settings: Settings
    clients: list[AsyncMongoClient[dict[str, Any]]]
    desks: list[ReviewDesk]

    @property
    def store(self) -> ReviewStore:
        return self.desks[0].store

    async def enqueue(self, fresh: dict[str, Any]) -> None:
        desk = self.desks[0]
        await desk.uow.run(lambda session: desk.enqueue(fresh, session))

    async def close(self) -> None:
        await self.clients[0].drop_database(self.settings.mongo_db)
        for client in self.clients:
            await client.close()


def desk_on(settings: Settings, client: AsyncMongoClient[dict[str, Any]]) -> ReviewDesk:
    db = client[settings.mongo_db]
    return ReviewDesk(ReviewStore(db), UnitOfWork(client, db, "review"), settings)


async def seeded_queue(settings: Settings, open_items: int, decided: int, desks: int) -> Queue:
    """`decided` items decided long ago (written directly, with their audit), then `open_items`
    waiting ones, enqueued as the handler enqueues them."""
    clients = [make_client(settings) for _ in range(desks)]
    queue = Queue(settings, clients, [desk_on(settings, client) for client in clients])
    await queue.store.ensure_indexes()
    at = now()
    for start in range(0, decided, 5000):
        batch = [decided_item(n, at) for n in range(start, min(decided, start + 5000))]
        await queue.store.items.insert_many([doc for doc, _ in batch], ordered=False)
        await queue.store.audit.insert_many([entry for _, entries in batch for entry in entries], ordered=False)
    for start in range(0, open_items, 100):
        fresh = [item(n, at - timedelta(minutes=n)) for n in range(start, min(open_items, start + 100))]
        await asyncio.gather(*(queue.enqueue(i) for i in fresh))
    return queue


@dataclass
class ClaimRun:
    reviewers: int
    desks: int
    claims: Latencies
    decisions: Latencies
    came_back_empty: int  # claim-next answered "nothing to take" while items waited
    window_reads: int
    claim_attempts: int
    conflicts: int


async def claim_and_decide(queue: Queue, reviewers: int, seconds: float) -> ClaimRun:
    """`reviewers` pressing claim-next and deciding what they got, as fast as they can, for `seconds`;
    every decision lets one new item arrive, so the open queue stays as it was seeded."""
    claims, decisions = Latencies(), Latencies()
    empty = 0
    arrivals: asyncio.Queue[None] = asyncio.Queue()
    arrived = 0
    deadline = time.perf_counter() + seconds

    async def reviewer(actor: Actor, desk: ReviewDesk) -> None:
        nonlocal empty
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            claimed = await desk.claim_next(actor)
            claims.samples.append((time.perf_counter() - started) * 1000)
            if claimed is None:
                empty += 1
                continue
            started = time.perf_counter()
            await desk.decide(claimed["_id"], actor, DecisionRequest(Decision.APPROVE))
            decisions.samples.append((time.perf_counter() - started) * 1000)
            arrivals.put_nowait(None)

    async def arrive() -> None:
        nonlocal arrived
        while True:
            await arrivals.get()
            arrived += 1
            await queue.enqueue(item(10_000_000 + arrived, now()))

    arrival = asyncio.create_task(arrive())
    TRAFFIC.counting, TRAFFIC.window_reads, TRAFFIC.claim_attempts, TRAFFIC.conflicts = True, 0, 0, 0
    started = time.perf_counter()
    actors = [Actor(unique("r"), f"Reviewer {n}", "reviewer", "10.0.0.7") for n in range(reviewers)]
    await asyncio.gather(*(reviewer(a, queue.desks[n % len(queue.desks)]) for n, a in enumerate(actors)))
    claims.elapsed = decisions.elapsed = time.perf_counter() - started
    TRAFFIC.counting = False
    arrival.cancel()
    while not arrivals.empty():  # the queue as it was, for the next run
        arrivals.get_nowait()
        arrived += 1
        await queue.enqueue(item(10_000_000 + arrived, now()))
    return ClaimRun(
        reviewers,
        len(queue.desks),
        claims,
        decisions,
        empty,
        TRAFFIC.window_reads,
        TRAFFIC.claim_attempts,
        TRAFFIC.conflicts,
    )


# --- the raw baselines ------------------------------------------------------------------------------


async def race(clients: int, work: Callable[[int], Awaitable[bool]]) -> Latencies:
    """`clients` concurrent callers of `work(client)` until it returns False."""
    measured = Latencies()

    async def caller(k: int) -> None:
        while True:
            started = time.perf_counter()
            if not await work(k):
                return
            measured.samples.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(caller(k) for k in range(clients)))
    measured.elapsed = time.perf_counter() - started
    return measured


async def raw_collection(db: AsyncDatabase[dict[str, Any]], documents: int) -> AsyncCollection[dict[str, Any]]:
    raw = db[unique("raw")]
    await raw.insert_many([{"_id": n, "status": "open", "rank": n, "taken_by": None} for n in range(documents)])
    await raw.create_index([("status", 1), ("rank", 1)])
    return raw


@dataclass
class Baselines:
    by_id: Latencies
    sorted_race: Latencies
    claim_writes: Latencies


async def raw_baselines(
    client: AsyncMongoClient[dict[str, Any]], db: AsyncDatabase[dict[str, Any]], clients: int, documents: int
) -> Baselines:
    def own_ids() -> list[Iterator[int]]:
        """Each client its own documents: no two ever touch the same one."""
        return [iter(range(k, documents, clients)) for k in range(clients)]

    by_id, by_id_ids = await raw_collection(db, documents), own_ids()

    async def update_by_id(k: int) -> bool:
        n = next(by_id_ids[k], None)
        if n is None:
            return False
        await by_id.find_one_and_update({"_id": n, "taken_by": None}, {"$set": {"taken_by": k}})
        return True

    sorted_race = await raw_collection(db, documents)

    async def first_in_order(k: int) -> bool:
        taken = await sorted_race.find_one_and_update(
            {"status": "open"}, {"$set": {"status": "taken", "taken_by": k}}, sort=[("status", 1), ("rank", 1)]
        )
        return taken is not None

    claimed, claimed_ids, audit = await raw_collection(db, documents), own_ids(), db[unique("raw-audit")]
    await audit.create_index([("review_id", 1), ("at", 1)])

    async def claim_writes(k: int) -> bool:
        n = next(claimed_ids[k], None)
        if n is None:
            return False
        async with client.start_session() as session, await session.start_transaction():
            await claimed.find_one_and_update({"_id": n, "taken_by": None}, {"$set": {"taken_by": k}}, session=session)
            await audit.insert_one({"_id": str(uuid.uuid4()), "review_id": n, "at": now()}, session=session)
        return True

    return Baselines(
        await race(clients, update_by_id), await race(clients, first_in_order), await race(clients, claim_writes)
    )


# --- plans ------------------------------------------------------------------------------------------

_NOT_THE_QUERY = {"lsid", "$db", "txnNumber", "startTransaction", "autocommit", "$clusterTime", "readConcern"}


class Commands(monitoring.CommandListener):
    """The queries a client sends while `recording`."""

    def __init__(self) -> None:
        self.recording = False
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording and event.command_name in ("find", "findAndModify", "aggregate", "update", "count"):
            self.sent.append({k: copy.deepcopy(v) for k, v in event.command.items() if k not in _NOT_THE_QUERY})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class Traffic(monitoring.CommandListener):
    """What the desks send to review.items while `counting`: window reads (finds with a sort),
    claim attempts (updates that set a claim), and write conflicts (code 112)."""

    def __init__(self) -> None:
        self.counting = False
        self.window_reads = 0
        self.claim_attempts = 0
        self.conflicts = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self.counting:
            return
        command, name = event.command, event.command_name
        if command.get(name) != "review.items":
            return
        if name == "find" and command.get("sort"):
            self.window_reads += 1
        elif name == "findAndModify" and (command.get("update") or {}).get("$set", {}).get("claim"):
            self.claim_attempts += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if self.counting and isinstance(event.failure, dict) and event.failure.get("code") == 112:
            self.conflicts += 1


TRAFFIC = Traffic()
monitoring.register(TRAFFIC)  # every client made after this, the desks' included


def _stages(stage: dict[str, Any]) -> list[str]:
    name = stage.get("stage", "?")
    if "indexName" in stage:
        name += f" {stage['indexName']}"
    below = [stage["inputStage"]] if "inputStage" in stage else stage.get("inputStages", [])
    return [name] + [s for child in below for s in _stages(child)]


def plan_line(command: dict[str, Any], explained: dict[str, Any]) -> str:
    """`find review.items  FETCH ← IXSCAN status_1_…  keys 20, documents 20`."""
    if "stages" in explained:  # an aggregate: its $cursor stage holds the plan
        explained = explained["stages"][0]["$cursor"]
    stats = explained.get("executionStats", {})
    stages = " ← ".join(_stages(stats.get("executionStages", {})))
    name = next(iter(command))
    return (
        f"{name:<13} {command[name]:<13} keys {stats.get('totalKeysExamined', '?'):>6}, "
        f"documents {stats.get('totalDocsExamined', '?'):>6}  {stages}"
    )


async def plans(queue: Queue, reviewers: int) -> list[str]:
    """The plan of every command claim-next, a decision and a supervisor's pages send on the full
    queue, with `reviewers - 1` other reviewers each holding an item (claimed items stay among the open ones)."""
    recorder = Commands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        queue.settings.mongo_uri, tz_aware=True, event_listeners=[recorder]
    )
    desk = desk_on(queue.settings, client)
    others = [Actor(unique("holder"), f"Holder {n}", "reviewer", None) for n in range(reviewers - 1)]
    held = [claimed for actor in others if (claimed := await desk.claim_next(actor))]
    actor = Actor(unique("r"), "Planner", "reviewer", None)
    recorder.recording = True
    claimed = await desk.claim_next(actor)
    assert claimed is not None
    await desk.decide(claimed["_id"], actor, DecisionRequest(Decision.APPROVE))
    await desk.store.waiting(actor.id, now())
    await desk.store.held_by(actor.id, now())
    await desk.store.counts(now())
    await desk.store.oldest_waiting(now())
    await desk.store.count_past_sla(now())
    await desk.store.search(QueueFilter(state=QueueState.WAITING, specialty="Radiology"), now())
    recorder.recording = False
    for claimed, actor in zip(held, others, strict=False):
        await desk.release(claimed["_id"], actor)
    lines, seen = [], set()
    db = client[queue.settings.mongo_db]
    for command in recorder.sent:
        name = next(iter(command))
        shape = (name, command[name], repr(command.get("filter", command.get("query", command.get("pipeline")))))
        if shape in seen or command[name] != queue.store.items.name:
            continue
        seen.add(shape)
        explained = await db.command({"explain": command, "verbosity": "executionStats"})
        lines.append(plan_line(command, explained))
    await client.close()
    return lines


async def time_pages(store: ReviewStore) -> list[str]:
    """On the full queue: the reviewer's queue page, a supervisor's filtered search, the counts."""
    viewer = Actor("bench-viewer", "Viewer", "supervisor", None)
    page = await timed(lambda: store.waiting(viewer.id, now(), 50))
    search = await timed(
        lambda: store.search(QueueFilter(specialty="Radiology", state=QueueState.WAITING, text="course 1"), now())
    )
    counts = await timed(lambda: store.counts(now()), repeat=5)
    scan = await timed(lambda: store.items.find({"status": "queued"}, {"_id": 1}).to_list(), repeat=5)
    return [
        f"queue page (50) p50 {page[0]:.1f} ms, max {page[1]:.1f}; supervisor search p50 {search[0]:.1f} ms; "
        f"counts p50 {counts[0]:.1f} ms; raw read of the open ids p50 {scan[0]:.1f} ms"
    ]


# --- the run ----------------------------------------------------------------------------------------


@dataclass
class Measured:
    open_items: int
    decided: int
    runs: list[tuple[ClaimRun, Baselines]]
    plans: list[str]
    pages: list[str]


async def run(args: argparse.Namespace, stack_dir: Path) -> Measured:
    stack = LocalStack(stack_dir, die_with_parent=True)
    stack.start([])
    try:
        settings = settings_for(stack.info, mongo_db=unique("bench-review"))
        queue = await seeded_queue(settings, args.items, args.decided, args.desks)
        try:
            found_plans = await plans(queue, max(args.reviewers))
            pages = await time_pages(queue.store)
            runs = []
            for reviewers in args.reviewers:
                claimed = await claim_and_decide(queue, reviewers, args.seconds)
                raw = await raw_baselines(queue.clients[0], queue.store.items.database, reviewers, args.raw_documents)
                runs.append((claimed, raw))
            return Measured(args.items, args.decided, runs, found_plans, pages)
        finally:
            await queue.close()
    finally:
        stack.stop()


def figures_of(measured: Measured) -> list[Figure]:
    figures = []
    for claimed, raw in measured.runs:
        who = f"{claimed.reviewers} reviewer{'s' if claimed.reviewers > 1 else ''}"
        if claimed.desks > 1:
            who += f" on {claimed.desks} desks"
        load = f"{who} claiming and deciding, {measured.open_items:,} open + {measured.decided:,} decided"
        floor = f"a claim's writes alone, {claimed.reviewers} clients"
        c, w = claimed.claims, raw.claim_writes
        figures += [
            Figure(f"claim-next p95, {load}", c.p95, "ms", w.p95, floor, CLAIM_P95_TARGET_MS, "at_most"),
            Figure(f"claim-next p50, {load}", c.p50, "ms", w.p50, floor),
            Figure(f"claim-next max, {load}", c.max, "ms", w.max, floor),
            Figure(
                f"claims/s, {load}",
                c.rate,
                "claims/s",
                raw.sorted_race.rate,
                f"bare find_one_and_update with sort, {claimed.reviewers} clients",
            ),
        ]
    return figures


def report(measured: Measured) -> None:
    print(f"queue: {measured.open_items:,} open items among {measured.decided:,} decided ones")
    print("plans of what one claim-next, one decision and a supervisor's pages send:")
    for line in measured.plans:
        print(f"  {line}")
    for line in measured.pages:
        print(f"full queue: {line}")
    for claimed, raw in measured.runs:
        n = claimed.reviewers
        print(f"{n} reviewer(s) on {claimed.desks} desk(s), claiming and deciding:")
        print(f"  claim-next                                         {claimed.claims.line()}")
        print(f"  decision                                           {claimed.decisions.line()}")
        print(f"  claim-next answered nothing while items waited: {claimed.came_back_empty}")
        handed = max(1, len(claimed.claims.samples) - claimed.came_back_empty)
        print(
            f"  per claim: {claimed.window_reads / handed:.2f} window reads, "
            f"{claimed.claim_attempts / handed:.2f} claim attempts ({claimed.conflicts} write conflicts in all)"
        )
        print(f"  raw, {n:>2} clients: bare conditional update by id    {raw.by_id.line()}")
        print(f"  raw, {n:>2} clients: bare find_one_and_update + sort   {raw.sorted_race.line()}")
        print(f"  raw, {n:>2} clients: a claim's writes in a transaction {raw.claim_writes.line()}")


def measure(args: argparse.Namespace) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as folder:
        measured = asyncio.run(run(args, Path(folder)))
    report(measured)
    return figures_of(measured)


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("--items", type=int, default=1000, help="open items, kept by arrivals")
    found.add_argument("--decided", type=int, default=50_000, help="decided items beside them")
    found.add_argument("--reviewers", type=int, nargs="+", default=[1, 10])
    found.add_argument("--seconds", type=float, default=15, help="how long each number of reviewers works")
    found.add_argument("--desks", type=int, default=1, help="desks (replicas of the service) they spread over")
    found.add_argument("--raw-documents", type=int, default=1000, help="documents each raw baseline takes")
    return found


def main() -> None:
    args = parser().parse_args()
    figures = measure(args)
    print()
    print("review queue: claim-next")
    print(table(figures))


if __name__ == "__main__":
    main()
