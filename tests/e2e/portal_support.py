"""What the portal's browser tests share: a practitioner opening her account the way a person does
(the form, the SMS code from the gateway stand-in, the link from the mail server), or made ready
through the API for journeys that start later; waiting on a page for what the services report;
and the audit of a page: axe-core (from npm, ./node_modules) in both languages at a phone's and a
laptop's size, no horizontal scrolling, and a screenshot of each under tests/artifacts/portal/.
"""

import asyncio
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from playwright.async_api import Browser, BrowserContext, Page, expect

from mumaris.settings import PROJECT_ROOT
from services.intake.accounts.rules import make_valid_id
from tests.e2e.conftest import Pipeline

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts" / "portal"
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"phone": {"width": 360, "height": 640}, "laptop": {"width": 1280, "height": 800}}
BLOCKING = ("serious", "critical")  # axe impacts that fail a page
PASSWORD = "Sahha#2026-portal"
NEW_PASSWORD = "Tamreed#2027-new"
STATUS_TIMEOUT_S = 90.0  # validator OCR and review on a busy two-core machine


# --- auditing a page ---------------------------------------------------------------------------------


def with_lang(url: str, lang: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("lang", lang)])))


@dataclass
class AuditLog:
    """Every audit of the run in one folder, written to its axe.json as it goes."""

    entries: list[dict[str, Any]]
    folder: Path = ARTIFACTS

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "axe.json").write_text(json.dumps(self.entries, ensure_ascii=False, indent=1))


