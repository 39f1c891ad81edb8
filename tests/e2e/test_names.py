"""Names in both scripts, and findings in the reader's language, on the real stack (issue 16).

A practitioner signs up with her name in Arabic and in Latin letters (the API), confirms her phone
and e-mail, and uploads scans: a certificate printed with her Latin name gets no name warning from
the validator's OCR, one printed with another name does; a refused scan's page in the portal and
the reviewer's console, in Arabic, word what the validator measured in Arabic.
"""

import dataclasses
import io
from datetime import date
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, expect

from mumaris.tools.demo import certificate_scan
from tests.documents import tiny_jpeg_bytes
from tests.e2e.conftest import Pipeline
from tests.e2e.portal_support import PASSWORD, OpenContext, Person, active_practitioner, new_person, sign_in
from tests.e2e.test_console import VIEWPORT, staff_account
from tests.e2e.test_console import sign_in as console_sign_in
from tests.e2e.test_pipeline import reach, upload
from tests.support import eventually

pytestmark = pytest.mark.e2e

ISSUED = date(2025, 3, 14)
METADATA = {
    "name": "Basic Life Support (BLS)",
    "obtained_on": ISSUED.isoformat(),
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Training certificate",
}


async def sara(pipeline: Pipeline, http: httpx.AsyncClient) -> tuple[Person, dict[str, str]]:
    """سارة الحربي, "Sara Al-Harbi" in Latin letters: signed up, phone and e-mail confirmed, signed in."""
    person = dataclasses.replace(new_person("Sara", "Al-Harbi"), first_name="سارة", last_name="الحربي")
    await active_practitioner(
        pipeline, http, lang="ar", person=person, first_name_latin="Sara", last_name_latin="Al-Harbi"
    )
    login = {"email": person.email, "password": PASSWORD}
    tokens = (await http.post(f"{pipeline.url('intake')}/v1/auth/login", json=login)).json()
    return person, {"Authorization": f"Bearer {tokens['access_token']}"}


