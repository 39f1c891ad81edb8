"""The practitioner portal in a real browser (headless Chromium through Playwright) on the four real
services, the broker and the database: the journeys a practitioner takes, the browser doing what a
person does, each page audited with axe-core in Arabic and English at 360×640 and 1280×800 and
photographed (tests/artifacts/portal/).

Every test opens accounts of its own and reaches its items by their pages, so the tests share the
session's services with the rest of the suite whatever runs before or beside them.
"""

import asyncio
import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from mumaris.clock import today_in_riyadh
from mumaris.tools.demo import certificate_scan
from schemas import topics
from schemas.events import ExamResultPublished
from tests.documents import jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.portal_support import (
    NEW_PASSWORD,
    PASSWORD,
    OpenContext,
    Person,
    active_practitioner,
    audit,
    audit_as_shown,
    expect_refusal_beside,
    fill_certificate,
    mail_link,
    new_person,
    reload_until,
    sign_in,
    sms_code,
    with_lang,
)
from tests.e2e.registry_support import recognition_claim, recognition_evidence, registered
from tests.e2e.test_console import claim_on_item_page, staff_account
from tests.e2e.test_console import sign_in as console_sign_in
from tests.e2e.test_validation import blurred
from tests.fee_support import payment, publish
from tests.support import unique

pytestmark = pytest.mark.e2e

ISSUED = date(2025, 3, 14)
DETAILS = {
    "name": "Basic Life Support",
    "obtained_on": ISSUED.isoformat(),
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Course",
}


def scan_file(tmp_path: Path, person: Person, name: str = "scan.jpg", *, blur: bool = False, seed: int = 0) -> Path:
    """A scan that shows her name, the issuer and the date (for the validator's OCR)."""
    scan = certificate_scan(person.name, DETAILS["institution"], ISSUED, width=1240 + seed, height=1754)
    path = tmp_path / name
    path.write_bytes(blurred(scan) if blur else scan)
    return path


async def add_certificate(page: Page, scan: Path) -> str:
    """The form filled and saved; the new certificate's id, from the page it leads to."""
    await page.goto("/portal/certificates/new")
    await fill_certificate(page, DETAILS, scan)
    await page.get_by_test_id("save").click()
    await page.wait_for_url("**/portal/certificates/*?done=submitted")
    return page.url.split("/portal/certificates/")[1].split("?")[0]


async def sign_up_in_the_browser(page: Page, pipeline: Pipeline, person: Person) -> None:
    """Sign-up (a refusal first, then the form corrected), the SMS code, and the e-mail link."""
    await page.goto("/portal/")
    await page.wait_for_url("**/portal/sign-in")
    await page.goto("/portal/sign-up")
    await audit(page, "sign-up")
    await expect(page.get_by_test_id("terms-version")).to_contain_text("2026")

    for lang in ("en", "ar"):  # the refused form in each language, with every refusal beside its field
        await page.goto(f"/portal/sign-up?lang={lang}")
        await page.fill("#f-first_name", person.first_name)
        await page.fill("#f-last_name", person.last_name)
        await page.fill("#f-id_number", person.id_number[:-1] + str((int(person.id_number[-1]) + 1) % 10))
        await page.fill("#f-email", person.email)
        await page.fill("#f-mobile", person.mobile)
        await page.fill("#f-password", PASSWORD)
        await page.fill("#f-password_confirmation", PASSWORD + "x")
        await page.get_by_test_id("sign-up-form").locator("button[type=submit]").click()
        await expect_refusal_beside(page, "id_number", "account.id_invalid_check_digit")
        await expect_refusal_beside(page, "password_confirmation", "account.password_mismatch")
        await expect(page.get_by_test_id("error-accept_terms")).to_have_attribute("data-code", "account.terms_required")
        await expect(page.locator("#f-first_name")).to_have_value(person.first_name)  # what was typed is kept
        await expect(page.locator("#f-password")).to_have_value("")  # passwords never
        await audit_as_shown(page, "sign-up-refused")

    await page.fill("#f-id_number", person.id_number)
    await page.fill("#f-password", PASSWORD)
    await page.fill("#f-password_confirmation", PASSWORD)
    await page.check("#f-accept_terms")
    await page.get_by_test_id("sign-up-form").locator("button[type=submit]").click()
    await page.wait_for_url("**/portal/verify-phone?done=signed_up")
    await expect(page.get_by_test_id("masked-mobile")).to_contain_text(person.mobile[-3:])
    await expect(page.get_by_test_id("code-left")).to_contain_text("4")  # minutes left, counting down
    await expect(page.get_by_test_id("resend")).to_be_disabled()  # a minute after the last code
    await audit(page, "verify-phone")

    code = await sms_code(pipeline, person)
    await page.fill("#f-code", "000000" if code != "000000" else "111111")
    await page.get_by_test_id("code-form").locator("button[type=submit]").click()
    await expect(page.get_by_test_id("error-code")).to_have_attribute("data-code", "account.code_wrong")
    await page.fill("#f-code", code)
    await page.get_by_test_id("code-form").locator("button[type=submit]").click()
    await page.wait_for_url("**/portal/sign-in?done=phone_confirmed")
    await audit(page, "sign-in")

    await page.goto(await mail_link(pipeline, person, "/portal/confirm-email"))
    await audit(page, "confirm-email")
    await page.get_by_test_id("confirm-email").click()
    await expect(page.get_by_test_id("email-confirmed")).to_be_visible()
    await expect(page.get_by_test_id("membership-number")).to_have_text(MEMBERSHIP)
    await audit_as_shown(page, "email-confirmed")


