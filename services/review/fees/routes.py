"""The fees area's JSON API, for supervisors: refused payments (for refunds and follow-up) and any
invoice by its bill number. app.py includes this router before the queue's, whose
/v1/review/{review_id} would otherwise take these paths."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from mumaris.auth import OVERSEER_ROLES, principal_from
from mumaris.errors import ApiError
from mumaris.openapi import BEARER, PARAMETERS, PROTECTED, answers
from mumaris.service import provided
from mumaris.settings import Settings
from schemas.events import ClassificationRef
from services.review.fees.rules import ISSUE_KINDS, InvoiceStatus, PaymentVerdict
from services.review.fees.service import FeeDesk
from services.review.fees.store import Doc, IssueFilter
from services.review.queue.views import PractitionerView, Timestamp, iso

Fees = Annotated[FeeDesk, Depends(provided("fees"))]
Configured = Annotated[Settings, Depends(provided("settings"))]

router = APIRouter(tags=["fees"])


class PaymentView(BaseModel):
    """A payment as the national payment system reported it (gov.payments)."""

    amount: str
    currency: str
    paid_at: Timestamp
    payment_reference: str
    event_id: str
    received_at: Timestamp


class PaymentIssue(BaseModel):
    issue_id: str
    kind: PaymentVerdict
    bill_number: str
    payment: PaymentView
    invoice_id: str | None
    request_id: str | None
    invoice_status: InvoiceStatus | None
    details: dict[str, Any]
    recorded_at: Timestamp


class IssuesPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[PaymentIssue]


class InvoiceView(BaseModel):
    invoice_id: str
    bill_number: str
    request_id: str
    practitioner: PractitionerView
    classification: ClassificationRef
    amount: str
    currency: str
    status: InvoiceStatus
    issued_at: Timestamp
    due_at: Timestamp
    reminders_sent: list[int]
    payment: PaymentView | None
    expired_at: Timestamp | None
    issues: list[PaymentIssue]


@router.get(
    "/v1/review/payment-issues",
    response_model=IssuesPage,
    dependencies=[BEARER],
    responses=answers(PROTECTED, PARAMETERS),
)
async def payment_issues(
    request: Request,
    fees: Fees,
    settings: Configured,
    kind: Annotated[str | None, Query(description=" | ".join(k.value for k in ISSUE_KINDS))] = None,
    bill_number: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Payments refused and flagged: unknown bill, wrong amount, late, duplicate. Newest first."""
    principal_from(request, settings, *OVERSEER_ROLES)
    if kind is not None and kind not in {k.value for k in ISSUE_KINDS}:
        raise ApiError(422, "request.invalid", {"kind": [k.value for k in ISSUE_KINDS]})
    filters = IssueFilter(
        kind=PaymentVerdict(kind) if kind else None, bill_number=bill_number, limit=limit, offset=offset
    )
    issues, total = await fees.store.issues(filters)
    return {"total": total, "limit": limit, "offset": offset, "items": [issue_view(i) for i in issues]}


@router.get(
    "/v1/review/invoices/{bill_number}",
    response_model=InvoiceView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, {404: ("not_found",)}),
)
async def invoice(bill_number: str, request: Request, fees: Fees, settings: Configured) -> dict[str, Any]:
    principal_from(request, settings, *OVERSEER_ROLES)
    found = await fees.store.invoice_by_bill(bill_number)
    if found is None:
        raise ApiError(404, "not_found")
    issues, _ = await fees.store.issues(IssueFilter(bill_number=bill_number, limit=200))
    return {**invoice_view(found), "issues": [issue_view(i) for i in issues]}


def invoice_view(doc: Doc) -> dict[str, Any]:
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
        "issued_at": iso(doc["issued_at"]),
        "due_at": iso(doc["due_at"]),
        "reminders_sent": sorted(doc.get("reminders_sent", []), reverse=True),
        "payment": None if payment is None else {k: iso(v) for k, v in payment.items()},
        "expired_at": iso(doc.get("expired_at")),
    }


def issue_view(doc: Doc) -> dict[str, Any]:
    return {
        "issue_id": doc["_id"],
        "kind": doc["kind"],
        "bill_number": doc["bill_number"],
        "payment": {k: iso(v) for k, v in doc["payment"].items()},
        "invoice_id": doc.get("invoice_id"),
        "request_id": doc.get("request_id"),
        "invoice_status": doc.get("invoice_status"),
        "details": {k: iso(v) for k, v in doc.get("details", {}).items()},
        "recorded_at": iso(doc["recorded_at"]),
    }
