"""Delivery guarantees of the notifier as a real process: each (event, channel, recipient) is
delivered once even when the process is killed mid-send or before committing; a hanging mail
server delays only e-mail (which is retried, dead-lettered and replayed); a refused number is
recorded once, not retried.

These tests kill the notifier and stop the broker, so they run on a stack of their own with the
notifier alone, fed by events produced straight onto its topics."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from mumaris.auth import Principal, issue_token
from mumaris.crypto import generate_key, seal
from mumaris.kafka import encode_event
from mumaris.settings import Settings
from mumaris.tools import dlq
from mumaris.tools.launcher import ServiceGroup
from mumaris.tools.stack import LocalStack, free_port
from mumaris.tools.standins import MailCatcher, SmsGatewayStandIn
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    Decision,
    PhoneCodeIssued,
    PractitionerRef,
    ReviewDecided,
    SubmissionKind,
)
from schemas.topics import (
    ACCOUNT_PHONE_CODE,
    NOTIFICATION_EMAIL,
    NOTIFICATION_SMS,
    REVIEW_DECIDED,
    Topic,
    all_topic_names,
)
from services.notifier.delivery.channels.email import stable_message_id
from services.notifier.delivery.rules import delivery_key
from tests.support import (
    committed_offset,
    eventually,
    headers_of,
    produce,
    read_all,
    settings_for,
    unique,
    wait_consumed,
)

pytestmark = pytest.mark.e2e

GROUP = "notifier"
SMTP_TIMEOUT_S = 1.0  # a hanging mail server costs each e-mail try this long


@dataclass
class Notifier:
    """The notifier process on its own stack, with the stand-ins it talks to."""

    stack: LocalStack
    settings: Settings
    env: dict[str, str]
    log_dir: Path
    mail: MailCatcher
    sms: SmsGatewayStandIn
    db: Any  # AsyncDatabase of the notifier
    group: ServiceGroup | None = None

    @property
    def bootstrap(self) -> str:
        return self.stack.info.kafka_bootstrap

    @property
    def url(self) -> str:
        assert self.group is not None
        return self.group.processes["notifier"].url

    def start(self) -> None:
        self.group = ServiceGroup(env=self.env, log_dir=self.log_dir)
        self.group.start("notifier", free_port())
        self.group.wait_healthy()

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no offset commit, no goodbye to the consumer group."""
        assert self.group is not None
        self.group.stop("notifier", kill=True)

    async def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return await self.db["notifier.deliveries"].find_one({"_id": delivery_id})

    async def delivery_reaches(self, delivery_id: str, status: str, timeout: float = 60) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found = await self.delivery(delivery_id)
            return found if found is not None and found["status"] == status else None

        return await eventually(probe, timeout=timeout, what=f"delivery to be {status}")

    async def send_event(self, topic: Topic, event: Any, subject: str) -> str:
        """Produce `event` as its producer would (CloudEvents headers, keyed); returns its id."""
        attrs = CloudEventAttributes.new(source="/test", type=topic.ce_type, subject=subject)
        await produce(
            self.bootstrap,
            topic.name,
            encode_event(event),
            key=str(getattr(event, topic.key)).encode(),
            headers=attrs.to_headers(),
        )
        return attrs.id

    async def send_phone_code(self, account_id: str, phone: str, code: str) -> str:
        """An `account.phone_code` event; returns the SMS delivery's id."""
        event = PhoneCodeIssued(
            account_id=account_id,
            phone=phone,
            locale="en",
            sealed_code=seal(code, self.settings.field_encryption_key.get_secret_value()),
            expires_at=datetime.now(UTC) + timedelta(minutes=5),
        )
        event_id = await self.send_event(ACCOUNT_PHONE_CODE, event, account_id)
        return delivery_key(event_id, "sms", account_id)

    async def queued_request(self, topic: Topic, delivery_id: str) -> tuple[int, int]:
        """(partition, offset) of the notifier's own request to send `delivery_id`."""

        async def probe() -> tuple[int, int] | None:
            for record in await read_all(self.bootstrap, topic.name):
                if json.loads(record.value)["delivery_id"] == delivery_id:
                    return record.partition, record.offset
            return None

        return await eventually(probe, what=f"the request on {topic.name}")


