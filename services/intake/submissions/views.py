"""What the API shows of a submission (GET /v1/certificates/{id}), and of any status timeline:
`timeline_view` serves classification requests too. The models are the answers' contract (their
OpenAPI schemas); the routes send the views through them."""

from typing import Annotated, Any

from pydantic import BaseModel, Field

from schemas.events import CertificateMetadata, Decision, Finding, SubmissionKind
from services.intake.submissions.rules import Status
from services.intake.submissions.store import version_of

# A moment as the API writes it: ISO 8601 with its UTC offset (datetime.isoformat()).
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Link = Annotated[str, Field(description="A path on this service.")]


class TimelineStep(BaseModel):
    status: str = Field(description="The status reached (a submission's or a request's).")
    at: Timestamp
    note: Annotated[str | None, Field(exclude_if=lambda note: note is None)] = None


class FileView(BaseModel):
    filename: str
    size: int
    content_type: str = Field(description="The type proven from the bytes: application/pdf or image/jpeg.")
    sha256: str


class DecisionView(BaseModel):
    decision: Decision
    reason_codes: list[str] = []
    reason: str = ""
    cpd_hours_recognised: Annotated[
        str | None,
        Field(exclude_if=lambda value: value is None, description="An approved CPD recognition: the hours recognised."),
    ] = None


class SubmissionView(BaseModel):
    """A submission and its timeline, as the practitioner (or staff) reads it."""

    submission_id: str
    kind: SubmissionKind
    status: Status
    version: int
    previous_submission_id: str | None
    superseded_by: str | None
    request_id: Annotated[
        str | None, Field(exclude_if=lambda value: value is None, description="A request's document: the request.")
    ] = None
    document_type: Annotated[
        str | None, Field(exclude_if=lambda value: value is None, description="... and which of its documents.")
    ] = None
    certificate: CertificateMetadata
    file: FileView
    timeline: list[TimelineStep]
    findings: list[Finding]
    decision: DecisionView | None
    created_at: Timestamp
    updated_at: Timestamp


class SubmissionList(BaseModel):
    items: list[SubmissionView]


class SubmissionLinks(BaseModel):
    self: Link


class SubmissionAccepted(BaseModel):
    """202: stored with its event; follow `links.self` (also the Location header)."""

    submission_id: str
    status: Status
    links: SubmissionLinks


def timeline_view(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A stored timeline as the practitioner reads it: each step's status, time and note, if any."""
    return [
        {"status": s["status"], "at": s["at"].isoformat(), **({"note": s["note"]} if s.get("note") else {})}
        for s in steps
    ]


def submission_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "submission_id": doc["_id"],
        "kind": doc["kind"],
        "status": doc["status"],
        "version": version_of(doc),
        "previous_submission_id": doc.get("previous_submission_id"),
        "superseded_by": doc.get("superseded_by"),
        # A document of a classification request: which request, which of its documents.
        **(
            {"request_id": doc["request_id"], "document_type": doc.get("document_type")}
            if doc.get("request_id")
            else {}
        ),
        "certificate": doc["certificate"],
        "file": {k: doc["file"][k] for k in ("filename", "size", "content_type", "sha256")},
        "timeline": timeline_view(doc["timeline"]),
        "findings": doc.get("findings", []),
        "decision": doc.get("decision"),
        "created_at": doc["created_at"].isoformat(),
        "updated_at": doc["updated_at"].isoformat(),
    }
