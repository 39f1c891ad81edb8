"""Review: the human review queue, the reviewers' decisions, the reviewer console, and the
classification fees with their deadlines.

Consumes:  submission.validated (certificates: enqueue; classification documents: recorded with
           their request), submission.rejected (classification documents), profile.change_requested,
           classification.requested, gov.payments, gov.exams.
Publishes: review.queued, review.decided, fee.invoiced, fee.reminder, fee.expired,
           classification.lapsed, classification.changed (all through the outbox).
HTTP:      /v1/review/... (JSON, below) and /console/... (console.py); both act through ReviewDesk.
           Fees act through FeeDesk (fee_desk.py); their clock is FeeDeadlines (scheduler.py).
"""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import OVERSEER_ROLES, STAFF_ROLES, principal_from
from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.files import FileStore
from mumaris.http import client_address, json_body_doc, read_json
from mumaris.kafka import CloudEvent, subscribe
from mumaris.service import ServiceRuntime, create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.events import (
    ClassificationRequested,
    Decision,
    ExamResultPublished,
    PaymentReceived,
    ProfileChangeRequested,
    SubmissionKind,
    SubmissionRejected,
    SubmissionValidated,
)
from schemas.review_reasons import REJECTION_REASONS
from services.review.fees.metrics import FeeMetrics
from services.review.fees.rules import ISSUE_KINDS, PaymentVerdict
from services.review.fees.scheduler import FeeDeadlines
from services.review.fees.service import DocumentResult, FeeDesk
from services.review.fees.store import ClassificationStore, IssueFilter
from services.review.queue.metrics import QueueMetrics
from services.review.queue.rules import (
    DecisionRequest,
    ItemStatus,
    QueueState,
    queue_state,
    unique_codes,
)
from services.review.queue.service import Actor, ReviewDesk
from services.review.queue.store import QueueFilter, ReviewStore, claim_of

SERVICE = "review"


class DecisionBody(BaseModel):
    decision: Decision
    reason_codes: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=20)] = []
    reason: Annotated[str, Field(max_length=2000)] = ""

    def request(self) -> DecisionRequest:
        return DecisionRequest(self.decision, self.reason, unique_codes(self.reason_codes))


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    store = ReviewStore(runtime.db)
    requests = ClassificationStore(runtime.db)
    files = FileStore(runtime.db)
    desk = ReviewDesk(store, runtime.uow, runtime.settings, requests)
    fees = FeeDesk(requests, desk, runtime.uow, runtime.settings)
    deadlines = FeeDeadlines(fees)
    metrics = FeeMetrics(runtime.registry, requests)
    runtime.on_startup += [store.ensure_indexes, requests.ensure_indexes, deadlines.start]
    runtime.on_shutdown.append(deadlines.stop)
    runtime.on_scrape += [metrics.refresh, QueueMetrics(runtime.registry, store).refresh]
    _subscribe_queue_events(runtime, desk, fees, deadlines)
    _subscribe_fee_events(runtime, fees, deadlines, metrics)
    app = create_http_app(runtime, title="Mumaris review")
    app.state.fees = fees  # for tests that drive the fee desk directly
    _add_fee_routes(app, runtime, requests)
    _add_review_routes(app, runtime, desk, fees, files)
    from services.review.console.routes import (
        add_console_routes,  # the console builds on the same desk
    )

    add_console_routes(app, runtime, desk, fees, files)
    return app


