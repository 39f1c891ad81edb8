"""Steady upload load against a running intake, and the accounting of where every accepted upload
got to: shared by the fault tests (tests/e2e/test_faults.py) and the soak benchmark
(tests/benchmarks/soak.py)."""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.settings import Settings
from tests.documents import jpeg_bytes
from tests.support import read_all, unique

METADATA = {
    "name": "Basic Life Support (BLS)",
    "obtained_on": "2025-03-14",
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Training certificate",
}


def distinct_scans(count: int, first_seed: int = 10_000) -> list[bytes]:
    """Scans that differ in their bytes and their first page (so no duplicate rule joins two)."""
    return [jpeg_bytes(700, 620, seed=first_seed + n, quality=70) for n in range(count)]


@dataclass
class UploadLoad:
    """Uploads at `rate` per second, each by a practitioner of its own (so that no practitioner's
    "already pending" rule refuses another's scan), and remembers every answer."""

    intake_url: str
    settings: Settings
    scans: list[bytes]
    rate: float
    accepted: list[str] = field(default_factory=list)
    accepted_at: dict[str, float] = field(default_factory=dict)  # submission id → epoch seconds of the 202
    refused: Counter[str] = field(default_factory=Counter)  # "503 service.unavailable" → count
    retry_after: set[str] = field(default_factory=set)
    transport_errors: int = 0
    _next: int = 0

    def _token(self) -> str:
        who = Principal(
            id=unique("load"), role="practitioner", name="Dr. Load Test", email=f"{unique('load')}@example.sa"
        )
        return issue_token(who, self.settings, ttl_s=3600)

    async def upload_one(self, http: httpx.AsyncClient) -> None:
        scan = self.scans[self._next % len(self.scans)]
        self._next += 1
        try:
            answer = await http.post(
                f"{self.intake_url}/v1/certificates",
                headers={"Authorization": f"Bearer {self._token()}"},
                data={"metadata": json.dumps(METADATA)},
                files={"file": ("scan.jpg", scan, "image/jpeg")},
            )
        except httpx.HTTPError:
            self.transport_errors += 1
            return
        if answer.status_code == 202:
            submission_id = answer.json()["submission_id"]
            self.accepted.append(submission_id)
            self.accepted_at[submission_id] = time.time()
            return
        code = (
            answer.json().get("error", {}).get("code", "?")
            if answer.headers.get("content-type", "").startswith("application/json")
            else "?"
        )
        self.refused[f"{answer.status_code} {code}"] += 1
        if "retry-after" in answer.headers:
            self.retry_after.add(answer.headers["retry-after"])

    async def run(self, http: httpx.AsyncClient, seconds: float) -> None:
        """Start one upload every 1/rate seconds (they overlap when intake is slow) for `seconds`."""
        started = time.monotonic()
        in_flight: set[asyncio.Task[None]] = set()
        n = 0
        while (now := time.monotonic()) - started < seconds:
            task = asyncio.create_task(self.upload_one(http))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            n += 1
            await asyncio.sleep(max(0.0, started + n / self.rate - now))
        if in_flight:
            await asyncio.gather(*in_flight)


async def statuses(mongo_uri: str, db_name: str, submission_ids: Iterable[str]) -> Counter[str]:
    """How many of these submissions are at each status in intake's projection."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    try:
        ids = list(submission_ids)
        found: Counter[str] = Counter()
        for start in range(0, len(ids), 500):
            cursor = client[db_name]["intake.submissions"].find(
                {"_id": {"$in": ids[start : start + 500]}}, projection={"status": 1}
            )
            found.update(doc["status"] for doc in await cursor.to_list())
        found["missing"] = len(ids) - sum(found.values())
        return found
    finally:
        await client.close()


async def wait_until_all_reach(
    mongo_uri: str, db_name: str, submission_ids: list[str], status: str, timeout: float
) -> float:
    """Seconds until every submission is at `status`; raises with the counts when they are not."""
    started = time.monotonic()
    while True:
        found = await statuses(mongo_uri, db_name, submission_ids)
        if found[status] == len(submission_ids):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"after {timeout:.0f} s not every submission is {status}: {dict(found)}")
        await asyncio.sleep(1.0)


async def copies_per_event(bootstrap: str, topic: str) -> tuple[int, int, int]:
    """(records, distinct CloudEvents ids, most records of one id) on `topic`."""
    records = await read_all(bootstrap, topic)
    ids = Counter(dict(record.headers).get("ce_id", b"").decode() for record in records)
    return len(records), len(ids), max(ids.values(), default=0)
