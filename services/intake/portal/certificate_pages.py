"""Qualifications and certificates: the list with where each stands, one certificate's page (its
timeline, why a scan was refused and what to do, the reviewer's decision), adding one, and the
corrected version after "changes requested" (prefilled, linked to the earlier version).

Uploads go through `Certificates.accept`, as the API's do: the same checks of the file (size while
streaming, type from the bytes), the same refusal of a file already under review.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from mumaris.auth import Principal
from mumaris.certificates import CertificateRefused, check_certificate
from mumaris.clock import today_in_riyadh
from mumaris.errors import ApiError
from schemas.events import CertificateMetadata
from services.intake.callers import reference
from services.intake.portal.pages import Portal
from services.intake.portal.routing import (
    CertificatesDep,
    PortalDep,
    Who,
    email_confirmed,
    page_router,
    upload_form,
)
from services.intake.portal.rules import FormErrors, failed_findings, progress_of, refusal_errors, validation_errors
from services.intake.portal.session import PREFIX
from services.intake.submissions.rules import Attachment, Lineage
from services.intake.submissions.service import Certificates

router = page_router()
CERTIFICATE_FIELDS = ("name", "obtained_on", "institution", "specialty", "degree", "expires_on")
OPTIONAL_FIELDS = ("expires_on",)  # left empty: the certificate does not expire


@router.get("/certificates")
async def certificates_page(request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep) -> Response:
    docs = await certificates.list_for(who.id)
    return await portal.render(request, "certificates.html", items=[(d, progress_of(d)) for d in docs])


async def own_certificate(certificates: Certificates, who: Principal, submission_id: str) -> dict[str, Any]:
    doc = await certificates.visible(submission_id, who.id)
    if doc is None:
        raise ApiError(404, "not_found")  # another practitioner's certificate does not exist for her
    return doc


def details_of(doc: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in doc["certificate"].items() if k in CERTIFICATE_FIELDS and v is not None}


@router.get("/certificates/new")
async def new_certificate_page(
    request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    """`?from=<id>`: the details of an earlier (refused) certificate of hers, to send it again."""
    earlier = request.query_params.get("from")
    values = details_of(await own_certificate(certificates, who, earlier[:64])) if earlier else {}
    confirmed = await email_confirmed(portal, request, who)
    return await portal.render(request, "certificate_form.html", previous=None, confirmed=confirmed, values=values)


@router.post("/certificates")
async def add_certificate(request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep) -> Response:
    return await accept_certificate(portal, request, who, certificates, None)


@router.get("/certificates/{submission_id}")
async def certificate_page(
    submission_id: str, request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    doc = await own_certificate(certificates, who, submission_id)
    return await portal.render(
        request, "certificate.html", doc=doc, progress=progress_of(doc), failed=failed_findings(doc)
    )


@router.get("/certificates/{submission_id}/resubmit")
async def resubmit_page(
    submission_id: str, request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    previous = await own_certificate(certificates, who, submission_id)
    certificates.next_version(previous)  # refused (a page) unless the reviewer asked for changes
    confirmed = await email_confirmed(portal, request, who)
    return await portal.render(
        request, "certificate_form.html", previous=previous, confirmed=confirmed, values=details_of(previous)
    )


@router.post("/certificates/{submission_id}/resubmit")
async def resubmit(
    submission_id: str, request: Request, who: Who, portal: PortalDep, certificates: CertificatesDep
) -> Response:
    previous = await own_certificate(certificates, who, submission_id)
    certificates.next_version(previous)  # checked before the body is read: a refused one stores nothing
    return await accept_certificate(portal, request, who, certificates, previous)


async def accept_certificate(
    portal: Portal, request: Request, who: Principal, certificates: Certificates, previous: dict[str, Any] | None
) -> Response:
    """The upload form: its fields as the certificate's details, its file checked like the API's."""

    async def send(metadata: CertificateMetadata, attachment: Attachment) -> str:
        lineage = certificates.next_version(previous) if previous else Lineage()
        submission_id = await certificates.accept(reference(who), metadata, attachment, lineage)
        return f"{PREFIX}/certificates/{submission_id}?done={'resubmitted' if previous else 'submitted'}"

    here = f"{PREFIX}/certificates/{previous['_id']}/resubmit" if previous else f"{PREFIX}/certificates/new"
    return await upload_form(
        portal,
        request,
        template="certificate_form.html",
        here=here,
        max_fields=8,
        parse=certificate_details,
        send=send,
        previous=previous,
    )


def certificate_details(values: Mapping[str, str]) -> tuple[CertificateMetadata | None, FormErrors]:
    """The typed details as the API's model, or each field's refusal: a date in the future or
    before 1950 is refused here too, before anything is stored."""
    try:
        typed = {k: values.get(k, "") for k in CERTIFICATE_FIELDS}
        metadata = CertificateMetadata.model_validate({k: v for k, v in typed.items() if v or k not in OPTIONAL_FIELDS})
        check_certificate(metadata, today_in_riyadh())
    except ValidationError as invalid:
        return None, validation_errors(invalid, CERTIFICATE_FIELDS)
    except CertificateRefused as refusal:
        return None, refusal_errors(refusal.code, refusal.details)[0] or {"obtained_on": refusal.code}
    return metadata, {}
