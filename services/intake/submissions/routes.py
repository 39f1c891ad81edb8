"""Certificates over HTTP: upload, resubmission after "request changes", status and timeline.

Refusals of the rules become HTTP errors here: the same file while one is pending and a
resubmission out of turn 409, a certificate declared obtained in the future or before 1950 422
(checked before anything is stored).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from mumaris.auth import Principal
from mumaris.certificates import CertificateRefused, check_certificate
from mumaris.clock import today_in_riyadh
from mumaris.errors import ApiError
from mumaris.openapi import (
    BEARER,
    LOCATION_HEADER,
    PROTECTED,
    UPLOAD,
    answers,
    multipart_body,
)
from mumaris.service import provided
from schemas.events import CertificateMetadata, SubmissionKind
from services.intake.callers import Practitioner, PractitionerOrStaff, Submitter, reference, settings_of
from services.intake.submissions.rules import Attachment, Lineage, Status, SubmissionRefused
from services.intake.submissions.service import Certificates
from services.intake.submissions.views import SubmissionAccepted, SubmissionList, SubmissionView, submission_view
from services.intake.uploads import ACCEPTED_TYPES, form_json, read_attachment, read_form

router = APIRouter(tags=["certificates"])
CertificatesDep = Annotated[Certificates, Depends(provided("certificates"))]

# What an upload can be refused for, beyond the token: its form and file, its metadata (422, also a
# date that cannot be true), the same file while one is pending (409), and an unconfirmed e-mail.
UPLOAD_REFUSALS = answers(
    PROTECTED,
    UPLOAD,
    {403: ("account.email_unconfirmed",)},
    {409: ("file.duplicate_pending",)},
    {
        422: (
            "request.metadata_invalid",
            "metadata.date_in_future",
            "metadata.date_implausible",
            "metadata.expiry_before_obtained",
        )
    },
)


async def read_certificate_upload(
    request: Request, max_bytes: int, kept: CertificateMetadata | None = None
) -> tuple[CertificateMetadata, Attachment]:
    """The multipart upload: `metadata` (JSON) and one `file`. Without `metadata`, `kept` stands in
    when given (a resubmission keeps its certificate's details)."""
    form = await read_form(request, max_file_bytes=max_bytes, max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(400, "file.missing")
    raw_metadata = form.get("metadata")
    if raw_metadata is None and kept is not None:
        metadata = kept
    else:
        metadata = form_json(raw_metadata, CertificateMetadata, field="metadata", code="request.metadata_invalid")
    refuse_impossible(metadata)  # the kept details of a resubmission too: the new version carries them
    return metadata, await read_attachment(upload, max_bytes)


def refuse_impossible(metadata: CertificateMetadata) -> None:
    """422 with the rule's code for a declaration that cannot be true today in Riyadh (a date in
    the future or before 1950), before anything is stored."""
    try:
        check_certificate(metadata, today_in_riyadh())
    except CertificateRefused as refusal:
        raise ApiError.of(refusal, 422) from refusal


async def accept(
    request: Request,
    who: Principal,
    certificates: Certificates,
    lineage: Lineage = Lineage(),
    kept: CertificateMetadata | None = None,
    kind: SubmissionKind = SubmissionKind.CERTIFICATE,
) -> JSONResponse:
    metadata, attachment = await read_certificate_upload(request, settings_of(request).max_upload_bytes, kept)
    if kept is not None and metadata.recognition is None and kept.recognition is not None:
        metadata = metadata.model_copy(update={"recognition": kept.recognition})  # a recognition stays one
    try:
        submission_id = await certificates.accept(reference(who), metadata, attachment, lineage, kind)
    except SubmissionRefused as refusal:
        raise ApiError.of(refusal, 409) from refusal
    location = f"/v1/certificates/{submission_id}"
    return JSONResponse(
        {"submission_id": submission_id, "status": Status.RECEIVED.value, "links": {"self": location}},
        status_code=202,
        headers={"Location": location},
    )


async def visible_submission(certificates: Certificates, who: Principal, submission_id: str) -> dict[str, Any]:
    doc = await certificates.visible(submission_id, who.id if who.role == "practitioner" else None)
    if doc is None:
        raise ApiError(404, "not_found")  # another practitioner's submission does not exist for you
    return doc


CERTIFICATE_BODY = multipart_body(
    json_parts={"metadata": CertificateMetadata},
    files={
        "file": "The scan: a PDF or a JPEG within the upload limit (5 MiB by default); its type is read from its bytes."
    },
    required=["metadata", "file"],
    file_types=ACCEPTED_TYPES,
    description="The certificate's details (`metadata`, JSON) and its scan (`file`).",
)
ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {"model": SubmissionAccepted, "headers": LOCATION_HEADER, "description": "Accepted: stored with its event."}
}


@router.post(
    "/v1/certificates",
    status_code=202,
    dependencies=[BEARER],
    responses={**ACCEPTED, **UPLOAD_REFUSALS},
    openapi_extra=CERTIFICATE_BODY,
)
async def submit_certificate(request: Request, who: Submitter, certificates: CertificatesDep) -> JSONResponse:
    """Multipart: `metadata` (JSON: name, obtained_on, institution, specialty, degree) and one `file`
    (PDF or JPEG). Answers 202 once the record and its event are stored together."""
    return await accept(request, who, certificates)


@router.post(
    "/v1/certificates/{submission_id}/resubmissions",
    status_code=202,
    dependencies=[BEARER],
    responses={
        **ACCEPTED,
        **answers(
            PROTECTED,
            UPLOAD,
            {403: ("account.email_unconfirmed",)},
            {404: ("not_found",)},
            {409: ("file.duplicate_pending", "submission.not_awaiting_changes", "submission.already_resubmitted")},
            {
                422: (
                    "request.metadata_invalid",
                    "metadata.date_in_future",
                    "metadata.date_implausible",
                    "metadata.expiry_before_obtained",
                )
            },
        ),
    },
    openapi_extra=multipart_body(
        json_parts={"metadata": CertificateMetadata},
        files={"file": "The corrected scan: a PDF or a JPEG."},
        required=["file"],
        file_types=ACCEPTED_TYPES,
        description="The corrected scan (`file`) and, when they change, the certificate's details "
        "(`metadata`, JSON; without it the previous version's are kept).",
    ),
)
async def resubmit_certificate(
    submission_id: str, request: Request, who: Submitter, certificates: CertificatesDep
) -> JSONResponse:
    """The corrected certificate after a reviewer asked for changes: a new submission, the next
    version of `submission_id`, linked to it. Same multipart shape as POST /v1/certificates;
    without `metadata` the previous version's certificate details are kept. 409
    `submission.not_awaiting_changes` unless changes were requested, 409
    `submission.already_resubmitted` the second time."""
    previous = await visible_submission(certificates, who, submission_id)
    try:
        # Checked before the body is read, so a refused resubmission stores nothing.
        lineage = certificates.next_version(previous)
    except SubmissionRefused as refusal:
        raise ApiError.of(refusal, 409) from refusal
    kept = CertificateMetadata.model_validate(previous["certificate"])
    kind = SubmissionKind(previous.get("kind", SubmissionKind.CERTIFICATE.value))
    return await accept(request, who, certificates, lineage, kept, kind)


@router.get(
    "/v1/certificates/{submission_id}",
    response_model=SubmissionView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, {404: ("not_found",)}),
)
async def get_certificate(
    submission_id: str, who: PractitionerOrStaff, certificates: CertificatesDep
) -> dict[str, Any]:
    return submission_view(await visible_submission(certificates, who, submission_id))


@router.get("/v1/certificates", response_model=SubmissionList, dependencies=[BEARER], responses=answers(PROTECTED))
async def list_certificates(who: Practitioner, certificates: CertificatesDep) -> dict[str, Any]:
    return {"items": [submission_view(d) for d in await certificates.list_for(who.id)]}
