"""Who is using the reviewer console: sign-in through intake, tokens in cookies, CSRF tokens.

Intake owns the accounts, so the console signs reviewers in by calling intake's `/v1/auth/...`
on their behalf. The access token (a JWT review verifies itself) and the rotating refresh token
live in HttpOnly, SameSite=Strict cookies scoped to /console: page scripts never see them and
another site cannot make the browser send them.
"""

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request, Response

from mumaris.auth import Principal, RevokedSessions, authenticate
from mumaris.errors import MESSAGES, ApiError
from mumaris.http import client_address
from mumaris.settings import Settings
from mumaris.web import LANGS, Lang, SharedRenewals, csrf_token, csrf_valid, is_https

PREFIX = "/console"
ACCESS_COOKIE = "mumaris_console_access"
REFRESH_COOKIE = "mumaris_console_refresh"
# A random value per browser; CSRF tokens are keyed on it and on the signed-in reviewer.
CSRF_SEED_COOKIE = "mumaris_console_csrf"
LANG_COOKIE = "mumaris_console_lang"
CSRF_FIELD = "csrf"
INTAKE_TIMEOUT_S = 10.0


class SignInRequired(Exception):
    """No usable session: the browser goes to the sign-in page (and back here afterwards)."""

    def __init__(self, ended: bool = False) -> None:
        super().__init__("sign-in required")
        self.ended = ended  # there was a session and it is over (rather than: never signed in)


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str


def intake_refusal(answer: httpx.Response) -> ApiError:
    """Intake's refusal as our own ApiError (same catalogue), so the page can show its message."""
    try:
        code = answer.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = None
    if code not in MESSAGES or not 400 <= answer.status_code < 500:
        return ApiError(503, "service.unavailable")
    return ApiError(answer.status_code, code)


