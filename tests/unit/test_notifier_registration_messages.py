"""What the practitioner is told about her registration's clock and its renewal, in both languages."""

from datetime import UTC, date, datetime
from decimal import Decimal

from schemas.events import (
    ClassificationRef,
    FeeExpired,
    FeeInvoiced,
    InvoicePurpose,
    Localized,
    PractitionerRef,
    RegistrationExpiring,
    RegistrationLapsed,
)
from services.notifier.messages import kinds
from services.notifier.messages.rules import (
    CHANNELS,
    notification_for_fee_expired,
    notification_for_fee_invoiced,
    notification_for_registration_expiring,
    notification_for_registration_lapsed,
)

AT = datetime(2028, 9, 1, 9, 0, tzinfo=UTC)
NOURA = PractitionerRef(id="p-1", name="Noura", email="noura@example.sa", locale="en")
SPECIALIST = ClassificationRef(code="nursing.specialist", label=Localized(ar="أخصائي تمريض", en="Nursing Specialist"))


def expiring(days_before: int, days_left: int, renewal_open: bool = True) -> RegistrationExpiring:
    return RegistrationExpiring(
        registration_number="RG-00000018",
        practitioner=NOURA,
        cycle=1,
        expires_on=date(2028, 11, 25),
        days_before=days_before,
        days_left=days_left,
        renewal_open=renewal_open,
    )


def test_a_reminder_sent_late_tells_the_days_actually_left_in_both_languages() -> None:
    note = notification_for_registration_expiring(expiring(30, 25))
    assert note.kind == kinds.REGISTRATION_EXPIRING and CHANNELS[note.kind] == ("inbox", "email", "sms")
    assert "(in 25 days)" in note.text and "(بعد 25 يوماً)" in note.text  # not the milestone's 30
    assert "25 Nov 2028" in note.text and "2028-11-25" in note.text  # English first (her locale), then Arabic
    assert note.text.index("Your professional registration") < note.text.index("ينتهي تسجيلك")
    assert "Renewal is open now" in note.text and len(note.sms) < 300 and "RG-00000018" in note.sms


def test_the_renewal_window_is_announced_only_when_open() -> None:
    assert (
        "Renewal opens a set time before expiry" in notification_for_registration_expiring(expiring(90, 92, False)).text
    )
    one_day = notification_for_registration_expiring(expiring(7, 1))
    assert "in 1 day)" in one_day.text and "يوم واحد" in one_day.text


def test_a_renewal_invoice_and_its_lapse_are_not_told_as_a_classification_request() -> None:
    fee = {
        "invoice_id": "i",
        "bill_number": "SC-2028-0004217",
        "request_id": "renewal-1",
        "practitioner": NOURA,
        "classification": SPECIALIST,
        "amount": Decimal("400"),
    }
    invoice = notification_for_fee_invoiced(FeeInvoiced(**fee, purpose=InvoicePurpose.RENEWAL, issued_at=AT, due_at=AT))
    assert (
        invoice.kind == kinds.RENEWAL_INVOICED and "renew" in invoice.text and "classification" not in invoice.subject
    )
    assert notification_for_fee_invoiced(FeeInvoiced(**fee, issued_at=AT, due_at=AT)).kind == kinds.FEE_INVOICED

    expired = {k: fee[k] for k in ("invoice_id", "bill_number", "request_id", "practitioner")}
    lapsed = notification_for_fee_expired(FeeExpired(**expired, purpose=InvoicePurpose.RENEWAL, expired_at=AT))
    assert lapsed is not None and lapsed.kind == kinds.RENEWAL_LAPSED and "SC-2028-0004217" in lapsed.text
    assert notification_for_fee_expired(FeeExpired(**expired, expired_at=AT)) is None  # classification.lapsed tells it


def test_a_lapse_tells_her_not_to_practise() -> None:
    note = notification_for_registration_lapsed(
        RegistrationLapsed(
            registration_number="RG-00000018", practitioner=NOURA, cycle=1, expired_on=date(2028, 11, 25), lapsed_at=AT
        )
    )
    assert "You may not practise" in note.text and "لا يجوز لك ممارسة المهنة" in note.text
    assert CHANNELS[note.kind] == ("inbox", "email", "sms")
