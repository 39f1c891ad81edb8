"""The SMS channel: one JSON POST to the commission's SMS gateway (an HTTP API).

The text of an SMS may carry a one-time code, so it never appears in a log or in an error: errors
name the gateway's status and, at most, a short machine code from its answer. The recipient's
number stays out of them too.
"""

import re
from typing import Any

import httpx

from mumaris.settings import Settings
from services.notifier.delivery.channels import (
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)

CHANNEL = "sms"

# Answers that mean "not now": the gateway is overloaded, rate-limits us, or timed out reading.
TRANSIENT_STATUSES = frozenset({408, 425, 429})
# A machine code the gateway may put in its error answer ("invalid_number"); anything longer or
# freer could echo our own text back, so it is left out.
SAFE_ERROR_CODE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9_.:-]{1,64}$")


async def send_sms(to: str, text: str, settings: Settings, *, idempotency_key: str) -> str:
    """Send `text` to `to` and return the gateway's message id (the idempotency key if it gives none).

    Pass the same `idempotency_key` when retrying the same delivery (e.g. `delivery_key(...)`): a
    timeout may come after the gateway accepted the message, and the key lets it drop the repeat.
    Raises `TransientDeliveryError` (5xx, 408, 429, timeouts, connection failures) or
    `PermanentDeliveryError` (other 4xx, redirects, a gateway URL that cannot work).
    """
    if not to.strip():
        raise PermanentDeliveryError(CHANNEL, "no phone number to send to")
    headers = {
        "Authorization": f"Bearer {settings.sms_api_key.get_secret_value()}",
        "Idempotency-Key": idempotency_key,
        "Accept": "application/json",
    }
    body = {"to": to, "from": settings.sms_sender, "text": text, "reference": idempotency_key}
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(settings.sms_timeout_s), follow_redirects=False) as client:
            response = await client.post(settings.sms_gateway_url, json=body, headers=headers)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        # A misconfigured gateway URL: retrying cannot fix it; the dead letter can be replayed after.
        raise PermanentDeliveryError(CHANNEL, f"gateway URL cannot be used: {type(error).__name__}") from error
    except httpx.TimeoutException as error:
        raise TransientDeliveryError(CHANNEL, f"gateway did not answer in time ({type(error).__name__})") from error
    except httpx.TransportError as error:
        # Connection refused or reset, DNS failure, broken HTTP: the gateway may be back soon.
        raise TransientDeliveryError(CHANNEL, f"gateway unreachable ({type(error).__name__})") from error

    if response.is_success:
        return gateway_message_id(response) or idempotency_key
    raise classify_gateway_answer(response)


def gateway_message_id(response: httpx.Response) -> str | None:
    try:
        payload: Any = response.json()
    except ValueError:
        return None
    if isinstance(payload, dict) and payload.get("id") not in (None, ""):
        return str(payload["id"])
    return None


def classify_gateway_answer(response: httpx.Response) -> DeliveryError:
    status = response.status_code
    detail = response.reason_phrase or "refused"
    code = error_code(response)
    if code:
        detail = f"{detail} ({code})"
    if status >= 500 or status in TRANSIENT_STATUSES:
        return TransientDeliveryError(CHANNEL, detail, code=status)
    # Other 4xx: bad number, refused credentials, malformed request; 3xx: a wrong gateway URL.
    return PermanentDeliveryError(CHANNEL, detail, code=status)


def error_code(response: httpx.Response) -> str | None:
    try:
        payload: Any = response.json()
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    for field in ("code", "error"):
        value = payload.get(field)
        if isinstance(value, str) and SAFE_ERROR_CODE.match(value):
            return value
    return None


__all__ = ["send_sms"]
