"""Benchmark: the public register's look-up by registration number (GET /v1/register/{number}, no
sign-in) at many concurrent clients, beside a bare FastAPI route, on loopback, in the same run.

    python -m tests.benchmarks.register_lookup --clients 100 --registrations 5000 --seconds 15

On a fresh embedded stack it seeds `--registrations` approved practitioners and issues their
registrations with the real one-off migration (`mumaris registrations migrate`), runs intake as a
process (as `mumaris run` does), and has `--clients` clients each look up random numbers one after
another, without pause; then the same clients load a bare FastAPI route (portal_pages' bare
server); the two take turns. The rate limit is lifted for the run (every client comes from
127.0.0.1; the limit would answer 429 to nearly all of them, which is what it is for).

Then the same clients ask at half the rate they reached together (open loop, each on its own
staggered schedule). The figure is intake's own time per look-up at that rate, read from its
request log lines (server time), p95, target under 20 ms. Closed-loop at 100 clients the server is
saturated by definition, and its time per request is then mostly waiting for its event loop
(Little's law: 100 in flight / ~500 answered a second ≈ 200 ms whatever a look-up costs), so
that figure is printed beside it without a target, with the client-side p95 of the look-up and of
the bare route and the two rates (the look-up's work against a bare route's).
"""

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from mumaris.clock import now
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, free_port
from schemas.topics import all_topic_names
from services.intake.accounts.rules import make_valid_id, membership_number
from services.intake.registration.service import migrate_registrations
from tests.benchmarks.figures import Figure, table
from tests.benchmarks.http_load import (
    BARE_PATH,
    Load,
    combined,
    hammer,
    line_count,
    paced,
    percentile,
    server_times,
    start_bare,
    stop_bare,
)
from tests.support import settings_for

TARGET_SERVER_P95_MS = 20.0
DB = "mumaris"
SERVER_TIME = re.compile(r"GET /v1/register/RG-\S+ 200 in (?P<ms>\d+) ms")


def found(answer: httpx.Response) -> bool:
    return answer.status_code == 200 and bool(answer.json().get("status"))


async def seed(mongo_uri: str, registrations: int) -> None:
    """`registrations` practitioners whose classification was approved (the migration issues theirs)."""
    at = now()
    accounts = [
        {
            "_id": str(uuid.uuid4()),
            "first_name": "نورة",
            "last_name": f"القحطاني {i}",
            "first_name_latin": "Noura",
            "last_name_latin": f"Al-Qahtani {i}",
            "id_kind": "national_id",
            "id_number": make_valid_id("1", f"{i:08d}"),
            "email": f"lookup.{i}@example.sa",
            "mobile": f"+96655{i:07d}",
            "locale": "ar",
            "password_hash": "-",
            "role": "practitioner",
            "status": "active",
            "membership_number": membership_number(i + 1),
            "classification": ("nursing.technician", "nursing.specialist", "pharmacy.specialist")[i % 3],
            "classification_changed_at": at,
            "created_at": at,
        }
        for i in range(registrations)
    ]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        for start in range(0, len(accounts), 1000):
            await client[DB]["intake.accounts"].insert_many(accounts[start : start + 1000])
    finally:
        await client.close()


async def issued_numbers(mongo_uri: str) -> list[str]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        docs = await client[DB]["intake.registrations"].find({}, {"number": 1}).to_list()
    finally:
        await client.close()
    return [doc["number"] for doc in docs]


@dataclass(frozen=True)
class Result:
    lookups: Load
    bare: Load
    server: list[float]
    clients: int
    registrations: int
    at_half: Load  # paced at half the saturated rate
    server_at_half: list[float]


async def _measure(
    intake_url: str, bare_url: str, log: Path, numbers: list[str], clients: int, seconds: float, rounds: int
) -> Result:
    def random_lookup(_: int) -> str:
        return f"/v1/register/{random.choice(numbers)}"

    def bare_route(_: int) -> str:
        return BARE_PATH

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    lookup_clients = [httpx.AsyncClient(base_url=intake_url, timeout=60, limits=limits) for _ in range(clients)]
    bare_clients = [httpx.AsyncClient(base_url=bare_url, timeout=60, limits=limits) for _ in range(clients)]
    try:
        await hammer(lookup_clients, random_lookup, 2.0, found)  # warm: connections open, caches filled
        await hammer(bare_clients, bare_route, 1.0)
        # In turns, so that what else the machine does at the time weighs on both alike.
        lookups, bare, server = [], [], []
        for _ in range(rounds):
            log_lines = line_count(log)
            lookups.append(await hammer(lookup_clients, random_lookup, seconds / rounds, found))
            await asyncio.sleep(0.3)  # the last request lines reach the log
            server.extend(server_times(log, log_lines, SERVER_TIME))
            bare.append(await hammer(bare_clients, bare_route, seconds / rounds))
        # The same clients at half the rate they just saturated it at: the server's own time
        # when it is not a queue (at saturation that time is mostly waiting for the event loop).
        half_rate = combined(lookups).rate / 2
        log_lines = line_count(log)
        at_half = await paced(lookup_clients, random_lookup, half_rate, seconds / 2, found)
        await asyncio.sleep(0.3)
        served_at_half = server_times(log, log_lines, SERVER_TIME)
    finally:
        for client in (*lookup_clients, *bare_clients):
            await client.aclose()
    return Result(combined(lookups), combined(bare), server, clients, len(numbers), at_half, served_at_half)


