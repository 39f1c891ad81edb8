"""CPD hours earned abroad in the portal: the request form (/portal/registration/recognitions/new:
the activity, the country, the hours claimed and the evidence) and its post. Uploads go through
`Certificates.accept` as the API's do (cpd/routes.py), with the same checks of the file; the
requests and where they stand show on the registration page (registration_pages.py). The post is
taken by the certificate form's flow (routing.upload_form), and the two templates share their file
input and progress bar (_macros.html: upload_form)."""

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from mumaris.auth import Principal
from mumaris.certificates import CertificateRefused, check_certificate
from mumaris.clock import today_in_riyadh
from schemas.events import CpdRecognitionClaim, SubmissionKind
from services.intake.callers import reference
from services.intake.cpd.rules import recognition_certificate
from services.intake.portal.pages import Portal
from services.intake.portal.routing import CertificatesDep, PortalDep, Who, email_confirmed, page_router, upload_form
from services.intake.portal.rules import FormErrors, refusal_errors, validation_errors
from services.intake.portal.session import PREFIX
from services.intake.submissions.rules import Attachment
from services.intake.submissions.service import Certificates

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
    async def send(claim: CpdRecognitionClaim, attachment: Attachment) -> str:
        certificate = recognition_certificate(claim)
        await certificates.accept(reference(who), certificate, attachment, kind=SubmissionKind.CPD_RECOGNITION)
        return f"{PREFIX}/registration?done=recognition_requested"

    return await upload_form(
        portal, request, template=FORM, here=HERE, max_fields=10, parse=recognition_claim, send=send
    )
