"""Soak: minutes of steady uploads through the four services while faults come on a schedule — the
broker stopped, then killed, the database stopped, and each service killed with SIGKILL and
started again — then an account of every accepted upload.

    python -m tests.benchmarks.soak --minutes 6 --rate 6

Prints accepted / completed / lost / doubled / stuck, and per fault its recovery time: from the
end of the fault until every upload accepted before that moment had reached review. It prints;
it does not assert (the fault tests in tests/e2e/test_faults.py do).

- lost: answered 202 but unknown to intake afterwards;
- doubled: a submission queued for review under more than one event, or a practitioner told the
  same thing twice in the inbox;
- stuck: known, but not in review when the run ends (after `--settle` seconds of quiet).
"""

import argparse
import asyncio
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from mumaris.tools.launcher import SERVICES, ServiceGroup
from mumaris.tools.stack import LocalStack, free_port
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from schemas.topics import REVIEW_QUEUED, all_topic_names
from tests.load import UploadLoad, distinct_scans, statuses
from tests.support import read_all, settings_for


@dataclass
class Fault:
    name: str
    at_s: float  # seconds into the run
    lasts_s: float
    begin: Callable[[], None]
    end: Callable[[], None]
    ended_at: float = 0.0  # epoch seconds


def schedule(stack: LocalStack, group: ServiceGroup, minutes: float) -> list[Fault]:
    """The faults, spread over the run; every one is over before the last minute."""

    def kill(service: str) -> Callable[[], None]:
        return lambda: group.stop(service, kill=True)

    def restart(service: str, port: int) -> Callable[[], None]:
        def start() -> None:
            group.start(service, port)
            group.wait_healthy()

        return start

    ports = {name: process.port for name, process in group.processes.items()}
    faults = [
        Fault("broker stopped 30 s", 0, 30, stack.stop_kafka, stack.start_kafka),
        Fault("database stopped 12 s", 0, 12, stack.stop_mongo, stack.start_mongo),
        Fault("broker killed 20 s", 0, 20, stack.kill_kafka, stack.start_kafka),
        *(Fault(f"{name} killed", 0, 3, kill(name), restart(name, ports[name])) for name in SERVICES),
    ]
    usable = minutes * 60 - 60 - 30  # a quiet minute at the end, 30 s of steady load at the start
    spacing = usable / len(faults)
    for n, fault in enumerate(faults):
        fault.at_s = 30 + n * spacing
    return faults


def run_faults(faults: list[Fault], started: float) -> None:
    """On the main thread (servers die with the thread that started them), blocking as it likes:
    the uploads go on in a thread of their own."""
    for fault in faults:
        time.sleep(max(0.0, started + fault.at_s - time.monotonic()))
        print(f"  {time.monotonic() - started:6.0f} s  {fault.name}", flush=True)
        fault.begin()
        time.sleep(fault.lasts_s)
        fault.end()
        fault.ended_at = time.time()


def upload_steadily(load: UploadLoad, seconds: float) -> threading.Thread:
    async def uploads() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            await load.run(http, seconds)

    thread = threading.Thread(target=asyncio.run, args=(uploads(),), name="uploads")
    thread.start()
    return thread


async def in_review_times(mongo_uri: str, db_name: str, ids: list[str]) -> dict[str, float]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        reached: dict[str, float] = {}
        cursor = client[db_name]["intake.submissions"].find({"_id": {"$in": ids}}, {"timeline": 1})
        async for doc in cursor:
            step = next((s for s in doc["timeline"] if s["status"] == "in_review"), None)
            if step is not None:
                reached[doc["_id"]] = step["at"].timestamp()
        return reached
    finally:
        await client.close()


async def doubled(bootstrap: str, mongo_uri: str, db_name: str, ids: set[str]) -> int:
    queued: dict[str, set[str]] = {}
    for record in await read_all(bootstrap, REVIEW_QUEUED.name):
        key = record.key.decode()
        if key in ids:
            queued.setdefault(key, set()).add(dict(record.headers)["ce_id"].decode())
    twice = sum(1 for events in queued.values() if len(events) > 1)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        kinds: Counter[tuple[str, str]] = Counter()
        async for message in client[db_name]["notifier.inbox"].find({}, {"recipient_id": 1, "kind": 1}):
            kinds[(message["recipient_id"], message["kind"])] += 1
    finally:
        await client.close()
    return twice + sum(1 for count in kinds.values() if count > 1)