@pytest.fixture(scope="module")
async def notifier(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Notifier]:
    stack = LocalStack(tmp_path_factory.mktemp("notifier-stack"), die_with_parent=True)
    key = generate_key()
    try:
        stack.start(all_topic_names())
        with MailCatcher() as mail, SmsGatewayStandIn() as sms:
            settings = settings_for(
                stack.info,
                field_encryption_key=key,
                smtp_port=mail.port,
                smtp_timeout_s=SMTP_TIMEOUT_S,
                sms_gateway_url=sms.url,
            )
            env = {
                **stack.info.env(),
                "MUMARIS_FIELD_ENCRYPTION_KEY": key,
                "MUMARIS_RETRY_BACKOFF_S": "0.1",
                "MUMARIS_SMTP_PORT": str(mail.port),
                "MUMARIS_SMTP_TIMEOUT_S": str(SMTP_TIMEOUT_S),
                "MUMARIS_SMS_GATEWAY_URL": sms.url,
                "MUMARIS_JWT_SECRET": settings.jwt_secret.get_secret_value(),
            }
            client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.info.mongo_uri, tz_aware=True)
            deployment = Notifier(
                stack, settings, env, tmp_path_factory.mktemp("notifier-logs"), mail, sms, client[settings.mongo_db]
            )
            deployment.start()
            try:
                yield deployment
            finally:
                if deployment.group is not None:
                    deployment.group.stop_all()
                await client.close()
    finally:
        stack.stop()


def unique_phone() -> str:
    return "+9665" + str(int(unique("p")[-8:], 16) % 10**8).zfill(8)


async def test_killed_while_the_gateway_holds_the_sms_the_phone_still_gets_it_once(notifier: Notifier) -> None:
    account, phone = unique("acc"), unique_phone()
    notifier.sms.hold_next()
    delivery_id = await notifier.send_phone_code(account, phone, "604817")
    await notifier.sms.wait_until_held()  # the gateway has the request; the notifier awaits the answer

    notifier.kill()
    notifier.sms.release()  # the gateway accepts it after all: the phone gets the code
    assert (await notifier.delivery(delivery_id) or {})["status"] == "sending"  # the intent says "maybe sent"
    notifier.start()

    sent = await notifier.delivery_reaches(delivery_id, "sent")
    assert sent["tries"] == 2
    [delivered] = notifier.sms.delivered_to(phone)
    assert "604817" in delivered["text"]
    requests = notifier.sms.requests_to(phone)
    assert [r.headers["idempotency-key"] for r in requests] == [delivery_id, delivery_id]
    assert [r.key for r in notifier.sms.repeats if r.body["to"] == phone] == [delivery_id]


async def test_killed_after_sent_was_recorded_but_before_the_commit_the_redelivery_sends_nothing(
    notifier: Notifier,
) -> None:
    account, phone = unique("acc"), unique_phone()
    notifier.sms.hold_next()
    delivery_id = await notifier.send_phone_code(account, phone, "318250")
    partition, offset = await notifier.queued_request(NOTIFICATION_SMS, delivery_id)
    await notifier.sms.wait_until_held()

    notifier.stack.stop_kafka()  # from here on the notifier cannot commit its offset
    try:
        notifier.sms.release()
        await notifier.delivery_reaches(delivery_id, "sent")
        notifier.kill()
    finally:
        notifier.stack.start_kafka()
    assert await committed_offset(notifier.bootstrap, GROUP, NOTIFICATION_SMS.name, partition) <= offset
    notifier.start()

    await wait_consumed(notifier.bootstrap, GROUP, NOTIFICATION_SMS.name, partition, offset, timeout=60)
    assert len(notifier.sms.requests_to(phone)) == 1
    assert (await notifier.delivery(delivery_id) or {})["tries"] == 1


