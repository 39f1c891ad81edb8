"""How the queue looks over HTTP, to the JSON API (routes.py) and the console alike: an item and
its audit entries as staff see them, and a document streamed to the one who may see it. The models
are the API's answers (their OpenAPI schemas); the routes send the views through them."""

from typing import Annotated, Any, Literal

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from mumaris.clock import now
from mumaris.files import FileStore
from schemas.events import (
    CertificateMetadata,
    ClassificationRef,
    Decision,
    FieldChange,
    Finding,
    Localized,
    StoredFile,
    SubmissionKind,
)
from services.review.queue.rules import ItemStatus, QueueKind, QueueState, queue_kind, queue_state
from services.review.queue.store import claim_of

# A moment as the API writes it: ISO 8601 with its UTC offset (datetime.isoformat()).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
DOCUMENT_TYPES = ("application/pdf", "image/jpeg")


class PractitionerView(BaseModel):
    id: str
    name: str


class ClaimView(BaseModel):
    reviewer_id: str
    reviewer_name: str
    claimed_at: Timestamp
    expires_at: Timestamp


class ItemDecision(BaseModel):
    decision: Decision
    reason_codes: list[str]
    reason: str
    reviewer_id: str
    reviewer_name: str | None = None


class ClassificationChange(BaseModel):
    current: ClassificationRef | None
    target: ClassificationRef


class ItemDocument(BaseModel):
    """One document of a classification request, as its check left it."""

    document_type: str
    submission_id: str
    certificate: CertificateMetadata | None
    file: StoredFile | None
    findings: list[Finding]


class ExamView(BaseModel):
    exam: str
    label: Localized
    standing: Literal["passed", "failed", "missing"]
    score: float | None
    taken_on: Annotated[str | None, Field(json_schema_extra={"format": "date"})]


class PaidInvoice(BaseModel):
    bill_number: str
    amount: str
    paid_at: Timestamp


class ItemView(BaseModel):
    """A review item as staff see it: a certificate, a change of personal data, or a classification
    request (then with its documents, exams and paid invoice)."""

    review_id: str
    submission_id: str
    kind: SubmissionKind
    queue_kind: QueueKind = Field(
        description="What the queue shows it as: a CPD activity apart from other certificates."
    )
    version: int
    previous_submission_id: str | None
    status: ItemStatus
    state: QueueState
    priority: int | None
    practitioner: PractitionerView
    specialty: str | None
    certificate: CertificateMetadata | None
    file: StoredFile | None
    changes: dict[str, FieldChange] | None = Field(description="A change of personal data: old and new values.")
    findings: list[Finding]
    queued_at: Timestamp
    sla_due_at: Timestamp | None
    claim: ClaimView | None = Field(description="The live claim, if someone holds the item.")
    reserved_for: str | None = Field(description="A resubmission held for the reviewer who asked for changes.")
    decision: ItemDecision | None
    decided_at: Timestamp | None
    # A classification request only:
    classification: Annotated[ClassificationChange | None, Field(exclude_if=lambda value: value is None)] = None
    membership_number: Annotated[str | None, Field(exclude_if=lambda value: value is None)] = None
    documents: Annotated[list[ItemDocument] | None, Field(exclude_if=lambda value: value is None)] = None
    required_exams: Annotated[list[str] | None, Field(exclude_if=lambda value: value is None)] = None
    exams: Annotated[
        list[ExamView] | None,
        Field(description="Where the practitioner stands with each required exam (GET of one item only)."),
    ] = None
    invoice: Annotated[PaidInvoice | None, Field(exclude_if=lambda value: value is None)] = None


class ItemList(BaseModel):
    items: list[ItemView]


class AuditActor(BaseModel):
    id: str
    name: str
    role: str


class AuditEntry(BaseModel):
    at: Timestamp
    action: str = Field(description="claimed, renewed, released, decided, document_viewed, ...")
    actor: AuditActor
    address: str | None
    details: dict[str, Any]


class History(BaseModel):
    review_id: str
    entries: list[AuditEntry]


def iso(value: Any) -> Any:
    """A stored time in ISO 8601; anything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def item_view(doc: dict[str, Any], exams: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An item as the API shows it to staff. `exams`: a classification's required exams and where
    the practitioner stands with each (ReviewDesk.exams_of), when the caller looked them up."""
    at = now()
    claim = claim_of(doc)
    decision = doc.get("decision")
    return {
        "review_id": doc["_id"],
        "submission_id": doc["submission_id"],
        "kind": doc["kind"],
        "queue_kind": queue_kind(SubmissionKind(doc["kind"]), bool((doc.get("certificate") or {}).get("cpd"))).value,
        "version": doc.get("version", 1),
        "previous_submission_id": doc.get("previous_submission_id"),
        "status": doc["status"],
        "state": queue_state(
            ItemStatus(doc["status"]), claim, Decision(decision["decision"]) if decision else None, at
        ).value,
        "priority": doc.get("priority"),
        "practitioner": {"id": doc["practitioner"]["id"], "name": doc["practitioner"]["name"]},
        "specialty": doc.get("specialty"),
        "certificate": doc.get("certificate"),
        "file": doc.get("file"),
        "changes": doc.get("changes"),
        "findings": doc["findings"],
        "queued_at": doc["queued_at"].isoformat(),
        "sla_due_at": doc["sla_due_at"].isoformat() if doc.get("sla_due_at") else None,
        "claim": None
        if claim is None or not claim.live(at)
        else {
            "reviewer_id": claim.reviewer_id,
            "reviewer_name": claim.reviewer_name,
            "claimed_at": claim.claimed_at.isoformat(),
            "expires_at": claim.expires_at.isoformat(),
        },
        "reserved_for": doc.get("preferred_reviewer_id")
        if doc.get("reserved_until") and at < doc["reserved_until"]
        else None,
        "decision": decision,
        "decided_at": doc["decided_at"].isoformat() if doc.get("decided_at") else None,
        **(_classification_view(doc, exams) if doc["kind"] == SubmissionKind.CLASSIFICATION.value else {}),
    }


def _classification_view(doc: dict[str, Any], exams: list[dict[str, Any]] | None) -> dict[str, Any]:
    invoice = doc.get("invoice") or {}
    return {
        "classification": doc.get("classification"),
        "membership_number": doc.get("membership_number"),
        "documents": [
            {
                "document_type": d["document_type"],
                "submission_id": d["submission_id"],
                "certificate": d.get("certificate"),
                "file": d.get("file"),
                "findings": d.get("findings", []),
            }
            for d in doc.get("documents") or []
        ],
        "required_exams": doc.get("required_exams", []),
        "exams": exams,
        "invoice": {k: iso(v) for k, v in invoice.items()},
    }


def audit_view(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": entry["at"].isoformat(),
        "action": entry["action"],
        "actor": entry["actor"],
        "address": entry.get("address"),
        "details": entry.get("details", {}),
    }


def document_response(item: dict[str, Any], files: FileStore) -> StreamingResponse:
    """The document streamed from GridFS, never cached, shown inline as the type it was proven to be."""
    stored = item["file"]
    content_type = (
        stored["content_type"]
        if stored["content_type"] in ("application/pdf", "image/jpeg")
        else "application/octet-stream"
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(content_type, "bin")
    return StreamingResponse(
        files.stream(stored["file_id"]),
        media_type=content_type,
        headers={
            # The practitioner chose the file name; the download gets a name we chose.
            "Content-Disposition": f'inline; filename="{item["_id"]}.{extension}"',
            "Content-Length": str(stored["size"]),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; plugin-types application/pdf",
        },
    )
