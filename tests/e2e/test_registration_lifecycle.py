"""The registration lifecycle with intake and review as real processes (`mumaris run`) on a stack of
their own: renewal gated by CPD hours, its invoice on the fee machinery, payment, an unpaid renewal.

What other systems send is put on their topics here as real CloudEvents records: review's
classification.changed (it issues the registration), an accredited provider's attendance record
(gov.cpd_attendance), the national payment system's payment (gov.payments). The registry's clock
of both services reads the shift file this module writes (mumaris.clock.write_shift), so a
registration two years from expiry is brought to its renewal window without waiting; invoice
deadlines are seconds long here (MUMARIS_RENEWAL_PAYMENT_DEADLINE_S).
"""

import asyncio
import json
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.auth import Principal, issue_token
from mumaris.clock import now, today_in_riyadh, write_shift
from mumaris.settings import Settings
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ClassificationChanged, PractitionerRef
from schemas.topics import all_topic_names
from services.intake.accounts.rules import make_valid_id
from services.intake.registration.rules import add_years
from tests.fee_support import bodies, payment, publish
from tests.support import eventually, produce, settings_for, unique

pytestmark = pytest.mark.e2e

PAYMENT_DEADLINE_S = 8
SWEEP_S = 0.5


@dataclass
class Practitioner:
    ref: PractitionerRef
    auth: dict[str, str]
    id_number: str


@dataclass
class Lifecycle:
    stack: StackInfo
    settings: Settings
    group: ServiceGroup
    db: AsyncDatabase[dict[str, Any]]
    shift_file: Path
    http: httpx.AsyncClient
    mail: MailCatcher

    async def mails(self, who: Practitioner, subject: str, count: int) -> list[Any]:
        """The e-mails to her whose subject holds `subject`, once there are at least `count`."""

        async def probe() -> list[Any] | None:
            found = [m for m in self.mail.messages if m["To"] == who.ref.email and subject in str(m["Subject"])]
            return found if len(found) >= count else None

        return await eventually(probe, timeout=60, what=f"{count} e-mail(s) '{subject}'")

    @property
    def intake(self) -> str:
        return self.group.processes["intake"].url

    async def registered(self, classification: str) -> tuple[Practitioner, dict[str, Any]]:
        """A practitioner whose first classification review approved: her registration, issued
        today (the registry clock set back to the real day first)."""
        write_shift(self.shift_file, timedelta(0))
        account_id, email = unique("acct"), f"{unique('noura')}@example.sa"
        id_number = make_valid_id("1", f"{random.randrange(10**8):08d}")
        await self.db["intake.accounts"].insert_one(
            {
                "_id": account_id,
                "first_name": "Noura",
                "last_name": "Al-Qahtani",
                "id_kind": "national_id",
                "id_number": id_number,
                "email": email,
                "mobile": "+966551234567",
                "locale": "ar",
                "password_hash": "-",
                "role": "practitioner",
                "status": "active",
                "classification": None,
                "created_at": now(),
            }
        )
        who = Principal(id=account_id, role="practitioner", name="Noura Al-Qahtani", email=email, locale="ar")
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale="ar")
        practitioner = Practitioner(ref, {"Authorization": f"Bearer {issue_token(who, self.settings)}"}, id_number)
        request_id = unique("req")
        changed = ClassificationChanged(
            request_id=request_id,
            practitioner=ref,
            previous=None,
            classification=CLASSIFICATIONS[classification].ref(),
            changed_at=now(),
        )
        await publish(self.stack.kafka_bootstrap, topics.CLASSIFICATION_CHANGED, changed, source="/mumaris/review")
        return practitioner, await self.registration(practitioner)

    async def registration(self, who: Practitioner, until: Any = None) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            answer = await self.http.get(f"{self.intake}/v1/me/registration", headers=who.auth)
            if answer.status_code != 200:
                return None
            shown: dict[str, Any] = answer.json()
            return shown if until is None or until(shown) else None

        return await eventually(probe, timeout=60, what="the registration")

    def move_to(self, day: date) -> None:
        """The registry clock of every service reads `day` as today (Riyadh)."""
        write_shift(self.shift_file, timedelta(days=(day - today_in_riyadh()).days))

    async def expiring(self, number: str, count: int) -> list[dict[str, Any]]:
        """The registration.expiring reminders of `number`, once there are at least `count`."""

        async def probe() -> list[dict[str, Any]] | None:
            found = await bodies(self.stack.kafka_bootstrap, topics.REGISTRATION_EXPIRING, number)
            return found if len(found) >= count else None

        return await eventually(probe, timeout=60, what=f"{count} reminder(s) for {number}")

    async def settled(self) -> None:
        """Everything review wrote is published, and every replica has swept a few times since."""

        async def outbox_empty() -> bool:
            return await self.db["review.outbox"].count_documents({}) == 0

        await eventually(outbox_empty, what="review's outbox to drain")
        await asyncio.sleep(6 * SWEEP_S)
        await eventually(outbox_empty, what="review's outbox to drain")

    def start_review(self, replica: int = 0) -> None:
        self.group.start("review", free_port(), replica=replica)
        self.group.wait_healthy()

    async def renew(self, who: Practitioner) -> httpx.Response:
        return await self.http.post(f"{self.intake}/v1/me/registration/renewals", headers=who.auth)

    async def attended(self, who: Practitioner, hours: str, on: date) -> None:
        """An accredited provider reports her attendance of an activity."""
        record_id = unique("rec")
        body = {
            "record_id": record_id,
            "national_id": who.id_number,
            "activity": {
                "title": "Infection prevention and control",
                "provider": "Ministry of Health Academy",
                "accreditation_number": f"MOH-{record_id[-10:]}",
                "category": "e-learning",
                "hours": hours,
                "attended_on": on.isoformat(),
            },
            "reported_at": now().isoformat(),
        }
        attrs = CloudEventAttributes.new(
            source="/providers/moh-academy", type=topics.GOV_CPD_ATTENDANCE.ce_type, subject=record_id
        )
        await produce(
            self.stack.kafka_bootstrap,
            topics.GOV_CPD_ATTENDANCE.name,
            json.dumps(body).encode(),
            key=b"moh-academy",
            headers=attrs.to_headers(),
        )


