"""The messages of the rest of the journey: received, in review, decisions with their SMS notice,
changes of personal data, and the classification fee (invoice, reminders, lapse, change)."""

from datetime import UTC, datetime
from decimal import Decimal

from schemas.classifications import money
from schemas.events import (
    CertificateMetadata,
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRef,
    Decision,
    FeeInvoiced,
    FeeReminderDue,
    Localized,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
)
from services.notifier.messages.kinds import PROFILE_CHANGE_APPROVED, PROFILE_CHANGE_REJECTED, REVIEW_APPROVED
from services.notifier.messages.rules import (
    notification_for_classification_changed,
    notification_for_decision,
    notification_for_fee_invoiced,
    notification_for_fee_reminder,
    notification_for_lapsed,
    notification_for_queued,
    notification_for_received,
    riyadh_time,
)

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 26, 11, 5, tzinfo=UTC)  # 14:05 in Riyadh
SPECIALIST = ClassificationRef(code="nursing.specialist", label=Localized(ar="أخصائي تمريض", en="Nursing Specialist"))
CERTIFICATE = CertificateMetadata(
    name="Basic Life Support",
    obtained_on="2025-03-14",
    institution="Saudi Heart Association",
    specialty="Nursing",
    degree="Course",
)


def practitioner(locale: str = "ar") -> PractitionerRef:
    return PractitionerRef(id="prac-1", name="Sara Al-Harbi", email="sara@example.sa", locale=locale)


def invoice(locale: str = "ar", amount: str = "1500", label: Localized = SPECIALIST.label) -> FeeInvoiced:
    return FeeInvoiced(
        invoice_id="inv-1",
        bill_number="SC-2026-000123",
        request_id="req-9",
        practitioner=practitioner(locale),
        classification=ClassificationRef(code="nursing.specialist", label=label),
        amount=Decimal(amount),
        issued_at=AT,
        due_at=DUE,
    )


def test_the_invoice_states_amount_bill_number_and_deadline_in_riyadh_time_in_both_languages() -> None:
    note = notification_for_fee_invoiced(invoice())
    for expected in (
        "1,500.00 ريال سعودي",
        "SAR 1,500.00",
        "SC-2026-000123",
        "req-9",
        "2026-11-26 الساعة 14:05 بتوقيت الرياض",
        "26 Nov 2026, 14:05 Riyadh time",
        "أخصائي تمريض",
        "Nursing Specialist",
    ):
        assert expected in note.text, expected
        assert expected in note.html, expected
    assert note.text.index("فاتورة") < note.text.index("Fee invoice")  # Arabic first for an Arabic reader
    assert note.sms.splitlines()[0].startswith("ممارس:")
    assert "SC-2026-000123" in note.sms and "1,500.00" in note.sms and "14:05" in note.sms


def test_an_english_reader_gets_english_first() -> None:
    note = notification_for_fee_invoiced(invoice(locale="en"))
    assert note.subject.startswith("Fee invoice")
    assert note.sms.splitlines()[0].startswith("Mumaris:")


def test_a_hostile_classification_label_cannot_add_markup_to_the_invoice() -> None:
    note = notification_for_fee_invoiced(invoice(label=Localized(ar="<b>x</b>", en="<img src=x onerror=alert(1)>")))
    assert "<img" not in note.html and "&lt;img" in note.html


def test_reminders_say_how_long_is_left() -> None:
    reminder = FeeReminderDue(
        invoice_id="inv-1",
        bill_number="SC-1",
        request_id="req-9",
        practitioner=practitioner(),
        classification=SPECIALIST,
        amount=Decimal("250.5"),
        due_at=DUE,
        hours_before=12,
    )
    note = notification_for_fee_reminder(reminder)
    assert "12 ساعة" in note.text and "12 hours remain" in note.text
    assert "250.50" in note.sms and "12 hours left" in note.sms


def test_one_hour_left_reads_naturally_in_arabic() -> None:
    reminder = FeeReminderDue(
        invoice_id="inv-1",
        bill_number="SC-1",
        request_id="req-9",
        practitioner=practitioner(),
        classification=SPECIALIST,
        amount=Decimal("250"),
        due_at=DUE,
        hours_before=1,
    )
    assert "ساعة واحدة" in notification_for_fee_reminder(reminder).text


def test_lapse_and_change_name_the_classification() -> None:
    lapsed = notification_for_lapsed(
        ClassificationLapsed(request_id="req-9", practitioner=practitioner(), classification=SPECIALIST, lapsed_at=AT)
    )
    changed = notification_for_classification_changed(
        ClassificationChanged(
            request_id="req-9", practitioner=practitioner(), previous=None, classification=SPECIALIST, changed_at=AT
        )
    )
    assert "أخصائي تمريض" in lapsed.text and "lapsed" in lapsed.subject
    assert "Nursing Specialist" in changed.sms and "أخصائي تمريض" in changed.sms


def test_received_names_the_certificate_and_in_review_is_only_for_certificates() -> None:
    received = notification_for_received(
        SubmissionReceived(
            submission_id="sub-1",
            kind=SubmissionKind.CERTIFICATE,
            practitioner=practitioner(),
            certificate=CERTIFICATE,
            file=StoredFile(file_id="f", filename="a.jpg", size=1, sha256="0" * 64, content_type="image/jpeg"),
            received_at=AT,
        )
    )
    assert "Basic Life Support" in received.inbox_body
    queued = ReviewQueued(submission_id="sub-1", review_id="sub-1", practitioner=practitioner(), queued_at=AT)
    assert "under review" in notification_for_queued(queued).subject  # type: ignore[union-attr]
    assert notification_for_queued(queued.model_copy(update={"kind": SubmissionKind.PROFILE_CHANGE})) is None


def decided(kind: SubmissionKind, decision: Decision, reason: str = "") -> ReviewDecided:
    return ReviewDecided(
        submission_id="sub-1",
        review_id="sub-1",
        kind=kind,
        practitioner=practitioner("en"),
        decision=decision,
        reason=reason,
        reviewer_id="r-1",
        decided_at=AT,
        certificate=CERTIFICATE if kind is SubmissionKind.CERTIFICATE else None,
    )


def test_a_decision_texts_a_short_notice_naming_the_certificate() -> None:
    note = notification_for_decision(decided(SubmissionKind.CERTIFICATE, Decision.APPROVE))
    assert note.kind == REVIEW_APPROVED
    assert (
        note.sms.splitlines()[0]
        == "Mumaris: your submission “Basic Life Support” was approved. Details on the platform."
    )
    assert len(note.sms) < 300  # a notice, not the letter


def test_decisions_on_personal_data_speak_of_personal_data_and_show_the_note() -> None:
    approved = notification_for_decision(decided(SubmissionKind.PROFILE_CHANGE, Decision.APPROVE))
    returned = notification_for_decision(
        decided(
            SubmissionKind.PROFILE_CHANGE, Decision.REQUEST_CHANGES, "The new surname needs the civil-status document."
        )
    )
    assert approved.kind == PROFILE_CHANGE_APPROVED and "personal data" in approved.subject
    assert returned.kind == PROFILE_CHANGE_REJECTED
    assert "civil-status document" in returned.text and "submission" not in returned.subject.lower()


def test_money_and_time_formats() -> None:
    assert f"{money(Decimal('1234567.5')):,}" == "1,234,567.50"
    assert riyadh_time(datetime(2026, 1, 1, 21, 30, tzinfo=UTC), "en") == "02 Jan 2026, 00:30 Riyadh time"
