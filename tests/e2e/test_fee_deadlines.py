"""Fee deadlines across restarts and replicas, with review as real processes (`mumaris run review`)
on a stack of their own (these tests kill the service and run two of it; deadlines are seconds).

- Killed (SIGKILL) before an invoice's deadline and started again after it: the invoice is expired
  and the request lapsed on start-up, once.
- Two replicas: every invoice expires exactly once and each reminder goes out once, though both
  replicas sweep for due deadlines every half second and the issuing one also has exact-time jobs.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.clock import now
from mumaris.settings import Settings
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from schemas import topics
from schemas.topics import all_topic_names
from tests.fee_support import ClassificationCase, bodies
from tests.support import eventually, settings_for, unique

pytestmark = pytest.mark.e2e

DEADLINE_S = 4
REMINDER_HOUR_S = 0.25  # the 12 h reminder falls 3 s before the deadline, the 1 h one 0.25 s before
SWEEP_S = 0.5


@dataclass
class Deadlines:
    stack: StackInfo
    settings: Settings
    group: ServiceGroup
    db: AsyncDatabase[dict[str, Any]]

    def case(self) -> ClassificationCase:
        return ClassificationCase(self.settings, target="nursing.technician", current=None)

    def start_review(self, replicas: int = 1) -> None:
        for replica in range(replicas):
            self.group.start("review", free_port(), replica=replica)
        self.group.wait_healthy()

    async def invoice_of(self, case: ClassificationCase) -> dict[str, Any]:
        return await eventually(
            lambda: self.db["review.invoices"].find_one({"request_id": case.request_id}),
            timeout=30,
            what=f"an invoice for {case.request_id}",
        )

    async def on_topic(
        self, topic: topics.Topic, case: ClassificationCase, count: int = 1, timeout: float = 30
    ) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            found = await bodies(self.stack.kafka_bootstrap, topic, case.request_id)
            return found if len(found) >= count else None

        return await eventually(probe, timeout=timeout, what=f"{topic.name} for {case.request_id}")

    async def settled(self) -> None:
        """Everything written has been published, and every replica has swept at least twice since."""

        async def outbox_empty() -> bool:
            return await self.db["review.outbox"].count_documents({}) == 0

        await eventually(outbox_empty, what="review's outbox to drain")
        await asyncio.sleep(3 * SWEEP_S)
        await eventually(outbox_empty, what="review's outbox to drain")


@pytest.fixture(scope="module")
def deadline_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    stack = LocalStack(tmp_path_factory.mktemp("deadline-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack.info
    finally:
        stack.stop()


@pytest.fixture
async def deadlines(deadline_stack: StackInfo, tmp_path: Path) -> AsyncIterator[Deadlines]:
    database = unique("deadlines")
    settings = settings_for(deadline_stack, mongo_db=database)
    group = ServiceGroup(
        env={
            **deadline_stack.env(),
            "MUMARIS_MONGO_DB": database,
            "MUMARIS_FEE_DEADLINE_S": str(DEADLINE_S),
            "MUMARIS_FEE_REMINDER_HOUR_S": str(REMINDER_HOUR_S),
            "MUMARIS_FEE_SWEEP_S": str(SWEEP_S),
            "MUMARIS_OUTBOX_POLL_S": "0.1",
            "MUMARIS_RETRY_BACKOFF_S": "0.1",
        },
        log_dir=tmp_path / "logs",
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(deadline_stack.mongo_uri, tz_aware=True)
    try:
        yield Deadlines(deadline_stack, settings, group, client[database])
    finally:
        group.stop_all()
        await client.close()


async def test_a_deadline_that_passed_while_review_was_down_lapses_the_request_on_start_up(
    deadlines: Deadlines,
) -> None:
    deadlines.start_review()
    case = deadlines.case()
    await case.send_request_and_documents(deadlines.stack.kafka_bootstrap)
    invoice = await deadlines.invoice_of(case)
    await deadlines.on_topic(topics.FEE_INVOICED, case)

    deadlines.group.stop("review", kill=True)  # no goodbye: the exact-time jobs die with it
    assert now() < invoice["due_at"], "the service must die before the deadline for this test to mean anything"

    async def deadline_passed() -> bool:
        return now() > invoice["due_at"] + timedelta(seconds=1)

    await eventually(deadline_passed, timeout=DEADLINE_S + 5, what="the deadline to pass")
    stored = await deadlines.db["review.invoices"].find_one({"_id": invoice["_id"]})
    assert stored is not None and stored["status"] == "unpaid"  # nobody was there to expire it
    assert await bodies(deadlines.stack.kafka_bootstrap, topics.CLASSIFICATION_LAPSED, case.request_id) == []

    restarted_at = now()
    deadlines.start_review()
    [lapsed] = await deadlines.on_topic(topics.CLASSIFICATION_LAPSED, case)
    assert datetime.fromisoformat(lapsed["lapsed_at"]) >= restarted_at
    stored = await deadlines.db["review.invoices"].find_one({"_id": invoice["_id"]})
    assert stored is not None and stored["status"] == "expired" and stored["expired_at"] >= restarted_at
    request = await deadlines.db["review.classification_requests"].find_one({"_id": case.request_id})
    assert request is not None and request["status"] == "lapsed"

    await deadlines.settled()
    assert len(await bodies(deadlines.stack.kafka_bootstrap, topics.CLASSIFICATION_LAPSED, case.request_id)) == 1
    assert len(await bodies(deadlines.stack.kafka_bootstrap, topics.FEE_EXPIRED, case.request_id)) == 1


async def test_with_two_replicas_each_invoice_expires_once_and_each_reminder_goes_out_once(
    deadlines: Deadlines,
) -> None:
    deadlines.start_review(replicas=2)
    cases = [deadlines.case() for _ in range(4)]
    for case in cases:
        await case.send_request_and_documents(deadlines.stack.kafka_bootstrap)
    for case in cases:
        await deadlines.invoice_of(case)
    for case in cases:
        await deadlines.on_topic(topics.CLASSIFICATION_LAPSED, case, timeout=DEADLINE_S + 30)

    await deadlines.settled()
    bootstrap = deadlines.stack.kafka_bootstrap
    for case in cases:
        assert len(await bodies(bootstrap, topics.FEE_EXPIRED, case.request_id)) == 1, case.request_id
        assert len(await bodies(bootstrap, topics.CLASSIFICATION_LAPSED, case.request_id)) == 1, case.request_id
        reminders = await bodies(bootstrap, topics.FEE_REMINDER, case.request_id)
        assert sorted(r["hours_before"] for r in reminders) == [1, 12], case.request_id
    for key in ("review", "review-1"):  # both replicas were up all along
        assert deadlines.group.processes[key].process.poll() is None
