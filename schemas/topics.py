"""The topic catalogue: every topic, its event model, its key, who publishes and who consumes.

This is the one place to look. Partition counts come from settings; each topic also has a
dead-letter topic `<name>.dlq` created beside it.
"""

from dataclasses import dataclass

from pydantic import BaseModel

from schemas import events
from schemas.examples import attach_examples

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class Topic:
    name: str
    model: type[BaseModel]
    key: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    description: str
    ce_type: str = ""
    """The CloudEvents `type`; left empty it is `mumaris.<name>.v1`, so a name and its type cannot
    drift apart (tests give their own topics a type of their own)."""

    def __post_init__(self) -> None:
        if not self.ce_type:
            object.__setattr__(self, "ce_type", f"mumaris.{self.name}.v1")

    @property
    def dlq(self) -> str:
        return self.name + DLQ_SUFFIX


SUBMISSION_RECEIVED = Topic(
    name="submission.received",
    model=events.SubmissionReceived,
    key="submission_id",
    producers=("intake",),
    consumers=("validator", "notifier"),
    description="An upload was accepted and stored; the validator checks it.",
)
SUBMISSION_VALIDATED = Topic(
    name="submission.validated",
    model=events.SubmissionValidated,
    key="submission_id",
    producers=("validator",),
    consumers=("review", "intake"),
    description="All automated checks passed; the submission goes to human review.",
)
SUBMISSION_REJECTED = Topic(
    name="submission.rejected",
    model=events.SubmissionRejected,
    key="submission_id",
    producers=("validator",),
    consumers=("notifier", "intake", "review"),
    description="An automated check failed; the practitioner is told what to fix.",
)
REVIEW_QUEUED = Topic(
    name="review.queued",
    model=events.ReviewQueued,
    key="submission_id",
    producers=("review",),
    consumers=("intake", "notifier"),
    description="The submission entered the human review queue.",
)
REVIEW_DECIDED = Topic(
    name="review.decided",
    model=events.ReviewDecided,
    key="submission_id",
    producers=("review",),
    consumers=("notifier", "intake", "validator"),
    description="A reviewer approved, rejected or requested changes (validator: the certificate is no longer pending).",
)

ACCOUNT_REGISTERED = Topic(
    name="account.registered",
    model=events.AccountRegistered,
    key="account_id",
    producers=("intake",),
    consumers=("notifier",),
    description="A practitioner signed up; their phone is not confirmed yet.",
)
ACCOUNT_PHONE_CODE = Topic(
    name="account.phone_code",
    model=events.PhoneCodeIssued,
    key="account_id",
    producers=("intake",),
    consumers=("notifier",),
    description="Send a sign-up SMS code (sealed; opened only when sending).",
)
ACCOUNT_EMAIL_CONFIRMATION = Topic(
    name="account.email_confirmation",
    model=events.EmailConfirmationRequested,
    key="account_id",
    producers=("intake",),
    consumers=("notifier",),
    description="Send the single-use e-mail confirmation link (sealed).",
)
ACCOUNT_PASSWORD_RESET = Topic(
    name="account.password_reset",
    model=events.PasswordResetRequested,
    key="account_id",
    producers=("intake",),
    consumers=("notifier",),
    description="Send the single-use link that sets a forgotten password (sealed; opened only when sending).",
)
PROFILE_CHANGE_REQUESTED = Topic(
    name="profile.change_requested",
    model=events.ProfileChangeRequested,
    key="change_id",
    producers=("intake",),
    consumers=("review",),
    description="A practitioner asked to change personal data; a reviewer decides (review.decided, kind profile_change).",
)

