"""Access tokens: what a service accepts, and the refusals a client sees."""

import jwt
import pytest
from fastapi import Request

from mumaris.auth import Principal, issue_token, principal_from, verify_token
from mumaris.errors import ApiError
from mumaris.settings import Settings

SETTINGS = Settings(jwt_secret="unit-test-secret-0123456789abcdef0123456789")
PRACTITIONER = Principal(
    id="p-1", role="practitioner", name="Sara", email="sara@example.sa", locale="en", email_verified=False
)


def request_with(header: str | None) -> Request:
    headers = [] if header is None else [(b"authorization", header.encode())]
    return Request({"type": "http", "headers": headers})


def test_a_token_carries_the_principal_back() -> None:
    assert verify_token(issue_token(PRACTITIONER, SETTINGS), SETTINGS) == PRACTITIONER


@pytest.mark.parametrize(
    "token",
    [
        issue_token(PRACTITIONER, SETTINGS, ttl_s=-1),  # expired
        issue_token(PRACTITIONER, Settings(jwt_secret="another-secret-0123456789abcdef0123456789")),  # forged
        jwt.encode(
            {"sub": "p-1", "role": "admin", "iss": "mumaris"}, "unit-test-secret-0123456789abcdef0123456789"
        ),  # no exp
        jwt.encode(
            {"sub": "p-1", "role": "admin", "exp": 9999999999, "iss": "mumaris"}, "", algorithm="none"
        ),  # unsigned
    ],
    ids=["expired", "other-secret", "no-expiry", "alg-none"],
)
def test_expired_forged_or_unsigned_tokens_are_refused(token: str) -> None:
    with pytest.raises(ApiError) as refused:
        verify_token(token, SETTINGS)
    assert (refused.value.status, refused.value.code) == (401, "auth.invalid_token")


def test_a_tampered_role_claim_breaks_the_signature() -> None:
    token = issue_token(PRACTITIONER, SETTINGS)
    header, _, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    forged_payload = jwt.encode({**claims, "role": "admin"}, "attacker-key-0123456789abcdef0123456789").split(".")[1]
    with pytest.raises(ApiError):
        verify_token(".".join((header, forged_payload, signature)), SETTINGS)


def test_a_route_refuses_a_missing_token_and_the_wrong_role() -> None:
    with pytest.raises(ApiError) as missing:
        principal_from(request_with(None), SETTINGS, "practitioner")
    assert (missing.value.status, missing.value.code) == (401, "auth.required")
    with pytest.raises(ApiError) as wrong_role:
        principal_from(request_with(f"Bearer {issue_token(PRACTITIONER, SETTINGS)}"), SETTINGS, "reviewer")
    assert (wrong_role.value.status, wrong_role.value.code) == (403, "auth.forbidden")
