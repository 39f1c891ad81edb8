"""CPD hours earned abroad in the portal: the request form (/portal/registration/recognitions/new:
the activity, the country, the hours claimed and the evidence) and its post. Uploads go through
`Certificates.accept` as the API's do (cpd/routes.py), with the same checks of the file; the
requests and where they stand show on the registration page (registration_pages.py)."""

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from mumaris.auth import Principal
from mumaris.certificates import CertificateRefused, check_certificate
from mumaris.clock import today_in_riyadh
from mumaris.errors import ApiError
from mumaris.web import see_other
from schemas.events import CpdRecognitionClaim, SubmissionKind
from services.intake.callers import reference
from services.intake.cpd.rules import recognition_certificate
from services.intake.portal.pages import Portal
from services.intake.portal.routing import CertificatesDep, PortalDep, Who, email_confirmed, page_router, refused_form
from services.intake.portal.rules import FormErrors, kept, refusal_errors, validation_errors
from services.intake.portal.session import CSRF_FIELD, PREFIX
from services.intake.submissions.rules import SubmissionRefused
from services.intake.submissions.service import Certificates
from services.intake.uploads import read_attachment, read_form

router = page_router()
CLAIM_FIELDS = ("title", "provider", "country", "category", "hours_claimed", "attended_on")
FORM = "recognition_form.html"
HERE = f"{PREFIX}/registration/recognitions/new"


def recognition_claim(values: Mapping[str, str]) -> tuple[CpdRecognitionClaim | None, FormErrors]:
    """The typed claim as the API's model, or each field's refusal (an activity dated in the
    future or before 1950 too, before anything is stored). The country is taken in capitals."""
    typed = {k: values.get(k, "").strip() for k in CLAIM_FIELDS}
    typed["country"] = typed["country"].upper()
    try:
        claim = CpdRecognitionClaim.model_validate(typed)
        check_certificate(recognition_certificate(claim), today_in_riyadh())
    except ValidationError as invalid:
        return None, validation_errors(invalid, CLAIM_FIELDS)
    except CertificateRefused as refusal:
        return None, {"attended_on": refusal_errors(refusal.code, refusal.details)[0].get("obtained_on", refusal.code)}
    return claim, {}


@router.get("/registration/recognitions/new")
async def recognition_form(request: Request, who: Who, portal: PortalDep) -> Response:
    confirmed = await email_confirmed(portal, request, who)
    return await portal.render(request, FORM, confirmed=confirmed, values={})


@router.post("/registration/recognitions")
async def request_recognition(request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep) -> Response:
    return await accept_recognition(portal, request, who, certificates)


async def accept_recognition(portal: Portal, request: Request, who: Principal, certificates: Certificates) -> Response:
    page: dict[str, Any] = {"template": FORM, "confirmed": True, "here": HERE}
    max_bytes = portal.settings.max_upload_bytes
    try:
        form = await read_form(request, max_file_bytes=max_bytes, max_files=1, max_fields=10)
    except ApiError as refusal:  # too large (the browser checks first) or not a form
        return await refused_form(portal, request, refusal=refusal, values={}, **page)
    try:
        portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
        values = kept(form)
        claim, errors = recognition_claim(values)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.setdefault("file", "file.missing")
        if errors:
            return await portal.render(request, status=422, errors=errors, values=values, **page)
        assert claim is not None and isinstance(upload, UploadFile)
        await certificates.accept(
            reference(who),
            recognition_certificate(claim),
            await read_attachment(upload, max_bytes),
            kind=SubmissionKind.CPD_RECOGNITION,
        )
    except (ApiError, SubmissionRefused) as refusal:
        return await refused_form(portal, request, refusal=refusal, values=kept(form), **page)
    finally:
        await form.close()
    return see_other(f"{PREFIX}/registration?done=recognition_requested")