FEE_INVOICED = Topic(
    name="fee.invoiced",
    model=events.FeeInvoiced,
    key="request_id",
    producers=("review",),
    consumers=("notifier", "intake"),
    description="A classification request's fee was invoiced: amount, bill number, 24-hour deadline.",
)
FEE_REMINDER = Topic(
    name="fee.reminder",
    model=events.FeeReminderDue,
    key="request_id",
    producers=("review",),
    consumers=("notifier",),
    description="An invoice is still unpaid 12 h and 1 h before its deadline.",
)
FEE_EXPIRED = Topic(
    name="fee.expired",
    model=events.FeeExpired,
    key="request_id",
    producers=("review",),
    consumers=("intake", "notifier"),
    description="An invoice's deadline passed unpaid; it can no longer be paid (for the payment system; the practitioner "
    "hears of classification.lapsed, or of this for a renewal's invoice).",
)
CLASSIFICATION_LAPSED = Topic(
    name="classification.lapsed",
    model=events.ClassificationLapsed,
    key="request_id",
    producers=("review",),
    consumers=("notifier", "intake"),
    description="A classification request ended without a decision (fee unpaid in time).",
)
CLASSIFICATION_CHANGED = Topic(
    name="classification.changed",
    model=events.ClassificationChanged,
    key="request_id",
    producers=("review",),
    consumers=("notifier", "intake"),
    description="A practitioner's classification changed; published for other government systems too.",
)
CLASSIFICATION_REQUESTED = Topic(
    name="classification.requested",
    model=events.ClassificationRequested,
    key="request_id",
    producers=("intake",),
    consumers=("review",),
    description="A practitioner asked to change classification; review waits for its documents, then invoices.",
)
GOV_PAYMENTS = Topic(
    name="gov.payments",
    model=events.PaymentReceived,
    key="bill_number",
    producers=("national payment system",),
    consumers=("review",),
    description="Inbound: a bill was paid (bill number, amount, paid_at, payment reference).",
)
GOV_EXAMS = Topic(
    name="gov.exams",
    model=events.ExamResultPublished,
    key="result_id",
    producers=("testing provider",),
    consumers=("review", "intake"),
    description="Inbound: an exam result (candidate ID number, exam, score, pass/fail, date); intake shows it on the practitioner's request.",
)
GOV_CERTIFICATES = Topic(
    name="gov.certificates",
    model=events.CertificateFeedRecord,
    key="record_id",
    producers=("universities and agencies",),
    consumers=("intake",),
    description="Inbound bulk feed: certificates published on behalf of practitioners (by national ID); "
    "they enter the same pipeline as uploads.",
)
GOV_CPD_ATTENDANCE = Topic(
    name="gov.cpd_attendance",
    model=events.CpdAttendanceRecord,
    key="record_id",
    producers=("accredited CPD providers",),
    consumers=("intake",),
    description="Inbound, in batches: an accredited provider reports a practitioner's attendance (by "
    "national ID) of one of its activities; the hours are credited to the practitioner's CPD ledger.",
)
REGISTRATION_ISSUED = Topic(
    name="registration.issued",
    model=events.RegistrationIssued,
    key="registration_number",
    producers=("intake",),
    consumers=("review", "intake"),
    description="A professional registration was issued (first classification approved, or the one-off "
    "migration): number, classification, issued on, expires on.",
)
REGISTRATION_RENEWAL_REQUESTED = Topic(
    name="registration.renewal_requested",
    model=events.RegistrationRenewalRequested,
    key="registration_number",
    producers=("intake",),
    consumers=("review",),
    description="A practitioner with the cycle's CPD hours asked to renew; review invoices the renewal fee.",
)
REGISTRATION_RENEWED = Topic(
    name="registration.renewed",
    model=events.RegistrationRenewed,
    key="registration_number",
    producers=("review",),
    consumers=("intake", "notifier"),
    description="The renewal fee was paid: the registration runs two more years from its old expiry.",
)
REGISTRATION_EXPIRING = Topic(
    name="registration.expiring",
    model=events.RegistrationExpiring,
    key="registration_number",
    producers=("review",),
    consumers=("notifier", "intake"),
    description="A reminder milestone before expiry (e.g. 90/60/30/7 days), once per registration, cycle "
    "and milestone.",
)
CERTIFICATE_EXPIRING = Topic(
    name="certificate.expiring",
    model=events.CertificateExpiring,
    key="submission_id",
    producers=("review",),
    consumers=("notifier",),
    description="A reminder milestone before an approved certificate's expiry (e.g. 30/7/0 days), once per "
    "certificate and milestone.",
)
REGISTRATION_RENEWAL_REFUSED = Topic(
    name="registration.renewal_refused",
    model=events.RegistrationRenewalRefused,
    key="registration_number",
    producers=("review",),
    consumers=("intake", "notifier"),
    description="A renewal's fee reached us after the registration lapsed: it renews nothing, the payment "
    "is flagged for a refund and the registration stays lapsed.",
)
REGISTRATION_LAPSED = Topic(
    name="registration.lapsed",
    model=events.RegistrationLapsed,
    key="registration_number",
    producers=("review",),
    consumers=("intake", "notifier"),
    description="Not renewed by the end of the grace period after expiry: the registration lapsed.",
)
REGISTRATION_SUSPENDED = Topic(
    name="registration.suspended",
    model=events.RegistrationSuspended,
    key="registration_number",
    producers=("intake",),
    consumers=("review", "intake", "notifier"),
    description="A supervisor suspended a registration, with the reason (audited).",
)
REGISTRY_REGISTRATION_CHANGED = Topic(
    name="registry.registration_changed",
    model=events.RegistryRegistrationChanged,
    key="registration_number",
    producers=("intake",),
    consumers=("government systems",),
    description="Outbound, for government systems: every change of a professional registration (issued, "
    "renewed, expiring, lapsed, suspended, reinstated, classification changed), in order per registration (`sequence`).",
)
FACILITY_REGISTRATION_CHANGED = Topic(
    name="facility.registration_changed",
    model=events.FacilityRegistrationChanged,
    key="registration_number",
    producers=("intake",),
    consumers=("notifier",),
    description="A registration on a facility's roster changed (one per facility employing the practitioner); "
    "notifier delivers it to the facility's webhooks.",
)
REGISTRATION_REINSTATED = Topic(
    name="registration.reinstated",
    model=events.RegistrationReinstated,
    key="registration_number",
    producers=("intake",),
    consumers=("review", "intake", "notifier"),
    description="A supervisor lifted a registration's suspension, with the reason (audited); its clock runs again.",
)
NOTIFICATION_EMAIL = Topic(
    name="notification.email",
    model=events.DeliveryRequested,
    key="recipient_id",
    producers=("notifier",),
    consumers=("notifier",),
    description="Notifier's own queue of e-mails to send (a reference to the stored message).",
)
NOTIFICATION_SMS = Topic(
    name="notification.sms",
    model=events.DeliveryRequested,
    key="recipient_id",
    producers=("notifier",),
    consumers=("notifier",),
    description="Notifier's own queue of SMS to send; a slow mail server never holds these up.",
)

