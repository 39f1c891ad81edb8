"""Benchmark: claim-next under contention, on a queue of open items among many decided ones, on the
embedded local stack (the database only: the desk is driven in-process, as its routes drive it).

    python -m tests.benchmarks.review_queue                      # 1 and 10 reviewers, 10 on two desks
    python -m tests.benchmarks.review_queue --items 1000 --decided 50000 --reviewers 10 --desks 2 --seconds 20

Seeds `--decided` decided items (insert_many, with their audit entries) and `--items` open ones,
enqueued as the handler enqueues them. Then, for each run, the reviewers press claim-next and
decide what they got, over and over, for `--seconds`, while arrivals keep the open queue at
`--items`; on two desks they are spread over two desks with a client each, as two replicas of the
service would be. It prints claim-next latency (p50/p95/max) and claims/s, the window reads and
claim attempts per claim and the attempts lost (counted in the desks' store), the calls that found
nothing while items waited and the items handed out twice (both must be 0), the machine's load
average, and, on the same server in the same run with as many concurrent clients:

- a claim's writes alone: the conditional update by id and an audit insert in one transaction,
  each client its own documents (the floor under claim-next, which also has to find its item);
- a bare `find_one_and_update` with a sort over an indexed status (every client races for the
  first document: the design claim-next must not have).

`bench()` returns the figures (tests/benchmarks/figures.py) for `make bench`; it does not assert.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from mumaris.clock import now
from mumaris.mongo import UnitOfWork, make_client
from mumaris.settings import Settings
from mumaris.tools.stack import LocalStack
from schemas.events import Decision
from services.review.queue.rules import DecisionRequest, OrderKey
from services.review.queue.service import Actor, ReviewDesk
from services.review.queue.store import EPOCH, ReviewStore
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


# --- the queue ------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """What the desks' claim-next calls sent: window reads (some from the beginning of the order,
    which cost every open item), claim attempts, and the attempts lost (to another reviewer, or to
    a write conflict with one)."""

    window_reads: int = 0
    from_the_beginning: int = 0
    claim_attempts: int = 0
    lost: int = 0


class CountedStore(ReviewStore):
    def __init__(self, db: AsyncDatabase[dict[str, Any]], traffic: Traffic) -> None:
        super().__init__(db)
        self.traffic = traffic

    async def claim_window(
        self, reviewer_id: str, at: datetime, front: OrderKey | None, limit: int
    ) -> list[dict[str, Any]]:
        self.traffic.window_reads += 1
        self.traffic.from_the_beginning += front is None
        return await super().claim_window(reviewer_id, at, front, limit)

    async def try_claim(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        self.traffic.claim_attempts += 1
        try:
            won = await super().try_claim(*args, **kwargs)
        except PyMongoError:  # a write conflict: the unit of work answers it as a loss
            self.traffic.lost += 1
            raise
        self.traffic.lost += won is None
        return won


@dataclass
class Queue:
    """One database with the review collections, and a client per desk (replica) that may work on it."""

    settings: Settings
    clients: list[AsyncMongoClient[dict[str, Any]]]

    @property
    def store(self) -> ReviewStore:
        return ReviewStore(self.clients[0][self.settings.mongo_db])

    def desks(self, count: int, traffic: Traffic | None = None) -> list[ReviewDesk]:
        """`count` fresh desks, each on its own client, as `count` replicas of the service would be."""
        db = self.settings.mongo_db
        return [
            ReviewDesk(
                CountedStore(client[db], traffic or Traffic()), UnitOfWork(client, client[db], "review"), self.settings
            )
            for client in self.clients[:count]
        ]

    @cached_property
    def intake(self) -> ReviewDesk:
        """The desk new items arrive through, as the handler enqueues them."""
        return self.desks(1)[0]

    async def enqueue(self, fresh: dict[str, Any]) -> None:
        await self.intake.uow.run(lambda session: self.intake.enqueue(fresh, session))

    async def close(self) -> None:
        await self.clients[0].drop_database(self.settings.mongo_db)
        for client in self.clients:
            await client.close()


async def seeded_queue(settings: Settings, open_items: int, decided: int, clients: int) -> Queue:
    """`decided` items decided long ago (written directly, with their audit), then `open_items`
    waiting ones, enqueued as the handler enqueues them."""
    queue = Queue(settings, [make_client(settings) for _ in range(clients)])
    store = queue.store
    await store.ensure_indexes()
    at = now()
    for start in range(0, decided, 5000):
        batch = [decided_item(n, at) for n in range(start, min(decided, start + 5000))]
        await store.items.insert_many([doc for doc, _ in batch], ordered=False)
        await store.audit.insert_many([entry for _, entries in batch for entry in entries], ordered=False)
    for start in range(0, open_items, 100):
        fresh = [item(n, at - timedelta(minutes=n)) for n in range(start, min(open_items, start + 100))]
        await asyncio.gather(*(queue.enqueue(i) for i in fresh))
    return queue


@dataclass
class ClaimRun:
    reviewers: int
    desks: int
    claims: Latencies  # every claim-next call
    decisions: Latencies
    came_back_empty: int  # claim-next answered "nothing to take" while items waited
    claimed_twice: int  # items handed out more than once
    traffic: Traffic
    load: tuple[float, float]  # the machine's 1-minute load average before and after

    @property
    def handed_out(self) -> int:
        return len(self.claims.samples) - self.came_back_empty


async def claim_and_decide(queue: Queue, reviewers: int, desk_count: int, seconds: float) -> ClaimRun:
    """`reviewers` spread over `desk_count` desks pressing claim-next and deciding what they got, as
    fast as they can, for `seconds`; every decision lets one new item arrive, so the open queue stays
    as it was seeded."""
    claims, decisions = Latencies(), Latencies()
    empty, handed_out = 0, []
    arrivals: asyncio.Queue[bool] = asyncio.Queue()  # True: one item arrives; False: stop
    arrived = 0
    traffic = Traffic()
    desks = queue.desks(desk_count, traffic)
    deadline = time.perf_counter() + seconds

    async def reviewer(actor: Actor, desk: ReviewDesk) -> None:
        nonlocal empty
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            claimed = await desk.claim_next(actor)
            claims.samples.append((time.perf_counter() - started) * 1000)
            if claimed is None:
                # Counted only when there was something to take: the answer was then wrong.
                empty += await queue.store.items.count_documents(queue.store.claimable_query(actor.id, now())) > 0
                continue
            handed_out.append(claimed["_id"])
            started = time.perf_counter()
            await desk.decide(claimed["_id"], actor, DecisionRequest(Decision.APPROVE))
            decisions.samples.append((time.perf_counter() - started) * 1000)
            arrivals.put_nowait(True)

    async def arrive() -> None:
        nonlocal arrived
        while await arrivals.get():
            arrived += 1
            await queue.enqueue(item(10_000_000 + arrived, now()))

    # As many arrival workers as reviewers: one alone enqueues (a transaction each) slower than ten
    # reviewers decide, and the open queue would drain, making "found nothing" a fact, not a fault.
    arrival = asyncio.gather(*(arrive() for _ in range(reviewers)))
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    actors = [Actor(unique("r"), f"Reviewer {n}", "reviewer", "10.0.0.7") for n in range(reviewers)]
    await asyncio.gather(*(reviewer(a, desks[n % len(desks)]) for n, a in enumerate(actors)))
    claims.elapsed = decisions.elapsed = time.perf_counter() - started
    for _ in range(reviewers):  # after every arrival still due: the queue as it was, for the next run
        arrivals.put_nowait(False)
    await arrival
    twice = [review_id for review_id, times in Counter(handed_out).items() if times > 1]
    return ClaimRun(
        reviewers,
        desk_count,
        claims,
        decisions,
        empty,
        len(twice),
        traffic,
        (load_before, os.getloadavg()[0]),
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
    claim_writes: Latencies
    sorted_race: Latencies


async def raw_baselines(
    client: AsyncMongoClient[dict[str, Any]], db: AsyncDatabase[dict[str, Any]], clients: int, documents: int
) -> Baselines:
    def own_ids() -> list[Iterator[int]]:
        """Each client its own documents: no two ever touch the same one."""
        return [iter(range(k, documents, clients)) for k in range(clients)]

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

    return Baselines(await race(clients, claim_writes), await race(clients, first_in_order))


# --- the run ----------------------------------------------------------------------------------------


@dataclass
class Measured:
    open_items: int
    decided: int
    runs: list[tuple[ClaimRun, Baselines]]


async def run(args: argparse.Namespace, stack_dir: Path) -> Measured:
    stack = LocalStack(stack_dir, die_with_parent=True)
    stack.start([], timeout=180)  # a loaded machine starts the broker slowly
    stack.stop_kafka()  # the desks are driven in-process: only the database is needed
    try:
        settings = settings_for(stack.info, mongo_db=unique("bench-review"))
        planned = runs_of(args)
        queue = await seeded_queue(settings, args.items, args.decided, max(desks for _, desks in planned))
        try:
            runs = []
            for reviewers, desks in planned:
                claimed = await claim_and_decide(queue, reviewers, desks, args.seconds)
                raw = await raw_baselines(queue.clients[0], queue.store.items.database, reviewers, args.raw_documents)
                runs.append((claimed, raw))
            return Measured(args.items, args.decided, runs)
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
        target = CLAIM_P95_TARGET_MS if claimed.reviewers >= 10 else None
        figures += [
            Figure(f"claim-next p95, {load}", c.p95, "ms", w.p95, floor, target, "at_most"),
            Figure(f"claim-next p50, {load}", c.p50, "ms", w.p50, floor),
            Figure(
                f"claims/s, {load}",
                claimed.handed_out / c.elapsed,
                "claims/s",
                raw.sorted_race.rate,
                f"bare find_one_and_update with sort, {claimed.reviewers} clients",
            ),
        ]
    return figures


def report(measured: Measured) -> None:
    print(f"queue: {measured.open_items:,} open items among {measured.decided:,} decided ones")
    for claimed, raw in measured.runs:
        n = claimed.reviewers
        print(
            f"{n} reviewer(s) on {claimed.desks} desk(s), claiming and deciding "
            f"(load average {claimed.load[0]:.1f} before, {claimed.load[1]:.1f} after):"
        )
        print(f"  claim-next                                         {claimed.claims.line()}")
        print(f"  decision                                           {claimed.decisions.line()}")
        handed = max(1, claimed.handed_out)
        t = claimed.traffic
        print(
            f"  per claim: {t.window_reads / handed:.2f} window reads ({t.from_the_beginning / handed:.2f} from the "
            f"beginning), {t.claim_attempts / handed:.2f} claim attempts ({t.lost} lost in all)"
        )
        print(
            f"  claim-next found nothing while items waited: {claimed.came_back_empty}; "
            f"items claimed twice: {claimed.claimed_twice}"
        )
        print(f"  raw, {n:>2} clients: a claim's writes in a transaction {raw.claim_writes.line()}")
        print(f"  raw, {n:>2} clients: bare find_one_and_update + sort   {raw.sorted_race.line()}")


def measure(args: argparse.Namespace) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as folder:
        measured = asyncio.run(run(args, Path(folder)))
    report(measured)
    return figures_of(measured)


def bench() -> list[Figure]:
    """For `make bench`: 1 and 10 reviewers on one desk and 10 on two, 1,000 open items among
    50,000 decided, 15 seconds each (about two minutes with the seeding and the baselines)."""
    return measure(parser().parse_args([]))


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("--items", type=int, default=1000, help="open items, kept by arrivals")
    found.add_argument("--decided", type=int, default=50_000, help="decided items beside them")
    found.add_argument("--reviewers", type=int, nargs="+", help="one run per number, on each of --desks")
    found.add_argument("--desks", type=int, nargs="+", default=[1], help="desks (replicas) the reviewers spread over")
    found.add_argument("--seconds", type=float, default=15, help="how long each run works")
    found.add_argument("--raw-documents", type=int, default=500, help="documents each raw baseline takes")
    return found


def runs_of(args: argparse.Namespace) -> list[tuple[int, int]]:
    """(reviewers, desks) of each run: by default 1 and 10 reviewers on one desk, 10 on two."""
    if args.reviewers is None:
        return [(1, 1), (10, 1), (10, 2)]
    return [(reviewers, desks) for desks in args.desks for reviewers in args.reviewers]


def main() -> None:
    args = parser().parse_args()
    figures = measure(args)
    print()
    print("review queue: claim-next")
    print(table(figures))


if __name__ == "__main__":
    main()
