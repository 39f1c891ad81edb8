"""Who is using the portal: sign-in through intake's own use case, tokens in cookies, CSRF tokens,
the account waiting for its SMS code, the page's language.

The portal is part of intake, so it signs practitioners in with `SignIn` itself (the API's
throttles per account and per client address apply as they are) and keeps the access token (a
JWT, checked like any bearer token, ended sessions included) and the rotating refresh token in
HttpOnly cookies scoped to /portal: page scripts never see them. They are SameSite=Lax, not
Strict: a practitioner arrives from links in our e-mails and SMS notices, and a Strict cookie is
not sent on that first visit from another site, so she would look signed out. Lax cookies are
never sent with another site's POST, and every form carries a CSRF token besides; no GET changes
anything. Secure whenever the page is served over TLS (here or at a trusted proxy).
"""

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

from mumaris.auth import Principal, RevokedSessions, authenticate
from mumaris.crypto import TokenRefused, read_signed_token, signed_token
from mumaris.errors import ApiError
from mumaris.http import client_address
from mumaris.settings import Settings
from mumaris.web import LANGS, Lang, SharedRenewals, csrf_token, csrf_valid, is_https
from services.intake.accounts.rules import AccountRuleError
from services.intake.accounts.service import SignIn, Tokens

PREFIX = "/portal"
ACCESS_COOKIE = "mumaris_portal_access"
REFRESH_COOKIE = "mumaris_portal_refresh"
# A random value per browser; CSRF tokens are keyed on it and on who is signed in.
CSRF_SEED_COOKIE = "mumaris_portal_csrf"
LANG_COOKIE = "mumaris_portal_lang"
# The account a sign-up opened, until its phone is confirmed: signed, so it names only an account
# this browser signed up (or signed in to), and kept out of every URL.
PENDING_COOKIE = "mumaris_portal_signup"
PENDING_PURPOSE = "portal-pending-phone"
PENDING_TTL_S = 24 * 3600
CSRF_FIELD = "csrf"
CSRF_SCOPE = "portal"
ANONYMOUS = "anonymous"  # the subject of forms used before anyone is signed in
_STATE = "portal"  # request.state attribute holding what this request learnt or changed


class SignInRequired(Exception):
    """No usable session: the browser goes to the sign-in page (and back here afterwards)."""

    def __init__(self, ended: bool = False) -> None:
        super().__init__("sign-in required")
        self.ended = ended  # there was a session and it is over (rather than: never signed in)


class _RequestState:
    """What one request learnt about its session, and what `finish` writes back."""

    def __init__(self) -> None:
        self.principal: Principal | None = None
        self.access_token: str | None = None
        self.tokens: Tokens | None = None  # new tokens to store
        self.sign_out = False
        self.csrf_seed: str | None = None  # a new seed to store
        self.pending: str | None = None  # a pending account to remember ("" to forget it)


def _state(request: Request) -> _RequestState:
    state: _RequestState | None = getattr(request.state, _STATE, None)
    if state is None:
        state = _RequestState()
        setattr(request.state, _STATE, state)
    return state


@dataclass(frozen=True)
class Audience:
    """Who a set of pages is for: the role its sessions must have, the refusal a sign-in of anyone
    else gets, and the names of its cookies and CSRF scope (the facility pages keep sessions of
    their own beside a practitioner's in the same browser, both under /portal)."""

    role: str = "practitioner"
    refusal: str = "portal.practitioners_only"
    access_cookie: str = ACCESS_COOKIE
    refresh_cookie: str = REFRESH_COOKIE
    csrf_seed_cookie: str = CSRF_SEED_COOKIE
    csrf_scope: str = CSRF_SCOPE


PRACTITIONERS = Audience()