class IntakeAccounts:
    """The three calls the console makes to intake's account API."""

    def __init__(self, settings: Settings) -> None:
        self.client = httpx.AsyncClient(base_url=settings.intake_base_url, timeout=INTAKE_TIMEOUT_S)

    async def login(self, email: str, password: str, browser_address: str | None) -> Tokens:
        # Intake throttles failed sign-ins per address: it must see the reviewer's, not ours.
        # It believes X-Forwarded-For only from peers in its MUMARIS_TRUSTED_PROXIES.
        headers = {"X-Forwarded-For": browser_address} if browser_address else {}
        answer = await self._post("/v1/auth/login", {"email": email, "password": password}, headers)
        if answer.status_code != 200:
            raise intake_refusal(answer)
        return Tokens(answer.json()["access_token"], answer.json()["refresh_token"])

    async def refresh(self, refresh_token: str) -> Tokens | None:
        answer = await self._post("/v1/auth/refresh", {"refresh_token": refresh_token})
        if answer.status_code != 200:
            return None
        return Tokens(answer.json()["access_token"], answer.json()["refresh_token"])

    async def logout(self, refresh_token: str) -> None:
        await self._post("/v1/auth/logout", {"refresh_token": refresh_token})

    async def _post(self, path: str, body: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        try:
            return await self.client.post(path, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise ApiError(503, "service.unavailable") from error

    async def aclose(self) -> None:
        await self.client.aclose()


SIGN_IN_SUBJECT = "sign-in"  # the sign-in form is used before anyone is signed in
CSRF_SCOPE = "console"


def requested_lang(request: Request) -> Lang | None:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGS else None


class ConsoleSessions:
    """Reads the session from the cookies (renewing it through intake when the access token has
    expired) and writes the cookies back on the response."""

    def __init__(self, settings: Settings, revoked: RevokedSessions | None) -> None:
        self.settings = settings
        self.revoked = revoked  # an access token of an ended session is refused here as by the API
        self.intake = IntakeAccounts(settings)
        # A page and its images may race on one expired token: they share one renewal.
        self.renewals = SharedRenewals(self.intake.refresh)

    # --- reading ---------------------------------------------------------------------------

    async def principal(self, request: Request) -> Principal:
        """The signed-in staff member, or SignInRequired."""
        access, refresh = request.cookies.get(ACCESS_COOKIE), request.cookies.get(REFRESH_COOKIE)
        if not access and not refresh:
            raise SignInRequired()
        principal = self._verified(access) if access else None
        if principal is None:
            renewed = await self.renewals.renew(refresh) if refresh else None
            principal = self._verified(renewed.access) if renewed else None
            if renewed is None or principal is None:
                request.state.console_sign_out = True  # the session is over: clear what is left of it
                raise SignInRequired(ended=True)
            request.state.console_tokens = renewed  # written back by `finish`
        if not principal.is_staff:
            request.state.console_sign_out = True
            raise SignInRequired(ended=True)
        request.state.console_principal = principal
        return principal

    def access_token(self, request: Request) -> str:
        """The signed-in reviewer's access token (the renewed one when `principal` renewed it), for
        calling another service as her; SignInRequired when there is none."""
        tokens: Tokens | None = getattr(request.state, "console_tokens", None)
        token = tokens.access if tokens else request.cookies.get(ACCESS_COOKIE)
        if not token:
            raise SignInRequired()
        return token

    def _verified(self, access_token: str) -> Principal | None:
        """None for a token that is invalid, expired or of an ended session (the refresh token is
        tried next, and fails too for an ended session); a 503 (the revocations cannot be read)
        is raised: the session may be fine, the reviewer is asked to try again later."""
        try:
            return authenticate(access_token, self.settings, self.revoked)
        except ApiError as refusal:
            if refusal.status != 401:
                raise
            return None

    def lang(self, request: Request) -> Lang:
        principal: Principal | None = getattr(request.state, "console_principal", None)
        return requested_lang(request) or (principal.locale if principal else "ar")

    def csrf_seed(self, request: Request) -> str:
        seed = getattr(request.state, "console_csrf_seed", None) or request.cookies.get(CSRF_SEED_COOKIE)
        if not seed:
            seed = secrets.token_urlsafe(24)
            request.state.console_csrf_seed = seed  # set by `finish`
        return seed

    def csrf_for(self, request: Request) -> str:
        principal: Principal | None = getattr(request.state, "console_principal", None)
        subject = principal.id if principal else SIGN_IN_SUBJECT
        return csrf_token(self.settings, self.csrf_seed(request), subject, CSRF_SCOPE)

    def check_csrf(self, request: Request, presented: Any) -> None:
        principal: Principal | None = getattr(request.state, "console_principal", None)
        subject = principal.id if principal else SIGN_IN_SUBJECT
        if not csrf_valid(self.settings, request.cookies.get(CSRF_SEED_COOKIE), subject, presented, CSRF_SCOPE):
            raise ApiError(403, "console.form_expired")

    # --- signing in and out ---------------------------------------------------------------

    async def sign_in(self, request: Request, email: str, password: str) -> Principal:
        tokens = await self.intake.login(email, password, client_address(request, self.settings))
        principal = self._verified(tokens.access)
        if principal is None or not principal.is_staff:
            await self.intake.logout(tokens.refresh)  # a practitioner's session has no use here
            raise ApiError(403, "console.staff_only")
        request.state.console_tokens = tokens
        request.state.console_principal = principal
        # A fresh seed at sign-in: nothing minted before it (by anyone) carries over.
        request.state.console_csrf_seed = secrets.token_urlsafe(24)
        return principal

    async def sign_out(self, request: Request) -> None:
        if refresh := request.cookies.get(REFRESH_COOKIE):
            with contextlib.suppress(ApiError):  # the cookies go anyway; the refresh token dies with its 30 days
                await self.intake.logout(refresh)
        request.state.console_sign_out = True

    # --- writing the cookies ----------------------------------------------------------------

    def finish(self, request: Request, response: Response) -> None:
        secure = is_https(request, self.settings)

        def put(name: str, value: str, max_age: int | None = None) -> None:
            response.set_cookie(
                name, value, max_age=max_age, path=PREFIX, secure=secure, httponly=True, samesite="strict"
            )

        if getattr(request.state, "console_sign_out", False):
            # The CSRF seed stays: it names the browser, not the session, and is replaced at sign-in.
            for name in (ACCESS_COOKIE, REFRESH_COOKIE):
                response.delete_cookie(name, path=PREFIX, secure=secure, httponly=True, samesite="strict")
        tokens: Tokens | None = getattr(request.state, "console_tokens", None)
        if tokens is not None:
            put(ACCESS_COOKIE, tokens.access)
            put(REFRESH_COOKIE, tokens.refresh)
        if seed := getattr(request.state, "console_csrf_seed", None):
            put(CSRF_SEED_COOKIE, seed)
        if (lang := request.query_params.get("lang")) in LANGS:
            put(LANG_COOKIE, lang, max_age=365 * 24 * 3600)

    async def aclose(self) -> None:
        await self.intake.aclose()
