"""The two halves of every notification.

- `Recorder`: what an event handler does. In one transaction with the event's ledger entry it
  writes the inbox message, one intent per other channel and, per intent to send, a
  `DeliveryRequested` in the outbox (topic `notification.email` / `notification.sms`). It never
  talks to a mail server or the SMS gateway, so a slow one cannot hold up the event topics.
- `Dispatcher`: what a channel consumer does with one `DeliveryRequested`: skip what is already
  done, record the try, open the sealed secret, send, record the outcome. Each channel has its own
  consumer (and retries, and dead letters), so a dead mail server only delays e-mails.

Logs name deliveries by id only: never a code, a phone number or a message body.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import now
from mumaris.crypto import SealBroken, unseal
from mumaris.kafka import PermanentEventError
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas.cloudevents import CloudEventAttributes
from schemas.events import DeliveryRequested, PhoneCodeIssued
from services.notifier.delivery.channels import DeliveryError, PermanentDeliveryError
from services.notifier.delivery.channels.email import send_email, stable_message_id
from services.notifier.delivery.channels.sms import send_sms
from services.notifier.delivery.rules import (
    FINAL_STATUSES,
    SECRET_PLACEHOLDER,
    TOPIC_OF_CHANNEL,
    SealedSecret,
    delivery_key,
    delivery_request,
    email_intent,
    is_expired,
    needs_sending,
    reveal,
    sms_intent,
)
from services.notifier.delivery.store import NotifierStore
from services.notifier.messages.kinds import ACCOUNT_PHONE_CODE
from services.notifier.messages.rules import CHANNELS, Notification, sms_for_phone_code

log = logging.getLogger("mumaris.notifier.delivery")

# Sends one revealed message; returns the provider's message id. Gets the delivery id, which is
# also the idempotency key (SMS) and the base of the stable Message-ID (e-mail).
Sender = Callable[[str, dict[str, str]], Awaitable[str]]

ERROR_LIMIT = 500


class Recorder:
    def __init__(self, uow: UnitOfWork, store: NotifierStore) -> None:
        self.uow = uow
        self.store = store

    async def notify(
        self, ce: CloudEventAttributes, note: Notification | None, secret: SealedSecret | None = None
    ) -> None:
        """Record `note` on the channels of its kind, once per event. None: nothing to tell."""
        if note is None:
            return
        channels = CHANNELS[note.kind]

        async def record(session: AsyncClientSession) -> None:
            at = now()
            if "inbox" in channels:
                await self.store.add_inbox_message(inbox_message(ce.id, note, at), session)
            intents = []
            if "email" in channels:
                intents.append(email_intent(ce.id, note, at, secret))
            if "sms" in channels:
                phone = await self.store.phone_of(note.recipient_id, session)
                intents.append(sms_intent(ce.id, note.kind, note.recipient_id, phone, note.sms, at, secret))
            await self._add(intents, session)

        await self.uow.apply_once(ce.id, ce.type, record)

    async def phone_code(self, ce: CloudEventAttributes, event: PhoneCodeIssued) -> None:
        """The sign-up code by SMS; its number becomes the account's number for later notices."""
        minutes = max(1, round((event.expires_at - now()).total_seconds() / 60))
        # The code stays sealed: the text is composed around the placeholder.
        text = sms_for_phone_code(SECRET_PLACEHOLDER, event.locale, minutes)
        secret = SealedSecret(event.sealed_code, event.expires_at)

        async def record(session: AsyncClientSession) -> None:
            await self.store.save_phone(event.account_id, event.phone, session)
            intent = sms_intent(ce.id, ACCOUNT_PHONE_CODE, event.account_id, event.phone, text, now(), secret)
            await self._add([intent], session)

        await self.uow.apply_once(ce.id, ce.type, record)

    async def _add(self, intents: list[dict[str, Any]], session: AsyncClientSession) -> None:
        for intent in intents:
            await self.store.add_delivery_intent(intent, session)
            if needs_sending(intent):
                await self.uow.outbox.add(TOPIC_OF_CHANNEL[intent["channel"]], delivery_request(intent), session)


def inbox_message(event_id: str, note: Notification, at: datetime) -> dict[str, Any]:
    return {
        "_id": delivery_key(event_id, "inbox", note.recipient_id),
        "recipient_id": note.recipient_id,
        "event_id": event_id,
        "kind": note.kind,
        "title": note.inbox_title,
        "body": note.inbox_body,
        "created_at": at,
        "read_at": None,
    }


class Dispatcher:
    def __init__(self, store: NotifierStore, sealing_key: str, senders: Mapping[str, Sender]) -> None:
        self.store = store
        self.sealing_key = sealing_key
        self.senders = senders

    async def dispatch(self, request: DeliveryRequested) -> None:
        """Send one recorded delivery at most once per try, and never again once it is done.

        Permanent refusals are recorded and end here; anything else is recorded as the last error
        and raised, so the delivery policy retries with backoff and finally dead-letters it."""
        delivery_id = request.delivery_id
        delivery = await self.store.delivery(delivery_id)
        if delivery is None:
            raise PermanentEventError(f"no recorded delivery {delivery_id}")
        if delivery["status"] in FINAL_STATUSES:
            log.info("delivery %s already %s; skipped", delivery_id, delivery["status"])
            return
        if is_expired(delivery, now()):
            await self.store.mark_expired(delivery_id, now())
            log.info("delivery %s expired before it could be sent", delivery_id)
            return
        sender = self.senders.get(delivery["channel"])
        if sender is None:
            raise PermanentEventError(f"no sender for channel {delivery['channel']!r}")

        delivery = await self.store.start_try(delivery_id, now())  # the intent to send, now
        if delivery is None:
            return  # finished by another consumer meanwhile
        try:
            message = reveal(delivery["message"], self._open_secret(delivery))
            provider_message_id = await sender(delivery_id, message)
        except PermanentDeliveryError as error:
            await self.store.mark_failed(delivery_id, now(), str(error)[:ERROR_LIMIT])
            log.warning("delivery %s failed for good (%s, %s)", delivery_id, error.channel, error.code or "refused")
            return
        except Exception as error:
            await self.store.note_transient_failure(delivery_id, now(), describe(error))
            raise
        await self.store.mark_sent(delivery_id, now(), provider_message_id)
        log.info("delivery %s sent (try %d)", delivery_id, delivery["tries"])

    def _open_secret(self, delivery: dict[str, Any]) -> str | None:
        if not delivery.get("secret"):
            return None
        try:
            return unseal(delivery["sealed_secret"], self.sealing_key)
        except SealBroken as error:
            # Another key (a rotation gone wrong) or a damaged record: no retry will open it.
            raise PermanentDeliveryError(delivery["channel"], "the sealed code or link cannot be opened") from error


def describe(error: BaseException) -> str:
    # Channel errors are written to be safe to keep (no code, number or text); others by type only.
    if isinstance(error, DeliveryError):
        return str(error)[:ERROR_LIMIT]
    return type(error).__name__


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
