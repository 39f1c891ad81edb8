"""The four services as separate processes on the real stack, with a real SMTP server."""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mumaris.auth import Principal, issue_token
from mumaris.demo import MailCatcher
from mumaris.launcher import SERVICES, ServiceGroup
from mumaris.settings import Settings
from mumaris.stack import LocalStack, StackInfo, free_port
from tests.support import settings_for, unique


@dataclass
class Pipeline:
    stack: StackInfo
    settings: Settings
    group: ServiceGroup
    mail: MailCatcher

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


def start_pipeline(stack: StackInfo, mail: MailCatcher, log_dir: Path) -> tuple[Settings, ServiceGroup]:
    settings = settings_for(stack, smtp_port=mail.port, retry_backoff_s=0.1)
    group = ServiceGroup(
        env={**stack.env(), "MUMARIS_SMTP_PORT": str(mail.port),
             "MUMARIS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
             "MUMARIS_RETRY_BACKOFF_S": "0.1"},
        log_dir=log_dir,
    )
    try:
        for name in SERVICES:
            group.start(name, free_port())
        group.wait_healthy()
    except BaseException:
        group.stop_all()
        raise
    return settings, group


@pytest.fixture(scope="session")
def pipeline(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    with MailCatcher() as mail:
        settings, group = start_pipeline(local_stack.info, mail, tmp_path_factory.mktemp("service-logs"))
        try:
            yield Pipeline(local_stack.info, settings, group, mail)
        finally:
            group.stop_all()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client
