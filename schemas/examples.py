"""One example of every topic's event, for the engineers who code against the contracts: it shows
in each service's AsyncAPI document and in `schemas/json/`. A unit test validates every example
against its model, so an example can never drift from the contract it illustrates."""

from typing import Any

from pydantic import BaseModel

from schemas import events

SARA = {
    "id": "4f7c1e2a-prac",
    "name": "سارة الحربي",
    "email": "sara@example.sa",
    "locale": "ar",
    "latin_name": "Sara Al-Harbi",
}
BLS = {
    "name": "Basic Life Support (BLS)",
    "obtained_on": "2025-03-14",
    "institution": "Saudi Heart Association",
    "specialty": "Nursing",
    "degree": "Training certificate",
}
SCAN = {
    "file_id": "6745a1f09c1e4b2d8f3a7c11",
    "filename": "bls.jpg",
    "size": 156_812,
    "sha256": "9f2b5c0e" * 8,
    "content_type": "image/jpeg",
}
SUBMISSION = "7d1c2a4e-5b9f-4f0e-8a51-3c2f9e6b1d20"
REQUEST = "c41f0b7a-93d2-4c8e-b1a5-0e7d6f2a9b34"
SPECIALIST = {"code": "nursing.specialist", "label": {"ar": "أخصائي تمريض", "en": "Nursing Specialist"}}
TECHNICIAN = {"code": "nursing.technician", "label": {"ar": "فني تمريض", "en": "Nursing Technician"}}
AT = "2026-11-25T09:00:00+00:00"
REGISTRATION = "RG-00000018"
DUE = "2026-11-26T09:00:00+00:00"
REGISTRY_CHANGE = {
    "registration_number": REGISTRATION,
    "change": "suspended",
    "sequence": 3,
    "name": SARA["name"],
    "profession": "nursing",
    "classification": SPECIALIST,
    "status": "suspended",
    "expires_on": "2028-11-25",
    "days_left": None,
    "occurred_at": AT,
    "cause_id": "0b9c6d2e-5f1a-4e8b-9a7d-3c4e5f6a7b8c",
}
PASS = {
    "rule": "image.sharpness",
    "outcome": "pass",
    "code": None,
    "message": None,
    "score": 7639.0,
    "evidence": "sharpness 7639 (variance of the Laplacian where the page has detail); at least 60 needed",
    "detail": "image.sharpness_measured",
    "params": {"sharpness": 7639.0, "minimum": 60},
}
BLURRY = {
    "rule": "image.sharpness",
    "outcome": "fail",
    "code": "image.blurry",
    "message": {"ar": "المسح غير واضح.", "en": "The scan is not clear."},
    "score": 41.0,
    "evidence": "sharpness 41 (variance of the Laplacian where the page has detail); at least 60 needed",
    "detail": "image.sharpness_measured",
    "params": {"sharpness": 41.0, "minimum": 60},
}

EXAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    events.SubmissionReceived: {
        "submission_id": SUBMISSION,
        "version": 1,
        "previous_submission_id": None,
        "kind": "certificate",
        "practitioner": SARA,
        "certificate": BLS,
        "file": SCAN,
        "received_at": AT,
    },
    events.SubmissionValidated: {
        "submission_id": SUBMISSION,
        "kind": "certificate",
        "practitioner": SARA,
        "certificate": BLS,
        "file": SCAN,
        "findings": [PASS],
        "validated_at": AT,
    },
    events.SubmissionRejected: {
        "submission_id": SUBMISSION,
        "kind": "certificate",
        "practitioner": SARA,
        "findings": [BLURRY],
        "rejected_at": AT,
    },
    events.ReviewQueued: {
        "submission_id": SUBMISSION,
        "review_id": SUBMISSION,
        "kind": "certificate",
        "practitioner": SARA,
        "queued_at": AT,
        "sla_due_at": "2026-12-02T09:00:00+00:00",
    },
    events.ReviewDecided: {
        "submission_id": SUBMISSION,
        "review_id": SUBMISSION,
        "kind": "certificate",
        "practitioner": SARA,
        "decision": "reject",
        "reason_codes": ["incomplete_document"],
        "reason": "The stamp of the issuing hospital is missing.",
        "reviewer_id": "rev-khalid",
        "decided_at": AT,
        "certificate": BLS,
    },
    events.AccountRegistered: {
        "account_id": SARA["id"],
        "name": SARA["name"],
        "email": SARA["email"],
        "locale": "ar",
        "id_kind": "national_id",
        "terms_version": "2026-01",
        "registered_at": AT,
    },
    events.PhoneCodeIssued: {
        "account_id": SARA["id"],
        "phone": "+966550000000",
        "sealed_code": "gAAAAAB…",
        "locale": "ar",
        "expires_at": AT,
    },
    events.EmailConfirmationRequested: {
        "account_id": SARA["id"],
        "name": SARA["name"],
        "email": SARA["email"],
        "locale": "ar",
        "sealed_link": "gAAAAAB…",
        "expires_at": DUE,
    },
    events.PasswordResetRequested: {
        "account_id": SARA["id"],
        "name": SARA["name"],
        "email": SARA["email"],
        "locale": "ar",
        "sealed_link": "gAAAAAB…",
        "expires_at": AT,
    },
    events.ProfileChangeRequested: {
        "change_id": "0b9e-change",
        "practitioner": SARA,
        "changes": {"last_name": {"old": "Al-Harbi", "new": "Al-Shahri"}},
        "requested_at": AT,
    },
    events.ClassificationRequested: {
        "request_id": REQUEST,
        "practitioner": SARA,
        "membership_number": "MP-00000034",
        "current": TECHNICIAN,
        "target": SPECIALIST,
        "documents": [
            {"document_type": "degree", "submission_id": "d-1"},
            {"document_type": "licence", "submission_id": "d-2"},
        ],
        "required_exams": ["SNLE"],
        "fee": "600.00",
        "conditions_version": "2026-01",
        "candidate_ref": "5e1f…hmac",
        "requested_at": AT,
    },
    events.PaymentReceived: {
        "bill_number": "SC-2026-0001233",
        "amount": "600.00",
        "currency": "SAR",
        "paid_at": AT,
        "payment_reference": "SADAD-99812",
    },
    events.ExamResultPublished: {
        "result_id": "R-5521",
        "candidate_id_number": "1000000008",
        "exam": "SNLE",
        "score": 78.0,
        "passed": True,
        "taken_on": "2026-11-20",
    },
    events.CertificateFeedRecord: {
        "record_id": "KSU-2026-118273",
        "issuer": "ksu.edu.sa",
        "national_id": "1000000008",
        "certificate": BLS,
        "document": {"file_id": None, "url": "https://certs.ksu.edu.sa/118273.pdf", "filename": "118273.pdf"},
        "issued_at": AT,
    },
    events.FeeInvoiced: {
        "invoice_id": "inv-1",
        "bill_number": "SC-2026-0001233",
        "request_id": REQUEST,
        "purpose": "classification",
        "practitioner": SARA,
        "classification": SPECIALIST,
        "amount": "600.00",
        "currency": "SAR",
        "issued_at": AT,
        "due_at": DUE,
    },
    events.FeeReminderDue: {
        "invoice_id": "inv-1",
        "bill_number": "SC-2026-0001233",
        "request_id": REQUEST,
        "purpose": "classification",
        "practitioner": SARA,
        "classification": SPECIALIST,
        "amount": "600.00",
        "currency": "SAR",
        "due_at": DUE,
        "hours_before": 12,
    },
    events.FeeExpired: {
        "invoice_id": "inv-1",
        "bill_number": "SC-2026-0001233",
        "request_id": REQUEST,
        "purpose": "classification",
        "practitioner": SARA,
        "expired_at": DUE,
    },
    events.ClassificationLapsed: {
        "request_id": REQUEST,
        "practitioner": SARA,
        "classification": SPECIALIST,
        "reason": "fee_unpaid",
        "lapsed_at": DUE,
    },
    events.ClassificationChanged: {
        "request_id": REQUEST,
        "practitioner": SARA,
        "previous": TECHNICIAN,
        "classification": SPECIALIST,
        "changed_at": AT,
    },
    events.RegistrationIssued: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "profession": "nursing",
        "classification": SPECIALIST,
        "cycle": 1,
        "issued_on": "2026-11-25",
        "expires_on": "2028-11-25",
        "issued_at": AT,
    },
    events.RegistrationRenewalRequested: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "renewal_id": "9e2d4c1b-renewal",
        "classification": SPECIALIST,
        "cycle": 1,
        "expires_on": "2028-11-25",
        "renews_until": "2030-11-25",
        "fee": "500.00",
        "cpd_hours_required": "30",
        "cpd_hours_earned": "34.5",
        "requested_at": "2028-09-10T08:00:00+00:00",
    },
    events.RegistrationRenewed: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "renewal_id": "9e2d4c1b-renewal",
        "cycle": 2,
        "previous_expires_on": "2028-11-25",
        "expires_on": "2030-11-25",
        "renewed_at": "2028-09-11T10:00:00+00:00",
    },
    events.RegistrationRenewalRefused: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "renewal_id": "9e2d4c1b-renewal",
        "cycle": 1,
        "reason": "registration_lapsed",
        "bill_number": "SC-2028-0004217",
        "refund_due": True,
        "lapsed_at": "2028-12-26T00:00:00+00:00",
        "refused_at": "2028-12-26T10:00:00+00:00",
    },
    events.RegistrationExpiring: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "cycle": 1,
        "expires_on": "2028-11-25",
        "days_before": 30,
        "days_left": 30,
        "renewal_open": True,
    },
    events.CertificateExpiring: {
        "submission_id": SUBMISSION,
        "practitioner": SARA,
        "certificate_name": BLS["name"],
        "expires_on": "2027-03-14",
        "days_before": 30,
        "days_left": 30,
    },
    events.RegistrationLapsed: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "cycle": 1,
        "expired_on": "2028-11-25",
        "lapsed_at": "2028-12-26T00:00:00+00:00",
    },
    events.RegistrationSuspended: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "reason": "Practising outside the registered specialty (case 2026/114).",
        "suspended_by": "7a1e-supervisor",
        "suspended_at": AT,
    },
    events.RegistryRegistrationChanged: REGISTRY_CHANGE,
    events.FacilityRegistrationChanged: {
        "facility_id": "5c2e9a10-facility",
        "registration_number": REGISTRATION,
        "event_id": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
        "event_time": AT,
        "change": REGISTRY_CHANGE,
    },
    events.CpdAttendanceRecord: {
        "record_id": "SCFHS-CME-2026-00412/17",
        "national_id": "1000000008",
        "activity": {
            "title": "Advanced Cardiac Life Support (ACLS) update",
            "provider": "Saudi Heart Association",
            "accreditation_number": "SHA-2026-0412",
            "category": "workshop",
            "hours": "6.5",
            "attended_on": "2026-11-20",
        },
        "reported_at": AT,
    },
    events.RegistrationReinstated: {
        "registration_number": REGISTRATION,
        "practitioner": SARA,
        "status": "active",
        "reason": "Case 2026/114 closed: no breach found.",
        "lifted_by": "7a1e-supervisor",
        "lifted_at": "2026-12-10T09:00:00+00:00",
    },
    events.DeliveryRequested: {
        "delivery_id": "3b5d…sha256",
        "channel": "email",
        "kind": "review.approved",
        "recipient_id": SARA["id"],
        "event_id": "e-1",
    },
}


def attach_examples() -> None:
    """Put each example into its model's JSON Schema (`examples`), which FastStream's AsyncAPI
    generator and `mumaris schemas export` both read."""
    for model, example in EXAMPLES.items():
        model.model_config["json_schema_extra"] = {"examples": [example]}
        model.model_rebuild(force=True)
