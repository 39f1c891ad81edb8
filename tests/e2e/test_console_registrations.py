"""A supervisor suspends a registration from the console and lifts the suspension, on the real
services: the public register says so each time; suspending asks first (a stray Enter decides
nothing); a refusal of intake's (suspending one already suspended) is a page with its code; a
reviewer is refused the pages and is not shown their link. axe-core and screenshots at a phone's
and a desk's width (tests/artifacts/console/registration-*.png)."""

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import Pipeline
from tests.e2e.portal_support import PASSWORD, active_practitioner, audit, audit_as_shown
from tests.e2e.registry_support import registered
from tests.e2e.test_console import sign_in, staff_account
from tests.e2e.test_console_day import AUDITS, WIDTHS

pytestmark = pytest.mark.e2e

REASON = "Licence under investigation by the disciplinary committee"
LIFTED = "Investigation closed without findings"


async def public_status(http: httpx.AsyncClient, intake: str, number: str) -> str:
    answer = await http.get(f"{intake}/v1/register/{number}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


async def look_up(page: Page, number: str) -> None:
    await page.get_by_test_id("number").fill(number)
    await page.get_by_test_id("look-up-button").click()
    await expect(page.get_by_test_id("registration")).to_be_visible()


async def test_a_supervisor_suspends_a_registration_and_lifts_it_from_the_console(
    pipeline: Pipeline, http: httpx.AsyncClient, browser: Browser
) -> None:
    intake, review = pipeline.url("intake"), pipeline.url("review")
    person = await active_practitioner(pipeline, http)
    login = await http.post(f"{intake}/v1/auth/login", json={"email": person.email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    number = await registered(pipeline.stack.kafka_bootstrap, intake, http, auth)
    expires_on = (await http.get(f"{intake}/v1/me/registration", headers=auth)).json()["expires_on"]
    assert await public_status(http, intake, number) == "active"
    supervisor = await staff_account(pipeline, "supervisor", "Mona", locale="ar")

    context = await browser.new_context(viewport=WIDTHS["desk"], base_url=review)
    try:
        page = await context.new_page()
        await sign_in(page, supervisor, "ar")
        await page.get_by_test_id("nav-registrations").click()
        await look_up(page, f" {number.lower()} ")  # as typed: the console tidies it
        shown = page.get_by_test_id("registration")
        await expect(shown).to_have_attribute("data-status", "active")
        await expect(page.get_by_test_id("registration-practitioner")).to_contain_text(person.first_name)
        await expect(page.get_by_test_id("registration-expires")).to_have_text(expires_on)
        await expect(page.get_by_test_id("lift-form")).to_have_count(0)
        await audit(page, "registration-active", AUDITS, WIDTHS)

        # Another tab, in English, left at the confirmation while the first one suspends.
        stale = await context.new_page()
        await stale.goto(f"/console/registrations?number={number}&lang=en")
        await stale.get_by_test_id("suspend-reason").fill("Stale tab")
        await stale.get_by_test_id("suspend").click()
        await expect(stale.get_by_test_id("confirm-suspend")).to_be_visible()

        # A reason is required, and its error is beside its field (the browser's own check
        # taken away, as an old browser would not have it).
        await page.get_by_test_id("suspend-reason").evaluate(
            "e => { e.removeAttribute('required'); e.removeAttribute('minlength'); }"
        )
        await page.get_by_test_id("suspend-reason").fill("x")
        await page.get_by_test_id("suspend").click()
        await expect(page.get_by_test_id("reason-error")).to_be_visible()
        await expect(page.get_by_test_id("suspend-reason")).to_have_attribute("aria-invalid", "true")
        await audit_as_shown(page, "registration-reason-missing", AUDITS, WIDTHS)

        # Suspending asks first: Enter on the button opens the question, a second Enter decides nothing.
        await page.get_by_test_id("suspend-reason").fill(REASON)
        await page.get_by_test_id("suspend").focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("confirm-suspend")).to_be_visible()
        await expect(page.locator("#confirm-suspend-title")).to_be_focused()
        await expect(page.get_by_test_id("confirm-reason")).to_have_text(REASON)
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("confirm-suspend")).to_be_visible()
        assert await public_status(http, intake, number) == "active", "an Enter suspended without confirmation"
        await audit_as_shown(page, "registration-confirm", AUDITS, WIDTHS)
        await page.get_by_test_id("confirm-suspend-button").click()
        await expect(page.get_by_test_id("notice")).to_be_visible()
        await expect(shown).to_have_attribute("data-status", "suspended")
        await expect(page.get_by_test_id("suspension-reason")).to_have_text(REASON)
        assert await public_status(http, intake, number) == "suspended"
        await audit(page, "registration-suspended", AUDITS, WIDTHS)

        # The stale tab's confirmation now meets intake's refusal: a page with its code, in English.
        async with stale.expect_response(lambda r: r.request.method == "POST") as answered:
            await stale.get_by_test_id("confirm-suspend-button").click()
        assert (await answered.value).status == 409
        refusal = stale.get_by_test_id("registration-refusal")
        await expect(refusal).to_have_attribute("data-code", "registration.already_suspended")
        await expect(refusal).to_contain_text("registration.already_suspended")
        await expect(refusal).to_contain_text("already suspended")
        assert await stale.get_attribute("html", "lang") == "en"
        await expect(stale.get_by_test_id("lift-form")).to_be_visible()  # what is true now
        await audit_as_shown(stale, "registration-refused", AUDITS, WIDTHS)

        # Lifting it, with a reason: back to the status it had.
        await page.get_by_test_id("lift-reason").fill(LIFTED)
        await page.get_by_test_id("lift").click()
        await expect(page.get_by_test_id("notice")).to_be_visible()
        await expect(shown).to_have_attribute("data-status", "active")
        await expect(page.get_by_test_id("suspend-form")).to_be_visible()
        assert await public_status(http, intake, number) == "active"
    finally:
        await context.close()


async def test_a_reviewer_is_refused_the_registration_pages_and_not_shown_their_link(
    pipeline: Pipeline, browser: Browser
) -> None:
    reviewer = await staff_account(pipeline, "reviewer", "Khalid", locale="en")
    context = await browser.new_context(viewport=WIDTHS["phone"], base_url=pipeline.url("review"))
    try:
        page = await context.new_page()
        await sign_in(page, reviewer, "en")
        await expect(page.get_by_test_id("nav-registrations")).to_have_count(0)
        answer = await page.goto("/console/registrations?number=RG-00000018")
        assert answer is not None and answer.status == 403
        await expect(page.get_by_test_id("refusal")).to_have_attribute("data-code", "auth.forbidden")
        await expect(page.get_by_test_id("registration")).to_have_count(0)
        await audit_as_shown(page, "registration-forbidden", AUDITS, WIDTHS)
    finally:
        await context.close()