MEMBERSHIP = re.compile(r"^MP-\d{8}$")
NOTE = "Checked against the association's register."  # the reviewer's internal note with the approval
ARABIC = re.compile(r"[\u0600-\u06ff]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


# --- the journeys ------------------------------------------------------------------------------------


async def test_a_practitioner_signs_up_adds_a_certificate_and_sees_it_approved_with_a_message_in_her_inbox(
    pipeline: Pipeline, portal_browser: OpenContext, browser: Browser, tmp_path: Path
) -> None:
    person = new_person()
    page = await (await portal_browser()).new_page()
    await sign_up_in_the_browser(page, pipeline, person)

    await sign_in(page, person)
    assert (await page.get_attribute("html", "lang"), await page.get_attribute("html", "dir")) == ("ar", "rtl")
    await expect(page.get_by_test_id("membership-number")).to_have_text(MEMBERSHIP)
    await audit(page, "profile")
    await page.goto("/portal/certificates")
    await audit(page, "certificates-empty")
    await page.get_by_test_id("add-certificate").click()
    await expect(page.get_by_test_id("certificate-form")).to_be_visible()
    await audit(page, "certificate-form")

    submission_id = await add_certificate(page, scan_file(tmp_path, person))
    await expect(page.get_by_test_id("notice")).to_be_visible()  # "received, now under review"
    await reload_until(page, "status", "in_review")
    await expect(page.get_by_test_id("expected-by")).to_be_visible()  # the review SLA's date
    await audit(page, "certificate-in-review")
    await page.goto("/portal/certificates")
    await expect(page.locator(f"[data-submission='{submission_id}'] [data-testid=status]")).to_have_attribute(
        "data-status", "in_review"
    )
    await audit(page, "certificates")

    # A reviewer approves it in the console.
    reviewer = await staff_account(pipeline)
    console = await browser.new_context(viewport={"width": 1280, "height": 800}, base_url=pipeline.url("review"))
    try:
        desk = await console.new_page()
        await console_sign_in(desk, reviewer)
        await claim_on_item_page(desk, submission_id)
        await desk.get_by_test_id("approve-note").fill(NOTE)
        await desk.get_by_test_id("approve").click()
        await desk.get_by_test_id("confirm-approve-button").click()
        await expect(desk.get_by_test_id("decision")).to_be_visible()
    finally:
        await console.close()

    await page.goto(f"/portal/certificates/{submission_id}")
    await reload_until(page, "status", "approved")
    # The decision box says what is true: approved, when (Riyadh time); the desk's internal note
    # with an approval stays the desk's (as in her e-mail and inbox).
    box = page.get_by_test_id("decision")
    await expect(box).to_have_attribute("data-decision", "approve")
    await expect(box.get_by_test_id("decision-outcome")).to_contain_text("اعتُمد في")
    await expect(box.get_by_test_id("decision-outcome")).to_contain_text("بتوقيت الرياض")
    await expect(box.get_by_test_id("decision-outcome").locator("time")).to_have_attribute("datetime", re.compile("T"))
    await expect(box.get_by_test_id("reviewer-message")).to_have_count(0)
    await expect(box).not_to_contain_text(NOTE)
    await audit(page, "certificate-approved")
    await expect(page.get_by_test_id("decision-outcome")).to_contain_text("بتوقيت الرياض")  # audit ends in Arabic
    await page.goto("/portal/profile")
    await expect(page.get_by_test_id("approved-certificates")).to_contain_text(DETAILS["name"])

    # The inbox: the approval among her messages, counted unread in the header until read.
    await page.goto("/portal/notifications")
    approval = page.locator("[data-testid=inbox] li[data-kind='review.approved']")
    while not await approval.count():
        await asyncio.sleep(0.5)
        await page.reload()
    count = page.get_by_test_id("nav-notifications").get_by_test_id("unread-count")
    before = int((await count.text_content() or "0").split()[0])
    assert before >= 1
    # Each message in the page's language only (the language switch shows the other).
    for lang, own, other in (("ar", ARABIC, LATIN_WORD), ("en", LATIN_WORD, ARABIC)):
        await page.goto(f"/portal/notifications?lang={lang}")
        title = await approval.locator("h2 bdi").text_content() or ""
        body = await approval.get_by_test_id("message-body").text_content() or ""
        assert own.search(title) and not other.search(title), (lang, title)
        for quoted in (DETAILS["name"], DETAILS["institution"], NOTE):  # her own words stay as written
            body = body.replace(quoted, "")
        assert own.search(body) and not other.search(re.sub(r"[0-9a-f-]{36}", "", body)), (lang, body)
    await audit(page, "notifications")
    await approval.get_by_test_id("mark-read").click()
    await page.wait_for_url("**/portal/notifications?done=read*")
    await expect(page.locator("[data-testid=inbox] li[data-kind='review.approved']")).to_have_attribute(
        "data-read", "yes"
    )
    after = int((await count.text_content() or "0").split()[0]) if await count.count() else 0
    assert after == before - 1


async def test_a_blurred_scan_is_refused_with_why_and_what_to_do_and_a_duplicate_is_explained(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext, tmp_path: Path
) -> None:
    person = await active_practitioner(pipeline, http, lang="en")
    page = await (await portal_browser()).new_page()
    await sign_in(page, person)
    assert await page.get_attribute("html", "lang") == "en"  # her account's language

    # The browser checks the type before anything is sent.
    await page.goto("/portal/certificates/new")
    not_a_scan = tmp_path / "photo.jpg"
    not_a_scan.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # a PNG whatever its name says
    await page.set_input_files("#f-file", str(not_a_scan))
    await expect(page.get_by_test_id("error-file")).to_be_visible()
    await expect(page.locator("#f-file")).to_have_attribute("aria-invalid", "true")

    submission_id = await add_certificate(page, scan_file(tmp_path, person, blur=True))
    await reload_until(page, "status", "validation_failed")
    why = page.get_by_test_id("why")
    await expect(why.locator("li[data-code='image.blurry'] .why")).to_be_visible()
    await expect(why.locator("li[data-code='image.blurry'] .todo")).to_contain_text("daylight")
    await audit(page, "certificate-refused")
    await page.goto(f"/portal/certificates/{submission_id}?lang=ar")
    await expect(why.locator("li[data-code='image.blurry'] .todo")).to_contain_text("ضوء النهار")

    # Sent again (its details kept) as a sharp scan; the same file a second time is explained.
    await page.get_by_test_id("send-again").click()
    await expect(page.locator("#f-name")).to_have_value(DETAILS["name"])
    sharp = scan_file(tmp_path, person, "sharp.jpg")
    await page.set_input_files("#f-file", str(sharp))
    await page.get_by_test_id("save").click()
    await page.wait_for_url("**/portal/certificates/*?done=submitted")
    pending_id = page.url.split("/portal/certificates/")[1].split("?")[0]
    for lang in ("ar", "en"):
        await page.goto(f"/portal/certificates/new?lang={lang}")
        await fill_certificate(page, DETAILS, sharp)
        await page.get_by_test_id("save").click()
        await expect_refusal_beside(page, "file", "file.duplicate_pending")
        await expect(page.get_by_test_id("duplicate-explained")).to_be_visible()
        await expect(page.get_by_test_id("open-pending")).to_have_attribute(
            "href", f"/portal/certificates/{pending_id}"
        )
        await expect(page.locator("#f-institution")).to_have_value(DETAILS["institution"])  # the form kept
        await audit_as_shown(page, "certificate-form-duplicate")


async def test_changes_requested_lead_to_a_prefilled_resubmission_that_is_approved(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext, tmp_path: Path
) -> None:
    person = await active_practitioner(pipeline, http, lang="ar")
    page = await (await portal_browser()).new_page()
    await sign_in(page, person)
    first_id = await add_certificate(page, scan_file(tmp_path, person))
    await reload_until(page, "status", "in_review")

    reviewer = pipeline.reviewer()  # the resubmission is held for the reviewer who asked for changes
    message = "The stamp is cut off: please scan the whole page."
    asked = await pipeline.decide(http, first_id, {"decision": "request_changes", "reason": message}, reviewer)
    assert asked.status_code == 200, asked.text
    await reload_until(page, "status", "changes_requested")
    await expect(page.get_by_test_id("reviewer-message")).to_have_text(message)
    await audit(page, "certificate-changes-requested")

    await page.get_by_test_id("resubmit").click()
    await page.wait_for_url(f"**/portal/certificates/{first_id}/resubmit")
    await expect(page.get_by_test_id("reviewer-message")).to_have_text(message)
    for name, value in DETAILS.items():
        await expect(page.locator(f"#f-{name}")).to_have_value(value)  # prefilled from the earlier version
    await audit(page, "certificate-resubmit-form")
    await page.set_input_files("#f-file", str(scan_file(tmp_path, person, "whole-page.jpg", seed=8)))
    await page.get_by_test_id("save").click()
    await page.wait_for_url("**/portal/certificates/*?done=resubmitted")
    second_id = page.url.split("/portal/certificates/")[1].split("?")[0]
    await expect(page.get_by_test_id("previous-version")).to_have_attribute("href", f"/portal/certificates/{first_id}")
    await reload_until(page, "status", "in_review")

    approved = await http.post(f"{pipeline.url('review')}/v1/review/{second_id}/claim", headers=reviewer)
    assert approved.status_code == 200, approved.text
    decided = await http.post(
        f"{pipeline.url('review')}/v1/review/{second_id}/decision", headers=reviewer, json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    await reload_until(page, "status", "approved")
    await audit(page, "certificate-resubmission-approved")
    await page.goto(f"/portal/certificates/{first_id}")
    await expect(page.get_by_test_id("new-version")).to_have_attribute("href", f"/portal/certificates/{second_id}")
    await expect(page.get_by_test_id("resubmit")).to_have_count(0)  # once per version

    # A change of personal data waits for review, shown as pending.
    await page.goto("/portal/profile")
    await page.fill("#f-last_name", "Al-Shehri")
    await page.get_by_test_id("change-form").locator("button[type=submit]").click()
    await page.wait_for_url("**/portal/profile?done=change_requested")
    await expect(page.get_by_test_id("pending-change")).to_contain_text("Al-Shehri")
    await expect(page.get_by_test_id("personal-data")).to_contain_text(person.last_name)  # until approved
    await audit(page, "profile-change-pending")


async def test_a_classification_change_is_invoiced_paid_approved_and_shown_on_the_profile(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext, tmp_path: Path
) -> None:
    page = await (await portal_browser()).new_page()
    person = await active_practitioner(pipeline, http, lang="en", confirm_in=page)  # the link in English
    await sign_in(page, person)
    await page.goto("/portal/e-services")
    await audit(page, "e-services")
    await page.get_by_test_id("change-classification").click()
    await expect(page.get_by_test_id("choose-form")).to_be_visible()
    await audit(page, "classification-choose")
    await page.check("input[name=target][value='nursing.technician']")
    await page.get_by_test_id("continue").click()
    await expect(page.get_by_test_id("classification-form")).to_be_visible()
    await expect(page.get_by_test_id("chosen-target")).to_have_text("Nursing Technician")
    await audit(page, "classification-form")

    for lang in ("ar", "en"):  # finished without the conditions accepted: refused, the form kept
        await page.goto(f"/portal/e-services/classification?target=nursing.technician&lang={lang}")
        await page.get_by_test_id("finish").click()
        await expect(page.get_by_test_id("error-summary")).to_be_visible()
        await expect(page.get_by_test_id("classification-form")).to_be_visible()
        await audit_as_shown(page, "classification-form-refused")

    degree = tmp_path / "degree.jpg"
    degree.write_bytes(jpeg_bytes(900, 700, seed=random.randrange(10**6)))
    await page.set_input_files("#f-degree", str(degree))
    await page.check("#f-accept_conditions")
    await page.get_by_test_id("finish").click()
    await page.wait_for_url("**/portal/e-services/classification/*?done=requested")
    request_id = page.url.split("/classification/")[1].split("?")[0]

    await reload_until(page, "status", "awaiting_payment")
    invoice = page.get_by_test_id("invoice")
    await expect(invoice.get_by_test_id("amount")).to_contain_text("300.00")
    await expect(invoice.get_by_test_id("invoice-left")).to_contain_text("h")  # hours left of the 24
    await expect(invoice.get_by_test_id("how-to-pay")).to_be_visible()
    await expect(page.locator("[data-exam='SNLE']")).to_have_attribute("data-standing", "missing")
    bill = (await invoice.get_by_test_id("bill-number").inner_text()).strip()
    await audit(page, "classification-invoice")

    # The national payment system pays the bill; the testing centre publishes the exam.
    await publish(pipeline.stack.kafka_bootstrap, topics.GOV_PAYMENTS, payment(bill, "300.00"), source="/gov/sadad")
    await reload_until(page, "status", "in_review")
    await expect(invoice.get_by_test_id("invoice-paid")).to_be_visible()
    exam = ExamResultPublished(
        result_id=unique("R"),
        candidate_id_number=person.id_number,
        exam="SNLE",
        score=81,
        passed=True,
        taken_on=date(2026, 11, 20),
    )
    await publish(pipeline.stack.kafka_bootstrap, topics.GOV_EXAMS, exam, source="/gov/exams")

    reviewer = pipeline.reviewer()
    claimed = await http.post(f"{pipeline.url('review')}/v1/review/{request_id}/claim", headers=reviewer)
    assert claimed.status_code == 200, claimed.text
    deadline = datetime.now(UTC).timestamp() + 60
    while True:  # refused (review.exam_missing) until review has the exam result
        decided = await http.post(
            f"{pipeline.url('review')}/v1/review/{request_id}/decision", headers=reviewer, json={"decision": "approve"}
        )
        if decided.status_code == 200:
            break
        assert datetime.now(UTC).timestamp() < deadline, decided.text
        await asyncio.sleep(0.5)

    await reload_until(page, "status", "approved")
    await expect(page.get_by_test_id("new-classification")).to_be_visible()
    await expect(page.locator("[data-exam='SNLE']")).to_have_attribute("data-standing", "passed")
    await audit(page, "classification-approved")
    await page.goto("/portal/profile")
    await expect(page.get_by_test_id("classification")).to_have_text("Nursing Technician")


async def test_a_forgotten_password_is_reset_by_an_e_mail_link_and_every_old_session_ends(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext
) -> None:
    person = await active_practitioner(pipeline, http, lang="ar")
    phone, laptop = await (await portal_browser()).new_page(), await (await portal_browser()).new_page()
    for page in (phone, laptop):
        await sign_in(page, person)

    page = await (await portal_browser()).new_page()
    await page.goto("/portal/sign-in")
    await page.get_by_test_id("forgot-link").click()
    await page.wait_for_url("**/portal/forgot-password")
    await audit(page, "forgot-password")
    answers = []
    for lang, email in (("en", f"nobody.{unique('x')}@example.sa"), ("ar", person.email)):
        await page.goto(f"/portal/forgot-password?lang={lang}")
        await page.fill("#f-email", email)
        await page.get_by_test_id("forgot-form").locator("button[type=submit]").click()
        await expect(page.get_by_test_id("reset-sent")).to_be_visible()
        answers.append(await page.locator("main").inner_html())
        await audit_as_shown(page, "forgot-password-sent")
    assert len(set(answers)) == 2 and all("reset-sent" in a for a in answers)  # alike, but for the language

    await page.goto(await mail_link(pipeline, person, "/portal/reset-password"))
    await audit(page, "reset-password")
    for lang, (password, confirmation) in (("en", ("short1!", "short1!")), ("ar", (NEW_PASSWORD, NEW_PASSWORD + "x"))):
        await page.goto(with_lang(page.url, lang))
        await page.fill("#f-password", password)
        await page.fill("#f-password_confirmation", confirmation)
        await page.get_by_test_id("reset-form").locator("button[type=submit]").click()
        field = "password" if lang == "en" else "password_confirmation"
        await expect(page.get_by_test_id(f"error-{field}")).to_be_visible()
        await expect(page.get_by_test_id("reset-form")).to_be_visible()  # the link still holds
        await audit_as_shown(page, "reset-password-refused")
        await page.get_by_test_id("switch-language").click()  # back to the link's page
        await expect(page.get_by_test_id("reset-form")).to_be_visible()
    await page.fill("#f-password", NEW_PASSWORD)
    await page.fill("#f-password_confirmation", NEW_PASSWORD)
    await page.get_by_test_id("reset-form").locator("button[type=submit]").click()
    await page.wait_for_url("**/portal/sign-in?done=password_reset")

    # The sessions opened before the reset are over, on every device.
    for old in (phone, laptop):
        await old.goto("/portal/profile")
        await old.wait_for_url("**/portal/sign-in?*done=session_ended*")
    await phone.fill("#f-email", person.email)
    await phone.fill("#f-password", PASSWORD)
    await phone.get_by_test_id("sign-in-form").locator("button[type=submit]").click()
    await expect(phone.get_by_test_id("refusal")).to_have_attribute("data-code", "account.login_failed")
    await sign_in(phone, person, NEW_PASSWORD)
    await phone.goto(await mail_link(pipeline, person, "/portal/reset-password"))
    await expect(phone.get_by_test_id("ask-new-link")).to_be_visible()  # the link was used
    await audit(phone, "reset-password-used")


async def test_hours_earned_abroad_are_asked_for_from_the_registration_page_and_followed_to_their_recognition(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext, tmp_path: Path
) -> None:
    person = await active_practitioner(pipeline, http, lang="ar")
    intake = pipeline.url("intake")
    signed_in = await http.post(f"{intake}/v1/auth/login", json={"email": person.email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    await registered(pipeline.stack.kafka_bootstrap, intake, http, auth)
    page = await (await portal_browser()).new_page()
    await sign_in(page, person)
    await page.goto("/portal/registration")
    await expect(page.get_by_test_id("cpd-ledger")).to_be_visible()
    await expect(page.get_by_test_id("recognition-list")).to_have_count(0)
    await audit(page, "registration")

    await page.get_by_test_id("new-recognition").click()
    await page.wait_for_url("**/portal/registration/recognitions/new")
    await expect(page.get_by_test_id("recognition-form")).to_be_visible()
    await audit(page, "recognition-form")

    attended = today_in_riyadh()  # in her registration's first cycle, which began today
    claim = {k: v for k, v in recognition_claim(attended).items() if k != "attended_on"}
    evidence = tmp_path / "evidence.jpg"
    evidence.write_bytes(recognition_evidence(person.name, recognition_claim(attended)))
    for lang in ("en", "ar"):  # dated in the future and without its evidence: refused, the form kept
        await page.goto(f"/portal/registration/recognitions/new?lang={lang}")
        await fill_certificate(page, {**claim, "attended_on": (attended + timedelta(days=3)).isoformat()}, None)
        await page.get_by_test_id("send-recognition").click()
        await expect_refusal_beside(page, "attended_on", "metadata.date_in_future")
        await expect_refusal_beside(page, "file", "file.missing")
        await expect(page.get_by_test_id("error-summary")).to_be_visible()
        await expect(page.locator("#f-provider")).to_have_value(claim["provider"])
        assert await page.get_attribute("html", "lang") == lang
        await audit_as_shown(page, "recognition-form-refused")

    await fill_certificate(page, {**claim, "attended_on": attended.isoformat()}, evidence)
    await page.get_by_test_id("send-recognition").click()
    await page.wait_for_url("**/portal/registration?done=recognition_requested")
    await expect(page.get_by_test_id("notice")).to_be_visible()
    asked = page.get_by_test_id("recognition-list").locator("li")
    await expect(asked).to_have_count(1)
    await expect(asked.first).to_contain_text(claim["title"])
    await reload_until(page, "recognition-status", "in_review")
    await audit(page, "registration-recognition-in-review")

    submission_id = await asked.first.get_attribute("data-submission-id")
    assert submission_id
    decided = await pipeline.decide(http, submission_id, {"decision": "approve", "cpd_hours_recognised": "6"})
    assert decided.status_code == 200, decided.text
    await reload_until(page, "recognition-status", "approved")
    await expect(asked.first).to_contain_text("7.5")  # of the hours claimed, those recognised
    await expect(page.locator("[data-testid=cpd-activities] li[data-source=recognition]")).to_have_count(1)
    await audit(page, "registration-recognition-approved")
