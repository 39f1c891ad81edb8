"""The notifier's use cases with an in-memory unit of work and stores: no broker, no database.
Recording and dispatching against the real database are in tests/integration/test_notifier_deliveries.py;
the whole flow runs in tests/e2e/test_notifier_delivery.py."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker

from mumaris.crypto import generate_key, seal
from mumaris.kafka import PermanentEventError, make_broker
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    AccountRegistered,
    Decision,
    DeliveryRequested,
    EmailConfirmationRequested,
    FeeReminderDue,
    PasswordResetRequested,
    PhoneCodeIssued,
)
from services.notifier.delivery.channels import PermanentDeliveryError, TransientDeliveryError
from services.notifier.delivery.rules import (
    FAILED,
    NO_PHONE,
    PENDING,
    SECRET_PLACEHOLDER,
    SENDABLE_STATUSES,
    SENDING,
    delivery_key,
    delivery_request,
)
from services.notifier.delivery.service import Dispatcher
from services.notifier.inbox.rules import InboxRefused
from services.notifier.inbox.service import Inbox
from services.notifier.messages import handlers
from services.notifier.messages.rules import (
    notification_for_decision,
    notification_for_fee_reminder,
    notification_for_received,
    notification_for_rejection,
)
from services.notifier.messages.samples import DUE, FEE, RECEIVED, REJECTED, SARA, decided
from services.notifier.messages.service import Recorder
from tests.fakes import FakeSender, FakeUnitOfWork
from tests.unit.test_logs import RecordingProducer

SETTINGS = Settings()
KEY = generate_key()
PHONE = "+966512345678"
AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


class FakeContactStore:
    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, str]] = {}

    async def save_contact(self, account_id: str, name: str, email: str, locale: str, session: Any) -> None:
        self.contacts.setdefault(account_id, {}).update(name=name, email=email, locale=locale)

    async def save_phone(self, account_id: str, phone: str, session: Any) -> None:
        self.contacts.setdefault(account_id, {})["phone"] = phone

    async def phone_of(self, account_id: str, session: Any) -> str | None:
        return self.contacts.get(account_id, {}).get("phone")


class FakeInboxStore:
    def __init__(self) -> None:
        self.messages: dict[str, dict[str, Any]] = {}

    async def add(self, message: dict[str, Any], session: Any) -> None:
        assert message["_id"] not in self.messages, "one inbox message per event and recipient"
        self.messages[message["_id"]] = dict(message)

    async def page(self, recipient_id: str, *, page: int, size: int) -> tuple[list[dict[str, Any]], int, int]:
        mine = [m for m in self.messages.values() if m["recipient_id"] == recipient_id]
        mine.sort(key=lambda m: (m["created_at"], m["_id"]), reverse=True)
        unread = sum(m["read_at"] is None for m in mine)
        return mine[(page - 1) * size : page * size], len(mine), unread

    async def mark_read(self, recipient_id: str, message_id: str, at: datetime) -> bool:
        message = self.messages.get(message_id)
        if message is None or message["recipient_id"] != recipient_id:
            return False
        if message["read_at"] is None:
            message["read_at"] = at
        return True


class FakeDeliveryStore:
    """The real store's conditional updates: a final status is never overwritten."""

    def __init__(self) -> None:
        self.deliveries: dict[str, dict[str, Any]] = {}

    async def add_intent(self, delivery: dict[str, Any], session: Any) -> None:
        assert delivery["_id"] not in self.deliveries, "one intent per event, channel and recipient"
        self.deliveries[delivery["_id"]] = dict(delivery)

    async def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        found = self.deliveries.get(delivery_id)
        return dict(found) if found else None

    async def start_try(self, delivery_id: str, at: datetime) -> dict[str, Any] | None:
        found = self.deliveries.get(delivery_id)
        if found is None or found["status"] not in SENDABLE_STATUSES:
            return None
        found.update(status=SENDING, last_try_at=at, updated_at=at, tries=found["tries"] + 1)
        return dict(found)

    async def mark_sent(self, delivery_id: str, at: datetime, provider_message_id: str) -> None:
        self._finish(delivery_id, "sent", at, provider_message_id=provider_message_id, sent_at=at)

    async def mark_failed(self, delivery_id: str, at: datetime, reason: str) -> None:
        self._finish(delivery_id, FAILED, at, error=reason)

    async def mark_expired(self, delivery_id: str, at: datetime) -> None:
        self._finish(delivery_id, "expired", at)

    async def note_transient_failure(self, delivery_id: str, at: datetime, error: str) -> None:
        found = self.deliveries[delivery_id]
        if found["status"] == SENDING:
            found.update(status=PENDING, last_error=error, updated_at=at)

    def _finish(self, delivery_id: str, status: str, at: datetime, **fields: Any) -> None:
        found = self.deliveries[delivery_id]
        if found["status"] in SENDABLE_STATUSES:
            found.update(status=status, updated_at=at, **fields)


