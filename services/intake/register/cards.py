"""Signed registration cards: the QR code's payload, its keys and its verification (pure: no I/O).

**The form: a compact JWS (RFC 7515) with `alg: EdDSA` (Ed25519, RFC 8037), made and checked with
PyJWT on `cryptography`** — both already pinned by the project for its tokens. Of the forms the
issue names it is the smallest that a phone camera reads reliably from a printed card (about 600
characters with Arabic names, as UTF-8 JSON), the one any language verifies with a stock library
and a JWKS (RFC 7517) of public keys, and has no processing rules of its own beyond the signature
(COSE/CWT needs CBOR tooling few verifiers have; a W3C Verifiable Credential brings JSON-LD
contexts and a larger payload for no gain in this registry).

- The payload's claims: `iss`, `sub` (the registration number), `name_ar`, `name_latin`,
  `profession`, `classification`, `valid_from`, `valid_until` (ISO dates), `iat`, `exp` (the
  first moment, Riyadh's midnight, the registration is no longer valid as printed); the header
  carries the key id `kid`.
- A key id is the key's RFC 7638 thumbprint (SHA-256 of its canonical JWK): it cannot be mislabelled
  in the settings, and any verifier can recompute it from the published key.
- The published key set lists the current key and the earlier ones (rotation: old cards keep
  verifying by their `kid`); revoked key ids are left out of `keys` and listed apart
  (`revoked_kids`, a member of our own that JWKS readers ignore), so a card they signed is refused
  with that reason, online and offline alike.
- Verdicts are codes (`card.*` in mumaris/errors.py). Whatever arrives — a tampered payload, a card
  of another key, an expired one, half a QR code, random bytes — gives one of them, never an exception.
"""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, ValidationError

from mumaris.clock import RIYADH

ISSUER = "mumaris"
TYP = "mumaris-card+jwt"
MAX_TOKEN_CHARS = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638: SHA-256 of the JWK's required members in lexicographic order, no whitespace."""
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": _b64(public_bytes(key))}, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode()).digest())


def jwk_of(key: Ed25519PublicKey) -> dict[str, str]:
    x = _b64(public_bytes(key))
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint(key), "alg": "EdDSA", "use": "sig"}


def private_key(seed: str) -> Ed25519PrivateKey:
    """The key from its 32-byte seed in urlsafe base64 (the setting `card_signing_key`)."""
    raw = _unb64(seed.strip())
    if len(raw) != 32:
        raise ValueError("an Ed25519 signing key is a 32-byte seed in urlsafe base64")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key(encoded: str) -> Ed25519PublicKey:
    raw = _unb64(encoded.strip())
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes in urlsafe base64")
    return Ed25519PublicKey.from_public_bytes(raw)


def new_seed() -> str:
    """A fresh signing key (`mumaris keys card`)."""
    return _b64(Ed25519PrivateKey.generate().private_bytes_raw())


