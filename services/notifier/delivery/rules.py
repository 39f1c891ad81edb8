"""Delivery intents: what the notifier records before it sends anything (plain Python, no I/O).

One intent per (event, channel, recipient), in `notifier.deliveries`, carrying everything its
channel consumer needs to send it (e-mail: address, subject, text, html; SMS: number, text), so
sending never has to look at the event again. Its status moves

    pending ──▶ sending ──▶ sent
       ▲           │  └───▶ failed   (permanent refusal, with the reason)
       └───────────┘                  (transient failure: back to pending, with last_error)
    pending ──▶ expired               (a code or link that is no longer worth sending)

and is recorded *before* each try ("sending": we are about to talk to the provider) and *after*
it ("sent" with the provider's id). A redelivered request finds "sent"/"failed"/"expired" and does
nothing; one that finds "sending" knows an earlier try may have reached the provider and sends
again under the same idempotency key (SMS) or Message-ID (e-mail).

Secrets (a sign-up code, a confirmation link) are never stored in the open: the message is
composed around `SECRET_PLACEHOLDER`, the intent keeps the secret as it arrived (sealed with
`mumaris.crypto.seal`) and is marked `secret: true`; `reveal` puts the opened secret in place of
the placeholder right before sending.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from markupsafe import escape

from schemas.events import DeliveryRequested
from schemas.topics import NOTIFICATION_EMAIL, NOTIFICATION_SMS, Topic

Channel = Literal["email", "sms"]

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
# A request that finds its intent in one of these has nothing left to do.
FINAL_STATUSES = frozenset({SENT, FAILED, EXPIRED})
# The only statuses a try may start from ("sending": an earlier try died before its outcome was recorded).
SENDABLE_STATUSES = (PENDING, SENDING)

NO_PHONE = "no phone number"
NO_SMS_TEXT = "no SMS text for this kind of notification"

# Stands where the secret goes while the message is composed and stored. An address under the
# reserved .invalid domain (RFC 2606): it passes the messages rules' "must be a web link" check
# for confirmation links and can never be a real link or code.
SECRET_PLACEHOLDER = "https://sealed.invalid/secret"

TOPIC_OF_CHANNEL: dict[Channel, Topic] = {"email": NOTIFICATION_EMAIL, "sms": NOTIFICATION_SMS}


class EmailContent(Protocol):
    """What an e-mail is made of (a `Notification` is one; so is a stored delivery's content)."""

    @property
    def email(self) -> str: ...
    @property
    def locale(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class EmailNote(EmailContent, Protocol):
    """What an e-mail intent is made from: the content, its kind and recipient (a `Notification`)."""

    @property
    def kind(self) -> str: ...
    @property
    def recipient_id(self) -> str: ...


def delivery_key(event_id: str, channel: str, recipient: str) -> str:
    """The same event, channel and recipient always give the same key, so a redelivered event
    finds its earlier delivery. Hashed so the key bounds its length and keeps e-mail addresses
    and phone numbers out of logs and indexes; JSON-encoded so no separator inside a part can
    make two different triples collide."""
    parts = json.dumps([event_id, channel, recipient], ensure_ascii=False)
    return hashlib.sha256(parts.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SealedSecret:
    """A code or link as it arrived on its topic (sealed), and until when it is worth sending."""

    sealed: str
    expires_at: datetime


def email_intent(event_id: str, note: EmailNote, at: datetime, secret: SealedSecret | None = None) -> dict[str, Any]:
    message = {"to": note.email, "locale": note.locale, "subject": note.subject, "text": note.text, "html": note.html}
    return _intent(event_id, "email", note.kind, note.recipient_id, message, at, secret)


def sms_intent(
    event_id: str,
    kind: str,
    recipient_id: str,
    phone: str | None,
    text: str,
    at: datetime,
    secret: SealedSecret | None = None,
) -> dict[str, Any]:
    """An SMS intent; recorded as already failed when there is nowhere or nothing to send."""
    intent = _intent(event_id, "sms", kind, recipient_id, {"to": phone or "", "text": text}, at, secret)
    if not phone:
        return _failed(intent, NO_PHONE)
    if not text.strip():
        return _failed(intent, NO_SMS_TEXT)
    return intent


def _intent(
    event_id: str,
    channel: Channel,
    kind: str,
    recipient_id: str,
    message: dict[str, str],
    at: datetime,
    secret: SealedSecret | None,
) -> dict[str, Any]:
    intent: dict[str, Any] = {
        "_id": delivery_key(event_id, channel, recipient_id),
        "event_id": event_id,
        "channel": channel,
        "kind": kind,
        "recipient_id": recipient_id,
        "status": PENDING,
        "created_at": at,
        "updated_at": at,
        "tries": 0,
        "message": message,
        "secret": secret is not None,
    }
    if secret is not None:
        if not any(SECRET_PLACEHOLDER in message.get(part, "") for part in ("text", "html")):
            # Sending would go out without the code or link: a bug in composing, not a bad event.
            raise ValueError("a secret message was composed without the secret's placeholder")
        intent["sealed_secret"] = secret.sealed
        intent["expires_at"] = secret.expires_at
        if at >= secret.expires_at:
            intent["status"] = EXPIRED  # a dead code is not worth an SMS
    return intent


def _failed(intent: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**intent, "status": FAILED, "error": reason}


def needs_sending(intent: dict[str, Any]) -> bool:
    return bool(intent["status"] == PENDING)


def delivery_request(intent: dict[str, Any]) -> DeliveryRequested:
    return DeliveryRequested(
        delivery_id=intent["_id"],
        channel=intent["channel"],
        kind=intent["kind"],
        recipient_id=intent["recipient_id"],
        event_id=intent["event_id"],
    )


def is_expired(intent: dict[str, Any], at: datetime) -> bool:
    expires_at = intent.get("expires_at")
    return expires_at is not None and at >= expires_at


def reveal(message: dict[str, str], secret: str | None) -> dict[str, str]:
    """The message as it goes out: the opened secret in place of the placeholder (HTML-escaped in
    the HTML part). The result holds the secret: hand it to the channel and nowhere else."""
    if secret is None:
        return message
    shown = dict(message)
    shown["text"] = shown["text"].replace(SECRET_PLACEHOLDER, secret)
    if "html" in shown:
        shown["html"] = shown["html"].replace(SECRET_PLACEHOLDER, str(escape(secret)))
    return shown
