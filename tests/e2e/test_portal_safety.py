"""What the practitioner portal withstands, in a real browser on the real services: forms without
JavaScript, forged forms (CSRF), another practitioner's pages (404), refusals that stay pages in the
page's language (never JSON, never a 500), the cookies and headers every page carries, a sign-in
lockout with its time to wait, and the language switch that keeps the page."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import expect
from pymongo import AsyncMongoClient

from mumaris.tools.demo import certificate_scan
from services.intake.portal.session import ACCESS_COOKIE, CSRF_SEED_COOKIE, REFRESH_COOKIE
from tests.e2e.conftest import Pipeline
from tests.e2e.portal_support import (
    SIZES,
    OpenContext,
    active_practitioner,
    audit,
    audit_as_shown,
    fill_certificate,
    sign_in,
)
from tests.e2e.test_pipeline import METADATA, upload
from tests.e2e.test_portal import DETAILS, ISSUED

pytestmark = pytest.mark.e2e


async def test_without_javascript_a_certificate_is_added_and_a_refusal_is_a_page_with_the_form_kept(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext, tmp_path: Path
) -> None:
    person = await active_practitioner(pipeline, http, lang="en")
    without_js = await (await portal_browser(java_script_enabled=False)).new_page()
    with_js = await (await portal_browser()).new_page()
    for page in (without_js, with_js):
        await sign_in(page, person)

    # Nothing attached and a date in the future: the server's answer names both beside their fields,
    # as a page of its own without JavaScript, in place of the form with it (then audited).
    for page, lang in ((without_js, "en"), (with_js, "en"), (with_js, "ar")):
        await page.goto(f"/portal/certificates/new?lang={lang}")
        await fill_certificate(page, {**DETAILS, "obtained_on": "2099-01-01"}, None)
        await page.get_by_test_id("save").click()
        await expect(page.get_by_test_id("error-file")).to_have_attribute("data-code", "file.missing")
        await expect(page.get_by_test_id("error-obtained_on")).to_have_attribute("data-code", "metadata.date_in_future")
        await expect(page.locator("#f-name")).to_have_value(DETAILS["name"])
        if page is with_js:  # axe runs in the page: not where JavaScript is off
            await audit_as_shown(page, "certificate-form-refused")

    scan = tmp_path / "scan.jpg"
    scan.write_bytes(certificate_scan(person.name, DETAILS["institution"], ISSUED))
    await without_js.goto("/portal/certificates/new")
    await fill_certificate(without_js, DETAILS, scan)
    await without_js.get_by_test_id("save").click()
    await without_js.wait_for_url("**/portal/certificates/*?done=submitted")
    await expect(without_js.get_by_test_id("notice")).to_be_visible()


async def test_forms_without_our_token_another_practitioners_pages_and_unknown_ones_are_pages_not_json(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext
) -> None:
    someone_else, auth = pipeline.practitioner()
    answer = await upload(http, pipeline, auth, certificate_scan(someone_else.name, METADATA["institution"]))
    theirs = answer.json()["submission_id"]

    person = await active_practitioner(pipeline, http, lang="ar")
    context = await portal_browser()
    page = await context.new_page()
    await sign_in(page, person)

    for path in (f"/portal/certificates/{theirs}", f"/portal/certificates/{theirs}/resubmit", "/portal/no-such-page"):
        answer = await page.goto(path)
        assert answer is not None and answer.status == 404
        assert answer.headers["content-type"].startswith("text/html")
        await expect(page.get_by_test_id("not-found")).to_be_visible()
    await page.goto(f"/portal/e-services/classification/{theirs}")
    await expect(page.get_by_test_id("not-found")).to_be_visible()
    await audit(page, "not-found")

    # A form posted without our token (another site's, or an old page's): refused, as a page.
    for lang in ("ar", "en"):
        await page.goto(f"/portal/profile?lang={lang}")
        refused = await page.request.post(
            "/portal/profile", form={"first_name": "Forged", "csrf": "not-ours"}, max_redirects=0
        )
        assert refused.status == 403 and refused.headers["content-type"].startswith("text/html")
        html = await refused.text()
        assert 'data-code="form.expired"' in html and f'lang="{lang}"' in html
        await page.set_content(html)  # to look at it as it was answered
        await audit_as_shown(page, "form-expired")
    await page.goto("/portal/profile")
    await expect(page.get_by_test_id("personal-data")).not_to_contain_text("Forged")

    # Not a form at all: still a page.
    answer = await page.request.post("/portal/certificates", data=json.dumps({"x": 1}), max_redirects=0)
    assert answer.headers["content-type"].startswith("text/html") and answer.status < 500


async def test_cookies_are_http_only_same_site_and_pages_carry_a_policy_without_inline_script(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext
) -> None:
    person = await active_practitioner(pipeline, http)
    context = await portal_browser()
    page = await context.new_page()
    refused_scripts: list[str] = []
    page.on(
        "console", lambda message: refused_scripts.append(message.text) if "Content Security" in message.text else None
    )
    await sign_in(page, person)
    answer = await page.goto("/portal/profile")
    assert answer is not None
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"].startswith("private")
    cookies = {c["name"]: c for c in await context.cookies()}
    for name in (ACCESS_COOKIE, REFRESH_COOKIE, CSRF_SEED_COOKIE):
        assert cookies[name]["httpOnly"] and cookies[name]["sameSite"] == "Lax" and cookies[name]["path"] == "/portal"
    html = await page.content()
    assert "<script>" not in html and " on" + "click=" not in html and "style=" not in html
    assert cookies[ACCESS_COOKIE]["value"] not in page.url and not refused_scripts


async def test_a_locked_sign_in_says_how_long_to_wait_and_the_language_switch_keeps_the_page(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext
) -> None:
    person = await active_practitioner(pipeline, http, lang="en")
    page = await (await portal_browser()).new_page()
    await page.goto("/portal/sign-in?lang=en")
    codes = []
    while "account.login_locked" not in codes:  # the same answer for each failure, then the lock
        assert len(codes) <= pipeline.settings.login_max_failures, codes
        await page.fill("#f-email", person.email)
        await page.fill("#f-password", "Wrong#password-1")
        await page.get_by_test_id("sign-in-form").locator("button[type=submit]").click()
        codes.append(await page.get_by_test_id("refusal").get_attribute("data-code") or "")
    assert set(codes[:-1]) == {"account.login_failed"}
    await expect(page.get_by_test_id("locked-left")).to_contain_text("min")
    await expect(page.locator("#f-email")).to_have_value(person.email)
    await audit_as_shown(page, "sign-in-locked")
    await page.goto("/portal/sign-in?lang=ar")  # still locked, told in Arabic
    await page.fill("#f-email", person.email)
    await page.fill("#f-password", "Wrong#password-1")
    await page.get_by_test_id("sign-in-form").locator("button[type=submit]").click()
    await expect(page.get_by_test_id("refusal")).to_have_attribute("data-code", "account.login_locked")
    await expect(page.get_by_test_id("locked-left")).to_contain_text("دقيقة")
    await audit_as_shown(page, "sign-in-locked")

    other = await (await portal_browser()).new_page()
    fresh = await active_practitioner(pipeline, http, lang="ar")
    await sign_in(other, fresh)
    await other.set_viewport_size(SIZES["laptop"])
    for path in ("/portal/profile", "/portal/certificates", "/portal/e-services/classification"):
        await other.goto(path)
        await other.get_by_test_id("switch-language").click()
        await expect(other.locator("html")).to_have_attribute("lang", "en")
        assert other.url.split("?")[0].endswith(path)
        await other.get_by_test_id("switch-language").click()
        await expect(other.locator("html")).to_have_attribute("lang", "ar")


async def test_certificates_written_before_expiry_dates_existed_still_show_on_the_profile(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext
) -> None:
    """A certificate stored by an earlier release has no `expires_on` (nor `cpd`, `recognition`):
    the profile lists it as approved, with no expiry line, instead of failing the whole page."""
    person = await active_practitioner(pipeline, http, lang="en")
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(pipeline.stack.mongo_uri, tz_aware=True)
    try:
        db = client[pipeline.settings.mongo_db]
        account = await db["intake.accounts"].find_one({"email": person.email})
        assert account is not None
        at = datetime.now(UTC)
        await db["intake.submissions"].insert_one(
            {
                "_id": str(uuid.uuid4()),
                "kind": "certificate",
                "version": 1,
                "previous_submission_id": None,
                "practitioner_id": account["_id"],
                "practitioner": {"id": account["_id"], "name": person.name, "email": person.email, "locale": "en"},
                "certificate": {
                    "name": "Basic Life Support 2019",
                    "obtained_on": "2019-03-01",
                    "institution": "Saudi Heart Association",
                    "specialty": "Nursing",
                    "degree": "Course",
                },
                "file": {"file_id": "x", "filename": "bls.pdf", "size": 1, "sha256": uuid.uuid4().hex},
                "status": "approved",
                "timeline": [{"status": "received", "at": at}, {"status": "approved", "at": at}],
                "created_at": at,
                "updated_at": at,
                "revision": 1,
            }
        )
    finally:
        await client.close()
    page = await (await portal_browser()).new_page()
    await sign_in(page, person)
    answer = await page.goto("/portal/profile?lang=en")
    assert answer is not None and answer.status == 200
    await expect(page.get_by_text("Basic Life Support 2019")).to_be_visible()
    await expect(page.get_by_test_id("certificate-expires")).to_have_count(0)
