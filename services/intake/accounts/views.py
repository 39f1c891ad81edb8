"""What the account routes answer (their OpenAPI schemas): the steps of the account journey, the
tokens, and the practitioner's own profile (GET /v1/me)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from schemas.events import CertificateMetadata, FieldChange
from services.intake.classification.views import ClassificationView

AccountStatus = Literal["pending_phone", "pending_email", "active"]


class AccountCreated(BaseModel):
    """201: the account exists; a 6-digit code is on its way by SMS."""

    account_id: str
    status: Literal["pending_phone"]


class PhoneConfirmed(BaseModel):
    """The phone is confirmed; a single-use link is on its way by e-mail."""

    account_id: str
    status: Literal["pending_email"]


class CodeResent(BaseModel):
    """202: a new code is on its way by SMS."""

    account_id: str
    status: Literal["pending_phone"]


class ResetRequested(BaseModel):
    """202, alike for every e-mail: if an account has it, a single-use link is on its way."""

    status: Literal["requested"]


class PasswordReset(BaseModel):
    """The new password is set and every session of the account has ended."""

    account_id: str
    status: Literal["reset"]


class EmailConfirmed(BaseModel):
    """The e-mail link opened: the account is active and has its membership number."""

    account_id: str
    status: Literal["active"]
    membership_number: str


class TokensView(BaseModel):
    access_token: str = Field(description="A bearer token for every service (15 minutes).")
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str = Field(description="Single use: POST /v1/auth/refresh answers a new pair.")


class ApprovedCertificate(CertificateMetadata):
    submission_id: str
    expired: bool = Field(description="Its expires_on has come (today in Riyadh): no longer valid.")


class PendingChange(BaseModel):
    change_id: str
    status: Literal["requested", "in_review"]
    changes: dict[str, FieldChange]


class ProfileView(BaseModel):
    account_id: str
    first_name: str = Field(description="In Arabic letters (older accounts: as they signed up).")
    last_name: str
    first_name_latin: str | None = Field(description="In Latin letters; null for accounts from before it was asked.")
    last_name_latin: str | None
    email: str
    mobile: str | None
    locale: Literal["ar", "en"]
    status: AccountStatus
    membership_number: str | None
    email_confirmed: bool
    classification: ClassificationView | None
    classification_request_id: Annotated[str | None, Field(description="The classification request in progress.")]
    certificates: list[ApprovedCertificate] = Field(description="The approved certificates.")
    pending_change: PendingChange | None = Field(description="A change of personal data awaiting review.")


class ChangeRequested(BaseModel):
    """202: the change awaits a reviewer; the old values stay until it is approved."""

    change_id: str
    status: Literal["requested"]


class ChangeApplied(BaseModel):
    """200: only the language changed, at once."""

    status: Literal["applied"]