async def test_a_hanging_mail_server_holds_up_neither_sms_nor_inbox_and_the_e_mail_is_replayed_once(
    notifier: Notifier,
) -> None:
    account, phone = unique("acc"), unique_phone()
    sign_up_sms = await notifier.send_phone_code(account, phone, "771203")  # makes the phone known
    await notifier.delivery_reaches(sign_up_sms, "sent")
    practitioner = PractitionerRef(id=account, name="Sara Al-Harbi", email=f"{account}@example.sa", locale="en")
    decided = ReviewDecided(
        submission_id=unique("sub"),
        review_id="rev-1",
        kind=SubmissionKind.CERTIFICATE,
        practitioner=practitioner,
        decision=Decision.APPROVE,
        reviewer_id="rev-9",
        decided_at=datetime.now(UTC),
        certificate=CertificateMetadata(
            name="Basic Life Support (BLS)",
            obtained_on="2025-03-14",
            institution="Saudi Heart Association",
            specialty="Nursing",
            degree="Course",
        ),
    )
    notifier.mail.hang()
    hung_before = notifier.mail.hung_sessions
    event_id = await notifier.send_event(REVIEW_DECIDED, decided, decided.submission_id)
    email_id = delivery_key(event_id, "email", account)

    sms_notice = await notifier.delivery_reaches(delivery_key(event_id, "sms", account), "sent")
    token = issue_token(
        Principal(id=account, role="practitioner", name="Sara", email=practitioner.email), notifier.settings
    )
    async with httpx.AsyncClient(timeout=10) as http:
        inbox = (await http.get(f"{notifier.url}/v1/inbox", headers={"Authorization": f"Bearer {token}"})).json()
    assert [m["kind"] for m in inbox["items"]] == ["review.approved"]
    assert "approved" in notifier.sms.delivered_to(phone)[-1]["text"]
    # The e-mail of the same event is still trying (not even dead-lettered yet): it held up nothing.
    email_now = await notifier.delivery(email_id)
    assert (
        email_now is not None
        and email_now["status"] != "sent"
        and email_now["tries"] < notifier.settings.retry_attempts
    )
    assert sms_notice["tries"] == 1

    async def dead_letter() -> list[Any]:
        return [
            r
            for r in await read_all(notifier.bootstrap, NOTIFICATION_EMAIL.dlq)
            if json.loads(r.value)["delivery_id"] == email_id
        ]

    [dead] = await eventually(dead_letter, timeout=60, what="the e-mail in notification.email.dlq")
    headers = headers_of(dead)
    assert (headers["x-dlq-service"], headers["x-dlq-reason"]) == ("notifier", "retries_exhausted")
    assert notifier.mail.hung_sessions - hung_before == notifier.settings.retry_attempts  # each try reached it
    retried = await notifier.delivery(email_id)
    assert retried is not None and (retried["status"], retried["tries"]) == (
        "pending",
        notifier.settings.retry_attempts,
    )
    assert "email" in retried["last_error"]
    assert not [m for m in notifier.mail.messages if m["To"] == practitioner.email]

    notifier.mail.answer()
    replayed = await dlq.replay(notifier.bootstrap, NOTIFICATION_EMAIL.name)
    assert [v.key for v in replayed] == [account]
    await notifier.delivery_reaches(email_id, "sent")
    [mail] = [m for m in notifier.mail.messages if m["To"] == practitioner.email]
    assert mail["Message-ID"] == stable_message_id(email_id, notifier.settings)
    assert "approved" in mail["Subject"]


async def test_a_number_the_gateway_refuses_is_recorded_as_failed_once_without_dead_letter(notifier: Notifier) -> None:
    account, phone = unique("acc"), unique_phone()
    notifier.sms.refuse_number(phone)

    delivery_id = await notifier.send_phone_code(account, phone, "090807")
    failed = await notifier.delivery_reaches(delivery_id, "failed")
    partition, offset = await notifier.queued_request(NOTIFICATION_SMS, delivery_id)
    await wait_consumed(notifier.bootstrap, GROUP, NOTIFICATION_SMS.name, partition, offset)

    assert "400" in failed["error"] and "invalid_number" in failed["error"]
    assert failed["tries"] == 1 and len(notifier.sms.requests_to(phone)) == 1
    dead = [
        r
        for r in await read_all(notifier.bootstrap, NOTIFICATION_SMS.dlq)
        if json.loads(r.value)["delivery_id"] == delivery_id
    ]
    assert dead == []


