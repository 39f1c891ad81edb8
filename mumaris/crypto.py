"""Field-level encryption and signed links.

- `seal` / `unseal`: Fernet (AES-128-CBC + HMAC-SHA256, timestamped) with the key from settings
  (`field_encryption_key`, urlsafe base64 of 32 bytes). Used for the SMS code and the e-mail link on
  their way to notifier, so neither travels in plain text on a topic or lands in a log.
- `signed_token` / `read_signed_token`: an HS256 JWT with a `purpose` claim (default
  "email-confirm"), a unique `jti`, `iat` and `exp`. Single use is the caller's part: record the
  `jti` (or flip the account's state) when the link is used, and refuse it the second time.

`now` parameters exist for tests; in production leave them out.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography.fernet import Fernet, InvalidToken

EMAIL_CONFIRM = "email-confirm"
_ALGORITHM = "HS256"
_RESERVED = {"purpose", "iat", "exp", "nbf"}


class SealBroken(Exception):
    """The sealed value was tampered with, made with another key, malformed or too old."""


class TokenRefused(Exception):
    """A signed link that cannot be honoured; `.code` is "account.link_invalid" or "account.link_expired"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _fernet(key: str) -> Fernet:
    try:
        return Fernet(key.encode() if isinstance(key, str) else key)
    except (ValueError, TypeError) as exc:
        raise ValueError("field encryption key must be urlsafe base64 of 32 bytes") from exc


def _epoch(now: datetime | None) -> int:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def generate_key() -> str:
    """A fresh Fernet key, for `MUMARIS_FIELD_ENCRYPTION_KEY`."""
    return Fernet.generate_key().decode()


def seal(plaintext: str, key: str, *, now: datetime | None = None) -> str:
    fernet = _fernet(key)
    data = plaintext.encode()
    token = fernet.encrypt(data) if now is None else fernet.encrypt_at_time(data, _epoch(now))
    return token.decode()


def unseal(token: str, key: str, *, ttl_s: int | None = None, now: datetime | None = None) -> str:
    """The plaintext; `SealBroken` on a tampered, foreign, malformed or (with `ttl_s`) expired token."""
    fernet = _fernet(key)
    try:
        raw = token.encode() if isinstance(token, str) else bytes(token)
        if now is None:
            data = fernet.decrypt(raw, ttl=ttl_s)
        elif ttl_s is None:
            data = fernet.decrypt(raw)  # decrypt_at_time insists on a ttl
        else:
            data = fernet.decrypt_at_time(raw, ttl_s, _epoch(now))
        return data.decode()
    except (InvalidToken, TypeError, ValueError) as exc:
        raise SealBroken("sealed value refused") from exc


def signed_token(
    payload: dict[str, Any], secret: str, ttl_s: int, *, purpose: str = EMAIL_CONFIRM, now: datetime | None = None
) -> str:
    """A signed token carrying `payload` plus purpose, jti (a fresh one unless the payload has one),
    iat and exp."""
    clash = _RESERVED & payload.keys()
    if clash:
        raise ValueError(f"reserved claims in payload: {sorted(clash)}")
    issued = _epoch(now)
    claims = {"jti": secrets.token_urlsafe(16), **payload, "purpose": purpose, "iat": issued, "exp": issued + ttl_s}
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def read_signed_token(
    token: str, secret: str, *, purpose: str = EMAIL_CONFIRM, now: datetime | None = None
) -> dict[str, Any]:
    """The claims (jti included); `TokenRefused("account.link_expired")` when it is past `exp`,
    `TokenRefused("account.link_invalid")` when it is tampered, foreign, malformed or for another purpose."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "iat", "jti", "purpose"], "verify_exp": False, "verify_iat": False},
        )
    except (jwt.PyJWTError, TypeError, ValueError):
        raise TokenRefused("account.link_invalid") from None
    if claims.get("purpose") != purpose or not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise TokenRefused("account.link_invalid")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TokenRefused("account.link_invalid")
    if _epoch(now) >= exp:
        raise TokenRefused("account.link_expired")
    return claims