@dataclass
class Notifier:
    uow: FakeUnitOfWork
    contacts: FakeContactStore
    inbox: FakeInboxStore
    deliveries: FakeDeliveryStore
    email: FakeSender
    sms: FakeSender

    @property
    def recorder(self) -> Recorder:
        return Recorder(self.uow, self.contacts, self.inbox, self.deliveries)  # type: ignore[arg-type]

    @property
    def dispatcher(self) -> Dispatcher:
        return Dispatcher(self.deliveries, KEY, {"email": self.email, "sms": self.sms})  # type: ignore[arg-type]

    def queued(self) -> list[tuple[str, str]]:
        """(topic, delivery id) of every committed delivery request."""
        return [(topic.name, event.delivery_id) for topic, event in self.uow.outbox.events]  # type: ignore[attr-defined]

    def request(self, delivery_id: str) -> DeliveryRequested:
        """The request the Recorder queued for this delivery."""
        return delivery_request(self.deliveries.deliveries[delivery_id])


@pytest.fixture
def notifier() -> Notifier:
    return Notifier(
        FakeUnitOfWork(), FakeContactStore(), FakeInboxStore(), FakeDeliveryStore(), FakeSender(), FakeSender()
    )


def ce(topic: topics.Topic) -> CloudEventAttributes:
    return CloudEventAttributes.new(source="/test", type=topic.ce_type, subject="s")


def phone_code(account_id: str, code: str = "482913", valid_for: timedelta = timedelta(minutes=5)) -> PhoneCodeIssued:
    return PhoneCodeIssued(
        account_id=account_id,
        phone=PHONE,
        locale="ar",
        sealed_code=seal(code, KEY),
        expires_at=datetime.now(UTC) + valid_for,
    )


# --- the Recorder -----------------------------------------------------------------------------------


async def test_a_decision_is_recorded_once_in_the_inbox_and_queued_by_email_and_sms(notifier: Notifier) -> None:
    await notifier.recorder.phone_code(ce(topics.ACCOUNT_PHONE_CODE), phone_code(SARA.id))
    attrs, note = ce(topics.REVIEW_DECIDED), notification_for_decision(decided(Decision.APPROVE))
    assert note is not None

    await notifier.recorder.notify(attrs, note)
    await notifier.recorder.notify(attrs, note)  # redelivered

    assert list(notifier.inbox.messages) == [delivery_key(attrs.id, "inbox", SARA.id)]
    email, sms = delivery_key(attrs.id, "email", SARA.id), delivery_key(attrs.id, "sms", SARA.id)
    assert notifier.deliveries.deliveries[sms]["message"] == {"to": PHONE, "text": note.sms}  # the code's number
    assert notifier.queued()[1:] == [("notification.email", email), ("notification.sms", sms)]
    assert notifier.uow.handled.count(attrs.id) == 1