CATALOGUE: tuple[Topic, ...] = (
    SUBMISSION_RECEIVED,
    SUBMISSION_VALIDATED,
    SUBMISSION_REJECTED,
    REVIEW_QUEUED,
    REVIEW_DECIDED,
    ACCOUNT_REGISTERED,
    ACCOUNT_PHONE_CODE,
    ACCOUNT_EMAIL_CONFIRMATION,
    ACCOUNT_PASSWORD_RESET,
    PROFILE_CHANGE_REQUESTED,
    CLASSIFICATION_REQUESTED,
    GOV_PAYMENTS,
    GOV_EXAMS,
    GOV_CERTIFICATES,
    GOV_CPD_ATTENDANCE,
    FEE_INVOICED,
    FEE_REMINDER,
    FEE_EXPIRED,
    CLASSIFICATION_LAPSED,
    CLASSIFICATION_CHANGED,
    REGISTRATION_ISSUED,
    REGISTRATION_RENEWAL_REQUESTED,
    REGISTRATION_RENEWED,
    REGISTRATION_RENEWAL_REFUSED,
    REGISTRATION_EXPIRING,
    REGISTRATION_LAPSED,
    REGISTRATION_SUSPENDED,
    REGISTRY_REGISTRATION_CHANGED,
    FACILITY_REGISTRATION_CHANGED,
    REGISTRATION_REINSTATED,
    CERTIFICATE_EXPIRING,
    NOTIFICATION_EMAIL,
    NOTIFICATION_SMS,
)


def by_name(name: str) -> Topic:
    for topic in CATALOGUE:
        if topic.name == name:
            return topic
    raise KeyError(name)


def all_topic_names() -> list[str]:
    """Every topic the stack must create, dead-letter topics included."""
    return [name for topic in CATALOGUE for name in (topic.name, topic.dlq)]


# The contracts' examples go into the models' JSON Schemas (AsyncAPI, schemas/json/).
attach_examples()
