"""The portal with a keyboard only: sign up, confirm the phone, sign in, add a certificate and see
it, pressing nothing but Tab, Shift+Tab, Enter and Space (and typing into the focused field), in
Arabic and English, at a phone's width (390 px) and a desktop's.

At every stop the focus must be visible (the focus ring drawn, the element on screen), and the order
must make sense: the skip link first, then the form's fields in reading order, then its button.
The e-mail link is opened as a person opens it from her mail; everything on the pages is keyboard.
"""

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, FileChooser, Page, expect

from mumaris.tools.demo import certificate_scan
from tests.e2e.conftest import Pipeline
from tests.e2e.portal_support import ARTIFACTS, PASSWORD, mail_link, new_person, sms_code, with_lang

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
DETAILS = {
    "name": "Infection Prevention and Control",
    "institution": "King Faisal Specialist Hospital",
    "specialty": "Nursing",
    "degree": "Training certificate",
}
OBTAINED = ("03", "14", "2025")  # typed into the date field as the en-US browser shows it: mm dd yyyy
MAX_TABS = 40

# What the focused element is, whether its focus ring is drawn and whether it is on screen.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const onScreen = box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight
    && box.right > 0 && box.left < innerWidth;
  return {
    id: el.id || null, tag: el.tagName.toLowerCase(), type: el.type || null, value: el.value || null,
    testid: el.dataset.testid || null, href: el.getAttribute("href"),
    cls: el.className || "", ring, onScreen,
  };
}"""


def key_of(stop: dict[str, Any]) -> str:
    """A stop as the test names it: a field by its id, a button or link by test id, else its tag."""
    if stop["cls"] == "skip":
        return "skip"
    if stop["type"] == "radio":
        return str(stop["value"])
    if stop["id"]:
        return stop["id"]
    if stop["tag"] == "button" and stop["type"] == "submit":
        return stop["testid"] or "submit"
    return stop["testid"] or stop["href"] or stop["tag"]


class Keyboard:
    """One person at a keyboard: every stop the focus makes is recorded and checked for a visible ring."""

    def __init__(self, page: Page, where: str) -> None:
        self.page = page
        self.where = where
        self.stops: list[str] = []

    async def focused(self) -> dict[str, Any]:
        stop: dict[str, Any] | None = await self.page.evaluate(FOCUSED)
        assert stop is not None, f"{self.where}: the focus is lost"
        return stop

    async def tab(self, back: bool = False) -> str:
        await self.page.keyboard.press("Shift+Tab" if back else "Tab")
        stop = await self.focused()
        assert stop["ring"], f"{self.where}: no visible focus on {stop}"
        assert stop["onScreen"], f"{self.where}: the focused element is off screen: {stop}"
        self.stops.append(key_of(stop))
        return self.stops[-1]

    async def tab_to(self, wanted: str) -> list[str]:
        """Tab until `wanted` has the focus; the stops on the way (the same one once)."""
        path: list[str] = []
        for _ in range(MAX_TABS):
            stop = await self.tab()
            if not path or path[-1] != stop:  # a date field's segments are stops of one field
                path.append(stop)
            if stop == wanted:
                return path
        raise AssertionError(f"{self.where}: {wanted} never got the focus; stops: {path}")

    async def skip_to_content(self) -> None:
        """The first Tab on a page reaches the skip link; Enter puts the focus at the content."""
        await self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        assert await self.tab() == "skip", f"{self.where}: the skip link is not the first stop"
        await self.page.keyboard.press("Enter")
        assert (await self.focused())["id"] == "main", f"{self.where}: the skip link does not lead to the content"

    async def type(self, text: str) -> None:
        await self.page.keyboard.type(text)


def in_order(path: list[str], expected: list[str], where: str) -> None:
    """The expected stops appear in `path` in this order (other stops, e.g. hints' links, between them)."""
    positions = [path.index(name) if name in path else -1 for name in expected]
    assert -1 not in positions and positions == sorted(positions), f"{where}: order {path}, expected {expected}"


async def shot(page: Page, name: str, lang: str, width: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"keyboard-{name}.{lang}.{width}.png"), full_page=False)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["ar", "en"])
async def test_sign_up_sign_in_and_add_a_certificate_with_the_keyboard_alone(
    pipeline: Pipeline, browser: Browser, tmp_path: Path, lang: str, width: str
) -> None:
    where = f"{lang}/{width}"
    person = new_person("Reem", "Al-Shehri")
    context = await browser.new_context(viewport=WIDTHS[width], base_url=pipeline.url("intake"), locale="en-US")
    try:
        page = await context.new_page()
        keys = Keyboard(page, where)
        # Listening from the start: Chromium hands the chooser to the test only once Playwright has
        # asked for it, which the first listener does (asynchronously).
        chosen: asyncio.Future[FileChooser] = asyncio.get_running_loop().create_future()
        page.on("filechooser", lambda chooser: chosen.done() or chosen.set_result(chooser))

        # Sign-up: skip link, then every field in reading order, the terms, the button.
        await page.goto(f"/portal/sign-up?lang={lang}")
        await keys.skip_to_content()
        fields = [
            ("f-first_name", person.first_name),
            ("f-last_name", person.last_name),
            # The name in Latin letters, optional: passed over (this person's names are Latin already).
            ("f-first_name_latin", None),
            ("f-last_name_latin", None),
            ("national_id", None),  # the ID kind: a radio group, one stop, national ID already chosen
            ("f-id_number", person.id_number),
            ("f-email", person.email),
            ("f-mobile", person.mobile),
            ("f-password", PASSWORD),
            ("f-password_confirmation", PASSWORD),
        ]
        path: list[str] = []
        for field, value in fields:
            stop = await keys.tab()
            path.append(stop)
            if value is not None:
                assert stop == field, f"{where}: expected {field}, the focus is on {stop} ({path})"
                await keys.type(value)
        path += await keys.tab_to("f-accept_terms")
        await page.keyboard.press("Space")
        await expect(page.locator("#f-accept_terms")).to_be_checked()
        path += await keys.tab_to("submit")
        in_order(path, [f for f, v in fields if v is not None] + ["f-accept_terms", "submit"], where)
        await shot(page, "sign-up", lang, width)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/portal/verify-phone?done=signed_up")

        # The phone code: its field, then its button.
        await keys.skip_to_content()
        path = await keys.tab_to("f-code")
        await keys.type(await sms_code(pipeline, person))
        path += await keys.tab_to("submit")
        in_order(path, ["f-code", "submit"], where)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/portal/sign-in?done=phone_confirmed")

        # The e-mail link, opened from her mail; its page's button pressed with the keyboard.
        sign_in_page = page.url
        await page.goto(with_lang(await mail_link(pipeline, person, "/portal/confirm-email"), lang))
        await keys.skip_to_content()
        await keys.tab_to("confirm-email")
        await page.keyboard.press("Enter")
        await expect(page.get_by_test_id("email-confirmed")).to_be_visible()

        # Sign-in: e-mail, password, button; Shift+Tab walks back the same way.
        await page.goto(with_lang(sign_in_page, lang))
        await keys.skip_to_content()
        assert await keys.tab_to("f-email") == ["f-email"], f"{where}: the e-mail field is not first"
        await keys.type(person.email)
        assert await keys.tab() == "f-password"
        await keys.type(PASSWORD)
        assert await keys.tab() == "submit"
        assert await keys.tab(back=True) == "f-password"
        assert await keys.tab() == "submit"
        await shot(page, "sign-in", lang, width)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/portal/profile")
        assert await page.get_attribute("html", "lang") == lang

        # From the menu to the certificates, and to the form.
        await page.evaluate("() => document.activeElement && document.activeElement.blur()")
        menu = await keys.tab_to("/portal/certificates")
        assert menu[0] == "skip", f"{where}: {menu}"
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/portal/certificates")
        await keys.skip_to_content()
        await keys.tab_to("add-certificate")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/portal/certificates/new")

        # The form: its fields in reading order, the file chosen with Space, saved with Enter.
        await keys.skip_to_content()
        path = []
        for field in ("f-name", "f-obtained_on", "f-institution", "f-specialty", "f-degree"):
            path += await keys.tab_to(field)
            if field == "f-obtained_on":
                for segment in OBTAINED:
                    await keys.type(segment)
            else:
                await keys.type(DETAILS[field.removeprefix("f-")])
        await expect(page.locator("#f-obtained_on")).to_have_value("2025-03-14")
        path += await keys.tab_to("f-file")
        scan = tmp_path / "certificate.jpg"
        scan.write_bytes(certificate_scan(person.name, DETAILS["institution"], course=DETAILS["name"]))
        await page.keyboard.press("Space")
        await (await asyncio.wait_for(chosen, 10)).set_files(str(scan))
        path += await keys.tab_to("save")
        in_order(path, ["f-name", "f-obtained_on", "f-institution", "f-specialty", "f-degree", "f-file", "save"], where)
        await shot(page, "certificate-form", lang, width)
        await page.keyboard.press("Enter")
        await page.wait_for_url(re.compile(r".*/portal/certificates/[\w-]+\?done=submitted$"), timeout=30_000)
        await expect(page.get_by_test_id("notice")).to_be_visible()  # received, under review
        submission_id = page.url.split("/portal/certificates/")[1].split("?")[0]

        # Back to the list, where it is.
        await keys.skip_to_content()
        await keys.tab_to("/portal/certificates")
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/portal/certificates")
        card = page.locator(f"[data-submission='{submission_id}']")
        await expect(card).to_contain_text(DETAILS["name"])
        # Its date reads left to right on one line in either language ("2025-03-14", not "2025-03- · 14").
        obtained = card.locator("time[datetime='2025-03-14']")
        await expect(obtained).to_have_text("2025-03-14")
        assert await obtained.evaluate("e => e.getClientRects().length") == 1, f"{where}: the date breaks across lines"
        await shot(page, "certificates", lang, width)
    finally:
        await context.close()