async def test_each_kind_goes_out_on_its_own_channels(notifier: Notifier) -> None:
    received, rejected, reminder = (
        ce(topics.SUBMISSION_RECEIVED),
        ce(topics.SUBMISSION_REJECTED),
        ce(topics.FEE_REMINDER),
    )
    await notifier.recorder.notify(received, notification_for_received(RECEIVED))
    await notifier.recorder.notify(rejected, notification_for_rejection(REJECTED))
    await notifier.recorder.notify(
        reminder, notification_for_fee_reminder(FeeReminderDue(**FEE, due_at=DUE, hours_before=12))
    )

    def channels(event: CloudEventAttributes) -> set[str]:
        inbox = {"inbox" for m in notifier.inbox.messages.values() if m["event_id"] == event.id}
        return inbox | {d["channel"] for d in notifier.deliveries.deliveries.values() if d["event_id"] == event.id}

    assert channels(received) == {"inbox"}  # a step to look up, not news to send
    assert channels(rejected) == {"inbox", "email"}
    assert channels(reminder) == {"email", "sms"}  # a deadline hours away: not another inbox entry


async def test_an_sms_to_an_account_without_a_phone_is_recorded_failed_and_not_queued(notifier: Notifier) -> None:
    attrs = ce(topics.REVIEW_DECIDED)
    await notifier.recorder.notify(attrs, notification_for_decision(decided(Decision.REJECT, "No stamp.", ("x",))))

    sms = notifier.deliveries.deliveries[delivery_key(attrs.id, "sms", SARA.id)]
    assert (sms["status"], sms["error"]) == (FAILED, NO_PHONE)
    assert [topic for topic, _ in notifier.queued()] == ["notification.email"]


async def test_nothing_to_tell_records_nothing(notifier: Notifier) -> None:
    await notifier.recorder.notify(ce(topics.REVIEW_DECIDED), None)

    assert (notifier.uow.transactions, notifier.inbox.messages, notifier.deliveries.deliveries) == (0, {}, {})


async def test_a_sign_up_code_is_kept_sealed_and_its_number_becomes_the_accounts(notifier: Notifier) -> None:
    attrs = ce(topics.ACCOUNT_PHONE_CODE)
    await notifier.recorder.phone_code(attrs, phone_code("acc-1", code="731904"))

    [(topic, delivery_id)] = notifier.queued()
    stored = notifier.deliveries.deliveries[delivery_id]
    assert topic == "notification.sms" and delivery_id == delivery_key(attrs.id, "sms", "acc-1")
    assert stored["secret"] is True and SECRET_PLACEHOLDER in stored["message"]["text"]
    assert "731904" not in str(stored)
    assert notifier.contacts.contacts["acc-1"] == {"phone": PHONE}
    assert notifier.inbox.messages == {}  # the account cannot sign in to read it yet


async def test_a_confirmation_link_goes_by_e_mail_only_and_sealed(notifier: Notifier) -> None:
    attrs = ce(topics.ACCOUNT_EMAIL_CONFIRMATION)
    link = "https://mumaris.example/v1/accounts/confirm-email?token=abc"
    event = EmailConfirmationRequested(
        account_id="acc-2",
        name="Reem",
        email="reem@example.sa",
        sealed_link=seal(link, KEY),
        expires_at=datetime.now(UTC) + timedelta(hours=24),
    )
    await notifier.recorder.email_confirmation(attrs, event)

    [(topic, delivery_id)] = notifier.queued()
    stored = notifier.deliveries.deliveries[delivery_id]
    assert topic == "notification.email" and stored["message"]["to"] == "reem@example.sa"
    assert "token=abc" not in str(stored) and SECRET_PLACEHOLDER in stored["message"]["text"]
    assert notifier.inbox.messages == {}


async def test_a_password_reset_link_goes_by_e_mail_only_sealed_and_in_both_languages(notifier: Notifier) -> None:
    attrs = ce(topics.ACCOUNT_PASSWORD_RESET)
    link = "https://mumaris.example/portal/reset-password?token=xyz"
    event = PasswordResetRequested(
        account_id="acc-4",
        name="Reem",
        email="reem@example.sa",
        locale="en",
        sealed_link=seal(link, KEY),
        expires_at=datetime.now(UTC) + timedelta(minutes=30),
    )
    await notifier.recorder.password_reset(attrs, event)
    await notifier.recorder.password_reset(attrs, event)  # redelivered: one e-mail

    [(topic, delivery_id)] = notifier.queued()
    stored = notifier.deliveries.deliveries[delivery_id]
    assert topic == "notification.email" and stored["message"]["to"] == "reem@example.sa"
    assert "token=xyz" not in str(stored) and SECRET_PLACEHOLDER in stored["message"]["text"]
    text = stored["message"]["text"]
    assert text.index("Reset your password") < text.index("إعادة تعيين كلمة المرور")  # hers first
    assert "30 minutes" in text and "30 دقيقة" in text
    assert notifier.inbox.messages == {}


