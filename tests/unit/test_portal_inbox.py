"""The portal's client of notifier's inbox API (services/intake/portal/inbox.py), against a stand-in
transport: the header's unread count is asked for once in its fresh time, the inbox page reads it
afresh, marking read forgets it, and a notifier that does not answer costs the count, not the page."""

import httpx
import pytest

from mumaris.errors import ApiError
from mumaris.settings import Settings
from services.intake.portal.inbox import UNREAD_FRESH_S, InboxClient


class Notifier:
    def __init__(self) -> None:
        self.unread = 3
        self.asked: list[str] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(f"{request.method} {request.url.path}")
        assert request.headers["authorization"] == "Bearer token-1"
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        if request.method == "POST":
            if request.url.path.endswith("/not-hers/read"):
                return httpx.Response(404, json={"error": {"code": "not_found"}})
            self.unread -= 1
            return httpx.Response(204)
        page, size = int(request.url.params["page"]), int(request.url.params["size"])
        return httpx.Response(
            200, json={"items": [], "total": self.unread, "unread": self.unread, "page": page, "size": size}
        )


def client(notifier: Notifier) -> tuple[InboxClient, list[float]]:
    inbox = InboxClient(Settings())
    inbox.client = httpx.AsyncClient(base_url="http://notifier", transport=httpx.MockTransport(notifier))
    clock = [1000.0]
    inbox.clock = lambda: clock[0]
    return inbox, clock


async def test_the_unread_count_is_asked_for_once_while_it_is_fresh() -> None:
    notifier = Notifier()
    inbox, clock = client(notifier)
    assert await inbox.unread("token-1", "p-1") == 3
    notifier.unread = 7
    clock[0] += UNREAD_FRESH_S * 0.5
    assert await inbox.unread("token-1", "p-1") == 3  # kept
    clock[0] += UNREAD_FRESH_S * 0.8  # past the longest it is kept
    assert await inbox.unread("token-1", "p-1") == 7
    assert notifier.asked == ["GET /v1/inbox", "GET /v1/inbox"]


async def test_the_inbox_page_reads_afresh_and_marking_read_forgets_the_count() -> None:
    notifier = Notifier()
    inbox, _ = client(notifier)
    assert await inbox.unread("token-1", "p-1") == 3
    notifier.unread = 5
    page = await inbox.page("token-1", "p-1")
    assert page is not None and page.unread == 5
    assert await inbox.unread("token-1", "p-1") == 5  # what the page read
    await inbox.mark_read("token-1", "p-1", "m-1")
    assert await inbox.unread("token-1", "p-1") == 4  # asked again at once
    with pytest.raises(ApiError) as refused:
        await inbox.mark_read("token-1", "p-1", "not-hers")
    assert (refused.value.status, refused.value.code) == (404, "not_found")


async def test_a_notifier_away_costs_the_count_not_the_page() -> None:
    notifier = Notifier()
    notifier.down = True
    inbox, _ = client(notifier)
    assert await inbox.unread("token-1", "p-1") is None
    assert await inbox.page("token-1", "p-1") is None
    with pytest.raises(ApiError) as refused:
        await inbox.mark_read("token-1", "p-1", "m-1")
    assert (refused.value.status, refused.value.code) == (503, "service.unavailable")