async def test_the_fee_journey_reaches_the_mailbox_the_phone_and_the_inbox_in_the_readers_language(
    notifier: Notifier,
) -> None:
    """Invoice, reminder, lapse and new classification, each read back from the real SMTP server
    and the stand-in gateway; the reader prefers Arabic, so Arabic comes first everywhere."""
    from decimal import Decimal

    from schemas.events import (
        ClassificationChanged,
        ClassificationLapsed,
        ClassificationRef,
        FeeInvoiced,
        FeeReminderDue,
        Localized,
    )
    from schemas.topics import (
        CLASSIFICATION_CHANGED,
        CLASSIFICATION_LAPSED,
        FEE_INVOICED,
        FEE_REMINDER,
    )

    account, phone = unique("acc"), unique_phone()
    await notifier.send_phone_code(account, phone, "112233")  # how notifier learns the phone number
    await eventually(lambda: _count(notifier.sms.delivered_to(phone), 1), what="the sign-up code")
    who = PractitionerRef(id=account, name="هدى العتيبي", email=f"{account}@example.sa", locale="ar")
    target = ClassificationRef(code="nursing.specialist", label=Localized(ar="أخصائي تمريض", en="Nursing Specialist"))
    due = datetime(2026, 11, 26, 11, 5, tzinfo=UTC)
    fee = dict(
        invoice_id=unique("inv"),
        bill_number="SC-2026-0001233",
        request_id=unique("req"),
        practitioner=who,
        classification=target,
        amount=Decimal("600"),
    )
    events = [
        (
            FEE_INVOICED,
            FeeInvoiced(**fee, issued_at=due - timedelta(hours=24), due_at=due),
            "فاتورة رسوم",
            "SC-2026-0001233",
        ),
        (FEE_REMINDER, FeeReminderDue(**fee, due_at=due, hours_before=12), "تذكير", "12 ساعة"),
        (
            CLASSIFICATION_LAPSED,
            ClassificationLapsed(request_id=fee["request_id"], practitioner=who, classification=target, lapsed_at=due),
            "أُلغي",
            "أخصائي تمريض",
        ),
        (
            CLASSIFICATION_CHANGED,
            ClassificationChanged(
                request_id=fee["request_id"], practitioner=who, previous=None, classification=target, changed_at=due
            ),
            "تم تغيير",
            "أخصائي تمريض",
        ),
    ]
    for topic, event, subject_ar, detail in events:
        await notifier.send_event(topic, event, fee["request_id"])

        async def mail(subject_ar: str = subject_ar) -> list[Any]:
            return [m for m in notifier.mail.messages if m["To"] == who.email and subject_ar in m["Subject"]]

        [message] = await eventually(mail, what=f"the e-mail '{subject_ar}'")
        assert message["Subject"].index(subject_ar) < message["Subject"].index("|")  # Arabic first
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert detail in text
    assert (
        "14:05 بتوقيت الرياض"
        in next(m for m in notifier.mail.messages if m["To"] == who.email)
        .get_body(preferencelist=("plain",))
        .get_content()
    )

    texts = await eventually(lambda: _texts(notifier.sms.delivered_to(phone), 5), what="four SMS notices")
    notices = texts[1:]  # after the sign-up code, in the order of the events
    assert all(notice.startswith("ممارس:") for notice in notices)
    assert "SC-2026-0001233" in notices[0] and "600.00" in notices[0]
    assert "أخصائي تمريض" in notices[3]

    token = issue_token(Principal(id=account, role="practitioner", name=who.name, email=who.email), notifier.settings)
    async with httpx.AsyncClient(timeout=30) as http:
        inbox = (await http.get(f"{notifier.url}/v1/inbox", headers={"Authorization": f"Bearer {token}"})).json()
    # Reminders go by e-mail and SMS only; the other three are also in the inbox.
    assert sorted(m["kind"] for m in inbox["items"]) == [
        "classification.changed",
        "classification.lapsed",
        "fee.invoiced",
    ]


async def _count(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def _texts(messages: list[dict[str, Any]], n: int) -> list[str] | None:
    return [m["text"] for m in messages] if len(messages) >= n else None
