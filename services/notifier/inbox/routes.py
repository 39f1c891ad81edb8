"""The inbox API: a practitioner's own messages and marking one read (the inbox's refusal becomes 404 here)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from mumaris.auth import Principal, principal_from
from mumaris.errors import ApiError
from mumaris.openapi import BEARER, PARAMETERS, PROTECTED, answers
from mumaris.service import provided
from services.notifier.inbox.rules import InboxRefused
from services.notifier.inbox.service import Inbox

router = APIRouter(tags=["inbox"])


class InboxText(BaseModel):
    title: str
    body: str


class InboxMessage(BaseModel):
    id: str
    kind: str = Field(description="What the message is about: the event type it tells of, e.g. review.decided.")
    title: str = Field(description="Every language of the message, the practitioner's own first.")
    body: str
    texts: dict[Literal["ar", "en"], InboxText] = Field(
        default_factory=dict,
        description="The title and body in each language by itself (empty for messages from before they "
        "were kept apart): a page in one language shows that one.",
    )
    created_at: str = Field(json_schema_extra={"format": "date-time"})
    read: bool


class InboxPage(BaseModel):
    items: list[InboxMessage]
    page: int
    size: int
    total: int
    unread: int


Reading = Annotated[Inbox, Depends(provided("inbox"))]


def _practitioner(request: Request) -> Principal:
    return principal_from(request, request.app.state.runtime.settings, "practitioner")


def _view(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": message["_id"],
        "kind": message["kind"],
        "title": message["title"],
        "body": message["body"],
        "texts": message.get("texts") or {},
        "created_at": message["created_at"].isoformat(),
        "read": message["read_at"] is not None,
    }


@router.get("/v1/inbox", response_model=InboxPage, dependencies=[BEARER], responses=answers(PROTECTED, PARAMETERS))
async def inbox(
    request: Request,
    reading: Reading,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """The practitioner's own messages, newest first, with the unread count."""
    who = _practitioner(request)
    found = await reading.page(who.id, page=page, size=size)
    return {
        "items": [_view(m) for m in found.messages],
        "page": page,
        "size": size,
        "total": found.total,
        "unread": found.unread,
    }


@router.post(
    "/v1/inbox/{message_id}/read",
    status_code=204,
    dependencies=[BEARER],
    responses={204: {"description": "Marked read (again, if it was)."}, **answers(PROTECTED, {404: ("not_found",)})},
)
async def read(message_id: str, request: Request, reading: Reading) -> None:
    who = _practitioner(request)
    try:
        await reading.mark_read(who.id, message_id)
    except InboxRefused as refused:
        raise ApiError.of(refused, 404) from refused
