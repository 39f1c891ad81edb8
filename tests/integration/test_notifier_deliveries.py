"""Recording and dispatching notifications against the real database, with stand-in senders:
what is recorded once per event, and how a delivery moves from intent to sent, failed or expired."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mumaris.crypto import seal
from mumaris.kafka import PermanentEventError
from mumaris.mongo import Outbox, UnitOfWork, make_client
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    Decision,
    DeliveryRequested,
    PhoneCodeIssued,
    PractitionerRef,
    RegistrationSuspended,
    ReviewDecided,
    SubmissionKind,
)
from schemas.topics import ACCOUNT_PHONE_CODE, REGISTRATION_SUSPENDED, REVIEW_DECIDED
from services.notifier.delivery.channels import PermanentDeliveryError, TransientDeliveryError
from services.notifier.delivery.rules import NO_PHONE, SECRET_PLACEHOLDER, delivery_key
from services.notifier.delivery.service import Dispatcher
from services.notifier.delivery.store import DeliveryStore
from services.notifier.inbox.store import InboxStore
from services.notifier.messages.rules import notification_for_decision, notification_for_registration_suspended
from services.notifier.messages.service import Recorder
from services.notifier.messages.store import ContactStore
from tests.fakes import FakeSender
from tests.support import settings_for, unique

pytestmark = pytest.mark.integration

PHONE = "+966512345678"


@dataclass
class Notifier:
    settings: Settings
    uow: UnitOfWork
    store: DeliveryStore
    inbox: InboxStore
    recorder: Recorder
    email: FakeSender
    sms: FakeSender
    dispatcher: Dispatcher

    async def outbox(self) -> list[dict[str, Any]]:
        """The pending events, each with its body as data."""
        docs = await self.uow.outbox.collection.find({}).to_list()
        return [{**doc, "body": Outbox.body_of(doc)} for doc in docs]

    async def delivery(self, delivery_id: str) -> dict[str, Any]:
        found = await self.store.delivery(delivery_id)
        assert found is not None
        return found

    def request(self, delivery: dict[str, Any]) -> DeliveryRequested:
        return DeliveryRequested(
            delivery_id=delivery["_id"],
            channel=delivery["channel"],
            kind=delivery["kind"],
            recipient_id=delivery["recipient_id"],
            event_id=delivery["event_id"],
        )


@pytest.fixture
async def notifier(stack: StackInfo) -> AsyncIterator[Notifier]:
    settings = settings_for(stack, mongo_db=unique("notifier"))
    client = make_client(settings)
    db = client[settings.mongo_db]
    uow = UnitOfWork(client, db, "notifier")
    store, inbox = DeliveryStore(db), InboxStore(db)
    await store.ensure_indexes()
    await inbox.ensure_indexes()
    email, sms = FakeSender(), FakeSender()
    dispatcher = Dispatcher(store, settings.field_encryption_key.get_secret_value(), {"email": email, "sms": sms})
    recorder = Recorder(uow, ContactStore(db), inbox, store)
    try:
        yield Notifier(settings, uow, store, inbox, recorder, email, sms, dispatcher)
    finally:
        await client.drop_database(settings.mongo_db)
        await client.close()


def ce_for(topic_type: str, subject: str) -> CloudEventAttributes:
    return CloudEventAttributes.new(source="/test", type=topic_type, subject=subject)


def decision(practitioner_id: str) -> ReviewDecided:
    return ReviewDecided(
        submission_id=unique("sub"),
        review_id="rev",
        kind=SubmissionKind.CERTIFICATE,
        decision=Decision.APPROVE,
        practitioner=PractitionerRef(id=practitioner_id, name="Sara", email="sara@example.sa", locale="en"),
        reviewer_id="r-1",
        decided_at=datetime.now(UTC),
        certificate=CertificateMetadata(
            name="BLS",
            obtained_on="2025-03-14",
            institution="Saudi Heart Association",
            specialty="Nursing",
            degree="Course",
        ),
    )


def phone_code(
    account_id: str, settings: Settings, code: str = "482913", valid_for: timedelta = timedelta(minutes=5)
) -> PhoneCodeIssued:
    return PhoneCodeIssued(
        account_id=account_id,
        phone=PHONE,
        locale="en",
        sealed_code=seal(code, settings.field_encryption_key.get_secret_value()),
        expires_at=datetime.now(UTC) + valid_for,
    )


async def test_a_decision_is_recorded_once_with_inbox_email_and_sms_queued(notifier: Notifier) -> None:
    account = unique("acc")
    await notifier.recorder.phone_code(
        ce_for(ACCOUNT_PHONE_CODE.ce_type, account), phone_code(account, notifier.settings)
    )
    ce = ce_for(REVIEW_DECIDED.ce_type, account)
    note = notification_for_decision(decision(account))

    await notifier.recorder.notify(ce, note)
    await notifier.recorder.notify(ce, note)  # redelivered

    assert await notifier.inbox.messages.count_documents({"event_id": ce.id}) == 1
    email = await notifier.delivery(delivery_key(ce.id, "email", account))
    sms = await notifier.delivery(delivery_key(ce.id, "sms", account))
    assert (email["status"], sms["status"]) == ("pending", "pending")
    assert sms["message"] == {"to": PHONE, "text": note.sms}  # the number the sign-up code went to
    queued = [doc for doc in await notifier.outbox() if doc["body"]["event_id"] == ce.id]
    assert sorted((doc["topic"], doc["body"]["delivery_id"]) for doc in queued) == sorted(
        [("notification.email", email["_id"]), ("notification.sms", sms["_id"])]
    )


async def test_a_suspension_is_recorded_once_and_its_sms_carries_no_reason(notifier: Notifier) -> None:
    account = unique("acc")
    await notifier.recorder.phone_code(
        ce_for(ACCOUNT_PHONE_CODE.ce_type, account), phone_code(account, notifier.settings)
    )
    ce = ce_for(REGISTRATION_SUSPENDED.ce_type, account)
    note = notification_for_registration_suspended(
        RegistrationSuspended(
            registration_number="RG-00000018",
            practitioner=PractitionerRef(id=account, name="Sara", email="sara@example.sa", locale="en"),
            reason="Complaint under investigation",
            suspended_by="supervisor-1",
            suspended_at=datetime.now(UTC),
        )
    )

    await notifier.recorder.notify(ce, note)
    await notifier.recorder.notify(ce, note)  # redelivered

    assert await notifier.inbox.messages.count_documents({"event_id": ce.id}) == 1
    email = await notifier.delivery(delivery_key(ce.id, "email", account))
    sms = await notifier.delivery(delivery_key(ce.id, "sms", account))
    assert (email["status"], sms["status"]) == ("pending", "pending")
    assert sms["message"] == {"to": PHONE, "text": note.sms} and "Complaint" not in note.sms
    queued = [doc for doc in await notifier.outbox() if doc["body"]["event_id"] == ce.id]
    assert len(queued) == 2


async def test_an_sms_for_a_practitioner_without_a_phone_is_failed_not_queued(notifier: Notifier) -> None:
    ce = ce_for(REVIEW_DECIDED.ce_type, "x")
    await notifier.recorder.notify(ce, notification_for_decision(decision(unique("prac"))))

    [sms] = await notifier.store.deliveries.find({"event_id": ce.id, "channel": "sms"}).to_list()
    assert (sms["status"], sms["error"]) == ("failed", NO_PHONE)
    assert [doc["topic"] for doc in await notifier.outbox() if doc["body"]["event_id"] == ce.id] == [
        "notification.email"
    ]


async def test_a_code_is_stored_sealed_and_opened_only_when_sent_once(notifier: Notifier) -> None:
    account = unique("acc")
    ce = ce_for(ACCOUNT_PHONE_CODE.ce_type, account)
    await notifier.recorder.phone_code(ce, phone_code(account, notifier.settings, code="731904"))
    stored = await notifier.delivery(delivery_key(ce.id, "sms", account))
    assert stored["secret"] is True and "731904" not in str(stored) and SECRET_PLACEHOLDER in stored["message"]["text"]

    await notifier.dispatcher.dispatch(notifier.request(stored))
    await notifier.dispatcher.dispatch(notifier.request(stored))  # redelivered after it was sent

    [(delivery_id, message)] = notifier.sms.sent
    assert delivery_id == stored["_id"] and "731904" in message["text"] and message["to"] == PHONE
    sent = await notifier.delivery(stored["_id"])
    assert (sent["status"], sent["tries"], sent["provider_message_id"]) == ("sent", 1, "provider-1")
    assert "731904" not in str(sent)


async def test_a_try_that_died_while_sending_is_sent_again_under_the_same_id(notifier: Notifier) -> None:
    account = unique("acc")
    ce = ce_for(ACCOUNT_PHONE_CODE.ce_type, account)
    await notifier.recorder.phone_code(ce, phone_code(account, notifier.settings))
    delivery_id = delivery_key(ce.id, "sms", account)
    await notifier.store.start_try(delivery_id, datetime.now(UTC))  # then the process died

    await notifier.dispatcher.dispatch(notifier.request(await notifier.delivery(delivery_id)))

    assert [d for d, _ in notifier.sms.sent] == [delivery_id]
    assert (await notifier.delivery(delivery_id))["tries"] == 2


async def test_a_transient_failure_is_recorded_and_raised_then_a_later_try_sends(notifier: Notifier) -> None:
    ce = ce_for(REVIEW_DECIDED.ce_type, "x")
    account = unique("prac")
    await notifier.recorder.notify(ce, notification_for_decision(decision(account)))
    delivery = await notifier.delivery(delivery_key(ce.id, "email", account))
    notifier.email.outcomes.append(TransientDeliveryError("email", "connection refused"))

    with pytest.raises(TransientDeliveryError):
        await notifier.dispatcher.dispatch(notifier.request(delivery))
    after_failure = await notifier.delivery(delivery["_id"])
    assert (after_failure["status"], after_failure["tries"]) == ("pending", 1)
    assert "connection refused" in after_failure["last_error"]

    await notifier.dispatcher.dispatch(notifier.request(delivery))
    assert (await notifier.delivery(delivery["_id"]))["status"] == "sent"
    assert len(notifier.email.sent) == 2


async def test_a_permanent_refusal_is_recorded_with_its_reason_and_not_retried(notifier: Notifier) -> None:
    ce = ce_for(REVIEW_DECIDED.ce_type, "x")
    account = unique("prac")
    await notifier.recorder.notify(ce, notification_for_decision(decision(account)))
    delivery = await notifier.delivery(delivery_key(ce.id, "email", account))
    notifier.email.outcomes.append(PermanentDeliveryError("email", "User unknown", code=550))

    await notifier.dispatcher.dispatch(notifier.request(delivery))  # no raise: nothing to retry
    await notifier.dispatcher.dispatch(notifier.request(delivery))  # a redelivery changes nothing

    failed = await notifier.delivery(delivery["_id"])
    assert (failed["status"], failed["error"], failed["tries"]) == ("failed", "email: 550 User unknown", 1)
    assert len(notifier.email.sent) == 1


async def test_a_code_that_expires_before_its_turn_is_not_sent(notifier: Notifier) -> None:
    account = unique("acc")
    ce = ce_for(ACCOUNT_PHONE_CODE.ce_type, account)
    await notifier.recorder.phone_code(ce, phone_code(account, notifier.settings))
    delivery_id = delivery_key(ce.id, "sms", account)
    # Its request waited in the queue past the code's end (a long outage of the SMS consumer).
    await notifier.store.deliveries.update_one({"_id": delivery_id}, {"$set": {"expires_at": datetime.now(UTC)}})

    await notifier.dispatcher.dispatch(notifier.request(await notifier.delivery(delivery_id)))

    assert (await notifier.delivery(delivery_id))["status"] == "expired"
    assert notifier.sms.sent == []


async def test_a_request_for_an_unknown_delivery_is_refused_as_a_broken_event(notifier: Notifier) -> None:
    request = DeliveryRequested(delivery_id="nope", channel="sms", kind="x", recipient_id="r", event_id="e")

    with pytest.raises(PermanentEventError):
        await notifier.dispatcher.dispatch(request)
