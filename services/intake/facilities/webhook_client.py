"""A facility's webhooks, read and changed through notifier's HTTP API with the staff user's own
token (for the facility pages).

Notifier owns the webhooks (their secrets, deliveries and dead letters), as it owns the inbox the
practitioner's pages read (portal/inbox.py): the pages are one more client of its documented API,
and notifier checks the token and the facility exactly as for any other caller. A refusal comes
back as the ApiError notifier answered (its stable code); a notifier that cannot be reached is a
503 `service.unavailable`, and the page says so.
"""

from typing import Any

import httpx

from mumaris.errors import ApiError
from mumaris.settings import Settings

NOTIFIER_TIMEOUT_S = 5.0
LOG_SIZE = 50  # deliveries shown on the page, newest first


class WebhookClient:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = httpx.AsyncClient(
            base_url=settings.notifier_base_url, timeout=NOTIFIER_TIMEOUT_S, transport=transport
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, token: str, **options: Any) -> Any:
        try:
            answer = await self.client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **options)
        except httpx.HTTPError as exc:
            raise ApiError(503, "service.unavailable") from exc
        if answer.status_code == 204:
            return None
        try:
            body = answer.json()
        except ValueError as exc:
            raise ApiError(503, "service.unavailable") from exc
        if answer.status_code >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise ApiError(answer.status_code, str(error.get("code") or "service.unavailable"), error.get("details"))
        return body

    def _base(self, facility_id: str) -> str:
        return f"/v1/facilities/{facility_id}/webhooks"

    async def listing(self, token: str, facility_id: str) -> list[dict[str, Any]]:
        return list((await self._call("GET", self._base(facility_id), token))["items"])

    async def register(self, token: str, facility_id: str, url: str) -> dict[str, Any]:
        """The new webhook with its secret (shown once)."""
        return dict(await self._call("POST", self._base(facility_id), token, json={"url": url}))

    async def disable(self, token: str, facility_id: str, subscription_id: str) -> None:
        await self._call("DELETE", f"{self._base(facility_id)}/{subscription_id}", token)

    async def rotate(self, token: str, facility_id: str, subscription_id: str) -> dict[str, Any]:
        """The webhook with its new secret (shown once); the old one signs beside it for a while."""
        return dict(await self._call("POST", f"{self._base(facility_id)}/{subscription_id}/rotate", token))

    async def deliveries(self, token: str, facility_id: str, status: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"limit": LOG_SIZE} | ({"status": status} if status else {})
        return list((await self._call("GET", f"{self._base(facility_id)}/deliveries", token, params=params))["items"])

    async def replay(self, token: str, facility_id: str, delivery_id: str) -> dict[str, Any]:
        return dict(await self._call("POST", f"{self._base(facility_id)}/deliveries/{delivery_id}/replay", token))
