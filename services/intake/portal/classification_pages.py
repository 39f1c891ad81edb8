"""E-services → change member details: a new professional classification. The form (membership
number, the steps allowed from hers, the documents and exams the step requires, its fee and
conditions), then the request's page: its documents' checks, the invoice with the countdown to its
24-hour limit and how to pay, the exams' standing, the decision.

The request goes through `ClassificationRequests`, as the API's does: every refusal before any file
is read, one file per required document checked like a certificate's.
"""

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from mumaris.auth import Principal
from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.web import see_other
from schemas.classifications import CLASSIFICATIONS, CONDITIONS_VERSION
from services.intake.callers import reference
from services.intake.classification.routes import MAX_DOCUMENTS
from services.intake.classification.rules import RequestRefused, allowed_targets
from services.intake.classification.service import ClassificationRequests
from services.intake.portal.pages import Portal
from services.intake.portal.routing import (
    PortalDep,
    ProfilesDep,
    RequestsDep,
    Who,
    email_confirmed,
    page_router,
    status_of,
)
from services.intake.portal.rules import checked_box, failed_findings, kept, progress_of, refusal_errors, seconds_left
from services.intake.portal.session import CSRF_FIELD, PREFIX
from services.intake.uploads import read_attachment, read_form

router = page_router()


@router.get("/e-services")
async def e_services_page(request: Request, who: Who, portal: PortalDep) -> Response:
    return await portal.render(request, "e_services.html")


@router.get("/e-services/classification")
async def classification_page(
    request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep, requests: RequestsDep
) -> Response:
    account = (await profiles.profile(who.id)).account
    values = {
        "membership_number": account.get("membership_number") or "",
        "target": request.query_params.get("target", ""),
    }
    return await classification_form(portal, request, who, requests, account, values)


async def classification_form(
    portal: Portal,
    request: Request,
    who: Principal,
    requests: ClassificationRequests,
    account: dict[str, Any],
    values: Mapping[str, str],
    **context: Any,
) -> Response:
    """Step one: the classifications allowed from hers; step two (a target chosen): its documents,
    exams, fee and conditions."""
    targets = [CLASSIFICATIONS[code] for code in allowed_targets(account.get("classification"))]
    chosen = next((c for c in targets if c.code == values.get("target")), None)
    return await portal.render(
        request,
        "classification_form.html",
        account=account,
        targets=targets,
        chosen=chosen,
        open_request_id=await requests.requests.open_request_id(who.id),
        confirmed=await email_confirmed(portal, request, who),
        conditions_version=CONDITIONS_VERSION,
        values=values,
        here=f"{PREFIX}/e-services/classification" + (f"?target={chosen.code}" if chosen else ""),
        **context,
    )


@router.post("/e-services/classification")
async def request_classification(
    request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep, requests: RequestsDep
) -> Response:
    await requests.refuse_if_open(who.id)  # a page; before any file is read
    max_bytes = portal.settings.max_upload_bytes
    form = await read_form(request, max_file_bytes=max_bytes, max_files=MAX_DOCUMENTS, max_fields=8)
    try:
        portal.sessions.check_csrf(request, form.get(CSRF_FIELD))
        values = kept(form)
        uploads = {
            name: value for name, value in form.multi_items() if isinstance(value, UploadFile) and value.filename
        }
        account, target = await requests.checked(
            who.id,
            membership_number=values.get("membership_number", ""),
            target=values.get("target", ""),
            accept_conditions=checked_box(form.get("accept_conditions")),
            conditions_version=values.get("conditions_version", ""),
            documents=list(uploads),
        )
        documents = {}
        for document_type in target.required_documents:
            try:
                documents[document_type] = await read_attachment(uploads[document_type], max_bytes)
            except ApiError as bad_file:
                raise ApiError(bad_file.status, bad_file.code, {"document_type": document_type}) from bad_file
        accepted = await requests.accept(reference(who), account, target, documents)
    except (RequestRefused, ApiError) as refusal:
        account = (await profiles.profile(who.id)).account
        errors, error = refusal_errors(refusal.code, refusal.details)
        status = refusal.status if isinstance(refusal, ApiError) else status_of(refusal.code)
        return await classification_form(
            portal, request, who, requests, account, kept(form), status=status, errors=errors, error=error
        )
    finally:
        await form.close()
    return see_other(f"{PREFIX}/e-services/classification/{accepted.request_id}?done=requested")


@router.get("/e-services/classification/{request_id}")
async def request_page(
    request_id: str, request: Request, who: Who, portal: PortalDep, requests: RequestsDep
) -> Response:
    doc = await requests.visible(request_id, who.id)
    if doc is None:
        raise ApiError(404, "not_found")  # another practitioner's request does not exist for her
    documents = await requests.documents_of(doc)
    invoice = doc.get("invoice")
    return await portal.render(
        request,
        "classification_request.html",
        doc=doc,
        progress=progress_of(doc),
        documents=[
            (kind, documents.get(sid, {}), failed_findings(documents.get(sid, {})))
            for kind, sid in doc["documents"].items()
        ],
        exams=await requests.exams_of(doc),
        invoice=invoice,
        invoice_left=seconds_left(invoice["due_at"], now()) if invoice else 0,
    )
