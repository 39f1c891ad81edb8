"""Review's registration sweep reads walk an index range on the real database: what they examine
is the registrations due, not the collection (each find captured from the driver while the sweep
runs, then explained as it was sent, as in test_query_plans.py)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mumaris.clock import RegistryClock, today_in_riyadh
from mumaris.mongo import UnitOfWork
from mumaris.tools.stack import StackInfo
from services.review.registrations.reminders import RegistrationSweeps
from services.review.registrations.store import RegistrationBook, day
from tests.integration.test_query_plans import FindCapture, explained, stages
from tests.support import settings_for, unique

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
PRESENT = 3000  # registrations expiring over the next ten years: one a day and more


@pytest.fixture
async def book(stack: StackInfo) -> AsyncIterator[tuple[Any, Any, RegistrationBook, FindCapture]]:
    capture = FindCapture()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(stack.mongo_uri, tz_aware=True, event_listeners=[capture])
    database = client[unique("sweep-plans")]
    try:
        yield client, database, RegistrationBook(database), capture
    finally:
        await client.drop_database(database.name)
        await client.close()


async def test_the_daily_sweep_examines_the_registrations_in_its_date_ranges_only(
    stack: StackInfo, book: tuple[Any, Any, RegistrationBook, FindCapture]
) -> None:
    client, database, registrations, capture = book
    await registrations.ensure_indexes()
    today = today_in_riyadh()
    docs = [
        {
            "_id": f"RG-{n:08d}",
            "practitioner": {"id": f"p-{n}", "name": "Seed", "email": "s@example.sa", "locale": "ar"},
            "cycle": 1,
            "expires_on": day(today + timedelta(days=n + 1 - 40)),  # from 39 days ago on, one a day
            "status": "active",
            "reminded": [],
        }
        for n in range(PRESENT)
    ]
    await registrations.registrations.insert_many(docs)
    settings = settings_for(stack, registration_sweep_batch=50)
    sweeps = RegistrationSweeps(registrations, UnitOfWork(client, database, "review"), settings, RegistryClock())

    outcome = await sweeps.sweep()
    assert (outcome.reminded, outcome.lapsed) == (90, 10)  # expiring in 1..90 days; expired 30 to 39 days ago
    finds = [f for f in capture.finds if f["find"] == "review.registrations"]
    assert finds
    examined = 0
    for find in finds:
        plan, stats = await explained(database, find)
        assert "IXSCAN" in stages(plan) and "COLLSCAN" not in stages(plan), plan
        examined += stats["totalDocsExamined"]
    assert examined <= 2 * (90 + 10) + 10  # each range read (and, in batches, the next), not the 3,000
    assert await sweeps.sweep() == type(outcome)(0, 0)  # the same day again: nothing twice
