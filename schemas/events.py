"""Event bodies, one model per topic. The CloudEvents attributes travel as headers (see
`schemas.cloudevents`); the body is the event's data as JSON.

Evolution rules (readers are other teams): adding an optional field is compatible; consumers
ignore fields they do not know (`extra="ignore"`); a breaking change is a new model with a new
versioned type published alongside the old one for a transition period.
No password, OTP code or national ID is ever a field here.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Localized(BaseModel):
    """A message for a person, Arabic first."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    ar: str
    en: str


class PractitionerRef(Event):
    """Who a submission belongs to and how to reach them. Deliberately no ID number."""

    id: str
    name: str
    email: str
    locale: Literal["ar", "en"] = "ar"


class SubmissionKind(StrEnum):
    CERTIFICATE = "certificate"
    PROFILE_CHANGE = "profile_change"


class CertificateMetadata(Event):
    """What the practitioner declared about the certificate."""

    name: Annotated[str, Field(min_length=2, max_length=200)]
    obtained_on: date
    institution: Annotated[str, Field(min_length=2, max_length=200)]
    specialty: Annotated[str, Field(min_length=2, max_length=120)]
    degree: Annotated[str, Field(min_length=2, max_length=120)]


class StoredFile(Event):
    """A document kept in GridFS (bucket `files`)."""

    file_id: str
    filename: str
    size: int
    sha256: str
    content_type: str


class SubmissionReceived(Event):
    """Intake accepted an upload; the validator should check it."""

    submission_id: str
    version: int = 1
    previous_submission_id: str | None = None
    kind: SubmissionKind
    practitioner: PractitionerRef
    certificate: CertificateMetadata
    file: StoredFile
    received_at: datetime


class Finding(Event):
    """One named validation rule's outcome, for the reviewer and the practitioner."""

    rule: str
    outcome: Literal["pass", "fail", "warn"]
    code: str | None = None
    message: Localized | None = None
    score: float | None = None
    evidence: str | None = None  # what was found, e.g. the OCR text that matched the name


class SubmissionValidated(Event):
    """Every automated check passed; a human should review it."""

    submission_id: str
    version: int = 1
    previous_submission_id: str | None = None  # set on a resubmission after "request changes"
    kind: SubmissionKind
    practitioner: PractitionerRef
    certificate: CertificateMetadata
    file: StoredFile
    findings: list[Finding]
    validated_at: datetime


class SubmissionRejected(Event):
    """An automated check failed; the practitioner must fix and resubmit."""

    submission_id: str
    kind: SubmissionKind
    practitioner: PractitionerRef
    findings: list[Finding]
    rejected_at: datetime


class ReviewQueued(Event):
    """The submission waits in the human review queue."""

    submission_id: str
    review_id: str
    kind: SubmissionKind = SubmissionKind.CERTIFICATE
    version: int = 1
    previous_submission_id: str | None = None
    practitioner: PractitionerRef
    queued_at: datetime


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_CHANGES = "request_changes"


class ReviewDecided(Event):
    """A reviewer decided. `reason_codes` (rejections) come from `schemas.review_reasons`;
    `reason` is the reviewer's note (reject) or message (request changes) to the practitioner."""

    submission_id: str
    review_id: str
    kind: SubmissionKind
    version: int = 1
    practitioner: PractitionerRef
    decision: Decision
    reason_codes: list[str] = []
    reason: Annotated[str, Field(max_length=2000)] = ""
    reviewer_id: str
    decided_at: datetime


# --- accounts --------------------------------------------------------------------------------


class AccountRegistered(Event):
    """A practitioner signed up (the account waits for its phone code). No ID number here."""

    account_id: str
    name: str
    email: str
    locale: Literal["ar", "en"] = "ar"
    id_kind: Literal["national_id", "iqama"]
    terms_version: str
    registered_at: datetime


class PhoneCodeIssued(Event):
    """Send this SMS code. The code is sealed (Fernet, key shared by intake and notifier) and is
    opened only at the moment of sending."""

    account_id: str
    phone: str
    sealed_code: str
    locale: Literal["ar", "en"] = "ar"
    expires_at: datetime


class EmailConfirmationRequested(Event):
    """Send the single-use e-mail confirmation link (sealed like a code)."""

    account_id: str
    name: str
    email: str
    locale: Literal["ar", "en"] = "ar"
    sealed_link: str
    expires_at: datetime


class FieldChange(Event):
    old: str | None
    new: str


class ProfileChangeRequested(Event):
    """A practitioner asked to change personal data; the old values stay until a reviewer approves."""

    change_id: str
    practitioner: PractitionerRef
    changes: dict[str, FieldChange]
    requested_at: datetime
