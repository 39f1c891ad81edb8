"""The public register's pages and a registration card's verification page in headless Chromium,
in Arabic and English at a phone's and a laptop's size, each audited with axe-core (as the portal's
own tests do, tests/e2e/portal_support.py): a search by name and profession, a registration's page,
the practitioner's card (signed in through the portal), the page its QR code opens — valid, then
"signed but not valid now" once a supervisor suspends the registration — and a garbled card.

Intake runs as a real process (`mumaris run`) on a stack of its own; review's classification.changed,
which issues the registration, is put on its topic as a real CloudEvents record.
"""

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.clock import now
from mumaris.settings import Settings
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from schemas import topics
from schemas.classifications import CLASSIFICATIONS
from schemas.events import ClassificationChanged, PractitionerRef
from schemas.topics import all_topic_names
from services.intake.accounts.rules import Passwords, make_valid_id
from tests.e2e.portal_support import PASSWORD, SIZES, audit, audit_as_shown
from tests.fee_support import publish
from tests.support import eventually, settings_for, unique

pytestmark = pytest.mark.e2e


@dataclass
class Register:
    stack: StackInfo
    settings: Settings
    url: str
    db: Any
    http: httpx.AsyncClient


@pytest.fixture(scope="module")
def register_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    stack = LocalStack(tmp_path_factory.mktemp("register-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack.info
    finally:
        stack.stop()


@pytest.fixture(scope="module")
async def register(register_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Register]:
    database, port = unique("register"), free_port()
    url = f"http://127.0.0.1:{port}"
    group = ServiceGroup(
        env={
            **register_stack.env(),
            "MUMARIS_MONGO_DB": database,
            "MUMARIS_PUBLIC_BASE_URL": url,  # the QR code opens this very server
            "MUMARIS_OUTBOX_POLL_S": "0.1",
            "MUMARIS_REGISTER_BURST": "500",  # the audits open each page eight times
        },
        log_dir=tmp_path_factory.mktemp("register-logs"),
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(register_stack.mongo_uri, tz_aware=True)
    try:
        group.start("intake", port)
        group.wait_healthy()
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield Register(register_stack, settings_for(register_stack, mongo_db=database), url, client[database], http)
    finally:
        group.stop_all()
        await client.close()


async def registered_practitioner(register: Register, surname_latin: str) -> tuple[str, dict[str, str], str]:
    """A practitioner who can sign in, with names in both scripts; her registration number."""
    account_id, email = unique("acct"), f"{unique('huda')}@example.sa"
    await register.db["intake.accounts"].insert_one(
        {
            "_id": account_id,
            "first_name": "هدى",
            "last_name": "العتيبي",
            "first_name_latin": "Huda",
            "last_name_latin": surname_latin,
            "id_kind": "national_id",
            "id_number": make_valid_id("1", f"{uuid.uuid4().int % 10**8:08d}"),
            "email": email,
            "mobile": "+966551234567",
            "locale": "ar",
            "password_hash": Passwords().hash(PASSWORD),
            "role": "practitioner",
            "status": "active",
            "classification": None,
            "created_at": now(),
        }
    )
    who = Principal(
        id=account_id, role="practitioner", name="هدى العتيبي", email=email, locale="ar", email_verified=True
    )
    ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale="ar")
    changed = ClassificationChanged(
        request_id=unique("req"),
        practitioner=ref,
        previous=None,
        classification=CLASSIFICATIONS["nursing.specialist"].ref(),
        changed_at=now(),
    )
    await publish(register.stack.kafka_bootstrap, topics.CLASSIFICATION_CHANGED, changed, source="/mumaris/review")
    auth = {"Authorization": f"Bearer {issue_token(who, register.settings)}"}

    async def issued() -> str | None:
        answer = await register.http.get("/v1/me/registration", headers=auth)
        return answer.json()["registration_number"] if answer.status_code == 200 else None

    return email, auth, await eventually(issued, timeout=60, what="the registration")


async def test_the_register_search_entry_card_and_verification_pages_in_both_languages(
    register: Register, browser: Browser
) -> None:
    surname = "Al-" + "".join(chr(97 + int(c, 16) % 26) for c in uuid.uuid4().hex[:7]).capitalize()
    email, _, number = await registered_practitioner(register, surname)
    context = await browser.new_context(viewport=SIZES["phone"], base_url=register.url)
    try:
        page = await context.new_page()
        await page.goto("/portal/register?lang=ar")
        await audit(page, "register")

        await page.fill("#f-name", surname.lower())
        await page.select_option("#f-profession", "nursing")
        await page.get_by_test_id("search-form").locator("button[type=submit]").click()
        results = page.get_by_test_id("results").locator("li")
        await expect(results).to_have_count(1)
        await expect(results.first).to_have_attribute("data-number", number)
        await audit(page, "register-results")

        await page.fill("#f-name", "ab")  # too short: refused beside the field, nothing searched
        await page.get_by_test_id("search-form").locator("button[type=submit]").click()
        await expect(page.get_by_test_id("search-error")).to_have_attribute("data-code", "register.query_too_short")
        await audit_as_shown(page, "register-refused")

        await page.fill("#f-number", number)
        await page.get_by_test_id("lookup-form").locator("button[type=submit]").click()
        await expect(page.get_by_test_id("entry-status")).to_have_attribute("data-status", "active")
        await expect(page.get_by_test_id("entry-name-latin")).to_have_text(f"Huda {surname}")
        await expect(page.get_by_test_id("entry-name-ar")).to_have_text("هدى العتيبي")
        await audit(page, "register-entry")

        # her card, signed in through the portal as she would
        await page.goto("/portal/sign-in?lang=en")
        await page.fill("#f-email", email)
        await page.fill("#f-password", PASSWORD)
        await page.get_by_test_id("sign-in-form").locator("button[type=submit]").click()
        await page.wait_for_url("**/portal/profile")
        await page.goto("/portal/registration/card")
        await expect(page.get_by_test_id("card-qr").locator("svg")).to_be_visible()
        await audit(page, "register-card")
        pdf = await page.request.get("/portal/registration/card.pdf")
        assert pdf.status == 200 and (await pdf.body()).startswith(b"%PDF")

        verify_url = await page.get_by_test_id("card-verify-link").get_attribute("href")
        assert verify_url and verify_url.startswith(f"{register.url}/portal/register/verify?card=")
        # offline, against the key set fetched from the published URL
        offline = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "mumaris.tools.cli",
                "verify",
                verify_url,
                "--keys",
                f"{register.url}/.well-known/jwks.json",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert offline.returncode == 0 and offline.stdout.startswith("card.signed_offline: "), (
            offline.stdout + offline.stderr
        )
        assert number in offline.stdout and f"Huda {surname}" in offline.stdout
        public = await browser.new_context(viewport=SIZES["phone"], base_url=register.url)  # anyone, not signed in
        try:
            scanner = await public.new_page()
            await scanner.goto(verify_url)
            await expect(scanner.get_by_test_id("verdict")).to_have_attribute("data-verdict", "card.valid")
            await audit(scanner, "register-verify-valid")

            supervisor = Principal(id=unique("sup"), role="supervisor", name="Staff", email="staff@scfhs.local")
            suspended = await register.http.post(
                f"/v1/registrations/{number}/suspension",
                headers={"Authorization": f"Bearer {issue_token(supervisor, register.settings)}"},
                json={"reason": "professional conduct inquiry"},
            )
            assert suspended.status_code == 200, suspended.text
            await scanner.goto(verify_url)
            verdict = scanner.get_by_test_id("verdict")
            await expect(verdict).to_have_attribute("data-verdict", "card.not_valid_now")
            await expect(verdict).to_have_attribute("data-reason", "card.reason.suspended")
            await expect(scanner.get_by_test_id("entry-status")).to_have_attribute("data-status", "suspended")
            await audit(scanner, "register-verify-not-valid-now")

            await scanner.goto("/portal/register/verify?lang=en&card=" + verify_url[-40:])  # half a QR code
            await expect(scanner.get_by_test_id("verdict")).to_have_attribute("data-verdict", "card.malformed")
            await audit(scanner, "register-verify-malformed")
        finally:
            await public.close()
    finally:
        await context.close()