def _subscribe_queue_events(runtime: ServiceRuntime, desk: ReviewDesk, fees: FeeDesk, deadlines: FeeDeadlines) -> None:
    sub = dict(service=SERVICE, settings=runtime.settings)

    @subscribe(runtime.broker, topics.SUBMISSION_VALIDATED, **sub)
    async def on_submission_validated(event: SubmissionValidated, ce: CloudEvent) -> None:
        if event.kind is SubmissionKind.CLASSIFICATION_DOCUMENT:  # reviewed with its request, once paid
            result = DocumentResult.of(event)
            invoice = await runtime.uow.apply_once(
                ce.id, ce.type, lambda session: fees.record_document(result, session)
            )
            if invoice is not None:
                deadlines.plan(invoice)
            return
        item = {
            "_id": event.submission_id,
            "submission_id": event.submission_id,
            "kind": event.kind.value,
            "version": event.version,
            "previous_submission_id": event.previous_submission_id,
            "practitioner": event.practitioner.model_dump(mode="json"),
            "specialty": event.certificate.specialty,
            "certificate": event.certificate.model_dump(mode="json"),
            "file": event.file.model_dump(mode="json"),
            "findings": [f.model_dump(mode="json") for f in event.findings],
            "status": ItemStatus.QUEUED.value,
            "queued_at": now(),
        }
        await runtime.uow.apply_once(ce.id, ce.type, lambda session: desk.enqueue(item, session))

    @subscribe(runtime.broker, topics.PROFILE_CHANGE_REQUESTED, **sub)
    async def on_profile_change_requested(event: ProfileChangeRequested, ce: CloudEvent) -> None:
        item = {
            "_id": event.change_id,
            "submission_id": event.change_id,
            "kind": SubmissionKind.PROFILE_CHANGE.value,
            "practitioner": event.practitioner.model_dump(mode="json"),
            "specialty": None,
            "changes": {name: change.model_dump(mode="json") for name, change in event.changes.items()},
            "findings": [],
            "status": ItemStatus.QUEUED.value,
            "queued_at": now(),
        }

        async def work(session: AsyncClientSession) -> None:
            await desk.enqueue(item, session)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    @subscribe(runtime.broker, topics.SUBMISSION_REJECTED, **sub)
    async def on_submission_rejected(event: SubmissionRejected, ce: CloudEvent) -> None:
        if event.kind is not SubmissionKind.CLASSIFICATION_DOCUMENT:
            return  # a rejected certificate never reaches the queue
        result = DocumentResult.of(event)
        await runtime.uow.apply_once(ce.id, ce.type, lambda session: fees.record_document(result, session))


def _subscribe_fee_events(runtime: ServiceRuntime, fees: FeeDesk, deadlines: FeeDeadlines, metrics: FeeMetrics) -> None:
    sub = dict(service=SERVICE, settings=runtime.settings)

    @subscribe(runtime.broker, topics.CLASSIFICATION_REQUESTED, **sub)
    async def on_classification_requested(event: ClassificationRequested, ce: CloudEvent) -> None:
        invoice = await runtime.uow.apply_once(ce.id, ce.type, lambda session: fees.record_request(event, session))
        if invoice is not None:
            deadlines.plan(invoice)

    @subscribe(runtime.broker, topics.GOV_PAYMENTS, **sub)
    async def on_payment(event: PaymentReceived, ce: CloudEvent) -> None:
        # A refused payment is a recorded business outcome (a payment issue), not a failure: the
        # handler returns normally and the record is committed.
        outcome = await runtime.uow.apply_once(
            ce.id, ce.type, lambda session: fees.apply_payment(event, ce.id, session)
        )
        if outcome is None:
            return
        if outcome.issue_recorded:
            metrics.payment_issue(outcome.verdict)
        if outcome.verdict is PaymentVerdict.ACCEPT and outcome.invoice_id:
            deadlines.forget(outcome.invoice_id, runtime.settings.fee_reminder_hours)

    @subscribe(runtime.broker, topics.GOV_EXAMS, **sub)
    async def on_exam_result(event: ExamResultPublished, ce: CloudEvent) -> None:
        await runtime.uow.apply_once(ce.id, ce.type, lambda session: fees.record_exam_result(event, session))