@dataclass(frozen=True)
class KeySet:
    """The public keys a card may be signed with, by key id; the revoked key ids apart."""

    keys: dict[str, Ed25519PublicKey]
    revoked: frozenset[str] = frozenset()
    current: str | None = None

    def jwks(self) -> dict[str, Any]:
        ordered = sorted(self.keys, key=lambda kid: kid != self.current)  # the current key first
        return {
            "keys": [jwk_of(self.keys[kid]) for kid in ordered if kid not in self.revoked],
            "revoked_kids": sorted(self.revoked),
        }

    @classmethod
    def from_jwks(cls, document: Any) -> "KeySet":
        """A published key set (a saved file or the answer of /.well-known/jwks.json); ValueError
        when it is none. Keys of other types, and those whose `kid` is not their thumbprint, are skipped."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JSON Web Key Set")
        keys: dict[str, Ed25519PublicKey] = {}
        for jwk in document["keys"]:
            if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                continue
            try:
                key = Ed25519PublicKey.from_public_bytes(_unb64(str(jwk.get("x", ""))))
            except (ValueError, TypeError):
                continue
            if jwk.get("kid", thumbprint(key)) == thumbprint(key):
                keys[thumbprint(key)] = key
        revoked = document.get("revoked_kids") or []
        return cls(keys, frozenset(str(k) for k in revoked if isinstance(k, str)))


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    keyset: KeySet

    @property
    def kid(self) -> str:
        return thumbprint(self.key.public_key())

    @classmethod
    def from_settings(cls, seed: str, previous: list[str], revoked: list[str]) -> "Signer":
        key = private_key(seed)
        current = key.public_key()
        keys = {thumbprint(k): k for k in (public_key(p) for p in previous)}
        keys[thumbprint(current)] = current
        return cls(key, KeySet(keys, frozenset(revoked), thumbprint(current)))

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.key, algorithm="EdDSA", headers={"kid": self.kid, "typ": TYP}, json_encoder=_Utf8
        )


class _Utf8(json.JSONEncoder):
    """Arabic names as UTF-8 in the payload, not \\u escapes: a third of the size in the QR code."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "ensure_ascii": False})


class CardClaims(BaseModel):
    model_config = ConfigDict(extra="ignore")
    iss: str
    sub: str
    name_ar: str | None
    name_latin: str | None
    profession: str
    classification: str
    valid_from: date
    valid_until: date
    iat: int
    exp: int


def expires_at(valid_until: date) -> datetime:
    """Riyadh's midnight after the last valid day."""
    return datetime.combine(valid_until + timedelta(days=1), time(), RIYADH).astimezone(UTC)


def card_claims(
    number: str,
    name_ar: str | None,
    name_latin: str | None,
    profession: str,
    classification: str,
    valid_from: date,
    valid_until: date,
    issued_at: datetime,
) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "sub": number,
        "name_ar": name_ar,
        "name_latin": name_latin,
        "profession": profession,
        "classification": classification,
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat(),
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at(valid_until).timestamp()),
    }


@dataclass(frozen=True)
class Check:
    """What the signature and the card's own dates say (the registration's state is the service's)."""

    # card.signed_offline, card.expired, card.malformed, card.bad_signature, card.unknown_key, card.key_revoked
    verdict: str
    kid: str | None = None
    claims: CardClaims | None = field(default=None)

    @property
    def signed(self) -> bool:
        return self.verdict in ("card.signed_offline", "card.expired")


def token_of(presented: str) -> str:
    """The JWS from what was presented: the token itself, or the verification URL the QR code holds."""
    text = (presented or "").strip()
    if "://" in text or text.startswith("/"):
        try:
            values = parse_qs(urlsplit(text).query).get("card") or [""]
        except ValueError:
            return ""
        return values[0].strip()
    return text


def check(presented: str, keyset: KeySet, at: datetime) -> Check:
    token = token_of(presented)
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        return Check("card.malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return Check("card.malformed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        return Check("card.unknown_key")
    if kid in keyset.revoked:
        return Check("card.key_revoked", kid)
    key = keyset.keys.get(kid)
    if key is None:
        return Check("card.unknown_key", kid)
    if header.get("alg") != "EdDSA":
        return Check("card.bad_signature", kid)
    try:
        payload = jwt.decode(
            token, key, algorithms=["EdDSA"], issuer=ISSUER, options={"verify_exp": False, "verify_iat": False}
        )
    except jwt.InvalidSignatureError:
        return Check("card.bad_signature", kid)
    except (jwt.PyJWTError, ValueError, TypeError):
        return Check("card.malformed", kid)
    try:
        claims = CardClaims.model_validate(payload)
    except ValidationError:
        return Check("card.malformed", kid)
    if at.timestamp() >= claims.exp:
        return Check("card.expired", kid, claims)
    return Check("card.signed_offline", kid, claims)
