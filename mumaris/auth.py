"""Bearer tokens (PyJWT, HS256), the role check every HTTP route uses, and revoked sessions.

Intake's login issues the tokens; `mumaris token` mints development tokens. A token from login
carries its session id (`sid`: the refresh-token family, one per sign-in); when the session ends
(logout, a refresh token used twice, a password change) every service refuses its access tokens
within about a second, not only when they expire (RevokedSessions below).
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from fastapi import FastAPI, Request
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.errors import ApiError
from mumaris.settings import Settings

log = logging.getLogger("mumaris.auth")

# supervisor: a reviewer who also sees the whole queue, every document and its audit trail,
# and may release another reviewer's claim.
# facility: a staff user of a hospital or clinic (services/intake/facilities/); not on the staff
# ladder: it sees its own facility's roster and nothing of the commission's work.
Role = Literal["practitioner", "reviewer", "supervisor", "admin", "facility"]
# Staff roles from the least to the most trusted; each may do all that the ones before it may (a
# supervisor sees all that a reviewer sees). Routes and pages name the least role they need through
# the groups below, never a list of their own: a hand-written list is how a supervisor came to be
# refused a certificate that a reviewer could read.
STAFF_LADDER: tuple[Role, ...] = ("reviewer", "supervisor", "admin")


def roles_from(least: Role) -> tuple[Role, ...]:
    """`least` and every staff role above it."""
    return STAFF_LADDER[STAFF_LADDER.index(least) :]


STAFF_ROLES = roles_from("reviewer")  # read every submission, work the review queue
OVERSEER_ROLES = roles_from("supervisor")  # ... and see the whole queue, every document, release any claim
ADMIN_ROLES = roles_from("admin")  # ... and create facilities and their staff users


@dataclass(frozen=True)
class Principal:
    id: str
    role: Role
    name: str
    email: str
    locale: Literal["ar", "en"] = "ar"
    email_verified: bool = True  # features that mail the practitioner need a confirmed address
    # A practitioner's name in Latin letters beside `name` (in Arabic letters), when the account
    # has one: the validator looks for both on a certificate. Absent from older tokens.
    latin_name: str | None = None
    # The sign-in session the token belongs to (its refresh-token family); None for development
    # tokens (`mumaris token`), which belong to no session and end only when they expire.
    session_id: str | None = None
    # A `facility` user's hospital or clinic (services/intake/facilities/); None for everyone else.
    facility_id: str | None = None

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
    if principal.session_id is not None:
        claims["sid"] = principal.session_id
    if principal.facility_id is not None:
        claims["facility"] = principal.facility_id
    if principal.latin_name:
        claims["latin_name"] = principal.latin_name
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
            session_id=str(claims["sid"]) if claims.get("sid") else None,
            facility_id=str(claims["facility"]) if claims.get("facility") else None,
            latin_name=str(claims["latin_name"]) if claims.get("latin_name") else None,
        )
    except (jwt.InvalidTokenError, KeyError) as exc:
        raise ApiError(401, "auth.invalid_token", headers={"WWW-Authenticate": "Bearer"}) from exc


def principal_from(request: Request, settings: Settings, *roles: Role) -> Principal:
    """The caller of a protected route: a valid token (401 `auth.required` / `auth.invalid_token`),
    of a session that has not ended (401 `auth.session_revoked`), with one of `roles` (403)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "auth.required", headers={"WWW-Authenticate": "Bearer"})
    principal = authenticate(token.strip(), settings, revoked_sessions_of(request.scope.get("app")))
    if roles and principal.role not in roles:
        raise ApiError(403, "auth.forbidden")
    return principal


def authenticate(token: str, settings: Settings, revoked: "RevokedSessions | None") -> Principal:
    """Who a bearer token speaks for, if its session is still open. `revoked`: this process's
    RevokedSessions (None only where none is installed, which a session token cannot pass)."""
    principal = verify_token(token, settings)
    if principal.session_id is not None:
        if revoked is None:
            log.error("a session token reached a process without RevokedSessions; refused")
            raise ApiError(503, "service.unavailable")
        revoked.check(principal.session_id)
    return principal


# --- revoked sessions -------------------------------------------------------------------------------

# Clocks of the services writing revocations and of the token issuer may differ a little, and a
# revocation's transaction commits a moment after its time was taken: look back this far past the
# newest revocation seen, and keep each one this long past the lifetime of the tokens it refuses.
_LOOK_BACK = timedelta(seconds=5)
_CLOCK_LEEWAY = timedelta(seconds=60)


