"""Facilities' webhooks: the rules, in plain Python (no Kafka, MongoDB or HTTP).

- **Targets** (SSRF): https only; no user name or password in the URL; the host resolved and every
  address it resolves to checked: loopback, private (RFC 1918, ULA), link-local (169.254/16, fe80::/10,
  which holds the cloud metadata address 169.254.169.254), carrier-grade NAT, multicast, reserved and
  unspecified addresses are refused. `allow_loopback_http` (tests only) lets plain http to a loopback
  address through. The check runs when the webhook is registered and again before every try, and
  the try connects to an address the check passed (`pinned_url`), not to the name resolved once
  more (DNS rebinding).
- **Signature** (Standard Webhooks, https://www.standardwebhooks.com): headers `webhook-id` (the
  CloudEvent's id: the idempotency key), `webhook-timestamp` (Unix seconds) and `webhook-signature`
  = `v1,` + base64(HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<body>")), where the key is
  the secret's bytes after its `whsec_` prefix, base64-decoded. While a rotated secret overlaps
  the new one, the header carries one signature per secret, space-separated, the new one first
  (as Standard Webhooks allows): a receiver accepts the message when any of them is its own.
- **Retries**: try n failed → wait min(max, base × 2^(n-1)) × a random factor in [0.5, 1] (jitter),
  for `retry_for` after the first try or `max_attempts` tries; then the delivery is dead (parked).
"""

import base64
import hashlib
import hmac
import ipaddress
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from mumaris.errors import Refusal

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"

# Addresses that are public for ipaddress but must not be reached either.
_CARRIER_NAT = ipaddress.ip_network("100.64.0.0/10")


class WebhookRefused(Refusal):
    """A webhook's rules said no (codes `webhook.*` in mumaris/errors.py)."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(signing: list[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of a delivery signed with each secret of `signing` (the current one first)."""
    return {
        "content-type": "application/cloudevents+json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in signing),
    }


def signing_secrets(current: str, previous: str | None, previous_until: datetime | None, at: datetime) -> list[str]:
    """The secrets a delivery is signed with at `at`: the current one, and the one it replaced
    while their overlap lasts."""
    if previous and previous_until is not None and at < previous_until:
        return [current, previous]
    return [current]


OUTCOME_LABELS = ("delivered", "http_4xx", "http_5xx", "timeout", "network_error", "refused", "subscription_removed")


def outcome_class(outcome: str) -> str:
    """A try's outcome as a metric label (a bounded set): delivered, http_4xx, http_5xx, timeout,
    refused (a target the SSRF checks refused), subscription_removed, or network_error."""
    if outcome in (DELIVERED, "timeout", "subscription_removed"):
        return outcome
    if outcome.startswith("http_") and outcome[5:].isdigit():
        return f"http_{outcome[5]}xx"
    if outcome.startswith("webhook."):
        return "refused"
    return "network_error"


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    port: int
    scheme: str


def parse_target(url: str, *, allow_loopback_http: bool) -> Target:
    """The URL's parts, or WebhookRefused `webhook.url_invalid` / `webhook.url_not_https`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused("webhook.url_invalid") from exc
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.username or parts.password:
        raise WebhookRefused("webhook.url_invalid")
    if parts.scheme == "http" and not (allow_loopback_http and _loopback_literal(parts.hostname)):
        raise WebhookRefused("webhook.url_not_https")
    default = 443 if parts.scheme == "https" else 80
    return Target(url.strip(), parts.hostname, port or default, parts.scheme)


def _loopback_literal(host: str) -> bool:
    """A loopback address written out (the tests' receiver); a name is never trusted to be one."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def address_refusal(addresses: Iterable[str], target: Target, *, allow_loopback_http: bool) -> WebhookRefused | None:
    """Whether any address the host resolves to is one a webhook may not reach."""
    found = list(addresses)
    if not found:
        return WebhookRefused("webhook.host_unresolvable", {"host": target.host})
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if address.is_loopback and allow_loopback_http:
            continue
        if (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
            or address in _CARRIER_NAT
            or not address.is_global
        ):
            return WebhookRefused("webhook.address_not_allowed", {"host": target.host, "address": str(address)})
    return None


def pinned_url(target: Target, address: str) -> str:
    """The target's URL with its host replaced by the address that was checked, so the connection
    goes where the check looked (the name resolved again could point elsewhere: DNS rebinding). The
    request keeps the name in its Host header and, over TLS, as the SNI and certificate name."""
    parts = urlsplit(target.url)
    host = f"[{address}]" if ":" in address else address
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float
    max_s: float
    retry_for_s: float
    max_attempts: int

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed try `attempt` (from 1): exponential, capped, with jitter."""
        ceiling = min(self.max_s, self.base_s * 2 ** min(attempt - 1, 40))
        return float(ceiling * (rng or random).uniform(0.5, 1.0))

    def next_try(self, attempt: int, first_try_at: datetime, at: datetime) -> datetime | None:
        """When to try again after failed try `attempt`, or None: give up (park it)."""
        if attempt >= self.max_attempts:
            return None
        following = at + timedelta(seconds=self.delay(attempt))
        if following - first_try_at > timedelta(seconds=self.retry_for_s):
            return None
        return following


def outcome_of(status: int | None) -> str:
    """How a try ended, for the delivery log: `delivered` (2xx), `http_<status>`, or the error given."""
    if status is None:
        return "no_answer"
    return DELIVERED if 200 <= status < 300 else f"http_{status}"