class PortalSessions:
    def __init__(
        self,
        settings: Settings,
        sign_in: SignIn,
        revoked: RevokedSessions | None,
        audience: Audience = PRACTITIONERS,
    ) -> None:
        self.settings = settings
        self.audience = audience
        self.sign_in = sign_in
        self.revoked = revoked
        self.secret = settings.jwt_secret.get_secret_value()
        # A page and the requests it starts may race on one expired token: they share one renewal.
        self.renewals = SharedRenewals(self._refresh)

    # --- reading -----------------------------------------------------------------------------

    async def principal(self, request: Request) -> Principal:
        """The signed-in practitioner, or SignInRequired (renewing an expired access token)."""
        state = _state(request)
        if state.principal is not None:
            return state.principal
        access, refresh = (
            request.cookies.get(self.audience.access_cookie),
            request.cookies.get(self.audience.refresh_cookie),
        )
        if not access and not refresh:
            raise SignInRequired()
        principal = self._verified(access) if access else None
        if principal is None:
            renewed = await self.renewals.renew(refresh) if refresh else None
            principal = self._verified(renewed.access_token) if renewed else None
            if renewed is None or principal is None:
                state.sign_out = True  # the session is over: clear what is left of it
                raise SignInRequired(ended=True)
            state.tokens, access = renewed, renewed.access_token
        if principal.role != self.audience.role:
            state.sign_out = True
            raise SignInRequired(ended=True)
        state.principal, state.access_token = principal, access
        return principal

    async def signed_in(self, request: Request) -> Principal | None:
        """The practitioner if a session is open, else None (pages open to everyone)."""
        try:
            return await self.principal(request)
        except SignInRequired:
            return None

    def access_token(self, request: Request) -> str:
        """The bearer token of this request's session, for calls made on the practitioner's behalf."""
        token = _state(request).access_token
        if token is None:
            raise SignInRequired()
        return token

    async def refreshed(self, request: Request) -> Principal:
        """The practitioner with a fresh access token: what the token says of the account (its
        e-mail confirmed) is read again, e.g. right after the confirmation link was opened."""
        refresh = request.cookies.get(self.audience.refresh_cookie)
        state = _state(request)
        renewed = await self.renewals.renew(refresh) if refresh else None
        principal = self._verified(renewed.access_token) if renewed else None
        if renewed is None or principal is None or principal.role != self.audience.role:
            raise SignInRequired(ended=True)
        state.tokens, state.principal, state.access_token = renewed, principal, renewed.access_token
        return principal

    def _verified(self, access_token: str) -> Principal | None:
        """None for a token that is invalid, expired or of an ended session (the refresh token is
        tried next); a 503 (the revocations cannot be read) is raised: the session may be fine."""
        try:
            return authenticate(access_token, self.settings, self.revoked)
        except ApiError as refusal:
            if refusal.status != 401:
                raise
            return None

    async def _refresh(self, refresh_token: str) -> Tokens | None:
        try:
            return await self.sign_in.refresh(refresh_token)
        except AccountRuleError:
            return None

    def lang(self, request: Request) -> Lang:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        if chosen in LANGS:
            return chosen
        principal = _state(request).principal
        return principal.locale if principal else "ar"  # Arabic first

    # --- CSRF --------------------------------------------------------------------------------

    def _seed(self, request: Request) -> str:
        state = _state(request)
        seed = state.csrf_seed or request.cookies.get(self.audience.csrf_seed_cookie)
        if not seed:
            seed = state.csrf_seed = secrets.token_urlsafe(24)
        return seed

    def _subject(self, request: Request) -> str:
        principal = _state(request).principal
        return principal.id if principal else ANONYMOUS

    def csrf_for(self, request: Request) -> str:
        return csrf_token(self.settings, self._seed(request), self._subject(request), self.audience.csrf_scope)

    def check_csrf(self, request: Request, presented: Any) -> None:
        """Every form of ours carries its token; any other POST is refused with "form.expired"."""
        seed = request.cookies.get(self.audience.csrf_seed_cookie)
        if not csrf_valid(self.settings, seed, self._subject(request), presented, self.audience.csrf_scope):
            raise ApiError(403, "form.expired")

    # --- signing in and out --------------------------------------------------------------------

    async def sign_in_with(self, request: Request, email: str, password: str) -> Principal:
        """A new session for the practitioner; the use case's refusals (login failed, locked,
        phone unconfirmed) pass through."""
        tokens = await self.sign_in.login(email, password, client_address(request, self.settings) or "unknown")
        principal = self._verified(tokens.access_token)
        if principal is None or principal.role != self.audience.role:
            await self.sign_in.logout(tokens.refresh_token)  # another role's session has no use here
            raise ApiError(403, self.audience.refusal)
        state = _state(request)
        state.tokens, state.principal, state.access_token = tokens, principal, tokens.access_token
        # A fresh seed at sign-in: nothing minted before it (by anyone) carries over.
        state.csrf_seed = secrets.token_urlsafe(24)
        return principal

    async def sign_out(self, request: Request) -> None:
        if refresh := request.cookies.get(self.audience.refresh_cookie):
            with contextlib.suppress(AccountRuleError):
                await self.sign_in.logout(refresh)
        self.forget_session(request)

    def forget_session(self, request: Request) -> None:
        """This browser's cookies of a session that ended elsewhere (a password reset)."""
        state = _state(request)
        state.sign_out, state.principal, state.tokens = True, None, None

    # --- the account waiting for its SMS code ---------------------------------------------------

    def remember_pending(self, request: Request, account_id: str) -> None:
        _state(request).pending = account_id

    def forget_pending(self, request: Request) -> None:
        _state(request).pending = ""

    def pending_account(self, request: Request) -> str | None:
        value = request.cookies.get(PENDING_COOKIE)
        if not value:
            return None
        try:
            claims = read_signed_token(value, self.secret, purpose=PENDING_PURPOSE)
        except TokenRefused:
            return None
        return str(claims["sub"])

    # --- writing the cookies ----------------------------------------------------------------------

    def finish(self, request: Request, response: Response) -> None:
        secure = is_https(request, self.settings)
        state = _state(request)

        def put(name: str, value: str, max_age: int | None = None) -> None:
            response.set_cookie(name, value, max_age=max_age, path=PREFIX, secure=secure, httponly=True, samesite="lax")

        if state.sign_out:
            # The CSRF seed stays: it names the browser, not the session, and is replaced at sign-in.
            for name in (self.audience.access_cookie, self.audience.refresh_cookie):
                response.delete_cookie(name, path=PREFIX, secure=secure, httponly=True, samesite="lax")
        if state.tokens is not None:
            put(self.audience.access_cookie, state.tokens.access_token)
            put(self.audience.refresh_cookie, state.tokens.refresh_token)
        if state.csrf_seed:
            put(self.audience.csrf_seed_cookie, state.csrf_seed)
        if state.pending == "":
            response.delete_cookie(PENDING_COOKIE, path=PREFIX, secure=secure, httponly=True, samesite="lax")
        elif state.pending:
            pending = signed_token({"sub": state.pending}, self.secret, PENDING_TTL_S, purpose=PENDING_PURPOSE)
            put(PENDING_COOKIE, pending, PENDING_TTL_S)
        if (lang := request.query_params.get("lang")) in LANGS:
            put(LANG_COOKIE, str(lang), max_age=365 * 24 * 3600)
