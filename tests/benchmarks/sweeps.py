"""Benchmark: review's daily registration sweep (reminders before expiry, lapses after the grace
period) over 100,000 registrations, beside a raw scan of the same collection, on the same server
in the same run.

    python -m tests.benchmarks.sweeps --registrations 100000

On a fresh database (the embedded server; no broker: the sweep only writes to the database and its
outbox) `review.registrations` is seeded as a running registry would have it on a given morning:
expiries spread evenly from 60 days ago to two years ahead; the milestones that fell due before
today already sent; registrations past their grace period before today already lapsed. Then:
- the daily sweep (services/review/registrations/reminders.py `RegistrationSweeps.sweep`, the real
  use case on the real store): two indexed range queries streamed in batches, one transaction per
  reminder or lapse due today (its conditional update and its outbox record);
- the raw scan: every document of the collection read with a plain cursor (the same projection),
  and the same documents loaded into one list (what a sweep that is not streamed would hold).
and, as the baseline of the sweep's writes, as many bare transactions of a reminder's shape (one
conditional update, one insert) as the sweep made. Both sides are warmed up first. Times are taken
without tracemalloc (it slows Python several times over); peak Python memory is taken with it on,
for the next day's sweep and for the list. It asserts nothing; `make bench` shows the figures
beside their baselines.
"""

import argparse
import asyncio
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pymongo import AsyncMongoClient

from mumaris.clock import RegistryClock, today_in_riyadh
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from mumaris.tools.stack import LocalStack
from services.review.registrations import rules
from services.review.registrations.reminders import RegistrationSweeps
from services.review.registrations.store import RegistrationBook, day
from tests.benchmarks.figures import Figure, table
from tests.support import settings_for, unique

T = TypeVar("T")
SEED_BATCH = 5_000
PROJECTION = {"practitioner": 1, "cycle": 1, "expires_on": 1, "reminded": 1, "status": 1}


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_bytes: int
    result: Any


async def timed(work: Callable[[], Awaitable[T]]) -> Run:
    started = time.perf_counter()
    result = await work()
    return Run(time.perf_counter() - started, 0, result)


