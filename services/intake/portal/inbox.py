"""The practitioner's in-platform inbox, read through notifier's HTTP API with her own token.

Notifier owns the inbox (`notifier.inbox`, /v1/inbox): its rules (only one's own messages, marking
read) and its collection stay there, and the portal is one more client of its documented API, as
the console is of intake's. The token travels in the Authorization header, so notifier checks the
session exactly as for any other caller (an ended session is refused there too). A notifier that
does not answer in time costs the page its unread count, never the page: the header shows none
and the inbox page says it cannot be read now.

The header's unread count is kept per practitioner for UNREAD_FRESH_S: a person going from page to
page asks notifier once in that time, not once a page. Her inbox page always reads it afresh, and
marking a message read here forgets it, so what she does herself shows at once; a new message
shows in the header within those seconds.
"""

import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from mumaris.errors import ApiError
from mumaris.settings import Settings

# Short: the unread count is fetched while every page is being made.
NOTIFIER_TIMEOUT_S = 2.0
UNREAD_FRESH_S = 10.0
UNREAD_KEPT_MAX = 20_000  # practitioners whose count is kept at once (beyond: the stale ones go)


@dataclass(frozen=True)
class InboxPage:
    items: list[dict[str, Any]]
    total: int
    unread: int
    page: int
    size: int


class InboxClient:
    def __init__(self, settings: Settings) -> None:
        self.client = httpx.AsyncClient(
            base_url=settings.notifier_base_url,
            timeout=NOTIFIER_TIMEOUT_S,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )
        self.clock = time.monotonic
        self._unread: dict[str, tuple[float, int]] = {}  # practitioner id -> (fresh until, count)

    async def page(self, token: str, who: str, page: int = 1, size: int = 20) -> InboxPage | None:
        """One page of her messages, newest first; None when notifier cannot be read now."""
        body = await self._get(token, {"page": page, "size": size})
        if body is None:
            return None
        self._keep(who, int(body["unread"]))
        return InboxPage(body["items"], body["total"], body["unread"], body["page"], body["size"])

    async def unread(self, token: str, who: str) -> int | None:
        """Her unread count: as kept if asked for in the last UNREAD_FRESH_S, else from notifier."""
        kept = self._unread.get(who)
        if kept is not None and self.clock() < kept[0]:
            return kept[1]
        body = await self._get(token, {"page": 1, "size": 1})
        if body is None:
            return None
        self._keep(who, int(body["unread"]))
        return int(body["unread"])

    def _keep(self, who: str, count: int) -> None:
        at = self.clock()
        if len(self._unread) >= UNREAD_KEPT_MAX:
            self._unread = {k: v for k, v in self._unread.items() if at < v[0]}
        # Kept 8-12 s: people who arrived together do not all ask again in the same second.
        self._unread[who] = (at + UNREAD_FRESH_S * random.uniform(0.8, 1.2), count)

    async def mark_read(self, token: str, who: str, message_id: str) -> None:
        """404 `not_found` for a message that is not hers; 503 when notifier cannot be reached."""
        self._unread.pop(who, None)
        try:
            answer = await self.client.post(f"/v1/inbox/{message_id}/read", headers=_bearer(token))
        except httpx.HTTPError as error:
            raise ApiError(503, "service.unavailable") from error
        if answer.status_code == 404:
            raise ApiError(404, "not_found")
        if answer.status_code != 204:
            raise ApiError(503, "service.unavailable")

    async def _get(self, token: str, params: dict[str, int]) -> dict[str, Any] | None:
        try:
            answer = await self.client.get("/v1/inbox", params=params, headers=_bearer(token))
        except httpx.HTTPError:
            return None
        if answer.status_code != 200:
            return None
        body: dict[str, Any] = answer.json()
        return body

    async def aclose(self) -> None:
        await self.client.aclose()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
