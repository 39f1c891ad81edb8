"""Benchmark: the practitioner portal's profile and certificates pages for many signed-in
practitioners at once, beside a bare FastAPI route, on loopback, in the same run.

    python -m tests.benchmarks.portal_pages --users 50 --seconds 12 --rounds 3

On a fresh embedded stack it runs intake (which serves the portal) and notifier (the header's
unread count comes from its inbox API) as processes, as `mumaris run` does. N practitioners,
each with a handful of certificates (approved, in review with its expected date, refused), sign
in through the portal's own sign-in form; then each of them loads her profile and her certificates
page one after the other, without pause, for the measured window. The same N clients then load
a bare FastAPI route (one line of HTML, no middleware, no database) served by uvicorn the same
way in a process of its own; the two take turns (three by default), so that whatever else the
machine is doing weighs on both alike. Printed: p50/p95/p99 response time at the client and requests/s for
both, and the portal's own time per request from intake's request log lines (server time).

The figure is the ratio of the portal's p95 to the bare route's at the same concurrency (target:
at most 3×). Everything here shares the machine's cores: the client, the servers, the database;
the ratio, not the absolute numbers, is what travels to another machine.
"""

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from mumaris.clock import now
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, free_port
from schemas.topics import all_topic_names
from services.intake.accounts.rules import Passwords, make_valid_id, membership_number
from services.intake.submissions.rules import Status
from tests.benchmarks.figures import Figure, table
from tests.benchmarks.http_load import (
    BARE_PATH,
    Load,
    combined,
    hammer,
    line_count,
    percentile,
    server_times,
    start_bare,
    stop_bare,
)

PASSWORD = "Sahha#2026-bench"
PAGES = ("/portal/profile", "/portal/certificates")
TARGET_RATIO = 3.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def page(turn: int) -> str:
    """A practitioner's profile, then her certificates, and so on."""
    return PAGES[turn % len(PAGES)]


def bare_page(_: int) -> str:
    return BARE_PATH


SERVER_TIME = re.compile(r"GET /portal/(?:profile|certificates) 200 in (?P<ms>\d+) ms")  # the PAGES


# --- the practitioners ---------------------------------------------------------------------------------


def certificate(practitioner: dict[str, Any], n: int, status: str) -> dict[str, Any]:
    at = now() - timedelta(days=n)
    steps = [{"status": "received", "at": at}, {"status": status, "at": at + timedelta(minutes=3)}]
    doc: dict[str, Any] = {
        "_id": str(uuid.uuid4()),
        "kind": "certificate",
        "version": 1,
        "previous_submission_id": None,
        "practitioner_id": practitioner["id"],
        "practitioner": practitioner,
        "certificate": {
            "name": f"Infection Control Course {n}",
            "obtained_on": "2025-09-01",
            "institution": "King Saud University",
            "specialty": "Nursing",
            "degree": "CPD",
        },
        "file": {"file_id": "x", "filename": f"course-{n}.pdf", "size": 1, "sha256": uuid.uuid4().hex},
        "status": status,
        "timeline": steps,
        "created_at": at,
        "updated_at": at,
        "revision": 1,
    }
    if status == Status.IN_REVIEW.value:
        doc["review_due_at"] = at + timedelta(days=7)
    if status == Status.VALIDATION_FAILED.value:
        doc["findings"] = [{"rule": "image.sharpness", "outcome": "fail", "code": "image.blurry"}]
    return doc


async def seed(mongo_uri: str, db: str, users: int) -> list[str]:
    """`users` active practitioners with four certificates each; their e-mail addresses."""
    password_hash = Passwords().hash(PASSWORD)
    accounts, certificates, emails = [], [], []
    for i in range(users):
        account_id, email = str(uuid.uuid4()), f"bench.{i}.{uuid.uuid4().hex[:6]}@example.sa"
        accounts.append(
            {
                "_id": account_id,
                "first_name": "Huda",
                "last_name": f"Bench {chr(65 + i % 26)}",
                "id_kind": "national_id",
                "id_number": make_valid_id("1", f"{i:08d}"),
                "email": email,
                "mobile": f"+96655{i:07d}",
                "locale": "ar" if i % 2 else "en",
                "password_hash": password_hash,
                "role": "practitioner",
                "status": "active",
                "membership_number": membership_number(i + 1),
                "classification": "nursing.technician",
                "terms": {"version": "2026-01", "accepted_at": now()},
                "created_at": now(),
            }
        )
        emails.append(email)
        who = {"id": account_id, "name": "Huda Bench", "email": email, "locale": "en"}
        for n, status in enumerate(("approved", "approved", "in_review", "validation_failed")):
            certificates.append(certificate(who, n, status))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        await client[db]["intake.accounts"].insert_many(accounts)
        await client[db]["intake.submissions"].insert_many(certificates)
    finally:
        await client.close()
    return emails