@pytest.fixture(scope="module")
def lifecycle_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    stack = LocalStack(tmp_path_factory.mktemp("lifecycle-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack.info
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def lifecycle(lifecycle_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Lifecycle]:
    database = unique("lifecycle")
    shift_file = tmp_path_factory.mktemp("clock") / "shift"
    settings = settings_for(lifecycle_stack, mongo_db=database)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(lifecycle_stack.mongo_uri, tz_aware=True)
    with MailCatcher() as mail, SmsGatewayStandIn() as sms:
        group = ServiceGroup(
            env={
                **lifecycle_stack.env(),
                "MUMARIS_MONGO_DB": database,
                "MUMARIS_CLOCK_SHIFT_FILE": str(shift_file),
                "MUMARIS_RENEWAL_PAYMENT_DEADLINE_S": str(PAYMENT_DEADLINE_S),
                "MUMARIS_FEE_SWEEP_S": str(SWEEP_S),
                "MUMARIS_REGISTRATION_SWEEP_S": str(SWEEP_S),
                "MUMARIS_FEE_REMINDER_HOUR_S": "0.25",
                "MUMARIS_OUTBOX_POLL_S": "0.1",
                "MUMARIS_RETRY_BACKOFF_S": "0.1",
                "MUMARIS_SMTP_PORT": str(mail.port),
                "MUMARIS_SMS_GATEWAY_URL": sms.url,
                # The validator for recognition requests' evidence (test_cpd_recognition_lifecycle.py):
                # one worker, no OCR (what is read on the page is not what is tested there).
                "MUMARIS_VALIDATOR_WORKERS": "1",
                "MUMARIS_OCR_ENABLED": "false",
            },
            log_dir=tmp_path_factory.mktemp("lifecycle-logs"),
        )
        try:
            for name in ("intake", "validator", "review", "notifier"):
                group.start(name, free_port())
            group.wait_healthy()
            async with httpx.AsyncClient(timeout=30) as http:
                yield Lifecycle(lifecycle_stack, settings, group, client[database], shift_file, http, mail)
        finally:
            group.stop_all()
            write_shift(shift_file, timedelta(0))
            await client.close()


async def test_refused_for_missing_hours_then_credited_by_a_provider_then_renewed_from_the_old_expiry(
    lifecycle: Lifecycle,
) -> None:
    who, registration = await lifecycle.registered("nursing.technician")
    expires = date.fromisoformat(registration["expires_on"])
    assert (await lifecycle.renew(who)).json()["error"]["code"] == "registration.renewal_not_open"

    lifecycle.move_to(expires - timedelta(days=60))
    shown = await lifecycle.registration(who)
    assert (shown["status"], shown["days_left"]) == ("renewal_open", 60)
    short = await lifecycle.renew(who)
    assert short.status_code == 422, short.text
    error = short.json()["error"]
    assert error["code"] == "registration.cpd_hours_short" and error["message"]["ar"] and error["message"]["en"]
    assert error["details"]["cpd_hours"] == {"required": "20", "earned": "0", "needed": "20"}

    await lifecycle.attended(who, "20", on=expires - timedelta(days=61))
    await lifecycle.registration(who, until=lambda r: r["cpd"]["hours_still_needed"] == "0")
    accepted = await lifecycle.renew(who)
    assert accepted.status_code == 202, accepted.text
    renewal = accepted.json()["renewal"]
    assert (renewal["status"], renewal["fee"], renewal["renews_until"]) == (
        "requested",
        "200.00",
        add_years(expires, 2).isoformat(),
    )
    again = await lifecycle.renew(who)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "registration.renewal_pending")

    invoiced = await lifecycle.registration(who, until=lambda r: r["renewal"]["status"] == "awaiting_payment")
    invoice = invoiced["renewal"]["invoice"]
    assert Decimal(invoice["amount"]) == Decimal("200")
    await publish(
        lifecycle.stack.kafka_bootstrap, topics.GOV_PAYMENTS, payment(invoice["bill_number"], invoice["amount"])
    )

    renewed = await lifecycle.registration(who, until=lambda r: r["status"] == "renewed")
    # Two more years from the old expiry, not from the day paid (60 days before it).
    assert renewed["expires_on"] == add_years(expires, 2).isoformat()
    assert (renewed["cycle"]["number"], renewed["cycle"]["starts_on"]) == (2, expires.isoformat())
    assert renewed["renewal"]["status"] == "paid"
    assert renewed["cpd"]["hours_earned"] == "0"  # the new cycle starts with none: the 20 hours were the old cycle's
    await lifecycle.mails(who, "Fee invoice for your registration renewal", 1)  # not "classification change"
    await lifecycle.mails(who, "Your professional registration has been renewed", 1)
    [announced] = await bodies(
        lifecycle.stack.kafka_bootstrap, topics.REGISTRATION_RENEWED, renewed["registration_number"]
    )
    assert (announced["previous_expires_on"], announced["expires_on"]) == (expires.isoformat(), renewed["expires_on"])


async def test_an_unpaid_renewal_lapses_and_the_registration_keeps_its_expiry(lifecycle: Lifecycle) -> None:
    who, registration = await lifecycle.registered("pharmacy.technician")
    expires = date.fromisoformat(registration["expires_on"])
    lifecycle.move_to(expires - timedelta(days=30))
    await lifecycle.attended(who, "25", on=expires - timedelta(days=40))
    await lifecycle.registration(who, until=lambda r: r["cpd"]["hours_still_needed"] == "0")
    assert (await lifecycle.renew(who)).status_code == 202

    invoiced = await lifecycle.registration(who, until=lambda r: r["renewal"]["status"] == "awaiting_payment")
    bill = invoiced["renewal"]["invoice"]["bill_number"]
    lapsed = await eventually(
        lambda: lifecycle.registration(who, until=lambda r: r["renewal"]["status"] == "lapsed"),
        timeout=PAYMENT_DEADLINE_S + 30,
        what="the unpaid renewal to lapse",
    )
    assert (lapsed["expires_on"], lapsed["status"]) == (registration["expires_on"], "renewal_open")
    [expired] = await bodies(lifecycle.stack.kafka_bootstrap, topics.FEE_EXPIRED, invoiced["renewal"]["renewal_id"])
    assert (expired["bill_number"], expired["purpose"]) == (bill, "renewal")
    assert (
        await bodies(lifecycle.stack.kafka_bootstrap, topics.CLASSIFICATION_LAPSED, invoiced["renewal"]["renewal_id"])
        == []
    )
    await lifecycle.mails(who, "Your registration renewal request lapsed", 1)
    # A new renewal may be asked while renewal is open.
    again = await lifecycle.renew(who)
    assert again.status_code == 202, again.text
    assert again.json()["renewal"]["renewal_id"] != invoiced["renewal"]["renewal_id"]


async def test_reminders_go_out_once_across_replicas_and_a_kill_and_the_missed_one_late_then_grace_then_lapse(
    lifecycle: Lifecycle,
) -> None:
    who, registration = await lifecycle.registered("medicine.technician")
    number, expires = registration["registration_number"], date.fromisoformat(registration["expires_on"])
    lifecycle.start_review(replica=1)  # two replicas sweep every half second from now on
    try:
        lifecycle.move_to(expires - timedelta(days=90))
        [first] = await lifecycle.expiring(number, 1)
        assert (first["days_before"], first["days_left"], first["cycle"], first["renewal_open"]) == (90, 90, 1, True)
        lifecycle.move_to(expires - timedelta(days=60))
        await lifecycle.expiring(number, 2)
        await lifecycle.settled()

        # Both replicas die without a goodbye; the 30- and 7-day milestones pass while none runs.
        lifecycle.group.stop("review", kill=True)
        lifecycle.group.stop("review-1", kill=True)
        lifecycle.move_to(expires - timedelta(days=5))
        lifecycle.start_review()
        lifecycle.start_review(replica=1)
        sent = await lifecycle.expiring(number, 3)
        await lifecycle.settled()
        sent = await bodies(lifecycle.stack.kafka_bootstrap, topics.REGISTRATION_EXPIRING, number)
        # Only the latest missed milestone, late and once: not the 30-day one too.
        assert [(r["days_before"], r["days_left"]) for r in sent] == [(90, 90), (60, 60), (7, 5)]

        lifecycle.move_to(expires + timedelta(days=1))
        shown = await lifecycle.registration(who)
        assert (shown["status"], shown["days_left"]) == ("grace", -1)
        await lifecycle.settled()
        assert await bodies(lifecycle.stack.kafka_bootstrap, topics.REGISTRATION_LAPSED, number) == []

        lifecycle.move_to(expires + timedelta(days=30))  # the grace period (30 days) is over
        lapsed_shown = await lifecycle.registration(who, until=lambda r: r["status"] == "lapsed")
        assert lapsed_shown["lapses_on"] == (expires + timedelta(days=30)).isoformat()

        async def stored_lapsed() -> bool:
            doc = await lifecycle.db["intake.registrations"].find_one({"number": number})
            return doc is not None and doc["status"] == "lapsed"

        await eventually(stored_lapsed, what="intake to record the lapse from registration.lapsed")
        await lifecycle.settled()
        [lapsed] = await bodies(lifecycle.stack.kafka_bootstrap, topics.REGISTRATION_LAPSED, number)
        assert (lapsed["expired_on"], lapsed["cycle"]) == (expires.isoformat(), 1)
        refused = await lifecycle.renew(who)
        assert (refused.status_code, refused.json()["error"]["code"]) == (409, "registration.lapsed")
        assert len(await bodies(lifecycle.stack.kafka_bootstrap, topics.REGISTRATION_EXPIRING, number)) == 3
        # Operations see it on review's /metrics (read from the database at scrape time).
        metrics = (await lifecycle.http.get(f"{lifecycle.group.processes['review'].url}/metrics")).text
        values = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in metrics.splitlines()
            if line.startswith("mumaris_registration")
        }
        assert values['mumaris_registrations{status="lapsed"}'] >= 1
        assert values["mumaris_registrations_lapsed_this_month"] >= 1
        # The notifier told her by e-mail, in both languages, once per reminder and once of the lapse.
        reminders = await lifecycle.mails(who, "Reminder: your professional registration expires soon", 3)
        [lapse_mail] = await lifecycle.mails(who, "Your professional registration has lapsed", 1)
        await asyncio.sleep(3 * SWEEP_S)
        assert len(await lifecycle.mails(who, "Reminder: your professional registration expires soon", 3)) == 3
        assert "سقط تسجيلك المهني" in str(lapse_mail["Subject"])
        assert any("(in 5 days)" in m.get_body(preferencelist=("plain",)).get_content() for m in reminders)
    finally:
        if "review-1" in lifecycle.group.processes:
            lifecycle.group.stop("review-1")
