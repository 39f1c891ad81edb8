"""The kinds of notification (the keys of every table in messages/) and the languages they are written in."""

from typing import Literal

Language = Literal["ar", "en"]

SUBMISSION_RECEIVED = "submission.received"
SUBMISSION_REJECTED = "submission.rejected"
REVIEW_QUEUED = "review.queued"
REVIEW_APPROVED = "review.approved"
REVIEW_REJECTED = "review.rejected"
REVIEW_CHANGES_REQUESTED = "review.changes_requested"
PROFILE_CHANGE_APPROVED = "profile.approved"
PROFILE_CHANGE_REJECTED = "profile.rejected"
FEE_INVOICED = "fee.invoiced"
FEE_REMINDER = "fee.reminder"
CLASSIFICATION_LAPSED = "classification.lapsed"
CLASSIFICATION_CHANGED = "classification.changed"
RENEWAL_INVOICED = "renewal.invoiced"  # fee.invoiced of purpose renewal
RENEWAL_FEE_REMINDER = "renewal.fee_reminder"  # fee.reminder of purpose renewal
RENEWAL_LAPSED = "renewal.lapsed"  # fee.expired of purpose renewal
RENEWAL_REFUSED = "renewal.refused"  # registration.renewal_refused: paid after the lapse, refunded
REGISTRATION_EXPIRING = "registration.expiring"
REGISTRATION_RENEWED = "registration.renewed"
REGISTRATION_LAPSED = "registration.lapsed"
REGISTRATION_SUSPENDED = "registration.suspended"  # a supervisor suspended it, with the reason
REGISTRATION_REINSTATED = "registration.reinstated"  # a supervisor lifted the suspension
CERTIFICATE_EXPIRING = "certificate.expiring"
ACCOUNT_PHONE_CODE = "account.phone_code"
ACCOUNT_EMAIL_CONFIRMATION = "account.email_confirmation"
ACCOUNT_PASSWORD_RESET = "account.password_reset"

TEXT_DIRECTION: dict[Language, str] = {"ar": "rtl", "en": "ltr"}
