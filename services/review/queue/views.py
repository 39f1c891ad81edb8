"""How the queue looks over HTTP, to the JSON API (routes.py) and the console alike: an item and
its audit entries as staff see them, and a document streamed to the one who may see it."""

from typing import Any

from fastapi.responses import StreamingResponse

from mumaris.clock import now
from mumaris.files import FileStore
from schemas.events import Decision, SubmissionKind
from services.review.queue.rules import ItemStatus, queue_state
from services.review.queue.store import claim_of


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