def _add_fee_routes(app: FastAPI, runtime: ServiceRuntime, requests: ClassificationStore) -> None:
    """Supervisors: refused payments (for refunds and follow-up) and any invoice by its bill number.
    Registered before /v1/review/{review_id}, which would otherwise take these paths."""
    settings = runtime.settings

    def overseer(request: Request) -> None:
        principal_from(request, settings, *OVERSEER_ROLES)

    @app.get("/v1/review/payment-issues", tags=["fees"])
    async def payment_issues(
        request: Request,
        kind: Annotated[str | None, Query(description=" | ".join(k.value for k in ISSUE_KINDS))] = None,
        bill_number: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> dict[str, Any]:
        """Payments refused and flagged: unknown bill, wrong amount, late, duplicate. Newest first."""
        overseer(request)
        if kind is not None and kind not in {k.value for k in ISSUE_KINDS}:
            raise ApiError(422, "request.invalid", {"kind": [k.value for k in ISSUE_KINDS]})
        filters = IssueFilter(
            kind=PaymentVerdict(kind) if kind else None, bill_number=bill_number, limit=limit, offset=offset
        )
        issues, total = await requests.issues(filters)
        return {"total": total, "limit": limit, "offset": offset, "items": [_issue_view(i) for i in issues]}

    @app.get("/v1/review/invoices/{bill_number}", tags=["fees"])
    async def invoice(bill_number: str, request: Request) -> dict[str, Any]:
        overseer(request)
        found = await requests.invoice_by_bill(bill_number)
        if found is None:
            raise ApiError(404, "not_found")
        issues, _ = await requests.issues(IssueFilter(bill_number=bill_number, limit=200))
        return {**_invoice_view(found), "issues": [_issue_view(i) for i in issues]}


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _invoice_view(doc: dict[str, Any]) -> dict[str, Any]:
    payment = doc.get("payment")
    return {
        "invoice_id": doc["_id"],
        "bill_number": doc["bill_number"],
        "request_id": doc["request_id"],
        "practitioner": {"id": doc["practitioner"]["id"], "name": doc["practitioner"]["name"]},
        "classification": doc["classification"],
        "amount": doc["amount"],
        "currency": doc["currency"],
        "status": doc["status"],
        "issued_at": _iso(doc["issued_at"]),
        "due_at": _iso(doc["due_at"]),
        "reminders_sent": sorted(doc.get("reminders_sent", []), reverse=True),
        "payment": None if payment is None else {k: _iso(v) for k, v in payment.items()},
        "expired_at": _iso(doc.get("expired_at")),
    }


def _issue_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "issue_id": doc["_id"],
        "kind": doc["kind"],
        "bill_number": doc["bill_number"],
        "payment": {k: _iso(v) for k, v in doc["payment"].items()},
        "invoice_id": doc.get("invoice_id"),
        "request_id": doc.get("request_id"),
        "invoice_status": doc.get("invoice_status"),
        "details": {k: _iso(v) for k, v in doc.get("details", {}).items()},
        "recorded_at": _iso(doc["recorded_at"]),
    }


