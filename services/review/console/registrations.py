"""A supervisor's registration pages in the console: looking a registration up by its number,
suspending it and lifting the suspension.

Intake owns the registrations and their rules (services/intake/registration/supervision.py): the
console is one more client of its documented API (`GET /v1/registrations/{number}`, `POST
.../suspension`, `POST .../reinstatement`), called with the signed-in supervisor's own access token,
so intake checks her role, keeps her id on the registration's history and announces the change
exactly as for any other caller. Intake's refusals come back as the console's own ApiError (the
same catalogue of codes, shown on a page in her language); an intake that cannot be reached is a
503 page.
"""

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from mumaris.errors import ApiError
from mumaris.settings import Settings
from services.review.console.session import INTAKE_TIMEOUT_S, intake_refusal

# The reason intake accepts (services/intake/registration/views.py, ReasonForm).
REASON_MIN, REASON_MAX = 3, 500
NUMBER_MAX = 20
_NUMBER = re.compile(r"^RG-\d{8,}$")


class FieldRefused(Exception):
    """What was typed into a field cannot be sent: the form is shown again with the error beside it."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(code)
        self.field = field
        self.code = code  # a console text key (text.py)


def registration_number(value: Any) -> str | None:
    """The number typed in the look-up field, tidied ("rg-00000018 " → "RG-00000018"); None when
    nothing was typed; FieldRefused when it cannot be a registration number."""
    typed = str(value or "").strip().upper()
    if not typed:
        return None
    if len(typed) > NUMBER_MAX or not _NUMBER.match(typed):
        raise FieldRefused("number", "registration.number_malformed")
    return typed


def reason_of(form: Mapping[str, Any]) -> str:
    """The reason a supervisor gives for suspending or lifting (required, as intake requires it)."""
    reason = str(form.get("reason") or "").strip()
    if len(reason) < REASON_MIN:
        raise FieldRefused("reason", "registration.reason_required")
    if len(reason) > REASON_MAX:
        raise FieldRefused("reason", "registration.reason_too_long")
    return reason


class IntakeRegistrations:
    """The three calls the console makes to intake's registration API, as the signed-in supervisor."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.client = httpx.AsyncClient(
            base_url=settings.intake_base_url, timeout=INTAKE_TIMEOUT_S, transport=transport
        )

    async def look_up(self, token: str, number: str) -> dict[str, Any]:
        return await self._call("GET", _path(number), token)

    async def suspend(self, token: str, number: str, reason: str) -> dict[str, Any]:
        return await self._call("POST", f"{_path(number)}/suspension", token, {"reason": reason})

    async def lift(self, token: str, number: str, reason: str) -> dict[str, Any]:
        return await self._call("POST", f"{_path(number)}/reinstatement", token, {"reason": reason})

    async def _call(self, method: str, path: str, token: str, body: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            answer = await self.client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as error:
            raise ApiError(503, "service.unavailable") from error
        if answer.status_code != 200:
            raise intake_refusal(answer)
        try:
            found: dict[str, Any] = answer.json()
        except ValueError as error:
            raise ApiError(503, "service.unavailable") from error
        return found

    async def aclose(self) -> None:
        await self.client.aclose()


def _path(number: str) -> str:
    return f"/v1/registrations/{quote(number, safe='')}"