async def traced(work: Callable[[], Awaitable[T]]) -> Run:
    """Peak Python memory while `work` runs (tracemalloc slows Python down: timed apart)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        result = await work()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Run(elapsed, peak, result)


def registration(i: int, expires_on: date, today: date, settings: Settings) -> dict[str, Any]:
    """The registration as this morning finds it: what fell due before today already done."""
    yesterday = today - timedelta(days=1)
    sent: list[str] = []
    due = rules.reminder_due(1, expires_on, yesterday, settings.registration_reminder_days, [])
    if due is not None:
        sent = list(due.settles)
    lapsed = expires_on < rules.lapsing_before(yesterday, settings.registration_grace_days)
    return {
        "_id": f"RG-{i:08d}",
        "practitioner": {"id": f"p-{i}", "name": f"Bench {i}", "email": f"bench{i}@example.sa", "locale": "ar"},
        "classification": {"code": "nursing.specialist", "label": {"ar": "أخصائي تمريض", "en": "Nursing Specialist"}},
        "cycle": 1,
        "expires_on": day(expires_on),
        "status": "lapsed" if lapsed else "active",
        "reminded": sent,
    }


async def seed(book: RegistrationBook, count: int, today: date, settings: Settings) -> None:
    span = 60 + 730
    batch: list[dict[str, Any]] = []
    for i in range(count):
        expires_on = today - timedelta(days=60) + timedelta(days=i * span // count)
        batch.append(registration(i, expires_on, today, settings))
        if len(batch) == SEED_BATCH:
            await book.registrations.insert_many(batch, ordered=False)
            batch = []
    if batch:
        await book.registrations.insert_many(batch, ordered=False)
    await book.ensure_indexes()


async def raw_scan(book: RegistrationBook) -> int:
    count = 0
    async for _ in book.registrations.find({}, PROJECTION, batch_size=1000):
        count += 1
    return count


async def raw_load(book: RegistrationBook) -> int:
    return len(await book.registrations.find({}, PROJECTION).to_list())


async def raw_transactions(client: Any, db: Any, count: int, first: int = 0) -> int:
    """`count` bare transactions of the shape of a reminder: one conditional update and one insert."""
    scratch, outbox = db["bench.scratch"], db["bench.outbox"]
    await scratch.insert_many([{"_id": n, "reminded": []} for n in range(first, first + count)])

    async def one(n: int) -> None:
        async def work(session: Any) -> None:
            await scratch.update_one(
                {"_id": n, "reminded": {"$ne": "1:30"}}, {"$addToSet": {"reminded": "1:30"}}, session=session
            )
            await outbox.insert_one({"n": n, "body": {"days_before": 30}}, session=session)

        async with client.start_session() as session:
            await session.with_transaction(work)

    for n in range(first, first + count):
        await one(n)
    return count


@dataclass
class Measured:
    registrations: int
    sweep: Run  # today's sweep, timed
    sweep_memory: Run  # tomorrow's, traced
    scan: Run
    load: Run
    transactions: Run
    outbox: int


async def run(args: argparse.Namespace, stack_dir: Path) -> Measured:
    stack = LocalStack(stack_dir, die_with_parent=True)
    stack.start([], timeout=180)
    stack.stop_kafka()  # the sweep writes to the database and its outbox only
    try:
        settings = settings_for(stack.info, mongo_db=unique("bench-sweeps"), registration_sweep_batch=args.batch)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
        try:
            db = client[settings.mongo_db]
            book = RegistrationBook(db)
            uow = UnitOfWork(client, db, "review")
            today = today_in_riyadh()
            print(f"seeding {args.registrations:,} registrations ...", flush=True)
            await seed(book, args.registrations, today, settings)
            # Warm up both sides alike (a fresh server's first reads and transactions are slow): one
            # scan of the collection and a few transactions, untimed.
            await raw_scan(book)
            await raw_transactions(client, db, 20, first=10_000_000)
            clock = RegistryClock()
            sweeps = RegistrationSweeps(book, uow, settings, clock)
            sweep = await timed(sweeps.sweep)
            outbox = await db["review.outbox"].count_documents({})
            clock.advance(timedelta(days=1))  # the next morning: a day's reminders and lapses again
            sweep_memory = await traced(sweeps.sweep)
            scan = await timed(lambda: raw_scan(book))
            load = await traced(lambda: raw_load(book))
            done = sweep.result.reminded + sweep.result.lapsed
            transactions = await timed(lambda: raw_transactions(client, db, done))
            return Measured(args.registrations, sweep, sweep_memory, scan, load, transactions, outbox)
        finally:
            await client.close()
    finally:
        stack.stop()


def figures_of(m: Measured) -> list[Figure]:
    n = f"{m.registrations:,} registrations"
    done = m.sweep.result.reminded + m.sweep.result.lapsed
    return [
        Figure(
            f"daily registration sweep, {n} ({done} due)",
            m.sweep.seconds,
            "s",
            m.scan.seconds + m.transactions.seconds,
            f"raw cursor scan of the collection + {done} bare transactions",
            target=1.0,
            target_kind="ratio_at_most",
        ),
        Figure(
            f"daily registration sweep peak memory, {n}",
            m.sweep_memory.peak_bytes / 2**20,
            "MiB",
            m.load.peak_bytes / 2**20,
            "the collection loaded into a list",
            target=0.25,
            target_kind="ratio_at_most",
        ),
    ]


def report(m: Measured) -> None:
    today, tomorrow = m.sweep.result, m.sweep_memory.result
    print(f"{m.registrations:,} registrations, expiries spread from 60 days ago to two years ahead")
    print(
        f"  daily sweep: {today.reminded} reminder(s) and {today.lapsed} lapse(s) in {m.sweep.seconds:.2f} s "
        f"({m.outbox} outbox records)"
    )
    print(
        f"  the next day's sweep, traced: {tomorrow.reminded} reminder(s), {tomorrow.lapsed} lapse(s), "
        f"peak {m.sweep_memory.peak_bytes / 2**20:.1f} MiB"
    )
    print(f"  raw cursor scan: {m.scan.result:,} documents in {m.scan.seconds:.2f} s")
    print(f"  raw load into a list, traced: {m.load.result:,} documents, peak {m.load.peak_bytes / 2**20:.1f} MiB")
    print(
        f"  raw transactions (a conditional update + an insert each): {m.transactions.result} in {m.transactions.seconds:.2f} s"
    )


def measure(args: argparse.Namespace) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-") as folder:
        result = asyncio.run(run(args, Path(folder)))
    report(result)
    return figures_of(result)


def bench() -> list[Figure]:
    """For `make bench`: 100,000 registrations, one daily sweep beside the raw scans."""
    return measure(parser().parse_args([]))


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    found.add_argument("--registrations", type=int, default=100_000)
    found.add_argument("--batch", type=int, default=500, help="documents per round trip of the sweep's cursors")
    return found


def main() -> None:
    figures = measure(parser().parse_args())
    print()
    print("registration sweeps")
    print(table(figures))


if __name__ == "__main__":
    main()