def soak(args: argparse.Namespace, stack: LocalStack, group: ServiceGroup, load: UploadLoad) -> list[Fault]:
    faults = schedule(stack, group, args.minutes)
    print(f"uploading {args.rate:g}/s for {args.minutes:g} minutes; faults at:", flush=True)
    started = time.monotonic()
    uploads = upload_steadily(load, args.minutes * 60)
    run_faults(faults, started)
    uploads.join()
    return faults


async def account(args: argparse.Namespace, stack: LocalStack, load: UploadLoad, faults: list[Fault]) -> None:
    info = stack.info
    ids = list(load.accepted)
    print(f"settling (up to {args.settle:.0f} s) ...", flush=True)
    deadline = time.monotonic() + args.settle
    while time.monotonic() < deadline:
        found = await statuses(info.mongo_uri, "mumaris", ids)
        if found["in_review"] == len(ids):
            break
        await asyncio.sleep(2)
    found = await statuses(info.mongo_uri, "mumaris", ids)
    reached = await in_review_times(info.mongo_uri, "mumaris", ids)
    twice = await doubled(info.kafka_bootstrap, info.mongo_uri, "mumaris", set(ids))

    print()
    print(f"soak, {args.minutes:g} minutes at {args.rate:g} uploads/s offered, {len(faults)} faults")
    print(f"  offered     {load._next:8d}")
    print(
        f"  accepted    {len(ids):8d}   (refused: {dict(load.refused) or 'none'}; "
        f"no answer while intake was down: {load.transport_errors})"
    )
    print(f"  completed   {found['in_review']:8d}   (in review)")
    print(f"  lost        {found['missing']:8d}")
    print(f"  doubled     {twice:8d}")
    print(f"  stuck       {len(ids) - found['in_review'] - found['missing']:8d}   {dict(found)}")
    print("  recovery after each fault (until every upload accepted before its end was in review):")
    worst = 0.0
    for fault in faults:
        before = [sid for sid in ids if load.accepted_at[sid] <= fault.ended_at]
        late = [reached[sid] - fault.ended_at for sid in before if sid in reached]
        recovery = max([0.0, *late]) if len(late) == len(before) else float("inf")
        worst = max(worst, recovery)
        print(f"    {fault.name:24s} {recovery:8.1f} s")
    print(f"  worst recovery {worst:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=6)
    parser.add_argument("--rate", type=float, default=6)
    parser.add_argument("--settle", type=float, default=180)
    parser.add_argument("--ocr", action="store_true", help="validate with OCR (lower the rate to ~3/s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mumaris-soak-") as tmp:
        stack = LocalStack(Path(tmp) / "stack", die_with_parent=True)
        print("starting a fresh local stack and the four services ...", flush=True)
        stack.start(all_topic_names())
        try:
            with MailCatcher() as mail, SmsGatewayStandIn() as sms:
                settings = settings_for(stack.info, smtp_port=mail.port)
                group = ServiceGroup(
                    env={
                        **stack.info.env(),
                        "MUMARIS_SMTP_PORT": str(mail.port),
                        "MUMARIS_SMS_GATEWAY_URL": sms.url,
                        "MUMARIS_OCR_ENABLED": "true" if args.ocr else "false",
                    },
                    log_dir=Path(tmp) / "logs",
                )
                try:
                    for name in SERVICES:
                        group.start(name, free_port())
                    group.wait_healthy()
                    scans = distinct_scans(int(args.rate * args.minutes * 60) + 10)
                    load = UploadLoad(group.processes["intake"].url, settings, scans, args.rate)
                    faults = soak(args, stack, group, load)
                    asyncio.run(account(args, stack, load, faults))
                finally:
                    group.stop_all()
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
