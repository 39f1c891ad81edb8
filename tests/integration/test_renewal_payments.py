"""A renewal's fee on the real broker and database, with review in this process (its real
application and lifespan: consumers, outbox relay, the registration sweeps): a renewal asked in
the grace period whose registration lapses before the payment reaches us renews nothing; the
payment is kept on its invoice and flagged for a refund (RenewalDesk.paid says why). With intake
in this process too (tests/registration_support.py), the practitioner's view of that renewal ends
`refused` with its fee due back, in the API and on the portal's page in both languages.

On a stack of its own: a shared stack's review processes would answer these made-up events too.
"""

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from mumaris.clock import now, today_in_riyadh, write_shift
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.events import PractitionerRef, RegistrationIssued, RegistrationRenewalRequested
from schemas.registrations import renewal_fee
from services.intake.accounts.rules import Passwords
from services.review.app import create_app
from services.review.fees.service import FeeDesk
from services.review.registrations.service import RegistrationEvents
from tests.fee_support import bodies, payment, publish
from tests.registration_support import Intake, running_intake
from tests.support import eventually, settings_for, unique, wait_consumed

pytestmark = pytest.mark.integration

CLASSIFICATION = "nursing.specialist"
GRACE_DAYS = 30


@dataclass
class Review:
    stack: StackInfo
    settings: Settings
    http: httpx.AsyncClient
    fees: FeeDesk
    events: RegistrationEvents
    shift_file: Path

    def supervisor(self) -> dict[str, str]:
        who = Principal(id=unique("supervisor"), role="supervisor", name="Supervisor", email="s@scfhs.local")
        return {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    async def registration(self, number: str, until: Any) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found = await self.events.renewals.book.get(number)
            return found if found is not None and until(found) else None

        return await eventually(probe, timeout=30, what=f"registration {number} in review")


@pytest.fixture(scope="module")
def shift_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry clock's shift, read by review and intake alike."""
    path = tmp_path_factory.mktemp("clock") / "shift"
    write_shift(path, timedelta(0))
    return path


@pytest.fixture(scope="module")
async def review(own_stack: StackInfo, shift_file: Path) -> AsyncIterator[Review]:
    settings = settings_for(
        own_stack,
        mongo_db=unique("renewals"),
        clock_shift_file=str(shift_file),
        registration_sweep_s=0.5,
        registration_grace_days=GRACE_DAYS,
        renewal_payment_deadline_s=600,
        outbox_poll_s=0.1,
    )
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://review", timeout=30) as http:
                provided = app.state.runtime.provided
                yield Review(own_stack, settings, http, provided["fees"], provided["registration_events"], shift_file)
    finally:
        write_shift(shift_file, timedelta(0))


async def test_a_renewal_paid_after_the_registration_lapsed_renews_nothing_and_is_flagged_for_a_refund(
    review: Review,
) -> None:
    write_shift(review.shift_file, timedelta(0))
    number = f"RG-{random.randrange(10**9):09d}"
    who = PractitionerRef(id=unique("acct"), name="Reem Al-Zahrani", email=f"{unique('reem')}@example.sa")
    today = today_in_riyadh()
    expired_on = today - timedelta(days=GRACE_DAYS - 1)  # the grace period's last day is today
    classification = CLASSIFICATIONS[CLASSIFICATION]
    issued = RegistrationIssued(
        registration_number=number,
        practitioner=who,
        profession=classification.profession,
        classification=classification.ref(),
        cycle=1,
        issued_on=expired_on - timedelta(days=730),
        expires_on=expired_on,
        issued_at=now() - timedelta(days=760),
    )
    await publish(review.stack.kafka_bootstrap, topics.REGISTRATION_ISSUED, issued, source="/mumaris/intake")
    await review.registration(number, until=lambda doc: doc["status"] == "active")

    renewal_id = unique("renewal")
    asked = RegistrationRenewalRequested(
        registration_number=number,
        practitioner=who,
        renewal_id=renewal_id,
        classification=classification.ref(),
        cycle=1,
        expires_on=expired_on,
        renews_until=expired_on + timedelta(days=730),
        fee=renewal_fee(CLASSIFICATION),
        cpd_hours_required=Decimal(30),
        cpd_hours_earned=Decimal(30),
        requested_at=now(),
    )
    await publish(review.stack.kafka_bootstrap, topics.REGISTRATION_RENEWAL_REQUESTED, asked, source="/mumaris/intake")
    invoice = await eventually(
        lambda: review.fees.store.invoices.find_one({"request_id": renewal_id}),
        timeout=30,
        what="the renewal's invoice",
    )
    assert invoice["purpose"] == "renewal"

    # The grace period ends (the registry's clock a day on): the sweep lapses the registration ...
    write_shift(review.shift_file, timedelta(days=1))
    await review.registration(number, until=lambda doc: doc["status"] == "lapsed")
    # ... and then the fee arrives, in time for its invoice and to the cent.
    paid = await publish(
        review.stack.kafka_bootstrap,
        topics.GOV_PAYMENTS,
        payment(invoice["bill_number"], invoice["amount"]),
        source="/gov/sadad",
    )
    await wait_consumed(review.stack.kafka_bootstrap, "review", paid.topic, paid.partition, paid.offset)

    answer = await review.http.get(
        "/v1/review/payment-issues", params={"bill_number": invoice["bill_number"]}, headers=review.supervisor()
    )
    assert answer.status_code == 200, answer.text
    [issue] = answer.json()["items"]
    assert (issue["kind"], issue["details"]["refund"]) == ("registration_lapsed", True)
    kept = await review.fees.store.invoices.find_one({"_id": invoice["_id"]})
    assert kept is not None and kept["status"] == "paid"  # the money is recorded where it came in
    renewal = await review.events.renewals.book.renewal(renewal_id)
    assert renewal is not None and renewal["status"] == "refused" and renewal["lapsed_at"] is not None
    registration = await review.events.renewals.book.get(number)
    assert registration is not None
    assert (registration["status"], registration["cycle"]) == ("lapsed", 1)  # not renewed from the old expiry
    assert await bodies(review.stack.kafka_bootstrap, topics.REGISTRATION_RENEWED, number) == []
    [lapsed] = await bodies(review.stack.kafka_bootstrap, topics.REGISTRATION_LAPSED, number)
    assert lapsed["expired_on"] == expired_on.isoformat()


@pytest.fixture(scope="module")
async def intake(own_stack: StackInfo, shift_file: Path, review: Review) -> AsyncIterator[Intake]:
    async for running in running_intake(own_stack, shift_file, registration_grace_days=GRACE_DAYS):
        yield running


async def test_intake_shows_a_renewal_paid_after_the_lapse_as_refused_with_its_fee_due_back(
    review: Review, intake: Intake
) -> None:
    write_shift(review.shift_file, timedelta(0))
    password = "Sahara-2026!stars"
    who, auth = await intake.practitioner(password_hash=Passwords().hash(password))
    await intake.approve(who, CLASSIFICATION)
    registration = await intake.registration(auth)
    number, expires = registration["registration_number"], date.fromisoformat(registration["expires_on"])
    exempt = {"exemption": "not_practising", "reason": "Abroad 2026-2028: no hours owed."}
    answer = await intake.http.put(
        f"/v1/registrations/{number}/cpd-exemption", json=exempt, headers=intake.staff("supervisor")
    )
    assert answer.status_code == 200, answer.text
    await review.registration(number, until=lambda doc: doc["status"] == "active")  # registration.issued

    # The grace period's last day: the renewal is asked and invoiced ...
    intake.shift_to(expires + timedelta(days=GRACE_DAYS - 1), today_in_riyadh())
    asked = await intake.http.post("/v1/me/registration/renewals", headers=auth)
    assert asked.status_code == 202, asked.text
    renewal = await renewal_of(intake, auth, "awaiting_payment")
    # ... the grace period ends before it is paid: the sweep lapses the registration ...
    intake.shift_to(expires + timedelta(days=GRACE_DAYS), today_in_riyadh())
    await review.registration(number, until=lambda doc: doc["status"] == "lapsed")
    # ... and then the fee arrives, in time for its invoice and to the cent.
    bill = renewal["invoice"]["bill_number"]
    await publish(
        review.stack.kafka_bootstrap,
        topics.GOV_PAYMENTS,
        payment(bill, renewal["invoice"]["amount"]),
        source="/gov/sadad",
    )

    refused = await renewal_of(intake, auth, "refused")
    assert (refused["refused_reason"], refused["refund_due"], refused["invoice"]["bill_number"]) == (
        "registration_lapsed",
        True,
        bill,
    )
    shown = await intake.registration(auth)
    assert (shown["status"], shown["cycle"]["number"]) == ("lapsed", 1)  # not renewed
    [told] = await bodies(review.stack.kafka_bootstrap, topics.REGISTRATION_RENEWAL_REFUSED, number)
    assert (told["renewal_id"], told["bill_number"], told["refund_due"]) == (refused["renewal_id"], bill, True)

    sign_in = await intake.http.get("/portal/sign-in")
    form = {"csrf": csrf_of(sign_in.text), "email": who.email, "password": password}
    assert (await intake.http.post("/portal/sign-in", data=form)).status_code == 303
    english = await intake.http.get("/portal/registration?lang=en")
    assert 'data-testid="renewal-status" data-status="refused"' in english.text
    assert "Refused: the registration had lapsed" in english.text and "will be refunded" in english.text
    arabic = await intake.http.get("/portal/registration?lang=ar")
    assert "مرفوض: سقط التسجيل قبل السداد" in arabic.text and "وستُعاد إليك الرسوم" in arabic.text


async def renewal_of(intake: Intake, auth: dict[str, str], status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        renewal = (await intake.registration(auth))["renewal"]
        return renewal if renewal and renewal["status"] == status else None

    return await eventually(probe, timeout=30, what=f"intake to show the renewal {status}")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page carries a CSRF token"
    return found[1]
