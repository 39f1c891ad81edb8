"""Facilities' webhooks over HTTP (notifier). A facility's staff user (its token names the
facility) or an admin registers, lists and removes the facility's webhooks, reads its delivery
log and replays what was parked; operations (supervisors and admins) list and replay every
parked delivery. Refusals become HTTP errors here."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from mumaris.auth import ADMIN_ROLES, OVERSEER_ROLES, Principal, principal_from
from mumaris.errors import ApiError
from mumaris.http import read_json
from mumaris.openapi import BEARER, JSON_BODY, PARAMETERS, PROTECTED, answers, json_body, refusals
from mumaris.service import provided
from services.notifier.webhooks.rules import WebhookRefused
from services.notifier.webhooks.service import Webhooks, delivery_view
from services.notifier.webhooks.views import (
    DeliveryLog,
    DeliveryView,
    WebhookCreated,
    WebhookForm,
    WebhookList,
    WebhookRotated,
)

router = APIRouter(tags=["webhooks"])
WebhooksDep = Annotated[Webhooks, Depends(provided("webhooks"))]

REFUSAL_STATUS: dict[str, int] = {
    "not_found": 404,
    "webhook.not_parked": 409,
    "webhook.url_invalid": 422,
    "webhook.url_not_https": 422,
    "webhook.address_not_allowed": 422,
    "webhook.host_unresolvable": 422,
    "webhook.rotation_conflict": 409,
}
TARGET_REFUSALS = (
    "webhook.url_invalid",
    "webhook.url_not_https",
    "webhook.address_not_allowed",
    "webhook.host_unresolvable",
)
Status = Literal["pending", "delivered", "dead"]


def refused(refusal: WebhookRefused) -> ApiError:
    return ApiError.of(refusal, REFUSAL_STATUS.get(refusal.code, 422))


def member(request: Request, facility_id: str) -> Principal:
    """An admin, or a staff user of this very facility (anyone else's facility: 404)."""
    who = principal_from(request, request.app.state.runtime.settings, *ADMIN_ROLES, "facility")
    if not who.is_staff and who.facility_id != facility_id:
        raise ApiError(404, "not_found")
    return who


def subscription_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "subscription_id": doc["_id"],
        "facility_id": doc["facility_id"],
        "url": doc["url"],
        "active": doc["active"],
        "created_at": doc["created_at"].isoformat(),
        "rotated_at": doc["rotated_at"].isoformat() if doc.get("rotated_at") else None,
        "previous_secret_until": doc["previous_until"].isoformat() if doc.get("previous_until") else None,
    }


@router.post(
    "/v1/facilities/{facility_id}/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    dependencies=[BEARER],
    responses=answers(PROTECTED, JSON_BODY, refusals(REFUSAL_STATUS, "not_found", *TARGET_REFUSALS)),
    openapi_extra=json_body(WebhookForm),
)
async def register_webhook(facility_id: str, request: Request, webhooks: WebhooksDep) -> JSONResponse:
    """Register an HTTPS endpoint; the answer holds its signing secret, shown this once."""
    who = member(request, facility_id)
    form = await read_json(request, WebhookForm)
    try:
        doc, secret = await webhooks.register(facility_id, form.url, who.id)
    except WebhookRefused as refusal:
        raise refused(refusal) from refusal
    return JSONResponse({**subscription_view(doc), "secret": secret}, status_code=201)


@router.get(
    "/v1/facilities/{facility_id}/webhooks",
    response_model=WebhookList,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found")),
)
async def list_webhooks(facility_id: str, request: Request, webhooks: WebhooksDep) -> dict[str, Any]:
    member(request, facility_id)
    return {"items": [subscription_view(doc) for doc in await webhooks.of(facility_id)]}


@router.delete(
    "/v1/facilities/{facility_id}/webhooks/{subscription_id}",
    status_code=204,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found")),
)
async def remove_webhook(facility_id: str, subscription_id: str, request: Request, webhooks: WebhooksDep) -> Response:
    member(request, facility_id)
    try:
        await webhooks.remove(facility_id, subscription_id)
    except WebhookRefused as refusal:
        raise refused(refusal) from refusal
    return Response(status_code=204)


@router.post(
    "/v1/facilities/{facility_id}/webhooks/{subscription_id}/rotate",
    response_model=WebhookRotated,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found", "webhook.rotation_conflict")),
)
async def rotate_secret(
    facility_id: str, subscription_id: str, request: Request, webhooks: WebhooksDep
) -> dict[str, Any]:
    """A new signing secret, shown this once; the old one keeps signing beside it for the overlap
    window (setting `webhook_secret_overlap_s`, 24 h), then only the new one signs."""
    member(request, facility_id)
    try:
        doc, secret = await webhooks.rotate(facility_id, subscription_id)
    except WebhookRefused as refusal:
        raise refused(refusal) from refusal
    return {**subscription_view(doc), "secret": secret}


@router.get(
    "/v1/facilities/{facility_id}/webhooks/deliveries",
    response_model=DeliveryLog,
    dependencies=[BEARER],
    responses=answers(PROTECTED, PARAMETERS, refusals(REFUSAL_STATUS, "not_found")),
)
async def delivery_log(
    facility_id: str,
    request: Request,
    webhooks: WebhooksDep,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The facility's deliveries, newest first, each with its tries; `status=dead`: the dead-letter list."""
    member(request, facility_id)
    return {"items": [delivery_view(doc) for doc in await webhooks.deliveries(facility_id, status, limit)]}


@router.post(
    "/v1/facilities/{facility_id}/webhooks/deliveries/{delivery_id}/replay",
    response_model=DeliveryView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found", "webhook.not_parked")),
)
async def replay_delivery(
    facility_id: str, delivery_id: str, request: Request, webhooks: WebhooksDep
) -> dict[str, Any]:
    """A parked delivery tried again now, with the same `webhook-id` (receivers dedupe by it)."""
    member(request, facility_id)
    try:
        return delivery_view(await webhooks.replay(delivery_id, facility_id))
    except WebhookRefused as refusal:
        raise refused(refusal) from refusal


@router.get(
    "/v1/webhooks/dead-letters",
    response_model=DeliveryLog,
    dependencies=[BEARER],
    responses=answers(PROTECTED, PARAMETERS),
)
async def dead_letters(
    request: Request, webhooks: WebhooksDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> dict[str, Any]:
    """Operations: every parked delivery, of every facility, newest first."""
    principal_from(request, request.app.state.runtime.settings, *OVERSEER_ROLES)
    return {"items": [delivery_view(doc) for doc in await webhooks.deliveries(None, "dead", limit)]}


@router.post(
    "/v1/webhooks/dead-letters/{delivery_id}/replay",
    response_model=DeliveryView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refusals(REFUSAL_STATUS, "not_found", "webhook.not_parked")),
)
async def replay_dead_letter(delivery_id: str, request: Request, webhooks: WebhooksDep) -> dict[str, Any]:
    principal_from(request, request.app.state.runtime.settings, *OVERSEER_ROLES)
    try:
        return delivery_view(await webhooks.replay(delivery_id, None))
    except WebhookRefused as refusal:
        raise refused(refusal) from refusal
