"""CPD hours earned abroad over HTTP: the practitioner asks to have them recognised, with the
evidence (`POST /v1/me/cpd-recognitions`: a submission of kind cpd_recognition on the certificates'
road, intake → validator → review), and follows her requests (`GET /v1/me/cpd-recognitions`).
An approval credits the hours the reviewer recognised to the ledger (service.py recognition_decided)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from mumaris.errors import ApiError
from mumaris.openapi import BEARER, PROTECTED, UPLOAD, answers, multipart_body
from mumaris.service import provided
from schemas.events import CpdRecognitionClaim, SubmissionKind
from services.intake.callers import Practitioner, Submitter, reference, settings_of
from services.intake.cpd.rules import recognition_certificate
from services.intake.submissions.routes import ACCEPTED, refuse_impossible
from services.intake.submissions.rules import Status, SubmissionRefused
from services.intake.submissions.service import Certificates
from services.intake.submissions.views import DecisionView, Timestamp
from services.intake.uploads import ACCEPTED_TYPES, form_json, read_attachment, read_form

router = APIRouter(tags=["cpd"])
CertificatesDep = Annotated[Certificates, Depends(provided("certificates"))]


class RecognitionView(BaseModel):
    """A request to recognise CPD hours earned abroad, and where it stands (the statuses of a
    certificate: received → validated → in_review → approved | rejected | changes_requested, or
    validation_failed)."""

    submission_id: str
    status: Status
    claim: CpdRecognitionClaim
    hours_recognised: str | None  # once approved: what the reviewer recognised (at most those claimed)
    decision: DecisionView | None
    created_at: Timestamp


class RecognitionList(BaseModel):
    items: list[RecognitionView]


def recognition_view(doc: dict[str, Any]) -> dict[str, Any]:
    decision = doc.get("decision")
    return {
        "submission_id": doc["_id"],
        "status": doc["status"],
        "claim": doc["certificate"]["recognition"],
        "hours_recognised": (decision or {}).get("cpd_hours_recognised"),
        "decision": decision,
        "created_at": doc["created_at"].isoformat(),
    }


async def accept_recognition(request: Request, who: Submitter, certificates: Certificates) -> str:
    """Read and store the request with its evidence; its submission id (ApiError when refused)."""
    max_bytes = settings_of(request).max_upload_bytes
    form = await read_form(request, max_file_bytes=max_bytes, max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(400, "file.missing")
    claim = form_json(form.get("claim"), CpdRecognitionClaim, field="claim", code="request.metadata_invalid")
    metadata = recognition_certificate(claim)
    refuse_impossible(metadata)  # an activity dated in the future or before 1950
    attachment = await read_attachment(upload, max_bytes)
    try:
        return await certificates.accept(reference(who), metadata, attachment, kind=SubmissionKind.CPD_RECOGNITION)
    except SubmissionRefused as refusal:
        raise ApiError.of(refusal, 409) from refusal


@router.post(
    "/v1/me/cpd-recognitions",
    status_code=202,
    dependencies=[BEARER],
    responses={
        **ACCEPTED,
        **answers(
            PROTECTED,
            UPLOAD,
            {403: ("account.email_unconfirmed",)},
            {409: ("file.duplicate_pending",)},
            {422: ("request.metadata_invalid", "metadata.date_in_future", "metadata.date_implausible")},
        ),
    },
    openapi_extra=multipart_body(
        json_parts={"claim": CpdRecognitionClaim},
        files={"file": "The evidence (a certificate of attendance): a PDF or a JPEG within the upload limit."},
        required=["claim", "file"],
        file_types=ACCEPTED_TYPES,
        description="What is asked to be recognised (`claim`, JSON) and its evidence (`file`).",
    ),
)
async def request_recognition(request: Request, who: Submitter, certificates: CertificatesDep) -> JSONResponse:
    """Ask to have CPD hours earned abroad recognised: the activity (title, provider, country,
    category, date) and the hours claimed, with the evidence. It travels a certificate's road
    (validation, then review); approved, the hours the reviewer recognises (at most those
    claimed) count for the registration cycle the activity's date falls in."""
    submission_id = await accept_recognition(request, who, certificates)
    location = f"/v1/certificates/{submission_id}"  # its timeline, findings and decision, as a certificate's
    return JSONResponse(
        {"submission_id": submission_id, "status": Status.RECEIVED.value, "links": {"self": location}},
        status_code=202,
        headers={"Location": location},
    )


@router.get(
    "/v1/me/cpd-recognitions",
    response_model=RecognitionList,
    dependencies=[BEARER],
    responses=answers(PROTECTED),
)
async def my_recognitions(who: Practitioner, certificates: CertificatesDep) -> dict[str, Any]:
    """The practitioner's recognition requests, newest first, each with its status and, once
    approved, the hours recognised."""
    docs = await certificates.list_for(who.id, kind=SubmissionKind.CPD_RECOGNITION)
    return {"items": [recognition_view(d) for d in docs]}