def measure(clients: int = 100, registrations: int = 5000, seconds: float = 15.0, rounds: int = 3) -> Result:
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-register-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        stack.start(all_topic_names())
        group: ServiceGroup | None = None
        bare: subprocess.Popen[bytes] | None = None
        try:
            asyncio.run(seed(stack.info.mongo_uri, registrations))
            asyncio.run(migrate_registrations(settings_for(stack.info, mongo_db=DB)))
            numbers = asyncio.run(issued_numbers(stack.info.mongo_uri))
            if len(numbers) < registrations:
                raise RuntimeError(f"the migration issued {len(numbers)} registrations of {registrations}")
            port = free_port()
            group = ServiceGroup(
                env={
                    **stack.info.env(),
                    "MUMARIS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                    "MUMARIS_REGISTER_BURST": "1000000000",
                    "MUMARIS_REGISTER_RATE_PER_MINUTE": "1000000000",
                },
                log_dir=Path(tmp) / "logs",
            )
            group.start("intake", port)
            group.wait_healthy(timeout=90)
            bare, bare_url = start_bare()
            intake = group.processes["intake"]
            return asyncio.run(_measure(intake.url, bare_url, intake.log_path, numbers, clients, seconds, rounds))
        finally:
            stop_bare(bare)
            if group is not None:
                group.stop_all()
            stack.stop()


def figures(result: Result) -> list[Figure]:
    at = f"{result.clients} clients, {result.registrations:,} registrations"
    half = f"{result.clients} clients at {result.at_half.rate:.0f}/s, half the saturated rate"
    return [
        Figure(
            f"register look-up server time p95 ({half})",
            percentile(result.server_at_half, 95),
            "ms",
            target=TARGET_SERVER_P95_MS,
            target_kind="at_most",
        ),
        Figure(f"register look-up server time p50 ({half})", percentile(result.server_at_half, 50), "ms"),
        Figure(
            f"register look-ups refused or failed ({half})",
            float(result.at_half.errors),
            "requests",
            target=0,
            target_kind="at_most",
        ),
        Figure(f"register look-up server time p95, saturated ({at})", percentile(result.server, 95), "ms"),
        Figure(
            f"register look-up p95 at the client ({at})",
            result.lookups.percentile(95),
            "ms",
            result.bare.percentile(95),
            "bare FastAPI route p95, same clients",
        ),
        Figure(f"register look-ups/s ({at})", result.lookups.rate, "req/s", result.bare.rate, "bare route req/s"),
        Figure(
            f"register look-ups refused or failed ({at})",
            float(result.lookups.errors),
            "requests",
            target=0,
            target_kind="at_most",
        ),
    ]


def bench() -> list[Figure]:
    """For `make bench`: 100 clients, 5,000 registrations, 10 s a side in three turns."""
    return figures(measure(clients=100, registrations=5000, seconds=10.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--registrations", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=15.0, help="each side's measured time, in all turns")
    parser.add_argument("--rounds", type=int, default=3, help="turns of look-ups then bare route")
    args = parser.parse_args()
    started = time.monotonic()
    result = measure(args.clients, args.registrations, args.seconds, args.rounds)
    print(f"{args.clients} concurrent clients, {args.registrations:,} registrations, {os.cpu_count()} CPUs")
    print(result.lookups.line("lookup"))
    print(result.bare.line("bare"))
    print(result.at_half.line("at half"))
    if result.server:
        print(
            f"look-up server time (intake's log): p50 {statistics.median(result.server):.1f} ms, "
            f"p95 {percentile(result.server, 95):.1f} ms, {len(result.server)} look-ups"
        )
    print(table(figures(result)))
    print(f"in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