def item_view(doc: dict[str, Any], exams: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An item as the API shows it to staff. `exams`: a classification's required exams and where
    the practitioner stands with each (FeeDesk.exams_of), when the caller looked them up."""
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
        "invoice": {k: _iso(v) for k, v in invoice.items()},
    }


def _audit_view(entry: dict[str, Any]) -> dict[str, Any]:
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


def _add_review_routes(
    app: FastAPI, runtime: ServiceRuntime, desk: ReviewDesk, fees: FeeDesk, files: FileStore
) -> None:
    settings = runtime.settings
    store = desk.store

    def staff(request: Request) -> Actor:
        return Actor.of(principal_from(request, settings, *STAFF_ROLES), client_address(request, settings))

    def overseer(request: Request) -> Actor:
        return Actor.of(principal_from(request, settings, *OVERSEER_ROLES), client_address(request, settings))

    @app.get("/v1/review/reasons", tags=["review"])
    async def reasons() -> dict[str, Any]:
        """The rejection-reason catalogue (codes are stable)."""
        return {"reasons": [{"code": code, "label": label.model_dump()} for code, label in REJECTION_REASONS.items()]}

    @app.get("/v1/review/queue", tags=["review"])
    async def queue(request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> dict[str, Any]:
        """What the caller could claim now, in the order claim-next hands it out."""
        actor = staff(request)
        return {"items": [item_view(d) for d in await store.waiting(actor.id, now(), limit)]}

    @app.get("/v1/review/mine", tags=["review"])
    async def mine(request: Request) -> dict[str, Any]:
        actor = staff(request)
        return {"items": [item_view(d) for d in await store.held_by(actor.id, now())]}

    @app.post("/v1/review/claim", tags=["review"], responses={204: {"description": "nothing to claim"}})
    async def claim_next(request: Request) -> Any:
        claimed = await desk.claim_next(staff(request))
        return Response(status_code=204) if claimed is None else item_view(claimed)

    @app.get("/v1/review/items", tags=["supervision"])
    async def search(
        request: Request,
        kind: SubmissionKind | None = None,
        state: QueueState | None = None,
        reviewer: Annotated[str | None, Query(max_length=100)] = None,
        specialty: Annotated[str | None, Query(max_length=120)] = None,
        waiting_hours: Annotated[float | None, Query(ge=0, le=24 * 365)] = None,
        q: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> dict[str, Any]:
        """Supervisors: filter the whole queue (waiting, claimed and decided items)."""
        overseer(request)
        filters = QueueFilter(
            kind=kind,
            state=state,
            reviewer_id=reviewer,
            specialty=specialty,
            waiting_longer_than=None if waiting_hours is None else timedelta(hours=waiting_hours),
            text=q,
            limit=limit,
            offset=offset,
        )
        items, total = await store.search(filters, now())
        return {"total": total, "limit": limit, "offset": offset, "items": [item_view(d) for d in items]}

    @app.get("/v1/review/stats", tags=["supervision"])
    async def stats(request: Request) -> dict[str, Any]:
        """Counts per state, items past their deadline, and the oldest waiting item's age."""
        overseer(request)
        at = now()
        oldest = await store.oldest_waiting(at)
        return {
            "counts": await store.counts(at),
            "past_sla": await store.count_past_sla(at),
            "oldest_waiting": None
            if oldest is None
            else {
                "review_id": oldest["_id"],
                "queued_at": oldest["queued_at"].isoformat(),
                "age_s": round((at - oldest["queued_at"]).total_seconds(), 1),
            },
        }

    @app.get("/v1/review/{review_id}", tags=["review"])
    async def item(review_id: str, request: Request) -> dict[str, Any]:
        staff(request)
        doc = await store.get(review_id)
        if doc is None:
            raise ApiError(404, "not_found")
        return item_view(doc, await fees.exams_of(doc))

    @app.get("/v1/review/{review_id}/history", tags=["review"])
    async def history(review_id: str, request: Request) -> dict[str, Any]:
        """The audit trail: every claim, renewal, release, decision and document view. Append-only."""
        staff(request)
        if await store.get(review_id) is None:
            raise ApiError(404, "not_found")
        return {"review_id": review_id, "entries": [_audit_view(e) for e in await store.history(review_id)]}

    @app.post("/v1/review/{review_id}/claim", tags=["review"])
    async def claim(review_id: str, request: Request) -> dict[str, Any]:
        return item_view(await desk.claim(review_id, staff(request)))

    @app.post("/v1/review/{review_id}/renew", tags=["review"])
    async def renew(review_id: str, request: Request) -> dict[str, Any]:
        return item_view(await desk.renew(review_id, staff(request)))

    @app.post("/v1/review/{review_id}/release", tags=["review"])
    async def release(review_id: str, request: Request) -> dict[str, Any]:
        return item_view(await desk.release(review_id, staff(request)))

    @app.post("/v1/review/{review_id}/decision", tags=["review"], openapi_extra=json_body_doc(DecisionBody))
    async def decide(review_id: str, request: Request) -> dict[str, Any]:
        actor = staff(request)
        body = await read_json(request, DecisionBody)  # only once the caller is known
        return item_view(await desk.decide(review_id, actor, body.request()))

    @app.get("/v1/review/{review_id}/document", tags=["review"])
    async def document(review_id: str, request: Request) -> StreamingResponse:
        """The submitted file, to the reviewer holding the claim or a supervisor (audited)."""
        item = await desk.open_document(review_id, staff(request), {"via": "api"})
        return document_response(item, files)

    @app.get("/v1/review/{review_id}/documents/{submission_id}", tags=["review"])
    async def classification_document(review_id: str, submission_id: str, request: Request) -> StreamingResponse:
        """One document of a classification item, on the same terms as /document."""
        item = await desk.open_document(review_id, staff(request), {"via": "api"}, submission_id)
        return document_response(item, files)
