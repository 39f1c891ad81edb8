"""A supervisor suspends a registration or lifts its suspension: notifier tells the practitioner,
in both languages, her own first; the supervisor's reason is in the inbox and the e-mail, never in
the SMS (read on a lock screen)."""

from datetime import UTC, datetime

from schemas import topics
from schemas.events import PractitionerRef, RegistrationReinstated, RegistrationSuspended
from services.notifier.messages import kinds
from services.notifier.messages.rules import (
    CHANNELS,
    notification_for_registration_reinstated,
    notification_for_registration_suspended,
)

AT = datetime(2028, 3, 2, 10, 0, tzinfo=UTC)
SARA = PractitionerRef(id="p-1", name="سارة الحربي", email="sara@example.sa", locale="ar", latin_name="Sara Al-Harbi")
REASON = "Complaint <under> investigation (file 2026-114)"


def suspended(locale: str = "ar") -> RegistrationSuspended:
    return RegistrationSuspended(
        registration_number="RG-00000018",
        practitioner=SARA.model_copy(update={"locale": locale}),
        reason=f"  {REASON} ",
        suspended_by="supervisor-1",
        suspended_at=AT,
    )


def reinstated(locale: str = "ar") -> RegistrationReinstated:
    return RegistrationReinstated(
        registration_number="RG-00000018",
        practitioner=SARA.model_copy(update={"locale": locale}),
        status="renewed",
        reason="Investigation closed with no finding",
        lifted_by="supervisor-1",
        lifted_at=AT,
    )


def test_notifier_consumes_both_topics() -> None:
    assert "notifier" in topics.REGISTRATION_SUSPENDED.consumers
    assert "notifier" in topics.REGISTRATION_REINSTATED.consumers


def test_a_suspension_tells_her_the_reason_that_she_may_not_practise_and_whom_to_ask() -> None:
    note = notification_for_registration_suspended(suspended())
    assert note.kind == kinds.REGISTRATION_SUSPENDED and CHANNELS[note.kind] == ("inbox", "email", "sms")
    assert note.recipient_id == "p-1" and note.email == "sara@example.sa"
    assert note.text.index("أُوقف تسجيلك المهني") < note.text.index("has been suspended")  # her language first
    assert "RG-00000018" in note.text
    assert note.text.count(REASON) == 2  # as the supervisor wrote it, in each language's part
    assert "You may not practise while it is suspended" in note.text and "لا يجوز لك ممارسة المهنة" in note.text
    assert "contact the commission" in note.text and "reviewed" in note.text and "تواصل مع الهيئة" in note.text
    assert "Complaint &lt;under&gt; investigation" in note.html and "<under>" not in note.html
    assert all(REASON in body for _, body in note.inbox_texts.values()) and REASON in note.inbox_body
    assert note.sms.index("ممارس:") < note.sms.index("Mumaris:")
    assert "RG-00000018" in note.sms and "See your inbox" in note.sms and "صندوق رسائلك" in note.sms
    assert "Complaint" not in note.sms and "2026-114" not in note.sms and len(note.sms) < 300


def test_a_suspension_reads_english_first_for_an_english_reader() -> None:
    note = notification_for_registration_suspended(suspended("en"))
    assert note.text.index("has been suspended") < note.text.index("أُوقف تسجيلك المهني")
    assert "Dear Sara Al-Harbi" in note.text and note.sms.startswith("Mumaris:")


def test_a_lifted_suspension_tells_her_she_may_practise_again_with_the_reason_out_of_the_sms() -> None:
    note = notification_for_registration_reinstated(reinstated("en"))
    assert note.kind == kinds.REGISTRATION_REINSTATED and CHANNELS[note.kind] == ("inbox", "email", "sms")
    assert note.text.index("has been lifted") < note.text.index("رُفع الإيقاف")
    assert "you may practise again" in note.text and "يجوز لك ممارسة المهنة من جديد" in note.text
    assert note.text.count("Investigation closed with no finding") == 2 and "RG-00000018" in note.text
    assert "Investigation closed" in note.html
    assert "RG-00000018" in note.sms and "you may practise again" in note.sms and "See your inbox" in note.sms
    assert "Investigation" not in note.sms and len(note.sms) < 300