async def signed_in(base_url: str, email: str) -> httpx.AsyncClient:
    """A browser's worth of cookies after the portal's own sign-in form."""
    client = httpx.AsyncClient(base_url=base_url, timeout=60)
    form = await client.get("/portal/sign-in")
    token = CSRF.search(form.text)
    assert token, form.text[:500]
    answer = await client.post(
        "/portal/sign-in", data={"csrf": token.group(1), "email": email, "password": PASSWORD, "next": ""}
    )
    if answer.status_code != 303 or not answer.headers["location"].endswith("/portal/profile"):
        refusal = re.search(r'data-testid="refusal" data-code="([^"]+)"', answer.text)
        raise RuntimeError(
            f"sign-in refused: {answer.status_code} {refusal.group(1) if refusal else answer.text[:300]}"
        )
    return client


# --- the run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    portal: Load
    bare: Load
    server: list[float]
    users: int


async def _measure(
    intake_url: str, bare_url: str, log: Path, mongo_uri: str, db: str, users: int, seconds: float, rounds: int
) -> Result:
    emails = await seed(mongo_uri, db, users)
    signing_in = asyncio.Semaphore(4)  # argon2 takes 64 MiB a time: a few at once, like people arriving

    async def sign_in(email: str) -> httpx.AsyncClient:
        async with signing_in:
            return await signed_in(intake_url, email)

    clients = list(await asyncio.gather(*(sign_in(email) for email in emails)))
    bare_clients = [httpx.AsyncClient(base_url=bare_url, timeout=60) for _ in range(users)]
    try:
        await hammer(clients, page, 2.0)  # warm: templates compiled, connections open
        await hammer(bare_clients, bare_page, 1.0)
        # In turns, so that what else the machine does at the time weighs on both alike.
        portal, bare, server = [], [], []
        for _ in range(rounds):
            log_lines = line_count(log)
            portal.append(await hammer(clients, page, seconds / rounds))
            await asyncio.sleep(0.3)  # the last request lines reach the log
            server.extend(server_times(log, log_lines, SERVER_TIME))
            bare.append(await hammer(bare_clients, bare_page, seconds / rounds))
    finally:
        for client in (*clients, *bare_clients):
            await client.aclose()
    return Result(combined(portal), combined(bare), server, users)


def measure(users: int = 50, seconds: float = 15.0, rounds: int = 3) -> Result:
    with tempfile.TemporaryDirectory(prefix="mumaris-bench-portal-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        stack.start(all_topic_names())
        group: ServiceGroup | None = None
        bare: subprocess.Popen[bytes] | None = None
        try:
            ports = {"intake": free_port(), "notifier": free_port()}
            group = ServiceGroup(
                env={
                    **stack.info.env(),
                    "MUMARIS_NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
                    "MUMARIS_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['intake']}",
                },
                log_dir=Path(tmp) / "logs",
            )
            for name, port in ports.items():
                group.start(name, port)
            group.wait_healthy(timeout=90)
            bare, bare_url = start_bare()
            intake = group.processes["intake"]
            return asyncio.run(
                _measure(intake.url, bare_url, intake.log_path, stack.info.mongo_uri, "mumaris", users, seconds, rounds)
            )
        finally:
            stop_bare(bare)
            if group is not None:
                group.stop_all()
            stack.stop()


def figures(result: Result) -> list[Figure]:
    portal, bare, users = result.portal, result.bare, result.users
    server = result.server
    at = f"{users} signed-in users"
    rows = [
        Figure(
            f"portal pages p95 ({at})",
            portal.percentile(95),
            "ms",
            baseline=bare.percentile(95),
            baseline_name="bare FastAPI route p95",
            target=TARGET_RATIO,
            target_kind="ratio_at_most",
        ),
        Figure(f"portal pages p50 ({at})", portal.percentile(50), "ms", bare.percentile(50), "bare route p50"),
        Figure(f"portal pages p99 ({at})", portal.percentile(99), "ms", bare.percentile(99), "bare route p99"),
        Figure(f"portal pages/s ({at})", portal.rate, "req/s", bare.rate, "bare route req/s"),
        # An error page is quick to render: times measured over failures would flatter the portal.
        Figure(f"portal pages failed ({at})", float(portal.errors), "requests", target=0, target_kind="at_most"),
    ]
    if server:
        rows.append(Figure("portal page server time p95 (intake's log)", percentile(server, 95), "ms"))
    return rows


def bench() -> list[Figure]:
    """For `make bench`: 50 users, 10 s a side in three turns (one to three minutes with the stack)."""
    return figures(measure(users=50, seconds=10.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=12.0, help="each side's measured time, in all turns")
    parser.add_argument("--rounds", type=int, default=3, help="turns of portal then bare route")
    args = parser.parse_args()
    started = time.monotonic()
    result = measure(args.users, args.seconds, args.rounds)
    print(f"{args.users} concurrent signed-in practitioners, {args.seconds:g} s a side, {os.cpu_count()} CPUs")
    print(result.portal.line("portal"))
    print(result.bare.line("bare"))
    if result.server:
        print(
            f"portal server time (intake's log): p50 {statistics.median(result.server):.0f} ms, "
            f"p95 {percentile(result.server, 95):.0f} ms"
        )
    print(table(figures(result)))
    print(f"in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
