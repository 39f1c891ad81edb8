"""Intake: the HTTP edge for practitioners, and the projection of every submission's status.

Publishes: submission.received; account.registered, account.phone_code, account.email_confirmation
           (through the outbox; accounts are in accounts/routes.py); classification.requested
           (classification/routes.py).
Consumes:  submission.validated, submission.rejected, review.queued, review.decided (status timeline;
           those about a classification request move the request's status); fee.invoiced, fee.expired,
           classification.lapsed, classification.changed (classification/routes.py); gov.certificates
           in batches (feed/handlers.py).
"""

import json
import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession
from starlette.datastructures import UploadFile

from mumaris import logs
from mumaris.auth import STAFF_ROLES, Principal, principal_from
from mumaris.certificates import CertificateRefused, check_certificate
from mumaris.clock import now, today_in_riyadh
from mumaris.errors import ApiError
from mumaris.files import CONTENT_TYPES, FileStore, sha256_hex
from mumaris.kafka import CloudEvent, PermanentEventError, subscribe
from mumaris.service import ServiceRuntime, create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    CertificateMetadata,
    Decision,
    PractitionerRef,
    ReviewDecided,
    ReviewQueued,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
    SubmissionValidated,
)
from services.intake.accounts.routes import add_account_routes
from services.intake.accounts.store import AccountStore
from services.intake.classification.routes import (
    add_classification_routes,
    record_request_step,
    subscribe_classification_events,
)
from services.intake.classification.rules import RequestStep, Stage
from services.intake.classification.store import ClassificationStore
from services.intake.feed import handlers as feed
from services.intake.feed.documents import FeedDocuments
from services.intake.feed.service import CertificateFeed, FeedMetrics
from services.intake.feed.store import FeedStore
from services.intake.submissions.rules import (
    Lineage,
    Predecessor,
    ResubmissionRefused,
    Status,
    Step,
    resubmission_lineage,
)
from services.intake.submissions.store import (
    ConcurrentUpdate,
    IntakeStore,
    UnknownSubmission,
    new_submission_doc,
    predecessor,
    version_of,
)
from services.intake.uploads import (
    document_type_of,
    read_file,
    read_form,
    safe_filename,
)

