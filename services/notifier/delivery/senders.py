"""The real senders, one per channel, as the Dispatcher calls them: the e-mail over SMTP, the SMS
through the gateway's HTTP API (channels/)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from mumaris.settings import Settings
from services.notifier.delivery.channels.email import send_email, stable_message_id
from services.notifier.delivery.channels.sms import send_sms

# Sends one revealed message; returns the provider's message id. Gets the delivery id, which is
# also the idempotency key (SMS) and the base of the stable Message-ID (e-mail).
Sender = Callable[[str, dict[str, str]], Awaitable[str]]


@dataclass(frozen=True)
class StoredEmail:
    """A recorded e-mail's content, in the shape the e-mail channel sends."""

    email: str
    locale: str
    subject: str
    text: str
    html: str


def channel_senders(settings: Settings) -> dict[str, Sender]:
    async def email(delivery_id: str, message: dict[str, str]) -> str:
        content = StoredEmail(
            email=message["to"],
            locale=message["locale"],
            subject=message["subject"],
            text=message["text"],
            html=message["html"],
        )
        return await send_email(content, settings, message_id=stable_message_id(delivery_id, settings))

    async def sms(delivery_id: str, message: dict[str, str]) -> str:
        # The delivery id is the gateway's idempotency key: a try that reached it before a crash
        # or a timeout is dropped as a repeat, so the phone gets the message once.
        return await send_sms(message["to"], message["text"], settings, idempotency_key=delivery_id)

    return {"email": email, "sms": sms}
