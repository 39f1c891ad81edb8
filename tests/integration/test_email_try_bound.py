"""`smtp_timeout_s` bounds a whole e-mail try, not each SMTP command: a server that answers every
command just under the timeout must not hold the e-mail queue for several timeouts."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from mumaris.settings import Settings
from mumaris.tools.stack import free_port
from services.notifier.delivery.channels import TransientDeliveryError
from services.notifier.delivery.channels.email import send_email
from services.notifier.delivery.senders import StoredEmail

STEP_S = 0.3  # each answer comes this late
TIMEOUT_S = 0.5  # longer than any one answer, shorter than the conversation (EHLO, MAIL, RCPT, DATA)


class Sluggish:
    def __init__(self) -> None:
        self.delivered = 0

    async def _pause(self) -> None:
        await asyncio.sleep(STEP_S)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        await self._pause()
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        await self._pause()
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        await self._pause()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await self._pause()
        self.delivered += 1
        return "250 OK"


@pytest.fixture
def sluggish() -> Iterator[tuple[Sluggish, int]]:
    handler, port = Sluggish(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def test_a_server_slow_at_every_step_costs_one_timeout_not_one_per_step(sluggish: tuple[Sluggish, int]) -> None:
    handler, port = sluggish
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=TIMEOUT_S)
    message = StoredEmail(email="sara@example.sa", locale="en", subject="s", text="t", html="<p>h</p>")

    started = time.monotonic()
    with pytest.raises(TransientDeliveryError):
        await send_email(message, settings)

    assert time.monotonic() - started < TIMEOUT_S + STEP_S  # cut at the bound, not after the conversation
    assert handler.delivered == 0


async def test_the_same_server_is_fine_when_the_bound_allows_the_whole_conversation(
    sluggish: tuple[Sluggish, int],
) -> None:
    handler, port = sluggish
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=5.0)

    await send_email(
        StoredEmail(email="sara@example.sa", locale="en", subject="s", text="t", html="<p>h</p>"), settings
    )

    assert handler.delivered == 1
