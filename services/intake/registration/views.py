"""The registration area's answers over HTTP (OpenAPI models)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from schemas.events import ClassificationRef
from schemas.registrations import CpdExemption
from services.intake.registration.rules import Status


class CycleView(BaseModel):
    number: int
    starts_on: str
    ends_on: str


class SuspensionView(BaseModel):
    reason: str
    by: str
    at: str
    previous_status: str


class CpdActivityView(BaseModel):
    title: str
    provider: str
    accreditation_number: str | None  # none for hours recognised from abroad
    category: str
    hours: str
    attended_on: str
    # "provider" (an attendance record), "certificate" (an approved upload) or "recognition" (hours
    # earned abroad, as a reviewer recognised them)
    source: str
    country: str | None = None  # a recognition's: where the activity took place (ISO 3166-1 alpha-2)


class CpdView(BaseModel):
    """The current cycle's CPD hours (decimal strings) and the activities counted in it."""

    hours_required: str
    hours_earned: str
    hours_still_needed: str
    exemption: str | None
    activities: list[CpdActivityView]


class RenewalInvoiceView(BaseModel):
    bill_number: str
    amount: str
    currency: str
    issued_at: str
    due_at: str


class RenewalView(BaseModel):
    """The latest renewal asked: requested → awaiting_payment → paid | lapsed (unpaid in time) |
    refused (paid after the registration lapsed: it renewed nothing and its fee is to be refunded)."""

    renewal_id: str
    status: str
    cycle: int
    renews_until: str
    fee: str
    currency: str
    requested_at: str
    refused_reason: Literal["registration_lapsed"] | None = Field(
        None, description="Why a refused renewal renewed nothing: its fee reached us after the registration lapsed."
    )
    refund_due: bool = Field(False, description="A refused renewal's fee is to be refunded to the practitioner.")
    invoice: RenewalInvoiceView | None


class RegistrationView(BaseModel):
    """The practitioner's professional registration as of today (Riyadh), on the registry's clock."""

    registration_number: str
    status: Status
    profession: str
    classification: ClassificationRef
    issued_on: str
    expires_on: str
    days_left: int
    renewal_opens_on: str
    lapses_on: str
    cycle: CycleView
    renewal: RenewalView | None
    suspension: SuspensionView | None
    cpd: CpdView


class SupervisedPractitionerView(BaseModel):
    """Whose registration it is, as a supervisor reads it (no ID number, no contact details)."""

    id: str
    name: str
    latin_name: str | None = None


class SupervisedRegistrationView(RegistrationView):
    """A registration as a supervisor looks it up by number: the practitioner's view and whose it is."""

    practitioner: SupervisedPractitionerView


class ReasonForm(BaseModel):
    """Why a supervisor suspends a registration or lifts its suspension (kept on its history)."""

    reason: Annotated[str, Field(min_length=3, max_length=500)]


class ExemptionForm(ReasonForm):
    exemption: CpdExemption | None  # null ends an exemption