SERVICE = "intake"
DECISION_STATUS = {
    Decision.APPROVE: Status.APPROVED,
    Decision.REJECT: Status.REJECTED,
    Decision.REQUEST_CHANGES: Status.CHANGES_REQUESTED,
}
REQUEST_DECISION_STAGE = {
    Decision.APPROVE: Stage.APPROVED,
    Decision.REJECT: Stage.REJECTED,
    Decision.REQUEST_CHANGES: Stage.CHANGES_REQUESTED,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    store = IntakeStore(runtime.db)
    accounts = AccountStore(runtime.db)
    requests = ClassificationStore(runtime.db)
    files = FileStore(runtime.db)
    runtime.on_startup += [store.ensure_indexes, accounts.ensure_indexes, requests.ensure_indexes, files.ensure_indexes]
    _subscribe_status_events(runtime, store, accounts, requests)
    subscribe_classification_events(runtime, requests, accounts)
    feed_store = FeedStore(runtime.db, runtime.uow)
    feed_documents = FeedDocuments(files, runtime.settings)
    runtime.on_startup.append(feed_store.ensure_indexes)
    runtime.on_shutdown.append(feed_documents.close)
    runtime.provide(
        "certificate_feed",
        CertificateFeed(feed_store, feed_documents, FeedMetrics(runtime.registry), runtime.settings),
    )
    runtime.broker.include_router(feed.router)
    app = create_http_app(runtime, title="Mumaris intake")
    add_account_routes(app, runtime, accounts, store, requests)
    _add_certificate_routes(app, runtime, store, files)
    add_classification_routes(app, runtime, requests, store, accounts, files)
    return app


# --- status projection -------------------------------------------------------------------------


def _subscribe_status_events(
    runtime: ServiceRuntime, store: IntakeStore, accounts: AccountStore, requests: ClassificationStore
) -> None:
    sub = dict(service=SERVICE, settings=runtime.settings)

    async def record_submission_step(
        submission_id: str, step: Step, session: AsyncClientSession, extra: dict[str, Any] | None = None
    ) -> bool:
        try:
            return await store.record_step(submission_id, step, session, extra)
        except UnknownSubmission as exc:
            raise PermanentEventError(f"unknown submission {submission_id}") from exc

    async def record(
        ce: CloudEventAttributes,
        submission_id: str,
        status: Status,
        at: datetime,
        note: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        step = Step(status, at, ce.id, note)

        async def work(session: AsyncClientSession) -> bool:
            return await record_submission_step(submission_id, step, session, extra)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    async def record_for_request(
        ce: CloudEventAttributes, request_id: str, step: RequestStep, extra: dict[str, Any] | None = None
    ) -> None:
        async def work(session: AsyncClientSession) -> bool:
            return await record_request_step(requests, request_id, step, session, extra)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    @subscribe(runtime.broker, topics.SUBMISSION_VALIDATED, **sub)
    async def on_validated(event: SubmissionValidated, ce: CloudEvent) -> None:
        await record(
            ce,
            event.submission_id,
            Status.VALIDATED,
            event.validated_at,
            extra={"findings": [f.model_dump(mode="json") for f in event.findings]},
        )

    @subscribe(runtime.broker, topics.SUBMISSION_REJECTED, **sub)
    async def on_rejected(event: SubmissionRejected, ce: CloudEvent) -> None:
        findings = {"findings": [f.model_dump(mode="json") for f in event.findings]}
        step = Step(Status.VALIDATION_FAILED, event.rejected_at, ce.id)

        async def work(session: AsyncClientSession) -> None:
            await record_submission_step(event.submission_id, step, session, findings)
            if event.kind is SubmissionKind.CLASSIFICATION_DOCUMENT and event.request_id:
                # One failed document fails its request, which closes: a corrected request may follow.
                await record_request_step(
                    requests, event.request_id, RequestStep(Stage.VALIDATION_FAILED, event.rejected_at, ce.id), session
                )

        await runtime.uow.apply_once(ce.id, ce.type, work)

    @subscribe(runtime.broker, topics.REVIEW_QUEUED, **sub)
    async def on_queued(event: ReviewQueued, ce: CloudEvent) -> None:
        if event.kind is SubmissionKind.PROFILE_CHANGE:

            async def in_review(session: AsyncClientSession) -> None:
                await accounts.set_change_status(event.submission_id, "in_review", session)

            await runtime.uow.apply_once(ce.id, ce.type, in_review)
            return
        if event.kind is SubmissionKind.CLASSIFICATION:  # a whole request: submission_id is the request's id
            await record_for_request(ce, event.submission_id, RequestStep(Stage.IN_REVIEW, event.queued_at, ce.id))
            return
        await record(ce, event.submission_id, Status.IN_REVIEW, event.queued_at)

    @subscribe(runtime.broker, topics.REVIEW_DECIDED, **sub)
    async def on_decided(event: ReviewDecided, ce: CloudEvent) -> None:
        if event.kind is SubmissionKind.PROFILE_CHANGE:
            await runtime.uow.apply_once(
                ce.id, ce.type, lambda session: _apply_profile_decision(accounts, event, session)
            )
            return
        decision = {
            "decision": {"decision": event.decision.value, "reason_codes": event.reason_codes, "reason": event.reason}
        }
        if event.kind is SubmissionKind.CLASSIFICATION:
            # The account's classification changes on classification.changed, not here.
            step = RequestStep(REQUEST_DECISION_STAGE[event.decision], event.decided_at, ce.id, event.reason or None)
            await record_for_request(ce, event.submission_id, step, decision)
            return
        await record(
            ce,
            event.submission_id,
            DECISION_STATUS[event.decision],
            event.decided_at,
            event.reason or None,
            extra=decision,
        )


async def _apply_profile_decision(accounts: AccountStore, event: ReviewDecided, session: AsyncClientSession) -> None:
    """The reviewer's decision on a personal-data change: approved values replace the old ones."""
    status = DECISION_STATUS[event.decision].value
    change = await accounts.set_change_status(
        event.submission_id, status, session, open=False, decided_at=event.decided_at, reason=event.reason
    )
    if change is not None and event.decision is Decision.APPROVE:
        await accounts.update(change["account_id"], {k: c["new"] for k, c in change["changes"].items()}, session)


# --- HTTP --------------------------------------------------------------------------------------


async def _read_upload(
    request: Request, max_bytes: int, default_metadata: CertificateMetadata | None = None
) -> tuple[CertificateMetadata, str, bytes]:
    """The multipart upload: `metadata` (JSON) and one `file`. Without `metadata`,
    `default_metadata` stands in when given (a resubmission keeps its certificate's details)."""
    form = await read_form(request, max_file_bytes=max_bytes, max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(400, "file.missing")
    raw_metadata = form.get("metadata")
    if raw_metadata is None and default_metadata is not None:
        metadata = default_metadata
    else:
        metadata = _parse_metadata(raw_metadata)
    _refuse_impossible(metadata)  # the kept details of a resubmission too: the new version carries them
    data = await read_file(upload, max_bytes)
    return metadata, safe_filename(upload.filename), data


def _parse_metadata(raw_metadata: str | UploadFile | None) -> CertificateMetadata:
    if not isinstance(raw_metadata, str):
        raise ApiError(422, "request.metadata_invalid", [{"field": "metadata", "problem": "missing"}])
    try:
        return CertificateMetadata.model_validate(json.loads(raw_metadata))
    except json.JSONDecodeError as exc:
        raise ApiError(422, "request.metadata_invalid", [{"field": "metadata", "problem": "not JSON"}]) from exc
    except ValidationError as exc:
        details = [{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()]
        raise ApiError(422, "request.metadata_invalid", details) from exc


def _refuse_impossible(metadata: CertificateMetadata) -> None:
    """422 with the rule's code for a declaration that cannot be true today in Riyadh (a date in
    the future or before 1950), before anything is stored."""
    try:
        check_certificate(metadata, today_in_riyadh())
    except CertificateRefused as refusal:
        raise ApiError(422, refusal.code, refusal.details) from refusal


def _lineage_of_resubmission(previous: Predecessor) -> Lineage:
    try:
        return resubmission_lineage(previous)
    except ResubmissionRefused as refusal:
        raise ApiError(409, refusal.code, refusal.details) from refusal


def _public_view(doc: dict[str, Any]) -> dict[str, Any]:
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
        "timeline": [
            {"status": s["status"], "at": s["at"].isoformat(), **({"note": s["note"]} if s.get("note") else {})}
            for s in doc["timeline"]
        ],
        "findings": doc.get("findings", []),
        "decision": doc.get("decision"),
        "created_at": doc["created_at"].isoformat(),
        "updated_at": doc["updated_at"].isoformat(),
    }


def _add_certificate_routes(app: FastAPI, runtime: ServiceRuntime, store: IntakeStore, files: FileStore) -> None:
    settings = runtime.settings

    def practitioner(request: Request) -> Principal:
        return principal_from(request, settings, "practitioner")

    def uploader(request: Request) -> Principal:
        who = practitioner(request)
        if not who.email_verified:
            raise ApiError(403, "account.email_unconfirmed")  # the outcome is mailed to them
        return who

    async def visible_submission(who: Principal, submission_id: str) -> dict[str, Any]:
        doc = await store.get(submission_id)
        if doc is None or (who.role == "practitioner" and doc["practitioner_id"] != who.id):
            raise ApiError(404, "not_found")  # another practitioner's submission does not exist for you
        return doc

    async def link_to_previous(previous_id: str, resubmission_id: str, session: AsyncClientSession) -> None:
        if await store.link_resubmission(previous_id, resubmission_id, session):
            return
        # Another resubmission won the race since the check: refuse for the reason it now has.
        current = await store.get(previous_id, session)
        if current is not None:
            _lineage_of_resubmission(predecessor(current))
        raise ConcurrentUpdate(previous_id)

    async def accept_certificate(
        request: Request,
        who: Principal,
        *,
        lineage: Lineage = Lineage(),
        default_metadata: CertificateMetadata | None = None,
    ) -> JSONResponse:
        """Read and check the upload, store the file, then write the record and its
        submission.received event together (for a resubmission, with the link from the previous
        version in the same transaction)."""
        metadata, filename, data = await _read_upload(request, settings.max_upload_bytes, default_metadata)
        doc_type = document_type_of(data)
        sha256 = sha256_hex(data)
        if pending := await store.pending_with_file(who.id, sha256):
            raise ApiError(409, "file.duplicate_pending", {"pending_submission_id": pending})

        submission_id = str(uuid.uuid4())
        logs.note(submission_id=submission_id)  # the upload's request line names what it created
        received_at = now()
        file_id = await files.put(
            filename, data, metadata={"sha256": sha256, "content_type": CONTENT_TYPES[doc_type], "owner": who.id}
        )
        stored = StoredFile(
            file_id=file_id, filename=filename, size=len(data), sha256=sha256, content_type=CONTENT_TYPES[doc_type]
        )
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale)
        event = SubmissionReceived(
            submission_id=submission_id,
            version=lineage.version,
            previous_submission_id=lineage.previous_submission_id,
            kind=SubmissionKind.CERTIFICATE,
            practitioner=ref,
            certificate=metadata,
            file=stored,
            received_at=received_at,
        )
        record = new_submission_doc(
            submission_id=submission_id,
            practitioner=ref.model_dump(mode="json"),
            certificate=metadata.model_dump(mode="json"),
            file=stored.model_dump(mode="json"),
            received_at=received_at,
            lineage=lineage,
        )

        async def work(session: AsyncClientSession) -> None:
            if lineage.previous_submission_id is not None:
                await link_to_previous(lineage.previous_submission_id, submission_id, session)
            await store.insert(record, session)
            await runtime.uow.outbox.add(topics.SUBMISSION_RECEIVED, event, session)

        try:
            await runtime.uow.run(work)
        except BaseException:
            # No orphan file without its record (unless the commit did land and only its answer was lost).
            if await store.get(submission_id) is None:
                await files.delete(file_id)
            raise
        return JSONResponse(
            {
                "submission_id": submission_id,
                "status": Status.RECEIVED.value,
                "links": {"self": f"/v1/certificates/{submission_id}"},
            },
            status_code=202,
            headers={"Location": f"/v1/certificates/{submission_id}"},
        )

    @app.post("/v1/certificates", status_code=202, tags=["certificates"])
    async def submit_certificate(request: Request) -> JSONResponse:
        """Multipart: `metadata` (JSON: name, obtained_on, institution, specialty, degree) and one `file`
        (PDF or JPEG). Answers 202 once the record and its event are stored together."""
        return await accept_certificate(request, uploader(request))

    @app.post("/v1/certificates/{submission_id}/resubmissions", status_code=202, tags=["certificates"])
    async def resubmit_certificate(submission_id: str, request: Request) -> JSONResponse:
        """The corrected certificate after a reviewer asked for changes: a new submission, the next
        version of `submission_id`, linked to it. Same multipart shape as POST /v1/certificates;
        without `metadata` the previous version's certificate details are kept. 409
        `submission.not_awaiting_changes` unless changes were requested, 409
        `submission.already_resubmitted` the second time."""
        who = uploader(request)
        previous = await visible_submission(who, submission_id)
        # Checked before the body is read, so a refused resubmission stores nothing.
        lineage = _lineage_of_resubmission(predecessor(previous))
        return await accept_certificate(
            request, who, lineage=lineage, default_metadata=CertificateMetadata.model_validate(previous["certificate"])
        )

    @app.get("/v1/certificates/{submission_id}", tags=["certificates"])
    async def get_certificate(submission_id: str, request: Request) -> dict[str, Any]:
        who = principal_from(request, settings, "practitioner", *STAFF_ROLES)
        return _public_view(await visible_submission(who, submission_id))

    @app.get("/v1/certificates", tags=["certificates"])
    async def list_certificates(request: Request) -> dict[str, Any]:
        who = practitioner(request)
        return {"items": [_public_view(d) for d in await store.list_for(who.id)]}
