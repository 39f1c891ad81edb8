"""The e-mail channel against a real SMTP server (aiosmtpd on loopback): what arrives, and how
refusals and outages are classified for the retry policy."""

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from mumaris.settings import Settings
from schemas.events import Decision, PractitionerRef, ReviewDecided, SubmissionKind
from services.notifier.delivery.channels import PermanentDeliveryError, TransientDeliveryError
from services.notifier.delivery.channels.email import send_email
from services.notifier.messages.rules import Notification, notification_for_decision

UNKNOWN_MAILBOX = "nobody@example.org"
GREYLISTED_MAILBOX = "later@example.org"
REASON = "صورة الشهادة غير واضحة <b>رجاءً</b>"


class RecordingHandler:
    """Accepts every message and keeps its envelope; refuses two addresses the way real servers do."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address == UNKNOWN_MAILBOX:
            return "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown"
        if address == GREYLISTED_MAILBOX:
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[RecordingHandler, int]) -> RecordingHandler:
    handler, _ = smtp_server
    handler.envelopes.clear()
    return handler


@pytest.fixture
def settings(smtp_server: tuple[RecordingHandler, int]) -> Settings:
    _, port = smtp_server
    return Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=5.0, mail_from="Mumaris <no-reply@mumaris.test>"
    )


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts TCP connections and never says a word, like a server hung mid-greeting."""

    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


def request_changes_for(email: str, locale: str = "ar") -> Notification:
    return notification_for_decision(
        ReviewDecided(
            submission_id="sub-5c21",
            review_id="rev-1",
            kind=SubmissionKind.CERTIFICATE,
            practitioner=PractitionerRef(id="prac-1", name="سارة القحطاني", email=email, locale=locale),
            decision=Decision.REQUEST_CHANGES,
            reason=REASON,
            reviewer_id="reviewer-9",
            decided_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        )
    )


def received(handler: RecordingHandler) -> tuple[Any, EmailMessage]:
    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return envelope, message


async def test_message_arrives_with_subject_both_parts_and_arabic_intact(
    inbox: RecordingHandler, settings: Settings
) -> None:
    notification = request_changes_for("sara@example.org")

    message_id = await send_email(notification, settings)

    envelope, message = received(inbox)
    assert envelope.mail_from == "no-reply@mumaris.test"
    assert envelope.rcpt_tos == ["sara@example.org"]
    assert message["Subject"] == "مطلوب إجراء تعديلات على طلبك | Changes requested on your submission"
    assert message["From"] == "Mumaris <no-reply@mumaris.test>"
    assert message["To"] == "sara@example.org"
    assert message["Message-ID"] == message_id
    assert message_id.startswith("<") and message_id.endswith("@mumaris.test>")
    assert message["Auto-Submitted"] == "auto-generated"

    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content_charset() == "utf-8"
    assert html_part.get_content_charset() == "utf-8"

    text = text_part.get_content()
    html = html_part.get_content()
    assert text == notification.text
    assert "تمت مراجعة طلبك، ويلزم إجراء بعض التعديلات عليه" in text
    assert REASON in text
    assert "sub-5c21" in text
    assert '<html lang="ar" dir="rtl">' in html
    assert 'lang="ar" dir="rtl"' in html
    assert "التعديلات المطلوبة:" in html
    assert "&lt;b&gt;رجاءً&lt;/b&gt;" in html


async def test_retry_can_reuse_the_message_id(inbox: RecordingHandler, settings: Settings) -> None:
    message_id = await send_email(
        request_changes_for("sara@example.org"), settings, message_id="<fixed.1@mumaris.test>"
    )

    _, message = received(inbox)
    assert message_id == "<fixed.1@mumaris.test>"
    assert message["Message-ID"] == "<fixed.1@mumaris.test>"


async def test_english_reader_gets_english_first(inbox: RecordingHandler, settings: Settings) -> None:
    await send_email(request_changes_for("sara@example.org", locale="en"), settings)

    _, message = received(inbox)
    assert message["Subject"] == "Changes requested on your submission | مطلوب إجراء تعديلات على طلبك"
    assert message["Content-Language"] == "en, ar"


async def test_refused_recipient_is_a_permanent_failure(inbox: RecordingHandler, settings: Settings) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        await send_email(request_changes_for(UNKNOWN_MAILBOX), settings)

    assert refused.value.code == 550
    assert refused.value.channel == "email"
    assert inbox.envelopes == []


async def test_greylisted_recipient_is_a_transient_failure(inbox: RecordingHandler, settings: Settings) -> None:
    with pytest.raises(TransientDeliveryError) as deferred:
        await send_email(request_changes_for(GREYLISTED_MAILBOX), settings)

    assert deferred.value.code == 451
    assert inbox.envelopes == []


async def test_closed_port_is_a_transient_failure() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout_s=2.0)

    with pytest.raises(TransientDeliveryError):
        await send_email(request_changes_for("sara@example.org"), settings)


async def test_server_that_never_answers_is_a_transient_failure(silent_server: int) -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=silent_server, smtp_timeout_s=0.3)

    with pytest.raises(TransientDeliveryError):
        await send_email(request_changes_for("sara@example.org"), settings)


async def test_address_with_a_line_break_is_a_permanent_failure(settings: Settings) -> None:
    with pytest.raises(PermanentDeliveryError):
        await send_email(request_changes_for("sara@example.org\r\nBcc: victim@example.org"), settings)
