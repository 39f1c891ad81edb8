"""The reviewer's day in the console at a phone's width (390 px) and a desk's (1280 px), in Arabic
and English, on the real services: the queue and the item usable on a phone (cards, not columns
broken letter by letter), an approval that asks before it decides, a decided item that says who
decided and when (and whose document a supervisor still opens), an audit trail in Riyadh time with
names, and the demo's own certificate scan passing every check. Screenshots of each page are kept
under tests/artifacts/console/.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from mumaris.clock import RIYADH, today_in_riyadh
from tests.e2e.conftest import Pipeline
from tests.e2e.portal_support import AuditLog, audit
from tests.e2e.registry_support import ask_recognition, recognition_claim
from tests.e2e.test_console import ARTIFACTS, claim_on_item_page, queued_submission, sign_in, staff_account
from tests.e2e.test_pipeline import METADATA, reach

pytestmark = pytest.mark.e2e

SHOTS = ARTIFACTS / "console"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1280, "height": 800}}
AUDITS = AuditLog([], SHOTS)  # axe-core's findings on the console's pages, beside their screenshots
WORDS = {  # what the pages say, to check they say it in the page's language
    "ar": {
        "decided": "صدر القرار باعتماده",
        "supervisors": "المشرفون",
        "lease": "الاستلام حتى",
        "riyadh": "بتوقيت الرياض",
    },
    "en": {
        "decided": "Decided: approved",
        "supervisors": "supervisors",
        "lease": "lease until",
        "riyadh": "Riyadh time",
    },
}


def riyadh(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(RIYADH).strftime("%Y-%m-%d %H:%M")


async def shot(page: Page, name: str, lang: str, width: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.{lang}.{width}.png"), full_page=True)


async def fits(page: Page, where: str) -> None:
    """Nothing scrolls sideways, and no button is a vertical strip (taller than it is wide)."""
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{where}: scrolls sideways by {overflow} px"
    strips = await page.evaluate(
        """() => [...document.querySelectorAll("main button, main .button")]
             .map(b => b.getBoundingClientRect()).filter(r => r.width > 0 && r.width < r.height)
             .map(r => [Math.round(r.width), Math.round(r.height)])"""
    )
    assert not strips, f"{where}: buttons narrower than they are tall: {strips}"


async def cells_readable(page: Page, table: str, width: str, where: str) -> None:
    """A list's cells hold whole words: on a phone each row is a card whose cells span it, with the
    column's name above each value; on a desk it stays a table with its headings."""
    shape: dict[str, Any] = await page.evaluate(
        """(selector) => {
          const table = document.querySelector(selector);
          const cells = [...table.querySelectorAll("tbody td")];
          const head = table.querySelector("thead").getBoundingClientRect();
          return {
            table: table.getBoundingClientRect().width,
            narrowest: Math.min(...cells.map(c => c.getBoundingClientRect().width)),
            headHeight: head.height,
            labelled: cells.filter(c => c.dataset.label).length,
            labelsShown: cells.filter(c => c.dataset.label && getComputedStyle(c, "::before").content.includes(c.dataset.label)).length,
          };
        }""",
        table,
    )
    if width == "phone":
        assert shape["narrowest"] >= 0.8 * shape["table"], f"{where}: a cell narrower than its card: {shape}"
        assert shape["headHeight"] <= 1, f"{where}: the column headings still take room: {shape}"
        assert shape["labelled"] and shape["labelsShown"] == shape["labelled"], f"{where}: values without names {shape}"
    else:
        assert shape["headHeight"] > 10 and shape["labelsShown"] == 0, f"{where}: not a table on a desk: {shape}"


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_the_reviewers_day_at_a_phones_and_a_desks_width_in_each_language(
    pipeline: Pipeline, http: httpx.AsyncClient, browser: Browser, lang: str, width: str
) -> None:
    where = f"{lang}/{width}"
    words = WORDS[lang]
    reviewer = await staff_account(pipeline, "reviewer", "Khalid", locale=lang)
    colleague = await staff_account(pipeline, "reviewer", "Faisal", locale=lang)
    supervisor = await staff_account(pipeline, "supervisor", "Mona", locale=lang)
    _, _, review_id = await queued_submission(pipeline, http)  # the demo's own certificate scan
    review = pipeline.url("review")

    async def item() -> dict[str, Any]:
        answer = await http.get(f"{review}/v1/review/{review_id}", headers=pipeline.reviewer())
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    # The demo's scan passes every check: nothing for the reviewer to doubt.
    doubts = [
        (f["rule"], f["outcome"], f.get("evidence")) for f in (await item())["findings"] if f["outcome"] != "pass"
    ]
    assert doubts == [], f"the demo's scan: {doubts}"

    contexts = []

    async def open_as(staff: Any) -> Page:
        context = await browser.new_context(viewport=WIDTHS[width], base_url=review)
        contexts.append(context)
        page = await context.new_page()
        await sign_in(page, staff, lang)
        return page

    try:
        # The queue: cards on a phone, a table on a desk; nothing sideways, no button a strip.
        page = await open_as(reviewer)
        assert await page.get_attribute("html", "lang") == lang
        await expect(page.get_by_test_id("waiting")).to_be_visible()
        await cells_readable(page, "[data-testid=waiting]", width, f"{where} queue")
        await fits(page, f"{where} queue")
        await shot(page, "queue", lang, width)

        # The item, claimed: on a phone the document comes first, everything else below it.
        await claim_on_item_page(page, review_id)
        await fits(page, f"{where} item")
        document = await page.get_by_test_id("document-pane").bounding_box()
        details = await page.locator(".details-pane").bounding_box()
        assert document and details
        if width == "phone":
            assert details["y"] >= document["y"] + document["height"] - 1, f"{where}: the item is not one column"
        else:
            assert abs(details["y"] - document["y"]) < 5, f"{where}: the item's two panes are not side by side"
        await shot(page, "item-claimed", lang, width)
        await page.get_by_test_id("to-decision").click()  # on a phone the decision is far below the checks
        await expect(page.get_by_test_id("approve")).to_be_in_viewport()

        # Approve asks first: Enter on the focused button opens the question and decides nothing,
        # nor does a second stray Enter; the confirmation is a button of its own.
        await page.get_by_test_id("approve").focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("confirm-approve")).to_be_visible()
        await expect(page.locator("#confirm-title")).to_be_focused()
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("confirm-approve")).to_be_visible()
        assert (await item())["status"] == "queued", f"{where}: an Enter approved without confirmation"
        await fits(page, f"{where} confirm")
        await shot(page, "approve-confirm", lang, width)
        await page.get_by_test_id("confirm-approve-button").click()
        await expect(page.get_by_test_id("decision")).to_be_visible()
        decided = await item()
        assert decided["status"] == "decided" and decided["decision"]["decision"] == "approve"
        decided_at = riyadh(decided["decided_at"])

        # A colleague reads what is true (who decided, when, Riyadh time), not "claim it".
        other = await open_as(colleague)
        await other.goto(f"/console/items/{review_id}")
        note = other.get_by_test_id("decided-document")
        await expect(note).to_contain_text(words["decided"])
        await expect(note).to_contain_text("Khalid")
        await expect(note).to_contain_text(decided_at)
        await expect(note).to_contain_text(words["supervisors"])
        await expect(other.get_by_test_id("claim-to-view")).to_have_count(0)
        await expect(other.get_by_test_id("claim-box").get_by_test_id("claim")).to_have_count(0)
        await fits(other, f"{where} decided")
        await shot(other, "item-decided", lang, width)

        # A supervisor opens the decided item's document.
        overseer = await open_as(supervisor)
        await overseer.goto(f"/console/items/{review_id}")
        image = overseer.get_by_test_id("document-image")
        await expect(image).to_be_visible()
        await overseer.wait_for_function(
            "() => { const i = document.querySelector('[data-testid=document-image]'); return i && i.naturalWidth > 0; }"
        )
        await shot(overseer, "item-decided-supervisor", lang, width)

        # The audit trail: each entry in Riyadh time to the minute, people by name, details as words.
        history = (await http.get(f"{review}/v1/review/{review_id}/history", headers=pipeline.reviewer())).json()
        await page.goto(f"/console/items/{review_id}/history")
        audit = page.get_by_test_id("audit")
        await expect(audit.locator("tbody tr")).to_have_count(len(history["entries"]))
        shown_times = await audit.get_by_test_id("audit-when").all_text_contents()
        assert shown_times == [riyadh(e["at"]) for e in history["entries"]], (shown_times, history["entries"])
        text = await audit.inner_text()
        for raw in ("+00:00", "T0", "T1", "T2", '"id"', "{"):
            assert raw not in text, f"{where}: the audit trail shows {raw!r}: {text}"
        for entry in history["entries"]:
            assert entry["actor"]["id"] not in text, f"{where}: an id instead of a name: {text}"
        who = await audit.get_by_test_id("audit-who").all_text_contents()
        assert any("Khalid" in name for name in who) and any("Mona" in name for name in who), who
        claimed = audit.locator("tr[data-action=claimed] [data-testid=audit-details]")
        await expect(claimed).to_contain_text(words["lease"])
        lease = next(e for e in history["entries"] if e["action"] == "claimed")["details"]["expires_at"]
        await expect(claimed).to_contain_text(riyadh(lease))
        await expect(page.get_by_test_id("times-riyadh")).to_contain_text(words["riyadh"])
        if width == "phone":
            await cells_readable(page, "[data-testid=audit]", width, f"{where} audit")
        await fits(page, f"{where} audit")
        await shot(page, "history", lang, width)
    finally:
        for context in contexts:
            await context.close()


