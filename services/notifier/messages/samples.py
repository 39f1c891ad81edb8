"""One sample of every notification, rendered by the real templates: `docs/notifications.md`.

    python -m services.notifier.messages.samples > docs/notifications.md

A unit test regenerates it and fails when the checked-in file is stale, so the samples the README
points to are always what practitioners actually receive.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from schemas.events import (
    CertificateExpiring,
    CertificateMetadata,
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRef,
    Decision,
    FeeExpired,
    FeeInvoiced,
    FeeReminderDue,
    Finding,
    Localized,
    PractitionerRef,
    RegistrationExpiring,
    RegistrationLapsed,
    RegistrationReinstated,
    RegistrationRenewalRefused,
    RegistrationRenewed,
    RegistrationSuspended,
    ReviewDecided,
    ReviewQueued,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
)
from services.notifier.messages import rules
from services.notifier.messages.rules import Notification

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
SARA = PractitionerRef(
    id="prac-1", name="سارة الحربي", email="sara@example.sa", locale="ar", latin_name="Sara Al-Harbi"
)
CERTIFICATE = CertificateMetadata(
    name="Basic Life Support (BLS)",
    obtained_on="2025-03-14",
    institution="Saudi Heart Association",
    specialty="Nursing",
    degree="Course",
)
SPECIALIST = ClassificationRef(code="nursing.specialist", label=Localized(ar="أخصائي تمريض", en="Nursing Specialist"))
SUBMISSION = "7d1c2a4e-5b9f-4f0e-8a51-3c2f9e6b1d20"
REQUEST = "c41f0b7a-93d2-4c8e-b1a5-0e7d6f2a9b34"
REGISTRATION = "RG-00000018"


BLURRY = Finding(
    rule="image.sharpness",
    outcome="fail",
    code="image.blurry",
    message=Localized(
        ar="المسح غير واضح؛ أعد المسح بدقة أعلى ودون اهتزاز.",
        en="The scan is not clear; scan it again at a higher resolution, holding it still.",
    ),
    score=41.0,
    detail="image.sharpness_measured",
    params={"sharpness": 41.0, "minimum": 150},
)
RECEIVED = SubmissionReceived(
    submission_id=SUBMISSION,
    kind=SubmissionKind.CERTIFICATE,
    practitioner=SARA,
    certificate=CERTIFICATE,
    file=StoredFile(file_id="f", filename="scan.jpg", size=1, sha256="0" * 64, content_type="image/jpeg"),
    received_at=AT,
)
REJECTED = SubmissionRejected(
    submission_id=SUBMISSION, kind=SubmissionKind.CERTIFICATE, practitioner=SARA, findings=[BLURRY], rejected_at=AT
)
QUEUED = ReviewQueued(submission_id=SUBMISSION, review_id=SUBMISSION, practitioner=SARA, queued_at=AT)
DUE = datetime(2026, 11, 26, 11, 5, tzinfo=UTC)
FEE = {
    "invoice_id": "inv-1",
    "bill_number": "SC-2026-000123",
    "request_id": REQUEST,
    "practitioner": SARA,
    "classification": SPECIALIST,
    "amount": Decimal("1500"),
}


def decided(
    decision: Decision,
    reason: str = "",
    codes: tuple[str, ...] = (),
    kind: SubmissionKind = SubmissionKind.CERTIFICATE,
) -> ReviewDecided:
    return ReviewDecided(
        submission_id=SUBMISSION,
        review_id=SUBMISSION,
        kind=kind,
        practitioner=SARA,
        decision=decision,
        reason=reason,
        reason_codes=list(codes),
        reviewer_id="r-1",
        decided_at=AT,
        certificate=CERTIFICATE if kind is SubmissionKind.CERTIFICATE else None,
    )


def told(note: Notification | None) -> Notification:
    """A sample is of something the practitioner is told."""
    assert note is not None
    return note


def registration_samples() -> list[tuple[str, Notification]]:
    """A registration's renewal and its clock (review's registrations area), then a supervisor's
    suspension."""
    return [
        (
            "Registration renewal invoiced",
            rules.notification_for_fee_invoiced(
                FeeInvoiced(**{**FEE, "amount": Decimal("400"), "purpose": "renewal"}, issued_at=AT, due_at=DUE)
            ),
        ),
        (
            "Registration renewal fee reminder",
            rules.notification_for_fee_reminder(
                FeeReminderDue(**{**FEE, "amount": Decimal("400"), "purpose": "renewal"}, due_at=DUE, hours_before=12)
            ),
        ),
        (
            "Registration renewal lapsed (its fee unpaid)",
            told(
                rules.notification_for_fee_expired(
                    FeeExpired(
                        invoice_id="inv-2",
                        bill_number="SC-2028-0004217",
                        request_id="renewal-1",
                        purpose="renewal",
                        practitioner=SARA,
                        expired_at=DUE,
                    )
                )
            ),
        ),
        *clock_samples(),
    ]


def clock_samples() -> list[tuple[str, Notification]]:
    """What the registration's and the certificates' clocks bring: expiry near, renewed, lapsed."""
    return [
        (
            "Registration expiring (90, 60, 30 and 7 days before)",
            rules.notification_for_registration_expiring(
                RegistrationExpiring(
                    registration_number=REGISTRATION,
                    practitioner=SARA,
                    cycle=1,
                    expires_on=date(2028, 11, 25),
                    days_before=30,
                    days_left=30,
                    renewal_open=True,
                )
            ),
        ),
        (
            "Registration renewal refused (paid after the registration lapsed)",
            rules.notification_for_renewal_refused(
                RegistrationRenewalRefused(
                    registration_number=REGISTRATION,
                    practitioner=SARA,
                    renewal_id="renewal-1",
                    cycle=1,
                    reason="registration_lapsed",
                    bill_number="SC-2028-0004217",
                    refund_due=True,
                    lapsed_at=AT,
                    refused_at=AT,
                )
            ),
        ),
        (
            "Certificate expiring (30, 7 and 0 days before)",
            rules.notification_for_certificate_expiring(
                CertificateExpiring(
                    submission_id=SUBMISSION,
                    practitioner=SARA,
                    certificate_name=CERTIFICATE.name,
                    expires_on=date(2027, 3, 14),
                    days_before=7,
                    days_left=7,
                )
            ),
        ),
        (
            "Registration renewed",
            rules.notification_for_registration_renewed(
                RegistrationRenewed(
                    registration_number=REGISTRATION,
                    practitioner=SARA,
                    renewal_id="renewal-1",
                    cycle=2,
                    previous_expires_on=date(2028, 11, 25),
                    expires_on=date(2030, 11, 25),
                    renewed_at=AT,
                )
            ),
        ),
        (
            "Registration lapsed",
            rules.notification_for_registration_lapsed(
                RegistrationLapsed(
                    registration_number=REGISTRATION,
                    practitioner=SARA,
                    cycle=1,
                    expired_on=date(2028, 11, 25),
                    lapsed_at=AT,
                )
            ),
        ),
        *supervision_samples(),
    ]


def supervision_samples() -> list[tuple[str, Notification]]:
    """A supervisor's suspension of a registration, and its lifting."""
    return [
        (
            "Registration suspended",
            rules.notification_for_registration_suspended(
                RegistrationSuspended(
                    registration_number=REGISTRATION,
                    practitioner=SARA,
                    reason="Complaint under investigation (file 2026-114).",
                    suspended_by="supervisor-1",
                    suspended_at=AT,
                )
            ),
        ),
        (
            "Registration suspension lifted",
            rules.notification_for_registration_reinstated(
                RegistrationReinstated(
                    registration_number=REGISTRATION,
                    practitioner=SARA,
                    status="active",
                    reason="Investigation closed with no finding.",
                    lifted_by="supervisor-1",
                    lifted_at=AT,
                )
            ),
        ),
    ]