class RevokedSessions:
    """The sign-in sessions that ended before their access tokens expire, in every service.

    Stored in `auth.revoked_sessions` (owned here, shared by all services): `_id` = the session id
    (`sid`), `revoked_at`, `reason`, and `expires_at` past which no access token of the session
    can be valid any more (a TTL index removes it then), so the collection holds at most the last
    `jwt_ttl_s` (15 minutes) of revocations.

    Each process mirrors it in memory and re-reads only what is new (`revoked_at` since the newest
    it has seen, less a few seconds for clock skew and late commits) every `poll_s` (1 s) in the
    background. Why a mirror and not a read per request: a protected request then costs a set
    look-up, no database round trip (the common case: no revocation at all), and a revocation
    reaches every service within about `poll_s`, well inside the ~2 s we promise; the price is one
    small indexed query per second per process. The service that revokes re-reads at once, so
    there it takes effect on the next request. If the database cannot be read for longer than
    `max_staleness_s`, this process no longer knows which sessions ended and refuses session
    tokens with 503 rather than let a revoked one through (development tokens carry no session and
    are not affected)."""

    COLLECTION = "auth.revoked_sessions"

    def __init__(
        self, db: AsyncDatabase[dict[str, Any]], settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.collection = db[self.COLLECTION]
        self.clock = clock  # measures how long ago the revocations were last read
        self.poll_s = settings.session_revocation_poll_s
        self.max_staleness_s = settings.session_revocation_max_staleness_s
        # Access tokens of a session live at most jwt_ttl_s after it is revoked (they were issued before).
        self.keep = timedelta(seconds=settings.jwt_ttl_s) + _CLOCK_LEEWAY
        self._forget_at: dict[str, datetime] = {}  # session id -> when its revocation may be forgotten
        self._newest: datetime | None = None  # the latest `revoked_at` read
        self._read_at: float | None = None  # clock() at the last successful read
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle (every service's lifespan) ------------------------------------------------

    async def start(self) -> None:
        await self.collection.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        await self.collection.create_index([("revoked_at", ASCENDING)])
        await self.refresh()
        self._task = asyncio.create_task(self._poll(), name="revoked-sessions")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # --- writing (intake: logout, refresh-token reuse, password change) ------------------------

    async def revoke(
        self, session_ids: Iterable[str], reason: str, at: datetime, session: AsyncClientSession | None = None
    ) -> None:
        """Record that these sessions ended at `at` (in the caller's transaction, when given).
        Revoking a session twice keeps the first time. Take `at` inside the transaction's attempt
        (a retried transaction gets a fresh one): readers look back only a few seconds past the
        newest revocation they saw. Call `refresh` after the commit for this process to refuse the
        sessions' tokens at once; the other processes follow within `poll_s`."""
        for session_id in session_ids:
            await self.collection.update_one(
                {"_id": session_id},
                {"$setOnInsert": {"revoked_at": at, "reason": reason, "expires_at": at + self.keep}},
                upsert=True,
                session=session,
            )

    # --- reading ----------------------------------------------------------------------------------

    def check(self, session_id: str) -> None:
        """Refuse (401 `auth.session_revoked`) a token of an ended session; 503 when this process
        has not been able to read the revocations for too long to tell."""
        if self._read_at is None or self.clock() - self._read_at > self.max_staleness_s:
            raise ApiError(503, "service.unavailable")
        if session_id in self._forget_at:
            raise ApiError(401, "auth.session_revoked", headers={"WWW-Authenticate": "Bearer"})

    async def refresh(self) -> None:
        """Read the revocations this process has not seen yet."""
        at = datetime.now(UTC)
        newest = min(self._newest, at) if self._newest else at - self.keep  # a clock running ahead cannot blind us
        found = await self.collection.find(
            {"revoked_at": {"$gte": newest - _LOOK_BACK}}, {"revoked_at": 1, "expires_at": 1}
        ).to_list()
        for doc in found:
            self._forget_at[str(doc["_id"])] = _aware(doc["expires_at"])
            revoked_at = _aware(doc["revoked_at"])
            self._newest = revoked_at if self._newest is None else max(self._newest, revoked_at)
        self._forget_at = {sid: until for sid, until in self._forget_at.items() if until > at}
        self._read_at = self.clock()

    async def _poll(self) -> None:
        failing = False
        while True:
            await asyncio.sleep(self.poll_s)
            try:
                await self.refresh()
            except Exception as exc:
                if not failing:  # one line per outage, not one a second
                    log.warning("revoked sessions cannot be read (%r); retrying every %.1fs", exc, self.poll_s)
                failing = True
                continue
            if failing:
                log.info("revoked sessions are read again")
                failing = False


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def install_revoked_sessions(app: FastAPI, revoked: RevokedSessions) -> None:
    """Where `principal_from` (and the console) find this process's RevokedSessions."""
    app.state.revoked_sessions = revoked


def revoked_sessions_of(app: Any) -> RevokedSessions | None:
    """The RevokedSessions installed on `app` (a request's `scope["app"]`), if any."""
    return getattr(getattr(app, "state", None), "revoked_sessions", None)


def installed_revoked_sessions(app: FastAPI) -> RevokedSessions:
    """The same, for the code that ends sessions or checks tokens itself (intake, the console)."""
    revoked = revoked_sessions_of(app)
    if revoked is None:
        raise RuntimeError("no RevokedSessions on this app: create it with mumaris.service.create_http_app")
    return revoked