async def test_cpd_activities_and_recognition_requests_show_their_own_checks_in_the_queue_and_on_their_pages(
    pipeline: Pipeline, http: httpx.AsyncClient, browser: Browser
) -> None:
    """A CPD certificate (kind cpd_activity) and a request to recognise hours earned abroad (kind
    cpd_recognition), each audited with axe-core in both languages at both widths: the queue names
    their kinds, each item page shows what was declared and what the validator found of it, a
    recognition's approval asks for the hours recognised, and the supervision page filters by kind."""
    tag = uuid.uuid4().hex[:6]
    attended = today_in_riyadh() - timedelta(days=30)
    activity = {
        "title": f"Pain Management Essentials {tag}",
        "provider": "Saudi Pain Society",
        "accreditation_number": f"SCFHS-{tag.upper()}",
        "category": "Workshop",
        "hours": "6",
        "attended_on": attended.isoformat(),
    }
    certificate = {
        **METADATA,
        "name": activity["title"],
        "institution": activity["provider"],
        "obtained_on": attended.isoformat(),
        "cpd": activity,
    }
    _, _, activity_id = await queued_submission(pipeline, http, metadata=certificate)

    who, auth = pipeline.practitioner(locale="en")
    claim = recognition_claim(attended, title=f"Wound Care Update {tag}")
    recognition_id = await ask_recognition(http, pipeline.url("intake"), auth, who.name, claim)
    await reach(http, pipeline, auth, recognition_id, "in_review")

    reviewer = await staff_account(pipeline, "reviewer", "Khalid", locale="ar")
    supervisor = await staff_account(pipeline, "supervisor", "Mona", locale="ar")
    context = await browser.new_context(viewport=WIDTHS["phone"], base_url=pipeline.url("review"))
    try:
        page = await context.new_page()
        await sign_in(page, reviewer, "ar")
        for review_id, kind, title in (
            (activity_id, "cpd_activity", activity["title"]),
            (recognition_id, "cpd_recognition", claim["title"]),
        ):
            await claim_on_item_page(page, review_id)
            await expect(page.get_by_test_id("item-kind")).to_have_attribute("data-kind", kind)
            checks = page.get_by_test_id("cpd-checks")
            await expect(checks.locator("dd[data-field=title]")).to_have_text(title)
            await expect(checks.locator("li[data-rule='content.cpd_hours'] .badge")).to_have_count(1)
            if kind == "cpd_activity":
                await expect(checks.locator("li[data-rule='content.cpd_accreditation']")).to_have_count(1)
            else:
                await expect(checks.locator("dd[data-field=country]")).to_have_text("المملكة المتحدة")
                await expect(page.get_by_test_id("hours-recognised")).to_have_value("7.5")
            await audit(page, f"item-{kind}", AUDITS, WIDTHS)

        await page.goto("/console/")
        for review_id, title in ((activity_id, activity["title"]), (recognition_id, claim["title"])):
            row = page.get_by_test_id("held").locator(f"tr[data-review-id='{review_id}']")
            await expect(row.locator(".item-name")).to_contain_text(title)  # its own name, not only its kind
        await audit(page, "queue-cpd", AUDITS, WIDTHS)

        overseer = await context.new_page()
        await context.clear_cookies()
        await sign_in(overseer, supervisor, "ar")
        await overseer.goto(f"/console/supervise?kind=cpd_recognition&q={tag}")
        found = overseer.locator(f"tr[data-review-id='{recognition_id}']")
        await expect(found).to_have_count(1)
        await expect(overseer.locator(f"tr[data-review-id='{activity_id}']")).to_have_count(0)
        await audit(overseer, "supervise-cpd-recognition", AUDITS, WIDTHS)
    finally:
        await context.close()