def samples() -> list[tuple[str, Notification]]:
    profile = SubmissionKind.PROFILE_CHANGE
    return [
        ("Submission received", told(rules.notification_for_received(RECEIVED))),
        ("Rejected by validation", rules.notification_for_rejection(REJECTED)),
        ("In review", told(rules.notification_for_queued(QUEUED))),
        ("Approved", told(rules.notification_for_decision(decided(Decision.APPROVE)))),
        (
            "Rejected by the reviewer",
            told(
                rules.notification_for_decision(
                    decided(Decision.REJECT, "The stamp of the issuing hospital is missing.", ("incomplete_document",))
                )
            ),
        ),
        (
            "Changes requested",
            told(
                rules.notification_for_decision(
                    decided(Decision.REQUEST_CHANGES, "Please attach the second page with the course hours.")
                )
            ),
        ),
        (
            "Change of personal data approved",
            told(rules.notification_for_decision(decided(Decision.APPROVE, kind=profile))),
        ),
        (
            "Change of personal data not approved",
            told(
                rules.notification_for_decision(
                    decided(Decision.REJECT, "The new surname needs the civil-status record.", kind=profile)
                )
            ),
        ),
        ("Fee invoiced", rules.notification_for_fee_invoiced(FeeInvoiced(**FEE, issued_at=AT, due_at=DUE))),
        (
            "Fee reminder (12 h and 1 h before)",
            rules.notification_for_fee_reminder(FeeReminderDue(**FEE, due_at=DUE, hours_before=12)),
        ),
        (
            "Request lapsed",
            rules.notification_for_lapsed(
                ClassificationLapsed(request_id=REQUEST, practitioner=SARA, classification=SPECIALIST, lapsed_at=DUE)
            ),
        ),
        (
            "Classification changed",
            rules.notification_for_classification_changed(
                ClassificationChanged(
                    request_id=REQUEST, practitioner=SARA, previous=None, classification=SPECIALIST, changed_at=AT
                )
            ),
        ),
        *registration_samples(),
        (
            "E-mail confirmation link",
            rules.notification_for_email_confirmation(
                recipient_id="prac-1",
                name=SARA.name,
                email=SARA.email,
                locale="ar",
                link="https://mumaris.example/portal/confirm-email?token=…",
            ),
        ),
        (
            "Forgotten password: the reset link",
            rules.notification_for_password_reset(
                recipient_id="prac-1",
                name=SARA.name,
                email=SARA.email,
                locale="ar",
                link="https://mumaris.example/portal/reset-password?token=…",
            ),
        ),
    ]


def document() -> str:
    lines = [
        "# What practitioners receive",
        "",
        "Generated by `python -m services.notifier.messages.samples` from the real templates (a unit",
        "test keeps it current). Each message carries the practitioner's language first and the other",
        "after it; this sample reader prefers Arabic. The channels of each kind are `CHANNELS` in",
        "`services/notifier/messages/rules.py`; the e-mail also has an HTML part (right to left for Arabic).",
        "",
        "## Sign-up code (SMS only)",
        "",
        "```",
        rules.sms_for_phone_code("470895", "ar", 5),
        "```",
    ]
    for title, note in samples():
        lines += [
            "",
            f"## {title}",
            "",
            f"Channels: {', '.join(rules.CHANNELS[note.kind])}. Subject: {note.subject}",
            "",
        ]
        lines += ["```", note.text.rstrip(), "```"]
        if note.sms:
            lines += ["", "SMS:", "", "```", note.sms, "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(document(), end="")
