"""The four services as separate processes on the real stack, with a real SMTP server."""

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from mumaris.settings import Settings
from mumaris.tools.launcher import SERVICES, ServiceGroup
from mumaris.tools.stack import LocalStack, StackInfo, free_port
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from tests.support import settings_for, unique

if TYPE_CHECKING:
    from playwright.async_api import Browser


@dataclass
class Pipeline:
    stack: StackInfo
    settings: Settings
    group: ServiceGroup
    mail: MailCatcher
    sms: SmsGatewayStandIn

    def url(self, service: str) -> str:
        return self.group.processes[service].url

    def practitioner(self, locale: str = "ar") -> tuple[Principal, dict[str, str]]:
        """A fresh practitioner (so tests never see each other's submissions) and their auth header."""
        who = Principal(
            id=unique("prac"),
            role="practitioner",
            name="Dr. Sara Al-Harbi",
            email=f"{unique('sara')}@example.sa",
            locale="en" if locale == "en" else "ar",
        )
        return who, {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    def reviewer(self) -> dict[str, str]:
        who = Principal(id=unique("rev"), role="reviewer", name="Reviewer", email="reviewer@scfhs.local")
        return {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    async def decide(
        self,
        http: httpx.AsyncClient,
        review_id: str,
        decision: dict[str, Any],
        as_reviewer: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A reviewer claims the item, then decides (only the holder of the claim may)."""
        as_reviewer = as_reviewer or self.reviewer()
        claimed = await http.post(f"{self.url('review')}/v1/review/{review_id}/claim", headers=as_reviewer)
        assert claimed.status_code == 200, claimed.text
        return await http.post(
            f"{self.url('review')}/v1/review/{review_id}/decision", headers=as_reviewer, json=decision
        )

    def mails_to(self, address: str) -> list:
        return [m for m in self.mail.messages if m["To"] == address]


def start_pipeline(
    stack: StackInfo, mail: MailCatcher, sms: SmsGatewayStandIn, log_dir: Path, env: dict[str, str] | None = None
) -> tuple[Settings, ServiceGroup]:
    ports = {name: free_port() for name in SERVICES}
    settings = settings_for(
        stack,
        smtp_port=mail.port,
        retry_backoff_s=0.1,
        sms_gateway_url=sms.url,
        public_base_url=f"http://127.0.0.1:{ports['intake']}",
    )
    group = ServiceGroup(
        env={
            **stack.env(),
            "MUMARIS_SMTP_PORT": str(mail.port),
            "MUMARIS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
            "MUMARIS_RETRY_BACKOFF_S": "0.1",
            "MUMARIS_SMS_GATEWAY_URL": sms.url,
            "MUMARIS_PUBLIC_BASE_URL": settings.public_base_url,
            # The review console signs reviewers in through intake, passing on the browser's
            # address; intake believes X-Forwarded-For only from a trusted proxy (review, here).
            "MUMARIS_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
            # The practitioner portal (intake) reads the inbox from notifier.
            "MUMARIS_NOTIFIER_URL": f"http://127.0.0.1:{ports['notifier']}",
            "MUMARIS_TRUSTED_PROXIES": '["127.0.0.1"]',
            # Two document-check workers whatever the machine (the default is one per usable CPU).
            "MUMARIS_VALIDATOR_WORKERS": "2",
            **(env or {}),
        },
        log_dir=log_dir,
    )
    try:
        for name in SERVICES:
            group.start(name, ports[name])
        group.wait_healthy()
    except BaseException:
        group.stop_all()
        raise
    return settings, group


@pytest.fixture(scope="session")
def pipeline(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with MailCatcher() as mail, SmsGatewayStandIn() as sms:
        settings, group = start_pipeline(local_stack.info, mail, sms, tmp_path_factory.mktemp("service-logs"))
        try:
            yield Pipeline(local_stack.info, settings, group, mail, sms)
        finally:
            group.stop_all()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


# Debian's chromium: Playwright's own browser download is not available on these machines.
CHROMIUM = os.environ.get("MUMARIS_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator["Browser"]:
    """One headless Chromium for the session; each test opens its own context (cookies)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def portal_browser(browser: "Browser", pipeline: Pipeline) -> AsyncIterator[Any]:
    """Opens browsers of their own (cookies: one person each) on the practitioner portal, at a
    phone's size; all closed after the test."""
    from tests.e2e.portal_support import new_portal_context

    contexts = []

    async def open_(**options: Any) -> Any:
        context = await new_portal_context(browser, pipeline, **options)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        await context.close()