async def test_a_registration_keeps_the_contact_and_a_phone_that_came_first(notifier: Notifier) -> None:
    await notifier.recorder.phone_code(ce(topics.ACCOUNT_PHONE_CODE), phone_code("acc-3"))
    registered = AccountRegistered(
        account_id="acc-3",
        name="Noura",
        email="noura@example.sa",
        locale="en",
        id_kind="national_id",
        terms_version="2026-01",
        registered_at=AT,
    )
    attrs = ce(topics.ACCOUNT_REGISTERED)
    await notifier.recorder.contact(attrs, registered)
    await notifier.recorder.contact(attrs, registered.model_copy(update={"name": "changed"}))  # redelivered

    assert notifier.contacts.contacts["acc-3"] == {
        "phone": PHONE,
        "name": "Noura",
        "email": "noura@example.sa",
        "locale": "en",
    }


# --- the Dispatcher ---------------------------------------------------------------------------------


async def recorded_code(notifier: Notifier, code: str = "604817") -> str:
    attrs = ce(topics.ACCOUNT_PHONE_CODE)
    await notifier.recorder.phone_code(attrs, phone_code("acc-9", code))
    return delivery_key(attrs.id, "sms", "acc-9")


async def recorded_email(notifier: Notifier) -> str:
    attrs = ce(topics.REVIEW_DECIDED)
    await notifier.recorder.notify(attrs, notification_for_decision(decided(Decision.APPROVE)))
    return delivery_key(attrs.id, "email", SARA.id)


async def test_a_delivery_is_sent_once_with_its_secret_opened_only_for_the_sender(notifier: Notifier) -> None:
    delivery_id = await recorded_code(notifier, "604817")

    await notifier.dispatcher.dispatch(notifier.request(delivery_id))
    await notifier.dispatcher.dispatch(notifier.request(delivery_id))  # redelivered after it was sent

    [(sent_id, message)] = notifier.sms.sent
    assert sent_id == delivery_id and "604817" in message["text"] and message["to"] == PHONE
    stored = notifier.deliveries.deliveries[delivery_id]
    assert (stored["status"], stored["tries"], stored["provider_message_id"]) == ("sent", 1, "provider-1")
    assert "604817" not in str(stored)


async def test_a_permanent_refusal_is_recorded_and_never_tried_again(notifier: Notifier) -> None:
    delivery_id = await recorded_email(notifier)
    notifier.email.outcomes.append(PermanentDeliveryError("email", "User unknown", code=550))

    await notifier.dispatcher.dispatch(notifier.request(delivery_id))  # no raise: nothing to retry
    await notifier.dispatcher.dispatch(notifier.request(delivery_id))

    stored = notifier.deliveries.deliveries[delivery_id]
    assert (stored["status"], stored["error"], stored["tries"]) == ("failed", "email: 550 User unknown", 1)
    assert len(notifier.email.sent) == 1


async def test_a_transient_failure_is_recorded_and_raised_for_a_retry_which_then_sends(notifier: Notifier) -> None:
    delivery_id = await recorded_email(notifier)
    notifier.email.outcomes.append(TransientDeliveryError("email", "connection refused"))

    with pytest.raises(TransientDeliveryError):
        await notifier.dispatcher.dispatch(notifier.request(delivery_id))
    stored = notifier.deliveries.deliveries[delivery_id]
    assert (stored["status"], stored["tries"], stored["last_error"]) == ("pending", 1, "email: connection refused")

    await notifier.dispatcher.dispatch(notifier.request(delivery_id))
    await notifier.dispatcher.dispatch(notifier.request(delivery_id))  # done: never again
    assert (notifier.deliveries.deliveries[delivery_id]["status"], len(notifier.email.sent)) == ("sent", 2)