AUDITS = AuditLog([])


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is (evaluated through the DevTools protocol, which
    the page's Content-Security-Policy does not govern: the page itself stays as served)."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(AXE.read_text())
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))"""
    )
    return found


async def horizontal_overflow(page: Page) -> int:
    scroll, client = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return int(scroll - client)


async def audit_as_shown(
    page: Page, name: str, audits: AuditLog = AUDITS, sizes: dict[str, dict[str, int]] = SIZES
) -> None:
    """The page as it is now (e.g. a refused form, which no GET shows again), at both sizes;
    `audits`: the folder its screenshots and axe.json go to (the portal's by default); `sizes`:
    the viewports (the portal's phone and laptop by default; the console has its own)."""
    lang = await page.get_attribute("html", "lang") or "?"
    for size, viewport in sizes.items():
        await page.set_viewport_size(viewport)
        overflow = await horizontal_overflow(page)
        violations = await axe_violations(page)
        shot = audits.folder / f"{name}.{lang}.{size}.png"
        audits.folder.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(shot), full_page=True)
        audits.add(
            {
                "page": name,
                "lang": lang,
                "size": size,
                "url": urlsplit(page.url).path,
                "overflow_px": overflow,
                "violations": violations,
            }
        )
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"{name} ({lang}, {size}): {json.dumps(blocking, ensure_ascii=False, indent=1)}"
        assert overflow <= 0, f"{name} ({lang}, {size}) scrolls sideways by {overflow} px"
    await page.set_viewport_size(next(iter(sizes.values())))


async def audit(page: Page, name: str, audits: AuditLog = AUDITS, sizes: dict[str, dict[str, int]] = SIZES) -> None:
    """The page in both languages (the other one first, so the page ends in the journey's own),
    at both sizes; opened again by its address with ?lang=, which keeps the page."""
    url = page.url
    lang = await page.get_attribute("html", "lang") or "ar"
    for shown in ("en" if lang == "ar" else "ar", lang):
        await page.goto(with_lang(url, shown))
        assert await page.get_attribute("html", "lang") == shown
        assert await page.get_attribute("html", "dir") == ("rtl" if shown == "ar" else "ltr")
        assert urlsplit(page.url).path == urlsplit(url).path, "the language switch keeps the page"
        await audit_as_shown(page, name, audits, sizes)


# --- people ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    id_number: str
    email: str
    mobile: str  # as typed: 05XXXXXXXX

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def e164(self) -> str:
        return "+966" + self.mobile.removeprefix("0")


def new_person(first_name: str = "Noura", last_name: str = "Al-Qahtani") -> Person:
    tag = uuid.uuid4().int
    return Person(
        first_name=first_name,
        last_name=last_name,
        id_number=make_valid_id("1", f"{tag % 10**8:08d}"),
        email=f"{first_name.lower()}.{uuid.uuid4().hex[:10]}@example.sa",
        mobile=f"05{(tag // 10**8) % 10**8:08d}",
    )


async def sms_code(pipeline: Pipeline, person: Person, count: int = 1) -> str:
    messages = await pipeline.sms.wait_for_messages(count, to=person.e164, timeout=60)
    match = re.search(r"\b(\d{6})\b", messages[-1]["text"])
    assert match, messages[-1]
    return match.group(1)


async def mail_link(pipeline: Pipeline, person: Person, path: str, count: int = 1, timeout: float = 60) -> str:
    """The `count`-th link to `path` e-mailed to the person (the mail server's copy)."""
    deadline = time.monotonic() + timeout
    while True:
        links = []
        for mail in pipeline.mails_to(person.email):
            body = mail.get_body(preferencelist=("plain",)).get_content()
            links.extend(dict.fromkeys(re.findall(rf"https?://\S+{re.escape(path)}\?token=[\w.\-]+", body)))
        if len(links) >= count:
            return links[count - 1]
        assert time.monotonic() < deadline, f"no e-mail with a {path} link reached {person.email}"
        await _pause()


async def _pause(seconds: float = 0.3) -> None:
    await asyncio.sleep(seconds)


async def active_practitioner(
    pipeline: Pipeline,
    http: httpx.AsyncClient,
    lang: str = "en",
    confirm_in: Page | None = None,
    person: Person | None = None,
    **more: str,
) -> Person:
    """A practitioner whose phone and e-mail are confirmed, made through the JSON API (the journeys
    that start after sign-up; the sign-up journey itself goes through the pages). `confirm_in`: the
    e-mail link is opened in that page, in her language, instead. `more`: other sign-up fields
    (her name in Latin letters)."""
    person = person or new_person("Huda", "Al-Otaibi")
    intake = pipeline.url("intake")
    signed_up = await http.post(
        f"{intake}/v1/accounts",
        json={
            "first_name": person.first_name,
            "last_name": person.last_name,
            "id_number": person.id_number,
            "email": person.email,
            "mobile": person.mobile,
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "accept_terms": True,
            "locale": lang,
            **more,
        },
    )
    assert signed_up.status_code == 201, signed_up.text
    account_id = signed_up.json()["account_id"]
    verified = await http.post(
        f"{intake}/v1/accounts/verify-phone", json={"account_id": account_id, "code": await sms_code(pipeline, person)}
    )
    assert verified.status_code == 200, verified.text
    link = await mail_link(pipeline, person, "/portal/confirm-email")
    if confirm_in is not None:
        await confirm_in.goto(with_lang(link, lang))
        await confirm_in.get_by_test_id("confirm-email").click()
        await expect(confirm_in.get_by_test_id("email-confirmed")).to_be_visible()
        await audit_as_shown(confirm_in, "email-confirmed")
        return person
    token = parse_qsl(urlsplit(link).query)[0][1]
    confirmed = await http.get(f"{intake}/v1/accounts/confirm-email", params={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    return person


# --- the browser ---------------------------------------------------------------------------------------

# The `portal_browser` fixture: a new browser context of its own on the portal.
OpenContext = Callable[..., Awaitable[BrowserContext]]


async def new_portal_context(browser: Browser, pipeline: Pipeline, **options: Any) -> BrowserContext:
    """A browser of its own (cookies: one person) on the portal, the size of a phone."""
    return await browser.new_context(viewport=SIZES["phone"], base_url=pipeline.url("intake"), **options)


async def sign_in(page: Page, person: Person, password: str = PASSWORD, lang: str | None = None) -> None:
    await page.goto("/portal/sign-in" + (f"?lang={lang}" if lang else ""))
    await page.fill("#f-email", person.email)
    await page.fill("#f-password", password)
    await page.get_by_test_id("sign-in-form").locator("button[type=submit]").click()
    await page.wait_for_url("**/portal/profile")


async def reload_until(page: Page, test_id: str, status: str, timeout: float = STATUS_TIMEOUT_S) -> None:
    """Reload the page (as a person would) until its badge shows `status`."""
    deadline = time.monotonic() + timeout
    badge = page.get_by_test_id(test_id).first
    while True:
        if await badge.count() and await badge.get_attribute("data-status") == status:
            return
        assert time.monotonic() < deadline, f"{page.url}: still {await badge.get_attribute('data-status')}"
        await _pause(0.7)
        await page.reload()


async def fill_certificate(page: Page, details: dict[str, str], scan: Path | None) -> None:
    for name, value in details.items():
        await page.fill(f"#f-{name}", value)
    if scan is not None:
        await page.set_input_files("#f-file", str(scan))


async def expect_refusal_beside(page: Page, field: str, code: str) -> None:
    await expect(page.get_by_test_id(f"error-{field}")).to_have_attribute("data-code", code)
    await expect(page.locator(f"#f-{field}")).to_have_attribute("aria-invalid", "true")
