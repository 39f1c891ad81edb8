"""Classification change requests over HTTP: the public catalogue, a request with its documents,
its status and timeline. Refusals of the rules become HTTP errors here (REFUSAL_STATUS), all before
any file is read and storing nothing.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool
from starlette.datastructures import FormData, UploadFile

from mumaris.errors import ApiError
from mumaris.openapi import BEARER, LOCATION_HEADER, PROTECTED, UPLOAD, answers, multipart_body, refusals
from mumaris.service import provided
from schemas.classifications import CLASSIFICATIONS, DOCUMENT_TYPES
from services.intake.callers import Practitioner, Submitter, reference, settings_of
from services.intake.classification import rules
from services.intake.classification.rules import RequestRefused, Stage
from services.intake.classification.service import ClassificationRequests
from services.intake.classification.views import Catalogue, RequestAccepted, RequestList, RequestView
from services.intake.submissions.rules import Attachment
from services.intake.submissions.views import timeline_view
from services.intake.uploads import ACCEPTED_TYPES, form_json, read_attachment, read_form

router = APIRouter(tags=["classification"])
Requests = Annotated[ClassificationRequests, Depends(provided("classification_requests"))]

REQUEST_FIELD = "request"
# The most documents any classification requires: a request carries at most that many files, and
# its body may be that many times the per-file limit (plus the multipart overhead).
MAX_DOCUMENTS = max(len(c.required_documents) for c in CLASSIFICATIONS.values())
REFUSAL_STATUS: dict[str, int] = {
    "classification.not_your_membership": 403,
    "account.membership_number_invalid": 422,
    "classification.step_not_allowed": 422,
    "classification.conditions_not_accepted": 422,
    "classification.incomplete": 422,
    "classification.request_open": 409,
}


class RequestForm(BaseModel):
    """The `request` field of the multipart form."""

    membership_number: Annotated[str, Field(max_length=32)]
    target: Annotated[str, Field(max_length=64)]
    accept_conditions: StrictBool  # an explicit yes, not a truthy string
    conditions_version: Annotated[str, Field(max_length=32)]


def refused(refusal: RequestRefused) -> ApiError:
    return ApiError.of(refusal, REFUSAL_STATUS[refusal.code])


def document_uploads(form: FormData) -> dict[str, UploadFile]:
    """The attached files by form field name (= document type); one file per document."""
    uploads: dict[str, UploadFile] = {}
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile):
            continue
        if name in uploads:
            raise ApiError(400, "request.invalid", {"problem": f"more than one file for {name!r}"})
        uploads[name] = value
    return uploads


async def read_document(document_type: str, upload: UploadFile, max_bytes: int) -> Attachment:
    """The checks of a certificate upload (size, emptiness, type from the bytes), naming the document."""
    try:
        return await read_attachment(upload, max_bytes)
    except ApiError as error:
        details = error.details if isinstance(error.details, dict) else {}
        raise ApiError(error.status, error.code, {**details, "document_type": document_type}) from error


def request_view(doc: dict[str, Any], submissions: dict[str, dict[str, Any]]) -> dict[str, Any]:
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
        "timeline": timeline_view(doc["timeline"]),
        "created_at": doc["created_at"].isoformat(),
        "updated_at": doc["updated_at"].isoformat(),
        "links": {"self": f"/v1/classification-requests/{doc['_id']}"},
    }


@router.get("/v1/classifications", response_model=Catalogue)
async def catalogue() -> dict[str, Any]:
    """Every classification: its ladder and rank, the documents and exams it requires, its fee
    and the conditions a request accepts (with their version)."""
    return rules.catalogue_view()


@router.post(
    "/v1/classification-requests",
    status_code=202,
    dependencies=[BEARER],
    responses={
        202: {"model": RequestAccepted, "headers": LOCATION_HEADER, "description": "Accepted: stored with its events."},
        **answers(
            PROTECTED,
            UPLOAD,
            {403: ("account.email_unconfirmed",)},
            {422: ("classification.request_invalid",)},
            refusals(REFUSAL_STATUS, *REFUSAL_STATUS),
        ),
    },
    openapi_extra=multipart_body(
        json_parts={REQUEST_FIELD: RequestForm},
        files={
            document_type: f"{label.en}, when the target requires it (GET /v1/classifications): a PDF or a JPEG."
            for document_type, label in DOCUMENT_TYPES.items()
        },
        required=[REQUEST_FIELD],
        file_types=ACCEPTED_TYPES,
        description="The request (`request`, JSON) and one file per document the target classification "
        "requires, each named by its document type.",
    ),
)
async def request_classification(request: Request, who: Submitter, requests: Requests) -> JSONResponse:
    """Multipart: `request` (JSON: membership_number, target, accept_conditions,
    conditions_version) and one file per required document, named by its type (`degree`,
    `licence`, ...). 202 once the request, its documents and their events are stored together."""
    try:
        await requests.refuse_if_open(who.id)
    except RequestRefused as refusal:
        raise refused(refusal) from refusal
    max_bytes = settings_of(request).max_upload_bytes
    form = await read_form(request, max_file_bytes=max_bytes, max_files=MAX_DOCUMENTS)
    try:
        wanted = form_json(
            form.get(REQUEST_FIELD), RequestForm, field=REQUEST_FIELD, code="classification.request_invalid"
        )
        uploads = document_uploads(form)
        account, target = await requests.checked(
            who.id,
            membership_number=wanted.membership_number,
            target=wanted.target,
            accept_conditions=wanted.accept_conditions,
            conditions_version=wanted.conditions_version,
            documents=list(uploads),
        )
        documents = {t: await read_document(t, uploads[t], max_bytes) for t in target.required_documents}
        accepted = await requests.accept(reference(who), account, target, documents)
    except RequestRefused as refusal:
        raise refused(refusal) from refusal
    finally:
        await form.close()
    location = f"/v1/classification-requests/{accepted.request_id}"
    return JSONResponse(
        {
            "request_id": accepted.request_id,
            "status": Stage.VALIDATING.value,
            "documents": [{"document_type": t, "submission_id": s} for t, s in accepted.documents.items()],
            "links": {"self": location},
        },
        status_code=202,
        headers={"Location": location},
    )


@router.get(
    "/v1/classification-requests/{request_id}",
    response_model=RequestView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, {404: ("not_found",)}),
)
async def get_request(request_id: str, who: Practitioner, requests: Requests) -> dict[str, Any]:
    doc = await requests.visible(request_id, who.id)
    if doc is None:
        raise ApiError(404, "not_found")  # another practitioner's request does not exist for you
    return request_view(doc, await requests.documents_of(doc))


@router.get(
    "/v1/classification-requests", response_model=RequestList, dependencies=[BEARER], responses=answers(PROTECTED)
)
async def list_requests(who: Practitioner, requests: Requests) -> dict[str, Any]:
    return {"items": [request_view(d, await requests.documents_of(d)) for d in await requests.list_for(who.id)]}
