"""Certificate expiry reminders on the real broker and database, with two review replicas in this
process (their real applications and lifespans: consumers, outbox relays, the certificates' sweep
on each at start-up; the tests call the later sweeps, so none races them unseen): an approved
certificate expiring in 30 days is reminded once, both replicas trying it from the same read and
sweeping twice more; after an outage that missed the 30- and 7-day milestones
only the 7-day one goes out, late; a certificate without expiry, a refused one and one still in
review are never reminded; certificates approved before the reminders existed are kept once by
the backfill (`mumaris certificates backfill`) and reminded like the others.

The registry's clock is moved by its shift file (mumaris.clock.write_shift), as every service
reads it. On a stack of its own: a shared stack's review processes would answer these events too.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from mumaris.clock import RegistryClock, now, write_shift
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.events import Decision
from services.review.app import create_app
from services.review.certificates.reminders import CertificateSweeps
from services.review.certificates.rules import reminder_due
from services.review.certificates.service import backfill_expiries
from services.review.certificates.store import CertificateExpiries
from services.review.queue.rules import DecisionRequest
from services.review.queue.service import Actor, ReviewDesk
from services.review.registrations.store import as_day
from tests.fee_support import bodies
from tests.registration_support import mumaris
from tests.support import eventually, settings_for, unique

pytestmark = pytest.mark.integration

DAYS = [30, 7, 0]
REVIEWER = Actor("rev-certificates", "Khalid", "reviewer", "10.0.0.7")


@dataclass
class Replicas:
    stack: StackInfo
    desk: ReviewDesk  # replica 1's
    sweeps: list[CertificateSweeps]  # one per replica
    expiries: CertificateExpiries
    shift_file: Path
    settings: Settings

    def today(self) -> date:
        return RegistryClock.from_file(str(self.shift_file)).today()

    async def certificate(self, expires_on: date | None) -> str:
        """A certificate queued for review, as submission.validated queues one."""
        submission_id = str(uuid.uuid4())
        declared = {"expires_on": expires_on.isoformat()} if expires_on else {}
        item: dict[str, Any] = {
            "_id": submission_id,
            "submission_id": submission_id,
            "kind": "certificate",
            "practitioner": {"id": unique("prac"), "name": "نورة القحطاني", "email": "n@example.sa", "locale": "ar"},
            "specialty": "Nursing",
            "certificate": {
                "name": "Basic Life Support (BLS)",
                "obtained_on": "2025-01-01",
                "institution": "Saudi Heart Association",
                "specialty": "Nursing",
                "degree": "Course",
                "cpd": None,
                "recognition": None,
                **declared,
            },
            "file": None,
            "findings": [],
            "status": "queued",
            "queued_at": now(),
            "previous_submission_id": None,
        }
        await self.desk.uow.run(lambda session: self.desk.enqueue(item, session))
        return submission_id

    async def decide(self, submission_id: str, request: DecisionRequest) -> None:
        await self.desk.claim(submission_id, REVIEWER)
        await self.desk.decide(submission_id, REVIEWER, request)

    async def approved(self, expires_on: date | None) -> str:
        submission_id = await self.certificate(expires_on)
        await self.decide(submission_id, DecisionRequest(Decision.APPROVE))
        return submission_id

    async def sweep_on_every_replica(self) -> None:
        await asyncio.gather(*(sweeps.sweep() for sweeps in self.sweeps))

    async def reminders(self, submission_id: str) -> list[dict[str, Any]]:
        """The certificate.expiring events of `submission_id` on the broker, once the outbox relays
        have published everything recorded for it."""

        async def drained() -> bool | None:
            pending = await self.desk.uow.outbox.collection.count_documents({"key": submission_id})
            return pending == 0 or None

        await eventually(drained, timeout=30, what=f"the outbox of {submission_id} published")
        return await bodies(self.stack.kafka_bootstrap, topics.CERTIFICATE_EXPIRING, submission_id)


@pytest.fixture(scope="module")
async def replicas(own_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Replicas]:
    shift_file = tmp_path_factory.mktemp("clock") / "shift"
    write_shift(shift_file, timedelta(0))
    settings = settings_for(
        own_stack,
        mongo_db=unique("certificates"),
        clock_shift_file=str(shift_file),
        certificate_sweep_s=3600,
        certificate_reminder_days=DAYS,
        outbox_poll_s=0.1,
    )
    apps = [create_app(settings), create_app(settings)]
    try:
        async with AsyncExitStack() as running:
            for app in apps:
                await running.enter_async_context(app.router.lifespan_context(app))
            desk = apps[0].state.runtime.provided["desk"]
            sweeps = [app.state.runtime.provided["certificate_sweeps"] for app in apps]
            yield Replicas(own_stack, desk, sweeps, sweeps[0].expiries, shift_file, settings)
    finally:
        write_shift(shift_file, timedelta(0))


async def test_an_approved_certificate_expiring_in_30_days_is_reminded_once_by_two_replicas(
    replicas: Replicas,
) -> None:
    write_shift(replicas.shift_file, timedelta(0))
    expires_on = replicas.today() + timedelta(days=30)
    submission_id = await replicas.approved(expires_on)
    doc = await replicas.expiries.get(submission_id)
    assert doc is not None
    due = reminder_due(as_day(doc["expires_on"]), replicas.today(), DAYS, doc["reminded"])
    assert due is not None
    # Both replicas read it in the same instant and each tries to send the 30-day reminder: one does.
    sent = await asyncio.gather(*(sweeps.remind(doc, due) for sweeps in replicas.sweeps))
    assert sorted(sent) == [False, True]
    for _ in range(2):  # and two more sweeps on each replica
        await replicas.sweep_on_every_replica()
    [reminder] = await replicas.reminders(submission_id)
    assert (reminder["days_before"], reminder["days_left"]) == (30, 30)
    assert (reminder["certificate_name"], reminder["expires_on"]) == (
        "Basic Life Support (BLS)",
        expires_on.isoformat(),
    )
    assert reminder["practitioner"]["name"] == "نورة القحطاني"


async def test_after_an_outage_that_missed_the_30_and_7_day_milestones_only_the_7_day_one_goes_out(
    replicas: Replicas,
) -> None:
    write_shift(replicas.shift_file, timedelta(0))
    expires_on = replicas.today() + timedelta(days=40)
    submission_id = await replicas.approved(expires_on)
    await replicas.sweep_on_every_replica()
    assert await replicas.reminders(submission_id) == []  # no milestone has come
    # The registry's clock 35 days on at once, as after an outage of every replica: 5 days left.
    write_shift(replicas.shift_file, timedelta(days=35))
    await replicas.sweep_on_every_replica()
    await replicas.sweep_on_every_replica()
    [reminder] = await replicas.reminders(submission_id)
    assert (reminder["days_before"], reminder["days_left"]) == (7, 5)
    doc = await replicas.expiries.get(submission_id)
    assert doc is not None and set(doc["reminded"]) == {"30", "7"}


async def test_a_certificate_without_expiry_a_refused_one_and_one_in_review_are_never_reminded(
    replicas: Replicas,
) -> None:
    write_shift(replicas.shift_file, timedelta(0))
    expires_on = replicas.today() + timedelta(days=7)
    without_expiry = await replicas.approved(None)
    refused = await replicas.certificate(expires_on)
    await replicas.decide(refused, DecisionRequest(Decision.REJECT, "", ("name_mismatch",)))
    in_review = await replicas.certificate(expires_on)
    reminded = await replicas.approved(expires_on)  # beside them, one that is reminded
    await replicas.sweep_on_every_replica()
    for never in (without_expiry, refused, in_review):
        assert await replicas.expiries.get(never) is None
        assert await replicas.reminders(never) == []
    [reminder] = await replicas.reminders(reminded)
    assert reminder["days_before"] == 7


async def test_certificates_approved_before_the_reminders_existed_are_kept_once_by_the_backfill(
    replicas: Replicas,
) -> None:
    write_shift(replicas.shift_file, timedelta(0))
    expires_on = replicas.today() + timedelta(days=30)
    decided = {}
    for decision, expiry in (("approve", expires_on), ("reject", expires_on), ("approve", None)):
        submission_id = await replicas.certificate(expiry)
        # Decided as before this release: the decision on the item, nothing kept for its expiry.
        await replicas.desk.store.items.update_one(
            {"_id": submission_id},
            {"$set": {"status": "decided", "decision": {"decision": decision}, "decided_at": now()}},
        )
        decided[(decision, expiry)] = submission_id
    approved = decided[("approve", expires_on)]
    assert await replicas.expiries.get(approved) is None

    seen, kept = await backfill_expiries(replicas.settings, batch=2)
    assert kept >= 1 and seen >= kept
    doc = await replicas.expiries.get(approved)
    assert doc is not None and (doc["name"], doc["reminded"]) == ("Basic Life Support (BLS)", [])
    assert await replicas.expiries.get(decided[("reject", expires_on)]) is None
    assert await replicas.expiries.get(decided[("approve", None)]) is None
    # Run again, as operations run it: nothing kept twice.
    env = {"MUMARIS_MONGO_URI": replicas.settings.mongo_uri, "MUMARIS_MONGO_DB": replicas.settings.mongo_db}
    again = await mumaris("certificates", "backfill", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("; 0 newly kept for reminders"), again.stdout

    await replicas.sweep_on_every_replica()
    [reminder] = await replicas.reminders(approved)
    assert (reminder["days_before"], reminder["days_left"]) == (30, 30)
