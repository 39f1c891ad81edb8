"""What the notifier records before sending: intents carry everything their channel needs, secrets
stay sealed until `reveal`, and revealing gives exactly the message composed with the secret."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from mumaris.crypto import generate_key, seal
from mumaris.settings import Settings
from schemas.events import (
    CertificateMetadata,
    Decision,
    PractitionerRef,
    ReviewDecided,
    SubmissionKind,
)
from services.notifier.delivery.channels.email import stable_message_id
from services.notifier.delivery.rules import (
    EXPIRED,
    FAILED,
    NO_PHONE,
    PENDING,
    SECRET_PLACEHOLDER,
    SealedSecret,
    delivery_key,
    delivery_request,
    email_intent,
    is_expired,
    needs_sending,
    reveal,
    sms_intent,
)
from services.notifier.messages.rules import (
    notification_for_decision,
    notification_for_email_confirmation,
    sms_for_phone_code,
)

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
KEY = generate_key()
LINK = "https://mumaris.example/v1/accounts/confirm-email?token=abc.def-ghi&x=<1>"
PHONE = "+966512345678"


def approval() -> ReviewDecided:
    return ReviewDecided(
        submission_id="sub-1",
        review_id="rev-1",
        kind=SubmissionKind.CERTIFICATE,
        practitioner=PractitionerRef(id="prac-1", name="Sara", email="sara@example.sa", locale="en"),
        decision=Decision.APPROVE,
        reviewer_id="r-1",
        decided_at=AT,
        certificate=CertificateMetadata(
            name="BLS",
            obtained_on="2025-03-14",
            institution="Saudi Heart Association",
            specialty="Nursing",
            degree="Course",
        ),
    )


def confirmation(link: str):  # type: ignore[no-untyped-def]
    return notification_for_email_confirmation(
        recipient_id="acc-1", name="Reem", email="reem@example.sa", locale="ar", link=link
    )


def test_an_email_intent_holds_what_the_channel_needs_and_is_keyed_by_event_channel_and_recipient() -> None:
    note = notification_for_decision(approval())

    intent = email_intent("evt-1", note, AT)

    assert intent["_id"] == delivery_key("evt-1", "email", "prac-1")
    assert (intent["status"], intent["tries"], intent["secret"], intent["channel"]) == (PENDING, 0, False, "email")
    assert intent["message"] == {
        "to": "sara@example.sa",
        "locale": "en",
        "subject": note.subject,
        "text": note.text,
        "html": note.html,
    }
    assert needs_sending(intent)
    request = delivery_request(intent)
    assert (request.delivery_id, request.channel, request.recipient_id, request.event_id) == (
        intent["_id"],
        "email",
        "prac-1",
        "evt-1",
    )


def test_an_sms_without_a_known_phone_is_recorded_as_failed_and_not_queued() -> None:
    note = notification_for_decision(approval())

    intent = sms_intent("evt-1", note.kind, note.recipient_id, None, note.sms, AT)

    assert (intent["status"], intent["error"]) == (FAILED, NO_PHONE)
    assert not needs_sending(intent)


def test_an_sms_notice_goes_to_the_known_phone() -> None:
    note = notification_for_decision(approval())

    intent = sms_intent("evt-1", note.kind, note.recipient_id, PHONE, note.sms, AT)

    assert intent["status"] == PENDING and intent["message"] == {"to": PHONE, "text": note.sms}
    assert note.sms and intent["_id"] == delivery_key("evt-1", "sms", "prac-1")


def test_a_sealed_link_is_stored_sealed_and_revealing_gives_the_message_composed_with_it() -> None:
    secret = SealedSecret(seal(LINK, KEY), AT + timedelta(hours=24))

    intent = email_intent("evt-2", confirmation(SECRET_PLACEHOLDER), AT, secret)

    assert intent["secret"] is True and intent["sealed_secret"] == secret.sealed
    assert "token=abc" not in json.dumps(intent, default=str)
    shown = reveal(intent["message"], LINK)
    direct = confirmation(LINK)
    assert (shown["text"], shown["html"]) == (direct.text, direct.html)  # escaped in HTML, as composed
    assert SECRET_PLACEHOLDER not in shown["text"] + shown["html"]


def test_a_sealed_code_is_revealed_only_into_the_text() -> None:
    text = sms_for_phone_code(SECRET_PLACEHOLDER, "ar", 5)
    intent = sms_intent(
        "evt-3",
        "account.phone_code",
        "acc-1",
        PHONE,
        text,
        AT,
        SealedSecret(seal("482913", KEY), AT + timedelta(minutes=5)),
    )

    assert "482913" not in json.dumps(intent, default=str)
    assert reveal(intent["message"], "482913")["text"] == sms_for_phone_code("482913", "ar", 5)
    assert reveal(intent["message"], None) == intent["message"]


def test_a_code_that_expired_before_it_was_recorded_is_not_queued() -> None:
    text = sms_for_phone_code(SECRET_PLACEHOLDER, "en", 1)
    intent = sms_intent("evt-4", "account.phone_code", "acc-1", PHONE, text, AT, SealedSecret("x", AT))

    assert intent["status"] == EXPIRED and not needs_sending(intent)
    assert is_expired(intent, AT) and not is_expired({**intent, "expires_at": AT + timedelta(seconds=1)}, AT)


def test_a_secret_message_without_the_placeholder_is_refused_rather_than_sent_without_its_secret() -> None:
    with pytest.raises(ValueError):
        sms_intent(
            "evt-5",
            "account.phone_code",
            "acc-1",
            PHONE,
            "no code here",
            AT,
            SealedSecret("x", AT + timedelta(minutes=5)),
        )


def test_the_message_id_of_a_delivery_is_the_same_on_every_try() -> None:
    settings = Settings(mail_from="Mumaris <no-reply@mumaris.test>")

    first = stable_message_id("d" * 64, settings)

    assert first == stable_message_id("d" * 64, settings) == f"<{'d' * 64}@mumaris.test>"
    assert stable_message_id("e" * 64, settings) != first
