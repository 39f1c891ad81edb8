"""Event bodies, one model per topic. The CloudEvents attributes travel as headers (see
`schemas.cloudevents`); the body is the event's data as JSON.

Evolution rules (readers are other teams): adding an optional field is compatible; consumers
ignore fields they do not know (`extra="ignore"`); a breaking change is a new model with a new
versioned type published alongside the old one for a transition period.
No password, OTP code or national ID is ever a field here.
"""

from datetime import date, datetime
from decimal import Decimal
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
    name: str  # as registered: in Arabic letters (older accounts: in the letters they signed up with)
    email: str
    locale: Literal["ar", "en"] = "ar"
    # The name in Latin letters, when the account has one (the validator looks for both on the
    # document); absent on events of before and for accounts without it.
    latin_name: str | None = None


class SubmissionKind(StrEnum):
    CERTIFICATE = "certificate"
    PROFILE_CHANGE = "profile_change"
    # One document of a classification request: validated like a certificate, not reviewed alone.
    CLASSIFICATION_DOCUMENT = "classification_document"
    # A classification request whose documents passed and whose fee is paid: reviewed as a whole.
    CLASSIFICATION = "classification"
    # A request to recognise CPD hours earned abroad, with its evidence: validated like a
    # certificate, reviewed on its own (the reviewer recognises up to the hours claimed).
    CPD_RECOGNITION = "cpd_recognition"


class CpdActivity(Event):
    """A continuing professional development activity: what a CPD certificate declares, and what an
    accredited provider reports attendance of. One activity is its accreditation number and its date."""

    title: Annotated[str, Field(min_length=2, max_length=200)]
    provider: Annotated[str, Field(min_length=2, max_length=200)]
    accreditation_number: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,39}$")]
    category: Annotated[str, Field(min_length=2, max_length=60)]  # e.g. conference, workshop, e-learning
    hours: Annotated[Decimal, Field(gt=0, le=200, max_digits=5, decimal_places=2)]
    attended_on: date


