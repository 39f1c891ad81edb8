"""The facility pages in headless Chromium, in Arabic and English at a phone's and a laptop's size,
each audited with axe-core (tests/e2e/portal_support.py; screenshots under tests/artifacts/facility/):
a hospital's staff user signs in, uploads a roster file of thousands of lines through the page
(its refused lines told per line in the page's language), sees the roster's status at a glance
with names in both scripts and the warnings, filters and pages it, exports it; registers a
webhook (its secret shown once), sees a delivery parked while the endpoint is down and replays
it, rotates the secret and disables the webhook. Another facility's staff see none of it (404).

Intake and notifier run as real processes (`mumaris run`) on a stack of their own; the
registration changes are review's registration.expiring events on their topic.
"""

import asyncio
import csv
import io
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from pymongo import AsyncMongoClient

from mumaris.clock import today_in_riyadh
from mumaris.errors import MESSAGES
from mumaris.settings import PROJECT_ROOT
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from schemas.topics import all_topic_names
from services.intake.accounts.rules import make_valid_id
from services.intake.registration.rules import registration_number
from tests.e2e.portal_support import SIZES, AuditLog, audit, audit_as_shown
from tests.facility_support import PASSWORD, facility_with_staff, midnight, registrations
from tests.registration_support import Intake
from tests.support import eventually, settings_for, unique
from tests.webhook_support import Receiver, Served, reminders

pytestmark = pytest.mark.e2e

AUDITS = AuditLog([], PROJECT_ROOT / "tests" / "artifacts" / "facility")
ROSTER_SIZE = 2000


@dataclass
class Facilities:
    intake: Intake
    url: str


