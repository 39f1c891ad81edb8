"""The notifier's event subscribers: thin, each hands its event, as the notification it makes, to
the Recorder. They only record (never wait for a mail server or the gateway): the delivery area
sends. A new kind of notification is one subscriber: `await recorder.notify(ce, notification_for_...(event))`.
"""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, publishes, subscriber
from schemas import topics
from schemas.events import (
    AccountRegistered,
    CertificateExpiring,
    ClassificationChanged,
    ClassificationLapsed,
    EmailConfirmationRequested,
    FeeExpired,
    FeeInvoiced,
    FeeReminderDue,
    PasswordResetRequested,
    PhoneCodeIssued,
    RegistrationExpiring,
    RegistrationLapsed,
    RegistrationReinstated,
    RegistrationRenewalRefused,
    RegistrationRenewed,
    RegistrationSuspended,
    ReviewDecided,
    ReviewQueued,
    SubmissionReceived,
    SubmissionRejected,
)
from services.notifier import SERVICE
from services.notifier.messages.rules import (
    notification_for_certificate_expiring,
    notification_for_classification_changed,
    notification_for_decision,
    notification_for_fee_expired,
    notification_for_fee_invoiced,
    notification_for_fee_reminder,
    notification_for_lapsed,
    notification_for_queued,
    notification_for_received,
    notification_for_registration_expiring,
    notification_for_registration_lapsed,
    notification_for_registration_reinstated,
    notification_for_registration_renewed,
    notification_for_registration_suspended,
    notification_for_rejection,
    notification_for_renewal_refused,
)
from services.notifier.messages.service import Recorder

router = KafkaRouter()
Recording = Annotated[Recorder, Context("recorder")]

# The Recorder queues each e-mail and SMS for the delivery area's consumers, through the outbox.
publishes(router, topics.NOTIFICATION_EMAIL, service=SERVICE)
publishes(router, topics.NOTIFICATION_SMS, service=SERVICE)


@subscriber(router, topics.SUBMISSION_RECEIVED, service=SERVICE)
async def on_received(event: SubmissionReceived, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_received(event))


@subscriber(router, topics.SUBMISSION_REJECTED, service=SERVICE)
async def on_rejected(event: SubmissionRejected, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_rejection(event))


@subscriber(router, topics.REVIEW_QUEUED, service=SERVICE)
async def on_queued(event: ReviewQueued, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_queued(event))


@subscriber(router, topics.REVIEW_DECIDED, service=SERVICE)
async def on_decided(event: ReviewDecided, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_decision(event))


@subscriber(router, topics.FEE_INVOICED, service=SERVICE)
async def on_fee_invoiced(event: FeeInvoiced, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_fee_invoiced(event))


@subscriber(router, topics.FEE_REMINDER, service=SERVICE)
async def on_fee_reminder(event: FeeReminderDue, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_fee_reminder(event))


@subscriber(router, topics.FEE_EXPIRED, service=SERVICE)
async def on_fee_expired(event: FeeExpired, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_fee_expired(event))


@subscriber(router, topics.CLASSIFICATION_LAPSED, service=SERVICE)
async def on_lapsed(event: ClassificationLapsed, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_lapsed(event))


@subscriber(router, topics.CLASSIFICATION_CHANGED, service=SERVICE)
async def on_classification_changed(event: ClassificationChanged, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_classification_changed(event))


@subscriber(router, topics.REGISTRATION_EXPIRING, service=SERVICE)
async def on_registration_expiring(event: RegistrationExpiring, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_registration_expiring(event))


@subscriber(router, topics.REGISTRATION_RENEWAL_REFUSED, service=SERVICE)
async def on_renewal_refused(event: RegistrationRenewalRefused, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_renewal_refused(event))


@subscriber(router, topics.REGISTRATION_RENEWED, service=SERVICE)
async def on_registration_renewed(event: RegistrationRenewed, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_registration_renewed(event))


@subscriber(router, topics.REGISTRATION_LAPSED, service=SERVICE)
async def on_registration_lapsed(event: RegistrationLapsed, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_registration_lapsed(event))


@subscriber(router, topics.REGISTRATION_SUSPENDED, service=SERVICE)
async def on_registration_suspended(event: RegistrationSuspended, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_registration_suspended(event))


@subscriber(router, topics.REGISTRATION_REINSTATED, service=SERVICE)
async def on_registration_reinstated(event: RegistrationReinstated, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_registration_reinstated(event))


@subscriber(router, topics.ACCOUNT_EMAIL_CONFIRMATION, service=SERVICE)
async def on_email_confirmation(event: EmailConfirmationRequested, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.email_confirmation(ce, event)


@subscriber(router, topics.ACCOUNT_PASSWORD_RESET, service=SERVICE)
async def on_password_reset(event: PasswordResetRequested, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.password_reset(ce, event)


@subscriber(router, topics.ACCOUNT_PHONE_CODE, service=SERVICE)
async def on_phone_code(event: PhoneCodeIssued, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.phone_code(ce, event)


@subscriber(router, topics.ACCOUNT_REGISTERED, service=SERVICE)
async def on_registered(event: AccountRegistered, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.contact(ce, event)


@subscriber(router, topics.CERTIFICATE_EXPIRING, service=SERVICE)
async def on_certificate_expiring(event: CertificateExpiring, ce: CloudEvent, recorder: Recording) -> None:
    await recorder.notify(ce, notification_for_certificate_expiring(event))