class CpdRecognitionClaim(Event):
    """What a practitioner declares of CPD earned abroad: the activity, where, and the hours she
    asks to have recognised (a reviewer may recognise fewer)."""

    title: Annotated[str, Field(min_length=2, max_length=200)]
    provider: Annotated[str, Field(min_length=2, max_length=200)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2, e.g. GB, EG, US
    category: Annotated[str, Field(min_length=2, max_length=60)]
    hours_claimed: Annotated[Decimal, Field(gt=0, le=200, max_digits=5, decimal_places=2)]
    attended_on: date


class CertificateMetadata(Event):
    """What the practitioner declared about the certificate."""

    name: Annotated[str, Field(min_length=2, max_length=200)]
    obtained_on: date
    institution: Annotated[str, Field(min_length=2, max_length=200)]
    specialty: Annotated[str, Field(min_length=2, max_length=120)]
    degree: Annotated[str, Field(min_length=2, max_length=120)]
    # A certificate that expires (life-support courses: BLS, ACLS): the last day it is valid is the
    # day before. After `obtained_on` (mumaris/certificates.py check_expires_on); the practitioner
    # is reminded before it (review's certificate expiry sweep) and the profile marks it expired.
    expires_on: date | None = None
    # A CPD certificate: the activity it attests; once approved its hours are credited to the
    # registration cycle its date falls in (intake's CPD ledger).
    cpd: CpdActivity | None = None
    # Kind cpd_recognition: what is asked to be recognised (the name, institution, date above
    # repeat its title, provider and date, for the validator's document checks).
    recognition: CpdRecognitionClaim | None = None


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
    request_id: str | None = None  # kind classification_document: the request it belongs to
    document_type: str | None = None  # ... and which required document it is (schemas.classifications)
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
    # What was measured or found, as a code of `schemas.findings.DETAILS` worded by each reader in
    # its own language with `params` ("image.resolution_measured", {"short_side": 1240, "minimum": 600}).
    # `evidence` keeps the English sentence for readers of before; absent on events of before.
    detail: str | None = None
    params: dict[str, str | int | float] = {}


class SubmissionValidated(Event):
    """Every automated check passed; a human should review it."""

    submission_id: str
    version: int = 1
    previous_submission_id: str | None = None  # set on a resubmission after "request changes"
    kind: SubmissionKind
    request_id: str | None = None  # kind classification_document: the request it belongs to
    document_type: str | None = None  # ... and which required document it is (schemas.classifications)
    practitioner: PractitionerRef
    certificate: CertificateMetadata
    file: StoredFile
    findings: list[Finding]
    validated_at: datetime


class SubmissionRejected(Event):
    """An automated check failed; the practitioner must fix and resubmit."""

    submission_id: str
    kind: SubmissionKind
    request_id: str | None = None  # kind classification_document: the request it belongs to
    document_type: str | None = None  # ... and which required document it is (schemas.classifications)
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
    # When review means to have decided: its service-level deadline in working days (Riyadh's
    # week, the commission's holidays), so the practitioner sees the date the queue works to.
    # None on events from before it was carried.
    sla_due_at: datetime | None = None


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
    certificate: CertificateMetadata | None = None  # what was decided on, for the practitioner's messages
    # Kind cpd_recognition, approved: the hours the reviewer recognised (at most those claimed).
    cpd_hours_recognised: Annotated[Decimal, Field(gt=0, le=200, max_digits=5, decimal_places=2)] | None = None
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


class PasswordResetRequested(Event):
    """Send the single-use link that sets a new password (sealed like a code). Published only for
    an account that exists; the person asking is answered alike either way."""

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


# --- classification fees (review publishes; issue: classification change and fees) -----------


class ClassificationRef(Event):
    """A professional classification, self-described so other systems need no catalogue."""

    code: str  # e.g. "nursing.specialist"
    label: Localized


class InvoicePurpose(StrEnum):
    """What an invoice is for. For a renewal, `request_id` is the renewal's id and `classification`
    the registration's (registration.renewal_requested)."""

    CLASSIFICATION = "classification"
    RENEWAL = "renewal"


class FeeInvoiced(Event):
    """A classification request's documents passed (or a renewal was asked); its fee must be paid
    before `due_at` or it lapses."""

    invoice_id: str
    bill_number: str
    request_id: str
    purpose: InvoicePurpose = InvoicePurpose.CLASSIFICATION
    practitioner: PractitionerRef
    classification: ClassificationRef
    amount: Decimal  # in riyals, two decimals; JSON carries it as a string
    currency: Literal["SAR"] = "SAR"
    issued_at: datetime
    due_at: datetime


class FeeReminderDue(Event):
    """The fee is still unpaid and the deadline is near (sent at 12 h and at 1 h before it)."""

    invoice_id: str
    bill_number: str
    request_id: str
    purpose: InvoicePurpose = InvoicePurpose.CLASSIFICATION
    practitioner: PractitionerRef
    classification: ClassificationRef
    amount: Decimal
    currency: Literal["SAR"] = "SAR"
    due_at: datetime
    hours_before: int


class FeeExpired(Event):
    """The deadline passed unpaid: the invoice is void (the request lapses: classification.lapsed)."""

    invoice_id: str
    bill_number: str
    request_id: str
    purpose: InvoicePurpose = InvoicePurpose.CLASSIFICATION
    practitioner: PractitionerRef
    expired_at: datetime


class ClassificationLapsed(Event):
    """A classification request ended without a decision (e.g. its fee was not paid in time)."""

    request_id: str
    practitioner: PractitionerRef
    classification: ClassificationRef
    reason: Literal["fee_unpaid"] = "fee_unpaid"
    lapsed_at: datetime


class ClassificationChanged(Event):
    """A practitioner's professional classification changed (approved request); for other systems too."""

    request_id: str
    practitioner: PractitionerRef
    previous: ClassificationRef | None
    classification: ClassificationRef
    changed_at: datetime


# --- notifier's own delivery queues --------------------------------------------------------------


class DeliveryRequested(Event):
    """Send one stored message (`notifier.deliveries`) on one channel. The content stays in the
    database (sealed when it holds a code or link); the topic carries only the reference, so
    each channel has its own consumer, retries and dead letters."""

    delivery_id: str
    channel: Literal["email", "sms"]
    kind: str
    recipient_id: str
    event_id: str


# --- classification requests (intake publishes) and what other government systems send -------------


class RequestDocument(Event):
    document_type: str  # a key of schemas.classifications.DOCUMENT_TYPES
    submission_id: str  # the document's own submission (kind classification_document)


class ClassificationRequested(Event):
    """A practitioner asked for a new classification with the documents it requires and accepted
    its conditions. `candidate_ref` is an HMAC of their ID number (key shared by intake and review)
    so exam results can be matched without the number travelling on our topics."""

    request_id: str
    practitioner: PractitionerRef
    membership_number: str
    current: ClassificationRef | None
    target: ClassificationRef
    documents: list[RequestDocument]
    required_exams: list[str]
    fee: Decimal
    conditions_version: str
    candidate_ref: str
    requested_at: datetime


class PaymentReceived(Event):
    """gov.payments — from the national payment system: a bill was paid."""

    bill_number: Annotated[str, Field(min_length=1, max_length=40)]
    amount: Decimal
    currency: Literal["SAR"] = "SAR"
    paid_at: datetime
    payment_reference: Annotated[str, Field(min_length=1, max_length=80)]


class ExamResultPublished(Event):
    """gov.exams — from the testing provider. The ID number is theirs to send; our services keep
    only its HMAC and never publish it again."""

    result_id: Annotated[str, Field(min_length=1, max_length=80)]
    candidate_id_number: Annotated[str, Field(pattern=r"^[12][0-9]{9}$")]
    exam: Annotated[str, Field(min_length=1, max_length=40)]
    score: float
    passed: bool
    taken_on: date


class FeedDocument(Event):
    """The certificate's scan: a file the publisher already put in GridFS (bucket `files`), or an
    https URL that intake fetches only when its host is on the allow-list. Exactly one of the two."""

    file_id: str | None = None
    url: Annotated[str, Field(max_length=2000)] | None = None
    filename: Annotated[str, Field(max_length=200)] | None = None


class CertificateFeedRecord(Event):
    """gov.certificates — a university or agency publishes a certificate on behalf of a practitioner,
    identified by national ID / iqama number. It enters the same pipeline as an uploaded one."""

    record_id: Annotated[str, Field(min_length=1, max_length=120)]  # the publisher's id: one record, one submission
    issuer: Annotated[str, Field(min_length=2, max_length=200)]
    national_id: Annotated[str, Field(pattern=r"^[12][0-9]{9}$")]
    certificate: CertificateMetadata
    document: FeedDocument
    issued_at: datetime


# --- professional registrations (intake keeps them; review runs their clock) -----------------------


class RegistrationEvent(Event):
    """What every event about a registration says of it first. Keyed by the registration number,
    so one registration's events stay in order."""

    registration_number: Annotated[str, Field(pattern=r"^RG-[0-9]{8,}$")]
    practitioner: PractitionerRef


class RegistrationIssued(RegistrationEvent):
    """A practitioner's professional registration, issued when their first classification was
    approved (or by the one-off migration for those approved before registrations existed).
    It is valid from `issued_on` up to the day before `expires_on`."""

    profession: str  # schemas.classifications: nursing, pharmacy, medicine
    classification: ClassificationRef
    cycle: int  # 1 for the first two years; each renewal starts the next
    issued_on: date
    expires_on: date
    issued_at: datetime


class RegistrationRenewalRequested(RegistrationEvent):
    """The practitioner asked to renew, with the cycle's CPD hours earned: review invoices the
    renewal fee; paid in time, the registration runs to `renews_until` (from the old expiry)."""

    renewal_id: str
    classification: ClassificationRef
    cycle: int  # the cycle being renewed
    expires_on: date  # its expiry
    renews_until: date  # the expiry once the fee is paid
    fee: Decimal
    cpd_hours_required: Decimal
    cpd_hours_earned: Decimal
    requested_at: datetime


class RegistrationRenewed(RegistrationEvent):
    """The renewal fee was paid: a new cycle runs from the old expiry to `expires_on`."""

    renewal_id: str
    cycle: int  # the new cycle
    previous_expires_on: date
    expires_on: date
    renewed_at: datetime


class RegistrationExpiring(RegistrationEvent):
    """A reminder: the registration expires in `days_before` days (a milestone of the reminder
    schedule, e.g. 90/60/30/7), sent once per registration, cycle and milestone. After an outage
    only the most urgent missed milestone is sent, late (`days_left`)."""

    cycle: int
    expires_on: date
    days_before: int  # the milestone
    days_left: int  # as it went out: fewer than the milestone when sent late (after an outage)
    renewal_open: bool


class CertificateExpiring(Event):
    """A reminder: an approved certificate with an expiry (a life-support course: BLS, ACLS)
    expires in `days_before` days (a milestone of the reminder schedule, e.g. 30/7/0; 0 is the
    expiry day itself, from which it is no longer valid), sent once per certificate and milestone.
    After an outage only the most urgent missed milestone is sent, late (`days_left`)."""

    submission_id: str  # the approved certificate (its submission)
    practitioner: PractitionerRef
    certificate_name: Annotated[str, Field(min_length=2, max_length=200)]
    expires_on: date  # the first day it is no longer valid
    days_before: int  # the milestone
    days_left: int  # as it went out: fewer than the milestone when sent late (0: it expires today)


class RegistrationRenewalRefused(RegistrationEvent):
    """A renewal that renews nothing: its fee reached us after the registration had lapsed
    (review's RenewalDesk.paid says why). The payment is kept on its invoice and flagged for a
    refund (`refund_due`); the registration stays lapsed."""

    renewal_id: str
    cycle: int  # the cycle it would have renewed
    reason: Literal["registration_lapsed"]
    bill_number: str
    refund_due: bool
    lapsed_at: datetime | None  # when the registration lapsed (None when review did not record it)
    refused_at: datetime


class RegistrationLapsed(RegistrationEvent):
    """Not renewed by the end of the grace period after its expiry: the practitioner may no longer work."""

    cycle: int
    expired_on: date
    lapsed_at: datetime


class RegistrationSuspended(RegistrationEvent):
    """A supervisor suspended the registration, for the reason given (audited)."""

    reason: Annotated[str, Field(min_length=3, max_length=500)]
    suspended_by: str  # the supervisor's account id
    suspended_at: datetime


class RegistryChange(StrEnum):
    ISSUED = "issued"
    RENEWED = "renewed"
    EXPIRING = "expiring"
    LAPSED = "lapsed"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    CLASSIFICATION_CHANGED = "classification_changed"


class RegistryRegistrationChanged(Event):
    """registry.registration_changed — outbound, for government systems (and the facilities'
    webhooks): a professional registration changed. One topic for every kind of change, keyed by the
    registration number, so one practitioner's changes stay in order; `sequence` counts them per
    registration from 1 (a consumer that sees a gap or a repeat knows it). What the public may
    know of a registration only: no ID number, e-mail, phone or date of birth."""

    registration_number: Annotated[str, Field(pattern=r"^RG-[0-9]{8,}$")]
    change: RegistryChange
    sequence: int = Field(ge=1)
    name: str
    profession: str | None
    classification: ClassificationRef | None
    status: str  # what the change leaves: active, renewed, renewal_open, lapsed, suspended
    expires_on: date | None
    days_left: int | None = None  # expiring: days until expiry as the reminder went out
    occurred_at: datetime
    cause_id: str  # the CloudEvents id of the registry's own event this republishes


class FacilityRegistrationChanged(Event):
    """facility.registration_changed — intake to notifier: a registration on a facility's roster
    changed (one event per facility employing the practitioner); notifier delivers `change` to the
    facility's webhooks as a CloudEvent whose id is `event_id` (the registry event's own id, the
    receivers' idempotency key). Keyed by the registration number: one practitioner's in order."""

    facility_id: str
    registration_number: Annotated[str, Field(pattern=r"^RG-[0-9]{8,}$")]
    event_id: str
    event_time: datetime
    change: RegistryRegistrationChanged


class CpdAttendanceRecord(Event):
    """gov.cpd_attendance — an accredited CPD provider reports that a practitioner (national ID /
    iqama number) attended one of its accredited activities; the hours are credited without an
    upload. `record_id` is the provider's own id: one record is credited once."""

    record_id: Annotated[str, Field(min_length=1, max_length=120)]
    national_id: Annotated[str, Field(pattern=r"^[12][0-9]{9}$")]
    activity: CpdActivity
    reported_at: datetime


class RegistrationReinstated(RegistrationEvent):
    """A supervisor lifted a registration's suspension (audited): it returns to `status`."""

    status: Literal["active", "renewed"]
    reason: Annotated[str, Field(min_length=3, max_length=500)]
    lifted_by: str  # the supervisor's account id
    lifted_at: datetime
