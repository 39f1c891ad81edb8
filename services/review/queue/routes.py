"""The review queue's JSON API (/v1/review/...): what a reviewer may claim and holds, claims,
decisions, documents, the audit trail, and supervision.

Every route acts through the ReviewDesk (queue/service.py). A refusal of the queue's rules
(ReviewRefused) becomes an ApiError here, with the status the API documents (`api_error`); the
console turns the same refusal into a page.
"""

from collections.abc import Callable, Coroutine
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from mumaris.auth import OVERSEER_ROLES, STAFF_ROLES, Role, principal_from
from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.files import FileStore
from mumaris.http import client_address, read_json
from mumaris.openapi import (
    BEARER,
    JSON_BODY,
    PARAMETERS,
    PROTECTED,
    Refusals,
    answers,
    file_download,
    json_body,
    refusals,
)
from mumaris.service import provided
from mumaris.settings import Settings
from schemas.events import Decision, Localized
from schemas.review_reasons import REJECTION_REASONS
from services.review.queue.rules import DecisionRequest, QueueKind, QueueState, ReviewRefused, unique_codes
from services.review.queue.service import Actor, ReviewDesk
from services.review.queue.store import QueueFilter
from services.review.queue.views import (
    DOCUMENT_TYPES,
    History,
    ItemList,
    ItemView,
    Timestamp,
    audit_view,
    document_response,
    item_view,
)

# The status each refusal is answered with; any other refusal is a decision the rules do not
# allow as asked (422).
REFUSAL_STATUS = {
    "not_found": 404,
    "review.no_document": 404,
    "review.claim_required_to_view": 403,
    "review.already_decided": 409,
    "review.claim_required": 409,
    "review.claimed_by_other": 409,
    "review.reserved": 409,
}


def refused(*codes: str) -> Refusals:
    """`codes` by the status REFUSAL_STATUS answers them with."""
    return refusals(REFUSAL_STATUS, *codes)


NOT_FOUND = refused("not_found")
DECISION_REFUSALS = refused(
    "review.already_decided",
    "review.claim_required",
    "review.reason_required",
    "review.reason_codes_required",
    "review.reason_code_unknown",
    "review.reason_codes_only_for_reject",
    "review.exam_missing",
    "review.cpd_hours_required",
    "review.cpd_hours_beyond_claim",
    "review.cpd_hours_not_expected",
)
DOCUMENT = {
    200: file_download(DOCUMENT_TYPES, "The document, as the type its bytes proved it to be. Never cached."),
    **answers(PROTECTED, refused("not_found", "review.no_document", "review.claim_required_to_view")),
}


class Reason(BaseModel):
    code: str
    label: Localized


class Reasons(BaseModel):
    reasons: list[Reason]


class SearchPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ItemView]


class OldestWaiting(BaseModel):
    review_id: str
    queued_at: Timestamp
    age_s: float


class Stats(BaseModel):
    counts: dict[QueueState, int] = Field(description="Items in each state now.")
    past_sla: int = Field(description="Undecided items past their deadline (SLA).")
    oldest_waiting: OldestWaiting | None


def api_error(refusal: ReviewRefused) -> ApiError:
    return ApiError.of(refusal, REFUSAL_STATUS.get(refusal.code, 422))


