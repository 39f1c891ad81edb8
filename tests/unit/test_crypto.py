import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from mumaris.crypto import (
    EMAIL_CONFIRM,
    SealBroken,
    TokenRefused,
    generate_key,
    read_signed_token,
    seal,
    signed_token,
    unseal,
)
from mumaris.errors import MESSAGES
from mumaris.settings import Settings

KEY = Settings().field_encryption_key.get_secret_value()
SECRET = "unit-test-link-secret-0123456789abcdef"
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


# --- seal / unseal --------------------------------------------------------------------------------


def test_seal_round_trip_and_no_plain_text() -> None:
    token = seal("123456", KEY)
    assert "123456" not in token
    assert unseal(token, KEY) == "123456"
    assert unseal(seal("رمز ١٢٣", KEY), KEY, ttl_s=60) == "رمز ١٢٣"
    assert seal("123456", KEY) != token  # random IV


def test_the_default_settings_key_is_a_fernet_key() -> None:
    assert len(base64.urlsafe_b64decode(KEY)) == 32


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("index", [0, 5, 20, 40, -1])
def test_tampered_seal_is_refused(index: int) -> None:
    with pytest.raises(SealBroken):
        unseal(_flip(seal("123456", KEY), index), KEY)


@pytest.mark.parametrize("token", ["", "garbage", "gAAAAA", "é"])
def test_malformed_seal_is_refused(token: str) -> None:
    with pytest.raises(SealBroken):
        unseal(token, KEY)


def test_seal_from_another_key_is_refused() -> None:
    with pytest.raises(SealBroken):
        unseal(seal("123456", generate_key()), KEY)


def test_expired_seal_is_refused() -> None:
    token = seal("123456", KEY, now=NOW)
    assert unseal(token, KEY, ttl_s=300, now=NOW + timedelta(seconds=299)) == "123456"
    with pytest.raises(SealBroken):
        unseal(token, KEY, ttl_s=300, now=NOW + timedelta(seconds=301))
    with pytest.raises(SealBroken):
        unseal(seal("123456", KEY, now=datetime.now(UTC) - timedelta(hours=1)), KEY, ttl_s=300)
    assert unseal(token, KEY) == "123456"  # no ttl: age not checked


def test_a_bad_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        seal("x", "not-a-key")


# --- signed links ---------------------------------------------------------------------------------


def refused(token: str, **kwargs) -> str:
    with pytest.raises(TokenRefused) as caught:
        read_signed_token(token, SECRET, **kwargs)
    assert caught.value.code in MESSAGES
    return caught.value.code


def test_signed_link_round_trip() -> None:
    token = signed_token({"sub": "acc-1", "email": "sara@example.com"}, SECRET, 24 * 3600, now=NOW)
    claims = read_signed_token(token, SECRET, now=NOW + timedelta(hours=23))
    assert claims["sub"] == "acc-1" and claims["email"] == "sara@example.com"
    assert claims["purpose"] == EMAIL_CONFIRM
    assert claims["exp"] - claims["iat"] == 24 * 3600
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16


def test_each_link_has_its_own_jti_unless_given() -> None:
    a = read_signed_token(signed_token({"sub": "x"}, SECRET, 60), SECRET)
    b = read_signed_token(signed_token({"sub": "x"}, SECRET, 60), SECRET)
    assert a["jti"] != b["jti"]
    assert read_signed_token(signed_token({"sub": "x", "jti": "fixed"}, SECRET, 60), SECRET)["jti"] == "fixed"


def test_expired_link() -> None:
    token = signed_token({"sub": "acc-1"}, SECRET, 24 * 3600, now=NOW)
    assert refused(token, now=NOW + timedelta(hours=24)) == "account.link_expired"
    old = signed_token({"sub": "acc-1"}, SECRET, 60, now=datetime.now(UTC) - timedelta(minutes=5))
    assert refused(old) == "account.link_expired"


def test_tampered_link() -> None:
    token = signed_token({"sub": "acc-1"}, SECRET, 3600)
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "acc-2"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert refused(f"{header}.{forged}.{signature}") == "account.link_invalid"
    assert refused(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) == "account.link_invalid"
    assert refused("not.a.token") == "account.link_invalid"
    assert refused("") == "account.link_invalid"


def test_link_signed_with_another_secret() -> None:
    token = signed_token({"sub": "acc-1"}, "another-secret-0123456789abcdef-xyz", 3600)
    assert refused(token) == "account.link_invalid"


def test_wrong_purpose() -> None:
    token = signed_token({"sub": "acc-1"}, SECRET, 3600, purpose="password-reset")
    assert refused(token) == "account.link_invalid"
    assert read_signed_token(token, SECRET, purpose="password-reset")["sub"] == "acc-1"


def test_an_access_token_is_not_a_link() -> None:
    # signed with the same secret but without purpose/jti
    token = jwt.encode({"sub": "acc-1", "exp": int(NOW.timestamp()) + 10**9, "iat": 0}, SECRET, algorithm="HS256")
    assert refused(token) == "account.link_invalid"


def test_unsigned_token_is_refused() -> None:
    token = jwt.encode(
        {"sub": "acc-1", "purpose": EMAIL_CONFIRM, "jti": "j", "iat": 0, "exp": 10**10}, key=None, algorithm="none"
    )
    assert refused(token) == "account.link_invalid"


def test_reserved_claims_cannot_be_overridden() -> None:
    with pytest.raises(ValueError):
        signed_token({"purpose": "other"}, SECRET, 60)
    with pytest.raises(ValueError):
        signed_token({"exp": 10**10}, SECRET, 60)
