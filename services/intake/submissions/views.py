"""What the API shows of a submission (GET /v1/certificates/{id}), and of any status timeline:
`timeline_view` serves classification requests too."""

from typing import Any

from services.intake.submissions.store import version_of


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
