"""The e-mail channel: one multipart/alternative message (plain text + HTML) over SMTP.

SMTP has no idempotency key: a server that accepted a message and then lost the connection before
answering leaves us unable to tell "sent" from "not sent". A retry therefore sends the message
again, with the same Message-ID (`stable_message_id`), so the receiving server or mail client can
recognise the duplicate; this is the most SMTP offers.
"""

import asyncio
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, localtime, make_msgid, parseaddr

import aiosmtplib

from mumaris.settings import Settings
from services.notifier.delivery.channels import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from services.notifier.delivery.rules import EmailContent

CHANNEL = "email"
FALLBACK_MESSAGE_ID_DOMAIN = "mumaris.local"


async def send_email(notification: EmailContent, settings: Settings, *, message_id: str | None = None) -> str:
    """Send `notification` and return its Message-ID.

    Pass the `message_id` of an earlier attempt when retrying the same delivery, so receiving
    servers and mail clients can recognise a duplicate. `settings.smtp_timeout_s` bounds the whole
    try (connect, every command, the upload), not just each step: a server that answers every
    command slowly must not hold the e-mail queue longer than that either.
    """
    message = build_email(notification, settings, message_id=message_id)
    try:
        async with asyncio.timeout(settings.smtp_timeout_s):
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                start_tls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                timeout=settings.smtp_timeout_s,
            )
    except (aiosmtplib.SMTPException, OSError) as error:  # TimeoutError is an OSError
        raise classify_smtp_failure(error) from error
    return str(message["Message-ID"])


def stable_message_id(delivery_id: str, settings: Settings) -> str:
    """The Message-ID of one delivery, the same on every try (see the module docstring)."""
    return f"<{delivery_id}@{message_id_domain(settings.mail_from)}>"


def build_email(notification: EmailContent, settings: Settings, *, message_id: str | None = None) -> EmailMessage:
    message = EmailMessage()
    try:
        message["Subject"] = notification.subject
        message["From"] = settings.mail_from
        message["To"] = notification.email
    except (ValueError, IndexError) as error:
        # A malformed address (or a line break smuggled into one) will be just as malformed next time.
        raise PermanentDeliveryError(CHANNEL, f"cannot address the message: {error}") from error
    message["Date"] = format_datetime(localtime())
    message["Message-ID"] = message_id or make_msgid(domain=message_id_domain(settings.mail_from))
    # RFC 3834: tells auto-responders (out-of-office) not to answer a no-reply sender.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.text, subtype="plain", charset="utf-8")
    message.add_alternative(notification.html, subtype="html", charset="utf-8")
    # After the parts exist: building them moves any Content-* header down into the first part.
    message["Content-Language"] = "ar, en" if notification.locale == "ar" else "en, ar"
    return message


def message_id_domain(mail_from: str) -> str:
    # Without an explicit domain make_msgid resolves the host's FQDN, which can block on DNS.
    _, address = parseaddr(mail_from)
    try:
        domain = Address(addr_spec=address).domain if address else ""
    except (ValueError, IndexError):
        domain = ""
    return domain or FALLBACK_MESSAGE_ID_DOMAIN


def classify_smtp_failure(error: Exception) -> DeliveryError:
    """Map an SMTP client failure to retry-later or give-up, by the reply code when there is one."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        # We send to one recipient, so its refusal decides; a 4xx among several still means "later".
        codes = [refusal.code for refusal in error.recipients]
        detail = "; ".join(f"{refusal.code} {refusal.message}" for refusal in error.recipients)
        worst = min(codes, default=0)
        return by_reply_code(worst, f"recipient refused: {detail}")
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return by_reply_code(error.code, error.message)
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        # e.g. STARTTLS required by our settings but not offered: a configuration problem that
        # retrying cannot fix; the dead-lettered delivery can be replayed once it is fixed.
        return PermanentDeliveryError(CHANNEL, error.message)
    # Connection refused or reset, timeouts, disconnections, TLS hiccups: the server may be back soon.
    return TransientDeliveryError(CHANNEL, str(error) or type(error).__name__)


def by_reply_code(code: int, detail: str) -> DeliveryError:
    if 500 <= code <= 599:
        return PermanentDeliveryError(CHANNEL, detail, code=code)
    return TransientDeliveryError(CHANNEL, detail, code=code)
