"""The Recorder: what the event handlers do with a notification, and all they do.

In one transaction with the event's ledger entry it writes the inbox message, one intent per
other channel of the notification's kind and, per intent to send, a `DeliveryRequested` in the
outbox (topic `notification.email` / `notification.sms`). It never talks to a mail server or the
SMS gateway, so a slow one cannot hold up the event topics: the delivery area sends.
Sealed codes and links are recorded sealed, around `SECRET_PLACEHOLDER`.
"""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import now
from mumaris.mongo import UnitOfWork
from schemas.cloudevents import CloudEventAttributes
from schemas.events import AccountRegistered, EmailConfirmationRequested, PasswordResetRequested, PhoneCodeIssued
from services.notifier.delivery.rules import (
    SECRET_PLACEHOLDER,
    TOPIC_OF_CHANNEL,
    SealedSecret,
    delivery_request,
    email_intent,
    needs_sending,
    sms_intent,
)
from services.notifier.delivery.store import DeliveryStore
from services.notifier.inbox.store import InboxStore
from services.notifier.messages.kinds import ACCOUNT_PHONE_CODE
from services.notifier.messages.rules import (
    CHANNELS,
    Notification,
    inbox_message,
    notification_for_email_confirmation,
    notification_for_password_reset,
    sms_for_phone_code,
)
from services.notifier.messages.store import ContactStore


@dataclass(frozen=True)
class Recorder:
    uow: UnitOfWork
    contacts: ContactStore
    inbox: InboxStore
    deliveries: DeliveryStore

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
                await self.inbox.add(inbox_message(ce.id, note, at), session)
            intents = []
            if "email" in channels:
                intents.append(email_intent(ce.id, note, at, secret))
            if "sms" in channels:
                phone = await self.contacts.phone_of(note.recipient_id, session)
                intents.append(sms_intent(ce.id, note.kind, note.recipient_id, phone, note.sms, at, secret))
            await self._queue(intents, session)

        await self.uow.apply_once(ce.id, ce.type, record)

    async def phone_code(self, ce: CloudEventAttributes, event: PhoneCodeIssued) -> None:
        """The sign-up code by SMS; its number becomes the account's number for later notices."""
        minutes = max(1, round((event.expires_at - now()).total_seconds() / 60))
        # The code stays sealed: the text is composed around the placeholder.
        text = sms_for_phone_code(SECRET_PLACEHOLDER, event.locale, minutes)
        secret = SealedSecret(event.sealed_code, event.expires_at)

        async def record(session: AsyncClientSession) -> None:
            await self.contacts.save_phone(event.account_id, event.phone, session)
            intent = sms_intent(ce.id, ACCOUNT_PHONE_CODE, event.account_id, event.phone, text, now(), secret)
            await self._queue([intent], session)

        await self.uow.apply_once(ce.id, ce.type, record)

    async def email_confirmation(self, ce: CloudEventAttributes, event: EmailConfirmationRequested) -> None:
        """The confirmation link by e-mail. The link stays sealed: the e-mail is composed around
        the placeholder, which the delivery fills when it sends."""
        note = notification_for_email_confirmation(
            recipient_id=event.account_id,
            name=event.name,
            email=event.email,
            locale=event.locale,
            link=SECRET_PLACEHOLDER,
        )
        await self.notify(ce, note, SealedSecret(event.sealed_link, event.expires_at))

    async def password_reset(self, ce: CloudEventAttributes, event: PasswordResetRequested) -> None:
        """The forgotten-password link by e-mail, sealed until it is sent, like the confirmation link."""
        minutes = max(1, round((event.expires_at - now()).total_seconds() / 60))
        note = notification_for_password_reset(
            recipient_id=event.account_id,
            name=event.name,
            email=event.email,
            locale=event.locale,
            link=SECRET_PLACEHOLDER,
            ttl_minutes=minutes,
        )
        await self.notify(ce, note, SealedSecret(event.sealed_link, event.expires_at))

    async def contact(self, ce: CloudEventAttributes, event: AccountRegistered) -> None:
        """Where the new account's messages go: its name, e-mail and language."""

        async def record(session: AsyncClientSession) -> None:
            await self.contacts.save_contact(event.account_id, event.name, event.email, event.locale, session)

        await self.uow.apply_once(ce.id, ce.type, record)

    async def _queue(self, intents: list[dict[str, Any]], session: AsyncClientSession) -> None:
        for intent in intents:
            await self.deliveries.add_intent(intent, session)
            if needs_sending(intent):
                await self.uow.outbox.add(TOPIC_OF_CHANNEL[intent["channel"]], delivery_request(intent), session)
