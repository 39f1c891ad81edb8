"""A renewal paid after its registration lapsed: review says so (registration.renewal_refused),
intake's view of the renewal ends refused with its fee due back, and the portal words it in
both languages, and notifier tells her."""

from datetime import UTC, datetime

from schemas.events import RegistrationRenewalRefused
from services.intake.portal.registration_text import REGISTRATION_TEXT
from services.intake.registration.service import renewal_view
from services.notifier.messages import kinds
from services.notifier.messages.rules import CHANNELS, notification_for_renewal_refused
from services.review.registrations.service import refused_event

AT = datetime(2028, 12, 26, 10, 0, tzinfo=UTC)
LAPSED = datetime(2028, 12, 26, 0, 0, tzinfo=UTC)
SARA = {"id": "p-1", "name": "سارة", "email": "sara@example.sa", "locale": "ar"}


def intake_renewal(status: str, **fields: object) -> dict[str, object]:
    return {
        "id": "r-1",
        "status": status,
        "cycle": 1,
        "renews_until": datetime(2030, 11, 25, tzinfo=UTC),
        "fee": "500.00",
        "requested_at": AT,
        **fields,
    }


def test_review_tells_which_renewal_was_refused_why_and_that_its_fee_is_due_back() -> None:
    renewal = {
        "_id": "r-1",
        "registration_number": "RG-00000018",
        "practitioner": SARA,
        "cycle": 1,
        "status": "refused",
        "refused_at": AT,
        "lapsed_at": LAPSED,
    }
    event = refused_event(renewal, {"bill_number": "SC-2028-0004217"})
    assert event == RegistrationRenewalRefused(
        registration_number="RG-00000018",
        practitioner=SARA,
        renewal_id="r-1",
        cycle=1,
        reason="registration_lapsed",
        bill_number="SC-2028-0004217",
        refund_due=True,
        lapsed_at=LAPSED,
        refused_at=AT,
    )


def test_intake_shows_a_refused_renewal_with_its_refund_and_an_open_one_without() -> None:
    refused = renewal_view(intake_renewal("refused", refused_reason="registration_lapsed", refund_due=True))
    assert refused is not None
    assert (refused["status"], refused["refused_reason"], refused["refund_due"]) == (
        "refused",
        "registration_lapsed",
        True,
    )
    waiting = renewal_view(intake_renewal("awaiting_payment"))
    assert waiting is not None and (waiting["refused_reason"], waiting["refund_due"]) == (None, False)


def test_the_portal_words_every_end_of_a_renewal_in_both_languages() -> None:
    for status in ("requested", "awaiting_payment", "paid", "lapsed", "refused"):
        arabic, english = REGISTRATION_TEXT[f"renewal.status.{status}"]
        assert arabic and english and arabic != english
    arabic, english = REGISTRATION_TEXT["renewal.refund_due"]
    assert "refunded" in english and "تُعاد" in arabic


def test_the_practitioner_is_told_everywhere_that_it_renewed_nothing_and_her_fee_comes_back() -> None:
    event = refused_event(
        {
            "_id": "r-1",
            "registration_number": "RG-00000018",
            "practitioner": {**SARA, "locale": "en"},
            "cycle": 1,
            "refused_at": AT,
            "lapsed_at": LAPSED,
        },
        {"bill_number": "SC-2028-0004217"},
    )
    note = notification_for_renewal_refused(event)
    assert note.kind == kinds.RENEWAL_REFUSED and CHANNELS[note.kind] == ("inbox", "email", "sms")
    assert note.text.index("renewed nothing") < note.text.index("فلم يُجدَّد")  # her language first
    assert "SC-2028-0004217" in note.text and "RG-00000018" in note.text and "will be refunded" in note.text
    assert "RG-00000018" in note.sms and "وستُعاد" in note.sms and len(note.sms) < 300