def by_rule(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {finding["rule"]: finding for finding in view["findings"]}


async def test_both_names_are_on_the_profile_and_a_certificate_in_latin_letters_gets_no_name_warning(
    pipeline: Pipeline, http: httpx.AsyncClient, browser: Browser
) -> None:
    _, auth = await sara(pipeline, http)
    me = (await http.get(f"{pipeline.url('intake')}/v1/me", headers=auth)).json()
    assert (me["first_name"], me["last_name"]) == ("سارة", "الحربي")
    assert (me["first_name_latin"], me["last_name_latin"]) == ("Sara", "Al-Harbi")

    scan = certificate_scan("Sara Al-Harbi", METADATA["institution"], ISSUED)
    short_side = min(Image.open(io.BytesIO(scan)).size)
    answer = await upload(http, pipeline, auth, scan, metadata=METADATA)
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    view = await reach(http, pipeline, auth, submission_id, "in_review", timeout=90)
    name = by_rule(view)["content.name"]
    assert name["outcome"] == "pass", name  # before: "warn", the Arabic name is not on the page
    assert name["params"] == {"script": "latin"} and "Sara Al-Harbi" in name["evidence"]
    assert not [f for f in view["findings"] if f["outcome"] == "warn" and f["rule"] == "content.name"]

    # The reviewer's console, in Arabic, words the findings in Arabic: which name matched, and the
    # scan's measured resolution (the English sentence stays only for readers of before).
    reviewer = await staff_account(pipeline, locale="ar")
    context = await browser.new_context(viewport=VIEWPORT, base_url=pipeline.url("review"))
    try:
        page = await context.new_page()
        await console_sign_in(page, reviewer, lang="ar")
        await page.goto(f"/console/items/{submission_id}?lang=ar")
        findings = page.get_by_test_id("findings")
        name_row = findings.locator("tr[data-rule='content.name']")
        await expect(name_row.get_by_test_id("measured")).to_have_text("يطابق اسم الممارس المسجّل بالحروف اللاتينية")
        resolution = findings.locator("tr[data-rule='image.resolution']").get_by_test_id("measured")
        await expect(resolution).to_have_text(f"الضلع الأقصر للصورة {short_side} بكسل؛ والمطلوب 600 بكسل على الأقل")
        await expect(findings).not_to_contain_text("shorter side")
        await page.goto(f"/console/items/{submission_id}?lang=en")
        await expect(
            page.get_by_test_id("findings").locator("tr[data-rule='image.resolution']").get_by_test_id("measured")
        ).to_have_text(f"shorter side {short_side} px; at least 600 px needed")
    finally:
        await context.close()


async def test_a_certificate_printed_with_another_name_still_gets_the_name_warning(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = await sara(pipeline, http)
    scan = certificate_scan("Nouf Al-Otaibi", METADATA["institution"], ISSUED)
    answer = await upload(http, pipeline, auth, scan, metadata=METADATA)
    assert answer.status_code == 202, answer.text
    view = await reach(http, pipeline, auth, answer.json()["submission_id"], "in_review", timeout=90)
    name = by_rule(view)["content.name"]
    assert (name["outcome"], name["code"]) == ("warn", "content.name_not_found")
    assert name["params"] == {"names": 2}  # both registered names were looked for


async def test_a_refused_scan_says_what_was_measured_in_the_page_language_and_in_the_e_mail(
    pipeline: Pipeline, http: httpx.AsyncClient, portal_browser: OpenContext
) -> None:
    person, auth = await sara(pipeline, http)
    answer = await upload(http, pipeline, auth, tiny_jpeg_bytes(), metadata=METADATA)
    assert answer.status_code == 202, answer.text
    submission_id = answer.json()["submission_id"]
    view = await reach(http, pipeline, auth, submission_id, "validation_failed", timeout=90)
    resolution = by_rule(view)["image.resolution"]
    assert (resolution["code"], resolution["params"]) == ("image.too_small", {"short_side": 200, "minimum": 600})

    page = await (await portal_browser()).new_page()
    await sign_in(page, person, lang="ar")
    await page.goto(f"/portal/certificates/{submission_id}?lang=ar")
    why = page.get_by_test_id("why")
    await expect(why.locator("li[data-code='image.too_small']").get_by_test_id("measured")).to_have_text(
        "الضلع الأقصر للصورة 200 بكسل؛ والمطلوب 600 بكسل على الأقل"
    )
    await expect(why).not_to_contain_text("shorter side")
    await page.goto(f"/portal/certificates/{submission_id}?lang=en")
    await expect(page.get_by_test_id("why").get_by_test_id("measured")).to_have_text(
        "shorter side 200 px; at least 600 px needed"
    )

    async def rejection_mail() -> str | None:
        for mail in pipeline.mails_to(person.email):
            body = mail.get_body(preferencelist=("plain",)).get_content()
            if "الضلع الأقصر للصورة 200 بكسل" in body:
                return str(body)
        return None

    body = await eventually(rejection_mail, timeout=60, what="the rejection e-mail with the measured resolution")
    assert "shorter side 200 px; at least 600 px needed" in body  # her e-mail carries English second


async def test_each_name_in_the_wrong_script_is_refused_with_its_code_in_both_languages(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    person = new_person("Reem", "Al-Zahrani")
    body = {
        "first_name": "Reem",  # the Arabic name's field, with a Latin name given beside it
        "last_name": "الزهراني",
        "first_name_latin": "Reem",
        "last_name_latin": "Al-Zahrani",
        "id_number": person.id_number,
        "email": person.email,
        "mobile": person.mobile,
        "password": PASSWORD,
        "password_confirmation": PASSWORD,
        "accept_terms": True,
    }
    refused = await http.post(f"{pipeline.url('intake')}/v1/accounts", json=body)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert (error["code"], error["details"]) == ("account.name_not_arabic", {"field": "first_name"})
    assert "بالحروف العربية" in error["message"]["ar"] and "Arabic letters" in error["message"]["en"]
    latin = await http.post(
        f"{pipeline.url('intake')}/v1/accounts", json={**body, "first_name": "ريم", "last_name_latin": "الزهراني"}
    )
    assert latin.json()["error"]["code"] == "account.name_not_latin", latin.text
    assert latin.json()["error"]["details"] == {"field": "last_name_latin"}
