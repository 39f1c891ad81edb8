"""The contract pages on a closed network (mumaris/apidocs.py): Swagger UI, ReDoc and the AsyncAPI
viewer render in a real browser with every request off this machine refused, from assets the
service serves itself, under a Content-Security-Policy that allows no inline script."""

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, Route, expect

from mumaris.apidocs import ASSETS
from tests.e2e.conftest import Pipeline

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LOCAL = ("http://127.0.0.1:", "blob:", "data:")


async def offline_page(browser: Browser, outside: list[str], problems: list[str]) -> Page:
    """A page whose requests to anywhere but this machine fail (and are noted), and whose script
    errors and CSP refusals of scripts are noted."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()

    async def only_local(route: Route, request: Request) -> None:
        if request.url.startswith(LOCAL):
            await route.continue_()
        else:
            outside.append(request.url)
            await route.abort()

    await page.route("**/*", only_local)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text and "script" in message.text
            else None
        ),
    )
    return page


@pytest.mark.parametrize(
    ("service", "path", "shown"),
    [
        ("intake", "/docs", "/v1/certificates"),
        ("intake", "/redoc", "Submit Certificate"),
        ("review", "/docs", "/v1/review/{review_id}/decision"),
        ("notifier", "/redoc", "Read"),
        ("intake", "/asyncapi", "submission.received"),
        ("review", "/asyncapi", "review.decided"),
    ],
)
async def test_the_contract_pages_render_from_the_service_alone(
    pipeline: Pipeline, browser: Browser, service: str, path: str, shown: str
) -> None:
    outside: list[str] = []
    problems: list[str] = []
    page = await offline_page(browser, outside, problems)
    try:
        answer = await page.goto(pipeline.url(service) + path)
        assert answer is not None and answer.status == 200
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src", 1)[1].split(";")[0]
        found = (page.get_by_role("heading", name=shown) if path == "/redoc" else page.get_by_text(shown)).first
        await expect(found).to_be_visible(timeout=30_000)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"api-docs-{service}{path.replace('/', '-')}.png"))
    finally:
        await page.context.close()
    assert outside == [], "the page reached off the machine"
    assert problems == []


async def test_the_pages_name_no_outside_address_and_serve_only_their_own_assets(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    intake = pipeline.url("intake")
    for path in ("/docs", "/redoc", "/asyncapi"):
        page = (await http.get(intake + path)).text
        assert "https://" not in page and "<script>" not in page, path
    for name in ASSETS:
        asset = await http.get(f"{intake}/docs-assets/{name}")
        assert asset.status_code == 200 and asset.content, name
    for name in ("../../settings.py", "%2e%2e%2fopenapi.py", "core.py"):
        refused = await http.get(f"{intake}/docs-assets/{name}")
        assert refused.status_code == 404, name