async def test_an_unexpected_failure_is_kept_by_its_type_only(notifier: Notifier) -> None:
    delivery_id = await recorded_email(notifier)
    notifier.email.outcomes.append(RuntimeError("sara@example.sa could not be reached"))

    with pytest.raises(RuntimeError):
        await notifier.dispatcher.dispatch(notifier.request(delivery_id))

    assert notifier.deliveries.deliveries[delivery_id]["last_error"] == "RuntimeError"


async def test_a_code_that_expired_while_queued_is_not_sent(notifier: Notifier) -> None:
    delivery_id = await recorded_code(notifier)
    notifier.deliveries.deliveries[delivery_id]["expires_at"] = datetime.now(UTC)

    await notifier.dispatcher.dispatch(notifier.request(delivery_id))

    assert notifier.deliveries.deliveries[delivery_id]["status"] == "expired" and notifier.sms.sent == []


async def test_a_secret_sealed_with_another_key_fails_for_good_without_sending(notifier: Notifier) -> None:
    delivery_id = await recorded_code(notifier)
    notifier.deliveries.deliveries[delivery_id]["sealed_secret"] = seal("604817", generate_key())

    await notifier.dispatcher.dispatch(notifier.request(delivery_id))

    assert notifier.deliveries.deliveries[delivery_id]["status"] == "failed" and notifier.sms.sent == []


async def test_a_request_for_an_unknown_delivery_is_a_broken_event(notifier: Notifier) -> None:
    request = DeliveryRequested(delivery_id="nope", channel="sms", kind="x", recipient_id="r", event_id="e")

    with pytest.raises(PermanentEventError):
        await notifier.dispatcher.dispatch(request)


# --- the inbox --------------------------------------------------------------------------------------


async def test_a_practitioner_reads_and_marks_only_their_own_messages(notifier: Notifier) -> None:
    first, second = ce(topics.SUBMISSION_RECEIVED), ce(topics.REVIEW_DECIDED)
    await notifier.recorder.notify(first, notification_for_received(RECEIVED))
    await notifier.recorder.notify(second, notification_for_decision(decided(Decision.APPROVE)))
    inbox = Inbox(notifier.inbox)  # type: ignore[arg-type]
    newest = delivery_key(second.id, "inbox", SARA.id)

    await inbox.mark_read(SARA.id, newest)
    await inbox.mark_read(SARA.id, newest)  # twice is fine
    with pytest.raises(InboxRefused) as refused:
        await inbox.mark_read("someone-else", delivery_key(first.id, "inbox", SARA.id))

    assert refused.value.code == "not_found"
    page = await inbox.page(SARA.id, page=1, size=20)
    assert {m["event_id"] for m in page.messages} == {first.id, second.id}
    assert (page.total, page.unread) == (2, 1)
    assert (await inbox.page("someone-else", page=1, size=20)).total == 0


# --- a handler, through FastStream ------------------------------------------------------------------


async def test_the_subscriber_hands_a_decision_to_the_recorder(notifier: Notifier) -> None:
    broker, dead_letters = make_broker(SETTINGS, "notifier")
    dead_letters.producer = RecordingProducer()  # type: ignore[assignment]
    broker.include_router(handlers.router)
    broker.context.set_global("recorder", notifier.recorder)
    event, attrs = decided(Decision.APPROVE), ce(topics.REVIEW_DECIDED)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(
            event.model_dump(mode="json"), topic=topics.REVIEW_DECIDED.name, key=b"s", headers=attrs.to_headers()
        )
        handlers.on_decided.mock.assert_called_once_with(event.model_dump(mode="json"))

    assert list(notifier.inbox.messages) == [delivery_key(attrs.id, "inbox", SARA.id)]
    assert [topic for topic, _ in notifier.queued()] == ["notification.email"]  # no phone known: SMS failed
