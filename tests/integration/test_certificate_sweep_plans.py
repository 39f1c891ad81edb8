"""Review's certificate expiry sweep reads walk an index range on the real database: what they
examine is the certificates due, not the collection (each find captured from the driver while the
sweep runs, then explained as it was sent, as in test_registration_sweep_plans.py)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mumaris.clock import RegistryClock, today_in_riyadh
from mumaris.mongo import UnitOfWork
from mumaris.tools.stack import StackInfo
from services.review.certificates.reminders import CertificateSweeps
from services.review.certificates.store import CertificateExpiries
from services.review.registrations.store import day
from tests.integration.test_query_plans import FindCapture, explained, stages
from tests.support import settings_for, unique

pytestmark = pytest.mark.integration

Doc = dict[str, Any]
PRESENT = 2000  # approved certificates expiring from 40 days ago on, one a day


@pytest.fixture
async def expiries(stack: StackInfo) -> AsyncIterator[tuple[Any, Any, CertificateExpiries, FindCapture]]:
    capture = FindCapture()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(stack.mongo_uri, tz_aware=True, event_listeners=[capture])
    database = client[unique("certificate-plans")]
    try:
        yield client, database, CertificateExpiries(database), capture
    finally:
        await client.drop_database(database.name)
        await client.close()


async def test_the_sweep_examines_the_certificates_expiring_within_its_milestones_only(
    stack: StackInfo, expiries: tuple[Any, Any, CertificateExpiries, FindCapture]
) -> None:
    client, database, certificates, capture = expiries
    await certificates.ensure_indexes()
    today = today_in_riyadh()
    docs = [
        {
            "_id": f"s-{n}",
            "practitioner": {"id": f"p-{n}", "name": "Seed", "email": "s@example.sa", "locale": "ar"},
            "name": "Basic Life Support (BLS)",
            "expires_on": day(today + timedelta(days=n - 40)),
            "reminded": [],
        }
        for n in range(PRESENT)
    ]
    await certificates.certificates.insert_many(docs)
    settings = settings_for(stack, certificate_sweep_batch=50, certificate_reminder_days=[30, 7, 0])
    sweeps = CertificateSweeps(certificates, UnitOfWork(client, database, "review"), settings, RegistryClock())

    assert await sweeps.sweep() == 31  # expiring today (the 0-day reminder) to 30 days ahead
    finds = [f for f in capture.finds if f["find"] == "review.certificate_expiries"]
    assert finds
    examined = 0
    for find in finds:
        plan, stats = await explained(database, find)
        assert "IXSCAN" in stages(plan) and "COLLSCAN" not in stages(plan), plan
        examined += stats["totalDocsExamined"]
    assert examined <= 2 * 31 + 10  # the range read (and, in batches, the next), not the 2,000
    assert await sweeps.sweep() == 0  # the same day again: nothing twice
