"""The reads on an upload's way, as the code sends them, walk an index on the real database: what
they examine does not grow with the collection. Each query is captured from the driver while the
code runs and explained (executionStats) as it was sent.

- the duplicate check of an upload (a practitioner's pending submission with the same file);
- the relay's read of the oldest pending outbox events (it runs once per commit under load).
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from mumaris.clock import now
from mumaris.mongo import Outbox
from mumaris.relay import OutboxRelay, RelayLease
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.events import CertificateMetadata, PractitionerRef, StoredFile, SubmissionKind, SubmissionReceived
from services.intake.submissions.store import SubmissionStore, new_submission_doc
from tests.support import settings_for, unique

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
PRESENT = 3000  # documents of others already in the collection


class FindCapture(monitoring.CommandListener):
    """The find commands the driver sends."""

    def __init__(self) -> None:
        self.finds: list[Doc] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...


@pytest.fixture
async def db(stack: StackInfo) -> AsyncIterator[tuple[Any, FindCapture]]:
    capture = FindCapture()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(stack.mongo_uri, tz_aware=True, event_listeners=[capture])
    database = client[unique("plans")]
    try:
        yield database, capture
    finally:
        await client.drop_database(database.name)
        await client.close()


async def explained(database: Any, find: Doc) -> tuple[Doc, Doc]:
    """(winning plan, execution stats) of a captured find, explained as it was sent."""
    command = {k: v for k, v in find.items() if k not in ("$db", "lsid", "$clusterTime", "$readPreference")}
    answer = await database.command({"explain": command, "verbosity": "executionStats"})
    return answer["queryPlanner"]["winningPlan"], answer["executionStats"]


def stages(plan: Doc) -> list[str]:
    found = [plan["stage"]]
    for child in [plan.get("inputStage"), *plan.get("inputStages", [])]:
        if child:
            found += stages(child)
    return found


CERTIFICATE = {
    "name": "BLS",
    "obtained_on": "2025-03-14",
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Training certificate",
}


def stored(sha256: str) -> StoredFile:
    return StoredFile(file_id="0" * 24, filename="scan.jpg", size=1, sha256=sha256, content_type="image/jpeg")


def submission(practitioner_id: str, sha256: str) -> Doc:
    return new_submission_doc(
        submission_id=str(uuid.uuid4()),
        practitioner={"id": practitioner_id, "name": "Dr. Seed", "email": "s@example.sa", "locale": "ar"},
        certificate=CERTIFICATE,
        file=stored(sha256).model_dump(mode="json"),
        received_at=now(),
    )


def received(n: int) -> SubmissionReceived:
    return SubmissionReceived(
        submission_id=str(uuid.uuid4()),
        kind=SubmissionKind.CERTIFICATE,
        practitioner=PractitionerRef(id=f"p-{n}", name="Dr. Seed", email="s@example.sa", locale="ar"),
        certificate=CertificateMetadata.model_validate(CERTIFICATE),
        file=stored(f"{n:064x}"),
        received_at=now(),
    )


async def test_an_uploads_duplicate_check_examines_the_practitioners_own_submissions_only(
    db: tuple[Any, FindCapture],
) -> None:
    database, capture = db
    store = SubmissionStore(database)
    await store.ensure_indexes()
    await store.submissions.insert_many([submission(f"other-{n}", f"{n:064x}") for n in range(PRESENT)])
    await store.submissions.insert_many([submission("reem", "ab" * 32), submission("reem", "cd" * 32)])

    assert await store.pending_with_file("reem", "ab" * 32) is not None
    plan, stats = await explained(database, capture.finds[-1])

    assert "IXSCAN" in stages(plan) and "COLLSCAN" not in stages(plan)
    assert stats["totalDocsExamined"] <= 2 and stats["totalKeysExamined"] <= 2


class AcknowledgingProducer:
    """Stands in for the broker: every send is acknowledged at once."""

    async def send(self, topic: str, value: bytes, *, key: bytes | None, headers: Any) -> "asyncio.Future[None]":
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def replace(self) -> None: ...

    async def stop(self) -> None: ...


async def test_the_relays_read_walks_the_oldest_pending_events_not_the_whole_outbox(
    stack: StackInfo, db: tuple[Any, FindCapture]
) -> None:
    database, capture = db
    settings = settings_for(stack, outbox_batch=200)
    outbox = Outbox(database, "plans")
    await database[outbox.collection.name].create_index("created_at")  # as an older release made it
    await outbox.ensure_indexes()
    assert "created_at_1" not in await outbox.collection.index_information()
    start = now()
    pending = [
        {**outbox.record(topics.SUBMISSION_RECEIVED, received(n)), "created_at": start + timedelta(milliseconds=n // 4)}
        for n in range(PRESENT)
    ]
    await outbox.collection.insert_many(pending)
    relay = OutboxRelay(outbox, AcknowledgingProducer(), settings, RelayLease(database, "plans", lease_s=5))  # type: ignore[arg-type]

    assert await relay.publish_pending() == 200
    plan, stats = await explained(database, capture.finds[-1])

    assert "IXSCAN" in stages(plan) and "SORT" not in stages(plan) and "COLLSCAN" not in stages(plan)
    assert stats["totalDocsExamined"] <= 200
    # The 200 oldest went, in order; the rest is pending.
    assert await outbox.collection.count_documents({}) == PRESENT - 200
    oldest_left = await outbox.collection.find_one({}, sort=[("created_at", 1), ("seq", 1)])
    assert oldest_left is not None and oldest_left["_id"] == pending[200]["_id"]
