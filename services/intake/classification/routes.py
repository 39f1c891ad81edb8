"""Classification change requests over HTTP, and their status projected from the events.

Publishes (through the outbox, in the request's transaction): one submission.received per document
(kind classification_document) and classification.requested.
Consumes: fee.invoiced, fee.expired, classification.lapsed, classification.changed here; the
document rejections and review's queueing and decisions arrive on intake's existing subscribers
(app.py), which hand requests' steps to `record_request_step`.
The rules are in `services/intake/classification/rules.py`.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, ValidationError
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError
from starlette.datastructures import FormData, UploadFile

from mumaris import logs
from mumaris.auth import Principal, principal_from
from mumaris.clock import now, today_in_riyadh
from mumaris.errors import ApiError
from mumaris.files import CONTENT_TYPES, FileStore, sha256_hex
from mumaris.identity import candidate_ref
from mumaris.kafka import CloudEvent, PermanentEventError, subscribe
from mumaris.service import ServiceRuntime
from schemas import topics
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION, Classification, money
from schemas.events import (
    ClassificationChanged,
    ClassificationLapsed,
    ClassificationRequested,
    FeeExpired,
    FeeInvoiced,
    PractitionerRef,
    RequestDocument,
    StoredFile,
    SubmissionKind,
    SubmissionReceived,
)
from services.intake.accounts import rules as account_rules
from services.intake.accounts.store import AccountStore
from services.intake.classification import rules as rules
from services.intake.classification.rules import RequestStep, Stage
from services.intake.classification.store import (
    ClassificationStore,
    UnknownRequest,
    new_request_doc,
)
from services.intake.submissions.store import IntakeStore, new_submission_doc
from services.intake.uploads import (
    document_type_of,
    read_file,
    read_form,
    safe_filename,
)

SERVICE = "intake"
REQUEST_FIELD = "request"
# The most documents any classification requires: a request carries at most that many files, and
# its body may be that many times the per-file limit (plus the multipart overhead).
MAX_DOCUMENTS = max(len(c.required_documents) for c in CLASSIFICATIONS.values())
REFUSAL_STATUS: dict[str, int] = {
    "classification.not_your_membership": 403,
    "classification.step_not_allowed": 422,
    "classification.conditions_not_accepted": 422,
    "classification.incomplete": 422,
}


class RequestForm(BaseModel):
    """The `request` field of the multipart form."""

    membership_number: Annotated[str, Field(max_length=32)]
    target: Annotated[str, Field(max_length=64)]
    accept_conditions: StrictBool  # an explicit yes, not a truthy string
    conditions_version: Annotated[str, Field(max_length=32)]


@dataclass(frozen=True)
class ReadDocument:
    """One attached document that passed the upload checks."""

    document_type: str
    filename: str
    data: bytes
    content_type: str


# --- the status projection ---------------------------------------------------------------------


async def record_request_step(
    requests: ClassificationStore,
    request_id: str,
    step: RequestStep,
    session: AsyncClientSession,
    extra: dict[str, Any] | None = None,
) -> bool:
    try:
        return await requests.record_step(request_id, step, session, extra)
    except UnknownRequest as exc:
        raise PermanentEventError(f"unknown classification request {request_id}") from exc


def subscribe_classification_events(
    runtime: ServiceRuntime, requests: ClassificationStore, accounts: AccountStore
) -> None:
    sub = dict(service=SERVICE, settings=runtime.settings)

    async def record(ce: CloudEvent, request_id: str, step: RequestStep, extra: dict[str, Any] | None = None) -> None:
        async def work(session: AsyncClientSession) -> bool:
            return await record_request_step(requests, request_id, step, session, extra)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    @subscribe(runtime.broker, topics.FEE_INVOICED, **sub)
    async def on_fee_invoiced(event: FeeInvoiced, ce: CloudEvent) -> None:
        invoice = {
            "invoice_id": event.invoice_id,
            "bill_number": event.bill_number,
            "amount": str(money(event.amount)),
            "currency": event.currency,
            "issued_at": event.issued_at,
            "due_at": event.due_at,
        }
        await record(
            ce, event.request_id, RequestStep(Stage.AWAITING_PAYMENT, event.issued_at, ce.id), {"invoice": invoice}
        )

    @subscribe(runtime.broker, topics.FEE_EXPIRED, **sub)
    async def on_fee_expired(event: FeeExpired, ce: CloudEvent) -> None:
        await record(ce, event.request_id, RequestStep(Stage.FEE_EXPIRED, event.expired_at, ce.id))

    @subscribe(runtime.broker, topics.CLASSIFICATION_LAPSED, **sub)
    async def on_lapsed(event: ClassificationLapsed, ce: CloudEvent) -> None:
        await record(
            ce, event.request_id, RequestStep(Stage.LAPSED, event.lapsed_at, ce.id), {"lapse_reason": event.reason}
        )

    @subscribe(runtime.broker, topics.CLASSIFICATION_CHANGED, **sub)
    async def on_classification_changed(event: ClassificationChanged, ce: CloudEvent) -> None:
        async def work(session: AsyncClientSession) -> None:
            account = await accounts.get(event.practitioner.id, session)
            if account is None:
                raise PermanentEventError(f"unknown account {event.practitioner.id}")
            stored_at: datetime | None = account.get("classification_changed_at")
            if rules.newer_classification(stored_at, event.changed_at):
                changed = await accounts.update(
                    account["_id"],
                    {
                        "classification": event.classification.code,
                        "classification_changed_at": event.changed_at,
                        "classification_request_id": event.request_id,
                    },
                    session,
                    expect={"classification_changed_at": stored_at},
                )
                if not changed:
                    raise RuntimeError("account changed concurrently")  # retried by the delivery policy

        await runtime.uow.apply_once(ce.id, ce.type, work)


# --- HTTP --------------------------------------------------------------------------------------


def _parse_request_field(raw: str | UploadFile | None) -> RequestForm:
    if not isinstance(raw, str):
        raise ApiError(422, "classification.request_invalid", [{"field": REQUEST_FIELD, "problem": "missing"}])
    try:
        return RequestForm.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ApiError(
            422, "classification.request_invalid", [{"field": REQUEST_FIELD, "problem": "not JSON"}]
        ) from exc
    except ValidationError as exc:
        details = [{"field": ".".join(map(str, e["loc"])), "problem": e["msg"]} for e in exc.errors()]
        raise ApiError(422, "classification.request_invalid", details) from exc


def _document_uploads(form: FormData) -> dict[str, UploadFile]:
    """The attached files by form field name (= document type); one file per document."""
    uploads: dict[str, UploadFile] = {}
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile):
            continue
        if name in uploads:
            raise ApiError(400, "request.invalid", {"problem": f"more than one file for {name!r}"})
        uploads[name] = value
    return uploads


def _checked_target(account: dict[str, Any], form: RequestForm, sent: list[str]) -> Classification:
    """Every rule that needs no file body, in the order a practitioner would fix them."""
    try:
        membership = account_rules.check_membership_number(form.membership_number)
    except account_rules.AccountRuleError as error:
        raise ApiError(422, error.code, {"field": error.field}) from error
    try:
        rules.check_membership(account.get("membership_number"), membership)
        target = rules.check_step(account.get("classification"), form.target)
        rules.check_conditions(form.accept_conditions, form.conditions_version)
        rules.check_documents(target, sent)
    except rules.RequestRefused as refusal:
        raise ApiError(REFUSAL_STATUS[refusal.code], refusal.code, refusal.details) from refusal
    return target


async def _read_document(document_type: str, upload: UploadFile, max_bytes: int) -> ReadDocument:
    """The checks of a certificate upload (size, emptiness, type from the bytes), naming the document."""
    try:
        data = await read_file(upload, max_bytes)
        doc_type = document_type_of(data)
    except ApiError as error:
        details = error.details if isinstance(error.details, dict) else {}
        raise ApiError(error.status, error.code, {**details, "document_type": document_type}) from error
    return ReadDocument(
        document_type=document_type,
        filename=safe_filename(upload.filename),
        data=data,
        content_type=CONTENT_TYPES[doc_type],
    )


def _request_view(doc: dict[str, Any], submissions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def document(document_type: str, submission_id: str) -> dict[str, Any]:
        submission = submissions.get(submission_id, {})
        failed = [f for f in submission.get("findings", []) if f.get("outcome") == "fail"]
        return {
            "document_type": document_type,
            "label": rules.document_label(document_type),
            "submission_id": submission_id,
            "status": submission.get("status"),
            "problems": failed,
            "links": {"self": f"/v1/certificates/{submission_id}"},
        }

    invoice = doc.get("invoice")
    return {
        "request_id": doc["_id"],
        "status": doc["status"],
        "membership_number": doc["membership_number"],
        "current": rules.classification_view(doc["current"]),
        "target": rules.classification_view(doc["target"]),
        "documents": [document(t, s) for t, s in doc["documents"].items()],
        "required_exams": rules.exam_views(doc["required_exams"]),
        "fee": doc["fee"],
        "currency": "SAR",
        "conditions_version": doc["conditions"]["version"],
        "invoice": None
        if invoice is None
        else {**invoice, "issued_at": invoice["issued_at"].isoformat(), "due_at": invoice["due_at"].isoformat()},
        "decision": doc.get("decision"),
        "timeline": [
            {"status": s["status"], "at": s["at"].isoformat(), **({"note": s["note"]} if s.get("note") else {})}
            for s in doc["timeline"]
        ],
        "created_at": doc["created_at"].isoformat(),
        "updated_at": doc["updated_at"].isoformat(),
        "links": {"self": f"/v1/classification-requests/{doc['_id']}"},
    }


def add_classification_routes(
    app: FastAPI,
    runtime: ServiceRuntime,
    requests: ClassificationStore,
    submissions: IntakeStore,
    accounts: AccountStore,
    files: FileStore,
) -> None:
    settings = runtime.settings

    def requester(request: Request) -> Principal:
        who = principal_from(request, settings, "practitioner")
        if not who.email_verified:
            raise ApiError(403, "account.email_unconfirmed")  # the outcome is mailed to them
        return who

    async def refuse_if_open(practitioner_id: str) -> None:
        if open_id := await requests.open_request_id(practitioner_id):
            raise ApiError(409, "classification.request_open", {"request_id": open_id})

    @app.get("/v1/classifications", tags=["classification"])
    async def catalogue() -> dict[str, Any]:
        """Every classification: its ladder and rank, the documents and exams it requires, its fee
        and the conditions a request accepts (with their version)."""
        return rules.catalogue_view()

    @app.post("/v1/classification-requests", status_code=202, tags=["classification"])
    async def request_classification(request: Request) -> JSONResponse:
        """Multipart: `request` (JSON: membership_number, target, accept_conditions,
        conditions_version) and one file per required document, named by its type (`degree`,
        `licence`, ...). 202 once the request, its documents and their events are stored together."""
        who = requester(request)
        await refuse_if_open(who.id)  # cheap, before the body; the transaction decides races
        form = await read_form(request, max_file_bytes=settings.max_upload_bytes, max_files=MAX_DOCUMENTS)
        try:
            wanted = _parse_request_field(form.get(REQUEST_FIELD))
            uploads = _document_uploads(form)
            account = await accounts.get(who.id)
            if account is None:  # a development token without an account owns no membership number
                raise ApiError(403, "classification.not_your_membership")
            target = _checked_target(account, wanted, list(uploads))
            documents = [
                await _read_document(t, uploads[t], settings.max_upload_bytes) for t in target.required_documents
            ]
            return await accept_request(who, account, target, documents)
        finally:
            await form.close()

    async def accept_request(
        who: Principal, account: dict[str, Any], target: Classification, documents: list[ReadDocument]
    ) -> JSONResponse:
        """Store the files, then write the request, its open marker, one submission per document
        and all their events in one transaction."""
        request_id = str(uuid.uuid4())
        logs.note(submission_id=request_id)  # the request line names the classification request it created
        at = now()
        ref = PractitionerRef(id=who.id, name=who.name, email=who.email, locale=who.locale)
        current: str | None = account.get("classification")
        file_ids: list[str] = []
        try:
            received: list[SubmissionReceived] = []
            submission_of: dict[str, str] = {}  # document type -> its submission id
            for document in documents:
                sha256 = sha256_hex(document.data)
                file_id = await files.put(
                    document.filename,
                    document.data,
                    metadata={
                        "sha256": sha256,
                        "content_type": document.content_type,
                        "owner": who.id,
                        "request_id": request_id,
                    },
                )
                file_ids.append(file_id)
                submission_of[document.document_type] = str(uuid.uuid4())
                received.append(
                    SubmissionReceived(
                        submission_id=submission_of[document.document_type],
                        kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
                        request_id=request_id,
                        document_type=document.document_type,
                        practitioner=ref,
                        certificate=rules.document_metadata(
                            document.document_type, target, request_id, today_in_riyadh(at)
                        ),
                        file=StoredFile(
                            file_id=file_id,
                            filename=document.filename,
                            size=len(document.data),
                            sha256=sha256,
                            content_type=document.content_type,
                        ),
                        received_at=at,
                    )
                )
            requested = ClassificationRequested(
                request_id=request_id,
                practitioner=ref,
                membership_number=account["membership_number"],
                current=CLASSIFICATIONS[current].ref() if current else None,
                target=target.ref(),
                documents=[RequestDocument(document_type=t, submission_id=s) for t, s in submission_of.items()],
                required_exams=list(target.required_exams),
                fee=target.fee,
                conditions_version=CONDITIONS_VERSION,
                # The ID number itself never leaves intake: review matches exam results by this HMAC.
                candidate_ref=candidate_ref(account["id_number"], settings),
                requested_at=at,
            )
            record = new_request_doc(
                request_id=request_id,
                practitioner=ref.model_dump(mode="json"),
                membership_number=account["membership_number"],
                current=current,
                target=target.code,
                documents=submission_of,
                required_exams=list(target.required_exams),
                fee=str(money(target.fee)),
                conditions_version=CONDITIONS_VERSION,
                requested_at=at,
            )

            async def work(session: AsyncClientSession) -> None:
                await requests.insert(record, session)  # the open marker first: a second request stops here
                for event in received:
                    await submissions.insert(
                        new_submission_doc(
                            submission_id=event.submission_id,
                            practitioner=ref.model_dump(mode="json"),
                            certificate=event.certificate.model_dump(mode="json"),
                            file=event.file.model_dump(mode="json"),
                            received_at=at,
                            kind=SubmissionKind.CLASSIFICATION_DOCUMENT,
                            request_id=request_id,
                            document_type=event.document_type,
                        ),
                        session,
                    )
                    await runtime.uow.outbox.add(topics.SUBMISSION_RECEIVED, event, session)
                await runtime.uow.outbox.add(topics.CLASSIFICATION_REQUESTED, requested, session)

            try:
                await runtime.uow.run(work)
            except DuplicateKeyError as exc:
                raise ApiError(
                    409, "classification.request_open", {"request_id": await requests.open_request_id(who.id)}
                ) from exc
        except BaseException:
            # No orphan files without their request (unless the commit did land and only its answer was lost).
            if await requests.get(request_id) is None:
                for file_id in file_ids:
                    await files.delete(file_id)
            raise
        location = f"/v1/classification-requests/{request_id}"
        return JSONResponse(
            {
                "request_id": request_id,
                "status": Stage.VALIDATING.value,
                "documents": [{"document_type": t, "submission_id": s} for t, s in submission_of.items()],
                "links": {"self": location},
            },
            status_code=202,
            headers={"Location": location},
        )

    async def view(doc: dict[str, Any]) -> dict[str, Any]:
        return _request_view(doc, await submissions.get_many(list(doc["documents"].values())))

    @app.get("/v1/classification-requests/{request_id}", tags=["classification"])
    async def get_request(request_id: str, request: Request) -> dict[str, Any]:
        who = principal_from(request, settings, "practitioner")
        doc = await requests.get(request_id)
        if doc is None or doc["practitioner_id"] != who.id:
            raise ApiError(404, "not_found")  # another practitioner's request does not exist for you
        return await view(doc)

    @app.get("/v1/classification-requests", tags=["classification"])
    async def list_requests(request: Request) -> dict[str, Any]:
        who = principal_from(request, settings, "practitioner")
        return {"items": [await view(d) for d in await requests.list_for(who.id)]}
