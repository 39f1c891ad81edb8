"""Bearer tokens (PyJWT, HS256) and the role check every HTTP route uses.

Accounts (issue: practitioner accounts) will issue these at login; until then `mumaris token`
mints one for a practitioner or reviewer so the pipeline can be driven end to end.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from fastapi import Request

from mumaris.errors import ApiError
from mumaris.settings import Settings

# supervisor: a reviewer who also sees the whole queue, every document and its audit trail,
# and may release another reviewer's claim.
Role = Literal["practitioner", "reviewer", "supervisor", "admin"]
# Staff roles from the least to the most trusted; each may do all that the ones before it may (a
# supervisor sees all that a reviewer sees). Routes and pages name the least role they need through
# the groups below, never a list of their own: a hand-written list is how a supervisor came to be
# refused a certificate that a reviewer could read.
STAFF_LADDER: tuple[Role, ...] = ("reviewer", "supervisor", "admin")


def roles_from(least: Role) -> tuple[Role, ...]:
    """`least` and every staff role above it."""
    return STAFF_LADDER[STAFF_LADDER.index(least):]


STAFF_ROLES = roles_from("reviewer")  # read every submission, work the review queue
OVERSEER_ROLES = roles_from("supervisor")  # ... and see the whole queue, every document, release any claim


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role
    name: str
    email: str
    locale: Literal["ar", "en"] = "ar"
    email_verified: bool = True  # features that mail the practitioner need a confirmed address

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def oversees(self) -> bool:
        return self.role in OVERSEER_ROLES


def issue_token(principal: Principal, settings: Settings, ttl_s: int | None = None) -> str:
    issued = datetime.now(UTC)
    claims = {
        "sub": principal.id,
        "role": principal.role,
        "name": principal.name,
        "email": principal.email,
        "locale": principal.locale,
        "email_verified": principal.email_verified,
        "iss": settings.jwt_issuer,
        "iat": issued,
        "exp": issued + timedelta(seconds=ttl_s or settings.jwt_ttl_s),
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")


def verify_token(token: str, settings: Settings) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret.get_secret_value(),
            algorithms=["HS256"],
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "role", "exp", "iss"]},
        )
        return Principal(
            id=str(claims["sub"]),
            role=claims["role"],
            name=str(claims.get("name", "")),
            email=str(claims.get("email", "")),
            locale="en" if claims.get("locale") == "en" else "ar",
            email_verified=bool(claims.get("email_verified", False)),
        )
    except (jwt.InvalidTokenError, KeyError) as exc:
        raise ApiError(401, "auth.invalid_token", headers={"WWW-Authenticate": "Bearer"}) from exc


def principal_from(request: Request, settings: Settings, *roles: Role) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "auth.required", headers={"WWW-Authenticate": "Bearer"})
    principal = verify_token(token.strip(), settings)
    if roles and principal.role not in roles:
        raise ApiError(403, "auth.forbidden")
    return principal