class AnswersRefusals(APIRoute):
    """A route whose ReviewRefused is answered as an ApiError (JSON with the code and both languages)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except ReviewRefused as refusal:
                raise api_error(refusal) from refusal

        return answer


class DecisionBody(BaseModel):
    decision: Decision
    reason_codes: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=20)] = []
    reason: Annotated[str, Field(max_length=2000)] = ""
    # Approving a CPD recognition request (kind cpd_recognition): the hours recognised, at most
    # those claimed; no other decision carries hours.
    cpd_hours_recognised: Annotated[Decimal, Field(gt=0, le=200, max_digits=5, decimal_places=2)] | None = None

    def request(self) -> DecisionRequest:
        return DecisionRequest(self.decision, self.reason, unique_codes(self.reason_codes), self.cpd_hours_recognised)


Desk = Annotated[ReviewDesk, Depends(provided("desk"))]
Files = Annotated[FileStore, Depends(provided("files"))]
Configured = Annotated[Settings, Depends(provided("settings"))]

router = APIRouter(route_class=AnswersRefusals)


def acting(request: Request, settings: Settings, roles: tuple[Role, ...] = STAFF_ROLES) -> Actor:
    """The caller, checked inside the route (before its body is read), with the address the audit keeps."""
    return Actor.of(principal_from(request, settings, *roles), client_address(request, settings))


@router.get("/v1/review/reasons", tags=["review"], response_model=Reasons)
async def reasons() -> dict[str, Any]:
    """The rejection-reason catalogue (codes are stable)."""
    return {"reasons": [{"code": code, "label": label.model_dump()} for code, label in REJECTION_REASONS.items()]}


@router.get(
    "/v1/review/queue",
    tags=["review"],
    response_model=ItemList,
    dependencies=[BEARER],
    responses=answers(PROTECTED, PARAMETERS),
)
async def queue(
    request: Request, desk: Desk, settings: Configured, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> dict[str, Any]:
    """What the caller could claim now, in the order claim-next hands it out."""
    actor = acting(request, settings)
    return {"items": [item_view(d) for d in await desk.store.waiting(actor.id, now(), limit)]}


@router.get(
    "/v1/review/mine", tags=["review"], response_model=ItemList, dependencies=[BEARER], responses=answers(PROTECTED)
)
async def mine(request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    actor = acting(request, settings)
    return {"items": [item_view(d) for d in await desk.store.held_by(actor.id, now())]}


@router.post(
    "/v1/review/claim",
    tags=["review"],
    dependencies=[BEARER],
    responses={
        200: {"model": ItemView, "description": "The item now claimed by the caller."},
        204: {"description": "Nothing to claim."},
        **answers(PROTECTED),
    },
)
async def claim_next(request: Request, desk: Desk, settings: Configured) -> Any:
    claimed = await desk.claim_next(acting(request, settings))
    return Response(status_code=204) if claimed is None else item_view(claimed)


@router.get(
    "/v1/review/items",
    tags=["supervision"],
    response_model=SearchPage,
    dependencies=[BEARER],
    responses=answers(PROTECTED, PARAMETERS),
)
async def search(
    request: Request,
    desk: Desk,
    settings: Configured,
    kind: QueueKind | None = None,
    state: QueueState | None = None,
    reviewer: Annotated[str | None, Query(max_length=100)] = None,
    specialty: Annotated[str | None, Query(max_length=120)] = None,
    waiting_hours: Annotated[float | None, Query(ge=0, le=24 * 365)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> dict[str, Any]:
    """Supervisors: filter the whole queue (waiting, claimed and decided items)."""
    acting(request, settings, OVERSEER_ROLES)
    filters = QueueFilter(
        kind=kind,
        state=state,
        reviewer_id=reviewer,
        specialty=specialty,
        waiting_longer_than=None if waiting_hours is None else timedelta(hours=waiting_hours),
        text=q,
        limit=limit,
        offset=offset,
    )
    items, total = await desk.store.search(filters, now())
    return {"total": total, "limit": limit, "offset": offset, "items": [item_view(d) for d in items]}


@router.get(
    "/v1/review/stats", tags=["supervision"], response_model=Stats, dependencies=[BEARER], responses=answers(PROTECTED)
)
async def stats(request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    """Counts per state, items past their deadline, and the oldest waiting item's age."""
    acting(request, settings, OVERSEER_ROLES)
    at = now()
    oldest = await desk.store.oldest_waiting(at)
    return {
        "counts": await desk.store.counts(at),
        "past_sla": await desk.store.count_past_sla(at),
        "oldest_waiting": None
        if oldest is None
        else {
            "review_id": oldest["_id"],
            "queued_at": oldest["queued_at"].isoformat(),
            "age_s": round((at - oldest["queued_at"]).total_seconds(), 1),
        },
    }


@router.get(
    "/v1/review/{review_id}",
    tags=["review"],
    response_model=ItemView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, NOT_FOUND),
)
async def item(review_id: str, request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    acting(request, settings)
    doc = await desk.get(review_id)
    return item_view(doc, await desk.exams_of(doc))


@router.get(
    "/v1/review/{review_id}/history",
    tags=["review"],
    response_model=History,
    dependencies=[BEARER],
    responses=answers(PROTECTED, NOT_FOUND),
)
async def history(review_id: str, request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    """The audit trail: every claim, renewal, release, decision and document view. Append-only."""
    acting(request, settings)
    await desk.get(review_id)
    return {"review_id": review_id, "entries": [audit_view(e) for e in await desk.store.history(review_id)]}


@router.post(
    "/v1/review/{review_id}/claim",
    tags=["review"],
    response_model=ItemView,
    dependencies=[BEARER],
    responses=answers(
        PROTECTED, NOT_FOUND, refused("review.already_decided", "review.claimed_by_other", "review.reserved")
    ),
)
async def claim(review_id: str, request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    return item_view(await desk.claim(review_id, acting(request, settings)))


@router.post(
    "/v1/review/{review_id}/renew",
    tags=["review"],
    response_model=ItemView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, NOT_FOUND, refused("review.already_decided", "review.claim_required")),
)
async def renew(review_id: str, request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    return item_view(await desk.renew(review_id, acting(request, settings)))


@router.post(
    "/v1/review/{review_id}/release",
    tags=["review"],
    response_model=ItemView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, NOT_FOUND, refused("review.already_decided", "review.claim_required")),
)
async def release(review_id: str, request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    return item_view(await desk.release(review_id, acting(request, settings)))


@router.post(
    "/v1/review/{review_id}/decision",
    tags=["review"],
    response_model=ItemView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, NOT_FOUND, DECISION_REFUSALS),
    openapi_extra=json_body(DecisionBody),
)
async def decide(review_id: str, request: Request, desk: Desk, settings: Configured) -> dict[str, Any]:
    actor = acting(request, settings)
    body = await read_json(request, DecisionBody)  # only once the caller is known
    return item_view(await desk.decide(review_id, actor, body.request()))


@router.get(
    "/v1/review/{review_id}/document",
    tags=["review"],
    response_class=Response,
    dependencies=[BEARER],
    responses=DOCUMENT,
)
async def document(
    review_id: str, request: Request, desk: Desk, files: Files, settings: Configured
) -> StreamingResponse:
    """The submitted file, to the reviewer holding the claim or a supervisor (audited)."""
    opened = await desk.open_document(review_id, acting(request, settings), {"via": "api"})
    return document_response(opened, files)


@router.get(
    "/v1/review/{review_id}/documents/{submission_id}",
    tags=["review"],
    response_class=Response,
    dependencies=[BEARER],
    responses=DOCUMENT,
)
async def classification_document(
    review_id: str, submission_id: str, request: Request, desk: Desk, files: Files, settings: Configured
) -> StreamingResponse:
    """One document of a classification item, on the same terms as /document."""
    opened = await desk.open_document(review_id, acting(request, settings), {"via": "api"}, submission_id)
    return document_response(opened, files)
