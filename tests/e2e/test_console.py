"""The reviewer console in a real browser (headless Chromium driven by Playwright) against the four
real services, the broker and the database: a certificate uploaded through intake is claimed and
decided in the console, and the practitioner's status and inbox show the outcome.

Every test makes its own reviewer accounts and practitioners and addresses its items by id, so the
tests share the queue with the rest of the suite without depending on its order or contents.
"""

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from mumaris.auth import Principal, issue_token
from mumaris.errors import MESSAGES
from mumaris.tools.demo import certificate_scan
from schemas.topics import REVIEW_DECIDED
from services.intake.accounts.rules import make_valid_id
from services.intake.accounts.service import create_staff_account
from services.review.console.session import ACCESS_COOKIE, REFRESH_COOKIE
from tests.documents import scanned_pdf_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.test_accounts import PASSWORD as PRACTITIONER_PASSWORD
from tests.e2e.test_accounts import bearer, signed_in_practitioner
from tests.e2e.test_pipeline import METADATA, reach, upload
from tests.support import eventually, read_all, unique, wait_consumed

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOT = ARTIFACTS / "console-item-view.png"
VIEWPORT = {"width": 1280, "height": 800}
STAFF_PASSWORD = "Review#2026-desk"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

OpenPage = Callable[[], Awaitable[Page]]


@dataclass(frozen=True)
class Staff:
    account_id: str
    email: str
    first_name: str
    role: str
    locale: str


async def staff_account(
    pipeline: Pipeline, role: str = "reviewer", first_name: str = "Khalid", locale: str = "ar"
) -> Staff:
    """A staff account as operations create it (`mumaris users create`), unique to the test."""
    tag = uuid.uuid4().hex[:10]
    email = f"{role}.{tag}@scfhs.gov.sa"
    account_id = await create_staff_account(
        pipeline.settings,
        role=role,
        email=email,
        first_name=first_name,
        last_name="Al-Dosari",
        id_number=make_valid_id("1", f"{int(tag, 16) % 10**8:08d}"),
        password=STAFF_PASSWORD,
        locale=locale,  # type: ignore[arg-type]
    )
    return Staff(account_id, email, first_name, role, locale)


async def queued_submission(
    pipeline: Pipeline,
    http: httpx.AsyncClient,
    *,
    scan: bytes | None = None,
    filename: str = "scan.jpg",
    metadata: dict[str, Any] | None = None,
) -> tuple[Principal, dict[str, str], str]:
    """A practitioner's upload through intake, waited for until it is in the review queue. The
    default scan carries the practitioner's name, the issuer and the date for the validator's OCR."""
    who, auth = pipeline.practitioner(locale="en")
    metadata = metadata or METADATA
    scan = scan or certificate_scan(who.name, metadata["institution"], date.fromisoformat(metadata["obtained_on"]))
    answer = await upload(http, pipeline, auth, scan, filename=filename, metadata=metadata)
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    await reach(http, pipeline, auth, submission_id, "in_review")
    return who, auth, submission_id


@pytest.fixture
async def open_page(browser: Browser, pipeline: Pipeline) -> AsyncIterator[OpenPage]:
    """A new browser page at 1280×800 in its own context (its own cookies: one signed-in person)."""
    contexts = []

    async def open_() -> Page:
        context = await browser.new_context(viewport=VIEWPORT, base_url=pipeline.url("review"))
        contexts.append(context)
        return await context.new_page()

    yield open_
    for context in contexts:
        await context.close()


async def sign_in(page: Page, staff: Staff, lang: str | None = None) -> None:
    await page.goto("/console/login" + (f"?lang={lang}" if lang else ""))
    await page.fill("input[name=email]", staff.email)
    await page.fill("input[name=password]", STAFF_PASSWORD)
    await page.click("[data-testid=sign-in-form] button[type=submit]")
    await page.wait_for_url("**/console/")


async def claim_on_item_page(page: Page, review_id: str) -> None:
    await page.goto(f"/console/items/{review_id}")
    await page.get_by_test_id("claim-box").get_by_test_id("claim").click()
    await expect(page.get_by_test_id("notice")).to_be_visible()


async def expect_image_loaded(page: Page, test_id: str) -> None:
    image = page.get_by_test_id(test_id).first
    await expect(image).to_be_visible()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=await image.element_handle())


