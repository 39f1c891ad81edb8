"""What the classification routes answer (their OpenAPI schemas): the public catalogue, a request
with its documents, fee and timeline, and the 202 of a new request."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from schemas.events import Finding, Localized
from services.intake.classification.rules import Stage
from services.intake.submissions.rules import Status
from services.intake.submissions.views import DecisionView, Link, SubmissionLinks, TimelineStep, Timestamp

Money = Annotated[str, Field(pattern=r"^\d+\.\d{2}$", description="Riyals with two decimals, as text.")]


class ClassificationView(BaseModel):
    code: str
    label: Localized | None


class LabelledDocument(BaseModel):
    type: str
    label: Localized | None


class LabelledExam(BaseModel):
    code: str
    label: Localized | None


class Conditions(BaseModel):
    version: str
    text: Localized


class CatalogueEntry(BaseModel):
    code: str
    profession: str
    rank: int = Field(description="The step on its profession's ladder, from 1.")
    label: Localized
    required_documents: list[LabelledDocument]
    required_exams: list[LabelledExam]
    fee: Money
    currency: Literal["SAR"]
    conditions: Conditions


class Catalogue(BaseModel):
    conditions_version: str = Field(description="The version a request accepts (`conditions_version`).")
    items: list[CatalogueEntry]


class RequestDocumentView(BaseModel):
    document_type: str
    label: Localized | None
    submission_id: str
    status: Status | None = Field(description="The document's own check, as a submission.")
    problems: list[Finding] = Field(description="The checks it failed.")
    links: SubmissionLinks


class InvoiceView(BaseModel):
    invoice_id: str
    bill_number: str
    amount: Money
    currency: Literal["SAR"]
    issued_at: Timestamp
    due_at: Timestamp = Field(description="Unpaid by then, the request lapses.")


class RequestLinks(BaseModel):
    self: Link


class RequestView(BaseModel):
    request_id: str
    status: Stage
    membership_number: str
    current: ClassificationView | None
    target: ClassificationView
    documents: list[RequestDocumentView]
    required_exams: list[LabelledExam]
    fee: Money
    currency: Literal["SAR"]
    conditions_version: str
    invoice: InvoiceView | None
    decision: DecisionView | None
    timeline: list[TimelineStep]
    created_at: Timestamp
    updated_at: Timestamp
    links: RequestLinks


class RequestList(BaseModel):
    items: list[RequestView]


class AcceptedDocument(BaseModel):
    document_type: str
    submission_id: str


class RequestAccepted(BaseModel):
    """202: the request, its documents and their events are stored; follow `links.self`."""

    request_id: str
    status: Literal["validating"]
    documents: list[AcceptedDocument]
    links: RequestLinks
