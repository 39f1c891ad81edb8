"""The four services as separate processes on the real stack, with a real SMTP server."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from mumaris.standins import MailCatcher
from mumaris.launcher import SERVICES, ServiceGroup
from mumaris.settings import Settings
from mumaris.stack import LocalStack, StackInfo, free_port
from mumaris.standins import SmsGatewayStandIn
from tests.support import settings_for, unique


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
        who = Principal(id=unique("prac"), role="practitioner", name="Dr. Sara Al-Harbi",
                        email=f"{unique('sara')}@example.sa", locale="en" if locale == "en" else "ar")
        return who, {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    def reviewer(self) -> dict[str, str]:
        who = Principal(id=unique("rev"), role="reviewer", name="Reviewer", email="reviewer@scfhs.local")
        return {"Authorization": f"Bearer {issue_token(who, self.settings)}"}

    def mails_to(self, address: str) -> list:
        return [m for m in self.mail.messages if m["To"] == address]


def start_pipeline(stack: StackInfo, mail: MailCatcher, sms: SmsGatewayStandIn,
                   log_dir: Path) -> tuple[Settings, ServiceGroup]:
    ports = {name: free_port() for name in SERVICES}
    settings = settings_for(stack, smtp_port=mail.port, retry_backoff_s=0.1, sms_gateway_url=sms.url,
                            public_base_url=f"http://127.0.0.1:{ports['intake']}")
    group = ServiceGroup(
        env={**stack.env(), "MUMARIS_SMTP_PORT": str(mail.port),
             "MUMARIS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
             "MUMARIS_RETRY_BACKOFF_S": "0.1", "MUMARIS_SMS_GATEWAY_URL": sms.url,
             "MUMARIS_PUBLIC_BASE_URL": settings.public_base_url},
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