async def direction(page: Page) -> tuple[str | None, str | None]:
    return await page.get_attribute("html", "lang"), await page.get_attribute("html", "dir")


async def assert_no_horizontal_scroll(page: Page) -> None:
    scroll, client = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{page.url}: the page is {scroll} px wide in a {client} px window"


async def inbox_titles(pipeline: Pipeline, http: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    inbox = (await http.get(f"{pipeline.url('notifier')}/v1/inbox", headers=auth)).json()
    return [item["title"] for item in inbox["items"]]


async def wait_for_approval_message(pipeline: Pipeline, http: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    async def approved() -> list[str] | None:
        titles = await inbox_titles(pipeline, http, auth)
        return titles if any("approved" in title.lower() for title in titles) else None

    return await eventually(approved, what="the approval in the practitioner's inbox")


# --- the journeys ------------------------------------------------------------------------------------


async def test_a_certificate_uploaded_through_intake_is_approved_in_the_browser_and_the_practitioner_hears_of_it(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline)
    _, auth, submission_id = await queued_submission(pipeline, http)

    page = await open_page()
    await sign_in(page, reviewer)  # the account's language: Arabic
    assert await direction(page) == ("ar", "rtl")
    await page.goto(f"/console/items/{submission_id}")
    await expect(page.get_by_test_id("claim-to-view")).to_be_visible()  # not before the claim
    await expect(page.get_by_test_id("document-image")).to_have_count(0)

    await claim_on_item_page(page, submission_id)
    await expect_image_loaded(page, "document-image")
    findings = page.get_by_test_id("findings")
    for rule in ("content.name", "content.issuer", "content.date", "image.sharpness", "duplicate"):
        await expect(findings.locator(f"tr[data-rule='{rule}']")).to_be_visible()
    await expect(findings.locator("tr[data-rule='content.name'] .outcome-pass")).to_be_visible()
    await expect(findings.locator("tr[data-rule='image.sharpness'] td.score")).to_have_text(re.compile(r"^\s*\d"))
    await expect(page.get_by_test_id("metadata")).to_contain_text(METADATA["institution"])
    await assert_no_horizontal_scroll(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)

    await page.get_by_test_id("switch-language").click()
    await expect(page.get_by_test_id("document-image")).to_be_visible()
    assert await direction(page) == ("en", "ltr")
    await assert_no_horizontal_scroll(page)
    await page.screenshot(path=str(ARTIFACTS / "console-item-view-en.png"), full_page=True)

    await page.get_by_test_id("approve").click()
    await page.get_by_test_id("confirm-approve-button").click()
    await expect(page.get_by_test_id("decision")).to_contain_text("approve")
    await expect(page.get_by_test_id("claim-box").get_by_test_id("state")).to_have_count(0)

    final = await reach(http, pipeline, auth, submission_id, "approved")
    assert [step["status"] for step in final["timeline"]][-1] == "approved"
    await wait_for_approval_message(pipeline, http, auth)

    await page.get_by_test_id("history-link").click()
    actions = await page.locator("[data-testid=audit] tr[data-action]").evaluate_all(
        "rows => rows.map(row => row.dataset.action)"
    )
    assert actions[0] == "claimed" and actions[-1] == "decided" and "document_viewed" in actions

    assert SCREENSHOT.stat().st_size > 10_000
    assert SCREENSHOT.read_bytes()[:8] == PNG_SIGNATURE


async def test_changes_requested_in_the_browser_come_back_as_a_resubmission_to_the_same_reviewer_who_approves_it(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline, locale="en")
    who, auth, first_id = await queued_submission(pipeline, http)

    page = await open_page()
    await sign_in(page, reviewer)
    await claim_on_item_page(page, first_id)
    await page.get_by_test_id("changes-open").click()
    await page.get_by_test_id("changes-message").fill("Please send a scan that shows the issuer's stamp.")
    await page.get_by_test_id("request-changes").click()
    await expect(page.get_by_test_id("decision")).to_contain_text("request changes")
    await reach(http, pipeline, auth, first_id, "changes_requested")

    # The validator hears of the decision on its own; until then the old version still counts as
    # "under review" and the corrected one would be refused as its duplicate.
    bootstrap = pipeline.stack.kafka_bootstrap
    [decided] = [r for r in await read_all(bootstrap, REVIEW_DECIDED.name) if r.key == first_id.encode()]
    await wait_consumed(bootstrap, "validator", REVIEW_DECIDED.name, decided.partition, decided.offset)

    rescan = certificate_scan(
        who.name, METADATA["institution"], date.fromisoformat(METADATA["obtained_on"]), width=1300, height=1800
    )
    answer = await http.post(
        f"{pipeline.url('intake')}/v1/certificates/{first_id}/resubmissions",
        headers=auth,
        files={"file": ("scan.jpg", rescan, "image/jpeg")},
    )
    assert answer.status_code == 202, answer.text
    second_id = answer.json()["submission_id"]
    await reach(http, pipeline, auth, second_id, "in_review")

    await page.goto("/console/")
    row = page.locator(f"[data-testid=waiting] tr[data-review-id='{second_id}']")
    await expect(row.get_by_test_id("badge-resubmission")).to_be_visible()
    await expect(row.get_by_test_id("badge-reserved")).to_be_visible()
    await row.locator("a").first.click()
    await expect(page.get_by_test_id("previous-version")).to_have_attribute("href", f"/console/items/{first_id}")
    await expect(page.get_by_test_id("reserved-for-you")).to_be_visible()
    await expect(page.get_by_test_id("previous-message")).to_contain_text("issuer's stamp")

    await claim_on_item_page(page, second_id)
    await expect_image_loaded(page, "document-image")
    await page.get_by_test_id("approve").click()
    await page.get_by_test_id("confirm-approve-button").click()
    await expect(page.get_by_test_id("decision")).to_contain_text("approve")

    await reach(http, pipeline, auth, second_id, "approved")
    await wait_for_approval_message(pipeline, http, auth)


async def test_a_pdf_is_shown_as_rendered_pages_with_the_original_a_click_away(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline)
    _, _, submission_id = await queued_submission(pipeline, http, scan=scanned_pdf_bytes(), filename="scan.pdf")

    page = await open_page()
    await sign_in(page, reviewer, lang="en")
    await claim_on_item_page(page, submission_id)
    await expect_image_loaded(page, "document-page")
    await expect(page.get_by_test_id("document-page")).to_have_count(1)
    await expect(page.get_by_test_id("open-pdf")).to_have_attribute("href", f"/console/items/{submission_id}/document")

    original = await page.request.get(f"/console/items/{submission_id}/document")
    assert original.status == 200 and original.headers["content-type"] == "application/pdf"
    assert original.headers["content-disposition"] == f'inline; filename="{submission_id}.pdf"'
    # A decision the desk refuses is explained on the page, in the reviewer's language.
    await page.get_by_test_id("reject-open").click()
    await page.get_by_test_id("reject").click()
    await expect(page.get_by_test_id("refusal")).to_have_attribute("data-code", "review.reason_codes_required")
    await expect(page.get_by_test_id("refusal")).to_have_text(MESSAGES["review.reason_codes_required"][1])
    await expect(page.get_by_test_id("reject-form")).to_be_visible()  # still open, to try again

    missing = await page.goto(f"/console/items/{submission_id}/pages/2.png")
    assert missing is not None and missing.status == 404
    await expect(page.get_by_test_id("refusal")).to_have_attribute("data-code", "review.page_not_found")


async def test_a_change_of_personal_data_shows_old_and_new_values_and_takes_effect_when_approved(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    intake = pipeline.url("intake")
    body, tokens = await signed_in_practitioner(pipeline, http)
    auth = bearer(tokens)
    asked = await http.patch(f"{intake}/v1/me", headers=auth, json={"last_name": "Al-Shahri"})
    assert asked.status_code == 202, asked.text
    change_id = asked.json()["change_id"]

    async def queued() -> bool:
        item = await http.get(f"{pipeline.url('review')}/v1/review/{change_id}", headers=pipeline.reviewer())
        return item.status_code == 200

    await eventually(queued, what="the change in the review queue")
    reviewer = await staff_account(pipeline, locale="en")
    page = await open_page()
    await sign_in(page, reviewer)
    await claim_on_item_page(page, change_id)
    changes = page.get_by_test_id("changes")
    await expect(changes).to_contain_text(body["last_name"])
    await expect(changes).to_contain_text("Al-Shahri")
    await expect(page.get_by_test_id("document-pane")).to_contain_text("no document")
    await assert_no_horizontal_scroll(page)
    await page.get_by_test_id("approve").click()
    await page.get_by_test_id("confirm-approve-button").click()
    await expect(page.get_by_test_id("decision")).to_contain_text("approve")

    async def applied() -> bool:
        return (await http.get(f"{intake}/v1/me", headers=auth)).json()["last_name"] == "Al-Shahri"

    await eventually(applied, what="the approved change to take effect")


# --- language and layout ------------------------------------------------------------------------------


async def test_the_queue_speaks_arabic_right_to_left_and_english_left_to_right_and_fits_1280_pixels(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline)
    _, _, submission_id = await queued_submission(pipeline, http)

    page = await open_page()
    await sign_in(page, reviewer)
    assert await direction(page) == ("ar", "rtl")
    await expect(page.get_by_role("button", name="استلام الطلب التالي")).to_be_visible()
    await claim_on_item_page(page, submission_id)  # so the queue has a held row as well as waiting ones
    await page.goto("/console/")
    await expect(page.locator(f"[data-testid=held] tr[data-review-id='{submission_id}']")).to_be_visible()
    await assert_no_horizontal_scroll(page)

    await page.goto("/console/?lang=en")
    assert await direction(page) == ("en", "ltr")
    await expect(page.get_by_role("button", name="Claim next")).to_be_visible()
    await assert_no_horizontal_scroll(page)
    await page.goto("/console/")  # the choice is remembered
    assert await direction(page) == ("en", "ltr")


# --- who may do what --------------------------------------------------------------------------------


async def test_a_practitioners_credentials_and_a_wrong_password_are_refused_at_sign_in(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    practitioner, _ = await signed_in_practitioner(pipeline, http)
    page = await open_page()
    await page.goto("/console/login?lang=en")
    await page.fill("input[name=email]", practitioner["email"])
    await page.fill("input[name=password]", PRACTITIONER_PASSWORD)
    await page.click("[data-testid=sign-in-form] button[type=submit]")
    refusal = page.get_by_test_id("refusal")
    await expect(refusal).to_have_attribute("data-code", "console.staff_only")
    await expect(refusal).to_have_text(MESSAGES["console.staff_only"][1])
    assert not {ACCESS_COOKIE, REFRESH_COOKIE} & {c["name"] for c in await page.context.cookies()}
    await page.goto("/console/")
    assert "/console/login" in page.url

    reviewer = await staff_account(pipeline)
    await page.goto("/console/login?lang=ar")
    await page.fill("input[name=email]", reviewer.email)
    await page.fill("input[name=password]", "Not#the-password-1")
    await page.click("[data-testid=sign-in-form] button[type=submit]")
    await expect(refusal).to_have_attribute("data-code", "account.login_failed")
    await expect(refusal).to_have_text(MESSAGES["account.login_failed"][0])


async def test_the_document_is_never_sent_without_a_session_or_to_a_reviewer_not_holding_the_claim(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    holder = await staff_account(pipeline)
    other = await staff_account(pipeline, first_name="Faisal")
    _, _, submission_id = await queued_submission(pipeline, http)
    document_url = f"{pipeline.url('review')}/console/items/{submission_id}/document"

    anonymous = await http.get(document_url, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
    assert not anonymous.content.startswith(b"\xff\xd8")

    holder_page = await open_page()
    await sign_in(holder_page, holder)
    await claim_on_item_page(holder_page, submission_id)
    await expect_image_loaded(holder_page, "document-image")

    other_page = await open_page()
    await sign_in(other_page, other, lang="en")
    await other_page.goto(f"/console/items/{submission_id}")
    await expect(other_page.get_by_test_id("claim-to-view")).to_be_visible()
    await expect(other_page.get_by_test_id("document-image")).to_have_count(0)
    await expect(other_page.get_by_test_id("claim-box")).to_contain_text("Khalid Al-Dosari")
    refused = await other_page.goto(document_url)
    assert refused is not None and refused.status == 403
    assert refused.headers["content-type"].startswith("text/html")
    assert not (await refused.body()).startswith(b"\xff\xd8")
    await expect(other_page.get_by_test_id("refusal")).to_have_attribute("data-code", "review.claim_required_to_view")


async def test_a_form_posted_without_its_csrf_token_changes_nothing(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline, locale="en")
    await queued_submission(pipeline, http)  # something to claim, so a wrongly accepted claim would show

    page = await open_page()
    await sign_in(page, reviewer)
    claim_next = page.get_by_test_id("claim-next")
    await claim_next.evaluate("button => button.form.querySelector('input[name=csrf]').remove()")
    await claim_next.click()
    await expect(page.get_by_test_id("refusal")).to_have_attribute("data-code", "console.form_expired")

    await page.goto("/console/")
    await page.get_by_test_id("claim-next").evaluate(
        "button => { button.form.querySelector('input[name=csrf]').value = 'f'.repeat(64); }"
    )
    await page.get_by_test_id("claim-next").click()
    await expect(page.get_by_test_id("refusal")).to_have_attribute("data-code", "console.form_expired")

    await page.goto("/console/")
    await expect(page.get_by_text("You hold no items right now.")).to_be_visible()


async def test_an_expired_access_token_is_renewed_through_intake_without_asking_again(
    pipeline: Pipeline, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline, locale="en")
    page = await open_page()
    await sign_in(page, reviewer)
    before = {c["name"]: c["value"] for c in await page.context.cookies()}

    who = Principal(
        id=reviewer.account_id,
        role="reviewer",
        name=f"{reviewer.first_name} Al-Dosari",
        email=reviewer.email,
        locale="en",
    )
    expired = issue_token(who, pipeline.settings, ttl_s=-60)
    await page.context.add_cookies(
        [
            {
                "name": ACCESS_COOKIE,
                "value": expired,
                "domain": "127.0.0.1",
                "path": "/console",
                "httpOnly": True,
                "sameSite": "Strict",
            }
        ]
    )
    await page.goto("/console/")
    assert page.url.endswith("/console/")
    await expect(page.get_by_test_id("claim-next")).to_be_visible()
    after = {c["name"]: c["value"] for c in await page.context.cookies()}
    assert after[ACCESS_COOKIE] != expired
    assert after[REFRESH_COOKIE] != before[REFRESH_COOKIE]  # rotated by intake

    await page.get_by_test_id("sign-out").click()
    await page.wait_for_url("**/console/login?done=signed_out")
    await page.goto("/console/")
    assert "/console/login" in page.url


async def test_supervisors_see_the_queue_figures_filter_it_and_see_documents_without_a_claim(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    supervisor = await staff_account(pipeline, role="supervisor", first_name="Huda", locale="en")
    reviewer = await staff_account(pipeline, locale="en")
    specialty = unique("Specialty")  # a filter only this test's item matches
    _, _, submission_id = await queued_submission(pipeline, http, metadata={**METADATA, "specialty": specialty})

    reviewer_page = await open_page()
    await sign_in(reviewer_page, reviewer)
    refused = await reviewer_page.goto("/console/supervise")
    assert refused is not None and refused.status == 403

    page = await open_page()
    await sign_in(page, supervisor)
    await page.goto("/console/supervise")
    await expect(page.get_by_test_id("stats")).to_be_visible()
    waiting = int(await page.locator("[data-testid=stats] strong[data-state=waiting]").inner_text())
    assert waiting >= 1
    await page.fill("input[name=specialty]", specialty)
    await page.select_option("select[name=state]", "waiting")
    await page.get_by_role("button", name="Apply").click()
    rows = page.locator("[data-testid=search-results] tr[data-review-id]")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-review-id", submission_id)
    await assert_no_horizontal_scroll(page)

    await rows.first.locator("a").first.click()
    await expect_image_loaded(page, "document-image")  # a supervisor needs no claim to look
    assert page.url.endswith(f"/console/items/{submission_id}")


async def test_a_console_session_ended_elsewhere_is_over_in_the_console_too(
    pipeline: Pipeline, http: httpx.AsyncClient, open_page: OpenPage
) -> None:
    reviewer = await staff_account(pipeline, locale="en")
    page = await open_page()
    await sign_in(page, reviewer)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    # The session ends outside the console (here: its refresh token is used to log out, as a thief
    # replaying it would end it too): the access cookie, valid for minutes more, no longer opens anything.
    ended = await http.post(f"{pipeline.url('intake')}/v1/auth/logout", json={"refresh_token": cookies[REFRESH_COOKIE]})
    assert ended.status_code == 204

    async def sent_to_sign_in() -> str | None:
        await page.goto("/console/")
        return page.url if "/console/login" in page.url else None

    url = await eventually(sent_to_sign_in, timeout=5, what="the console to drop the ended session")
    assert "done=session_ended" in url
    assert not {ACCESS_COOKIE, REFRESH_COOKIE} & {c["name"] for c in await page.context.cookies()}