@pytest.fixture(scope="module")
def facility_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    stack = LocalStack(tmp_path_factory.mktemp("facility-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack.info
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def running(facility_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Facilities]:
    database, intake_port, notifier_port = unique("facility"), free_port(), free_port()
    url = f"http://127.0.0.1:{intake_port}"
    group = ServiceGroup(
        env={
            **facility_stack.env(),
            "MUMARIS_MONGO_DB": database,
            "MUMARIS_PUBLIC_BASE_URL": url,
            "MUMARIS_NOTIFIER_URL": f"http://127.0.0.1:{notifier_port}",
            "MUMARIS_OUTBOX_POLL_S": "0.1",
            "MUMARIS_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true",
            "MUMARIS_WEBHOOK_TIMEOUT_S": "1",
            "MUMARIS_WEBHOOK_RETRY_BASE_S": "0.1",
            "MUMARIS_WEBHOOK_RETRY_MAX_S": "0.2",
            "MUMARIS_WEBHOOK_MAX_ATTEMPTS": "3",
            "MUMARIS_WEBHOOK_POLL_S": "0.1",
        },
        log_dir=tmp_path_factory.mktemp("facility-logs"),
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(facility_stack.mongo_uri, tz_aware=True)
    try:
        group.start("intake", intake_port)
        group.start("notifier", notifier_port)
        group.wait_healthy()
        settings = settings_for(facility_stack, mongo_db=database)
        shift = tmp_path_factory.mktemp("clock") / "shift"
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            yield Facilities(Intake(facility_stack, settings, http, client[database], shift), url)
    finally:
        group.stop_all()
        await client.close()


async def named(intake: Intake, numbers: list[str]) -> None:
    """Accounts for these registrations with names in both scripts (the register shows both)."""
    found = intake.db["intake.registrations"].find({"number": {"$in": numbers}}, {"number": 1})
    accounts = [
        {
            "_id": doc["_id"],
            "first_name": "ريم",
            "last_name": "الزهراني",
            "first_name_latin": "Reem",
            "last_name_latin": "Al-Zahrani",
            "id_kind": "national_id",
            "id_number": make_valid_id("1", f"{random.randrange(10**8):08d}"),
            "role": "practitioner",
            "status": "active",
            "email": f"{unique('reem')}@example.sa",
        }
        async for doc in found
    ]
    await intake.db["intake.accounts"].insert_many(accounts)


async def signed_in(browser: Browser, running: Facilities, email: str, lang: str) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=SIZES["phone"], base_url=running.url, accept_downloads=True)
    page = await context.new_page()
    await page.goto(f"/portal/facility/roster?lang={lang}")
    await page.wait_for_url("**/portal/facility/sign-in**")  # not signed in: the facility's own sign-in
    await page.fill("#f-email", email)
    await page.fill("#f-password", PASSWORD)
    await page.get_by_test_id("sign-in-form").locator("button[type=submit]").click()
    await page.wait_for_url("**/portal/facility/roster**")
    return context, page


def roster_file(good: list[str], unknown: str) -> bytes:
    """A roster CSV: a header, the good numbers, and refused lines at known places."""
    lines = ["registration_number,employee_number", *(f"{n},E{i}" for i, n in enumerate(good))]
    lines.insert(3, "RG-123,E-bad")  # line 4: malformed
    lines.insert(5, f"{good[0]},E-again")  # line 6: a repeat of line 2
    lines.append(f"{unknown},E-unknown")  # the last line: well formed, not in the registry
    return ("\r\n".join(lines) + "\r\n").encode()


async def test_a_facility_uploads_sees_filters_pages_and_exports_its_roster(
    running: Facilities, browser: Browser
) -> None:
    intake = running.intake
    facility_id, email, _ = await facility_with_staff(intake)
    today = today_in_riyadh()
    active = await registrations(intake, ROSTER_SIZE - 3)
    (suspended,) = await registrations(intake, 1, status="suspended")
    (lapsed,) = await registrations(intake, 1, status="lapsed")
    (expiring,) = await registrations(intake, 1, expires_on=midnight(today + timedelta(days=30)))
    await named(intake, [active[0], suspended])
    unknown = registration_number(20_000_000 + random.randrange(10**6))  # well formed, in no registration
    numbers = [*active, suspended, lapsed, expiring]

    context, page = await signed_in(browser, running, email, "ar")
    try:
        await audit(page, "roster-empty", AUDITS)
        await page.set_input_files(
            "#f-file", files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster_file(numbers, unknown)}]
        )
        await page.get_by_test_id("upload-form").locator("button[type=submit]").click()
        report = page.get_by_test_id("report")
        await expect(report).to_have_attribute("data-added", str(ROSTER_SIZE))
        refused = page.get_by_test_id("refused-lines").locator("li")
        await expect(refused).to_have_count(3)
        assert [await li.get_attribute("data-line") for li in await refused.all()] == ["4", "6", str(ROSTER_SIZE + 4)]
        malformed = await refused.first.inner_text()
        assert MESSAGES["roster.number_invalid"][0] in malformed  # in the page's language (Arabic)
        await audit_as_shown(page, "roster-upload-report", AUDITS)

        await page.goto("/portal/facility/roster?lang=en")
        await expect(page.get_by_test_id("practitioners")).to_have_attribute("data-count", str(ROSTER_SIZE))
        await expect(page.get_by_test_id("count-suspended")).to_have_attribute("data-count", "1")
        entries = page.get_by_test_id("entry")
        await expect(entries).to_have_count(50)
        first = await entries.first.get_attribute("data-number")
        await page.get_by_test_id("next-page").click()
        await expect(entries).to_have_count(50)
        assert await entries.first.get_attribute("data-number") != first
        await audit(page, "roster-second-page", AUDITS)

        await page.goto("/portal/facility/roster")
        await page.select_option("#f-show", "attention")
        await page.get_by_test_id("filter-form").locator("button[type=submit]").click()
        await expect(entries).to_have_count(3)
        flags = {await e.get_attribute("data-number"): await e.get_attribute("data-flags") for e in await entries.all()}
        assert flags == {suspended: "suspended", lapsed: "lapsed", expiring: "expiring"}
        for number in (suspended, lapsed, expiring):  # a warning never repeats the status beside it
            badges = await page.locator(f"[data-testid=entry][data-number='{number}'] .badge").all_text_contents()
            assert len(badges) == len(set(badges)), badges
        shown = page.locator(f"[data-testid=entry][data-number='{suspended}'] h3")
        await expect(shown).to_have_text("ريم الزهراني · Reem Al-Zahrani")  # both scripts
        await audit(page, "roster-attention", AUDITS)

        async with page.expect_download() as waiting:
            await page.get_by_test_id("export").click()
        saved = Path(await (await waiting.value).path())
        exported = await asyncio.to_thread(saved.read_text, encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert len(rows) == ROSTER_SIZE
        by_number = {row["registration_number"]: row for row in rows}
        assert (by_number[suspended]["status"], by_number[suspended]["name_latin"]) == ("suspended", "Reem Al-Zahrani")

        # Another facility's staff: an empty roster of their own, and nothing of this one's.
        _, other_email, _ = await facility_with_staff(intake, "Other Clinic")
        other, other_page = await signed_in(browser, running, other_email, "en")
        try:
            await expect(other_page.get_by_test_id("practitioners")).to_have_attribute("data-count", "0")
            exported_there = await other_page.request.get("/portal/facility/roster.csv")
            assert exported_there.ok and (await exported_there.text()).count("\n") == 1  # the header alone
        finally:
            await other.close()
        assert await intake.db["intake.facility_roster"].count_documents({"facility_id": facility_id}) == ROSTER_SIZE
    finally:
        await context.close()


async def test_a_facility_registers_a_webhook_replays_a_parked_delivery_rotates_and_disables_it(
    running: Facilities, browser: Browser
) -> None:
    intake = running.intake
    facility_id, email, auth = await facility_with_staff(intake, "Al-Noor Clinic")
    (number,) = await registrations(intake, 1)
    added = await intake.http.post(
        f"/v1/facilities/{facility_id}/roster", headers=auth, json={"registration_number": number}
    )
    assert added.status_code == 201, added.text
    port = free_port()
    receiver = Receiver()
    served = Served(receiver, port)

    context, page = await signed_in(browser, running, email, "en")
    try:
        await page.goto("/portal/facility/webhooks")
        await audit(page, "webhooks-none", AUDITS)
        await page.fill("#f-url", "https://10.0.0.7/hook")  # an internal address: refused beside the field
        await page.get_by_test_id("register-form").locator("button[type=submit]").click()
        await expect(page.get_by_test_id("error-url")).to_have_attribute("data-code", "webhook.address_not_allowed")
        await audit_as_shown(page, "webhooks-refused", AUDITS)

        await page.fill("#f-url", f"http://127.0.0.1:{port}/hook")
        await page.get_by_test_id("register-form").locator("button[type=submit]").click()
        secret = await page.get_by_test_id("secret").inner_text()
        assert secret.startswith("whsec_")
        receiver.secret = secret
        await audit_as_shown(page, "webhooks-secret", AUDITS)
        await page.goto("/portal/facility/webhooks")
        await expect(page.get_by_test_id("secret")).to_have_count(0)  # shown once
        assert secret not in await page.content()

        # The endpoint is down: the change is tried three times and parked.
        await reminders(intake, [number], (30,))
        dead = page.get_by_test_id("dead-letters").get_by_test_id("delivery")

        async def parked() -> bool:
            await page.reload()
            return await dead.count() == 1

        await eventually(parked, timeout=60, what="the delivery parked in the dead-letter list")
        await expect(dead.first).to_have_attribute("data-attempts", "3")
        last_error = dead.first.get_by_test_id("last-error")
        await expect(last_error).to_have_attribute("data-outcome", "ConnectError")  # the code, for operations
        await expect(last_error).not_to_contain_text("ConnectError")  # words, in the page's language
        await audit(page, "webhooks-dead-letter", AUDITS)

        await served.start()
        try:
            await dead.first.get_by_test_id("replay").click()
            await expect(page.get_by_test_id("facility-notice")).to_be_visible()
            await eventually(lambda: _accepted(receiver, 1), timeout=30, what="the replayed delivery")
            assert receiver.bad_signatures == 0
        finally:
            await served.stop()
        log = page.get_by_test_id("deliveries").get_by_test_id("delivery")

        async def delivered() -> bool:
            await page.reload()
            return await log.first.get_attribute("data-status") == "delivered"

        await eventually(delivered, timeout=30, what="the log to show it delivered")
        await expect(page.get_by_test_id("no-dead")).to_be_visible()
        await audit(page, "webhooks-delivered", AUDITS)

        await page.get_by_test_id("webhook").first.get_by_test_id("rotate").click()
        rotated = await page.get_by_test_id("secret").inner_text()
        assert rotated.startswith("whsec_") and rotated != secret
        await expect(page.get_by_test_id("overlap")).to_be_visible()
        await audit_as_shown(page, "webhooks-rotated", AUDITS)

        # Another facility's staff cannot touch this one's webhook or delivery: 404 pages.
        _, other_email, _ = await facility_with_staff(intake, "Other Clinic")
        other, other_page = await signed_in(browser, running, other_email, "en")
        try:
            hook_id = await page.get_by_test_id("webhook").first.get_attribute("data-id")
            delivery_id = await log.first.get_attribute("data-id")
            await other_page.goto("/portal/facility/webhooks")
            await expect(other_page.get_by_test_id("no-webhooks")).to_be_visible()
            await expect(other_page.get_by_test_id("no-deliveries")).to_be_visible()
            csrf = await other_page.locator("input[name=csrf]").first.get_attribute("value")
            for path in (
                f"webhooks/{hook_id}/disable",
                f"webhooks/{hook_id}/rotate",
                f"deliveries/{delivery_id}/replay",
            ):
                answer = await other_page.request.post(f"/portal/facility/{path}", form={"csrf": csrf or ""})
                assert answer.status == 404, path
        finally:
            await other.close()

        await page.goto("/portal/facility/webhooks")
        await page.get_by_test_id("webhook").first.get_by_test_id("disable").click()
        await expect(page.get_by_test_id("no-webhooks")).to_be_visible()
        await audit(page, "webhooks-disabled", AUDITS)
    finally:
        await context.close()


async def _accepted(receiver: Receiver, count: int) -> bool:
    return len(receiver.accepted) >= count
