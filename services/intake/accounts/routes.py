"""The account journey over HTTP: sign-up, SMS code, e-mail link, login, refresh, logout, profile.

Publishes (through the outbox, in the same transaction as the account change):
account.registered, account.phone_code, account.email_confirmation.
The rules (ID check digits, passwords, codes, throttling) are in `services/intake/accounts/rules.py`.
"""

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from mumaris.auth import (
    Principal,
    installed_revoked_sessions,
    issue_token,
    principal_from,
)
from mumaris.clock import now
from mumaris.crypto import TokenRefused, read_signed_token, seal, signed_token
from mumaris.errors import ApiError
from mumaris.http import client_address, json_body_doc, read_json
from mumaris.service import ServiceRuntime
from schemas import topics
from schemas.events import (
    AccountRegistered,
    EmailConfirmationRequested,
    FieldChange,
    PhoneCodeIssued,
    PractitionerRef,
    ProfileChangeRequested,
)
from services.intake.accounts import rules as rules
from services.intake.accounts.sessions import SignInSessions
from services.intake.accounts.store import AccountStore
from services.intake.classification.rules import classification_view
from services.intake.classification.store import ClassificationStore
from services.intake.submissions.store import IntakeStore

Locale = Literal["ar", "en"]


class SignUp(BaseModel):
    first_name: Annotated[str, Field(max_length=100)]
    last_name: Annotated[str, Field(max_length=100)]
    id_number: Annotated[str, Field(max_length=20)]
    id_kind: rules.IdKind | None = None  # what the practitioner says it is; catches ID/iqama mix-ups
    email: Annotated[str, Field(max_length=254)]
    mobile: Annotated[str, Field(max_length=20)]
    password: Annotated[str, Field(max_length=256)]
    password_confirmation: Annotated[str, Field(max_length=256)]
    accept_terms: bool
    locale: Locale = "ar"


class PhoneCode(BaseModel):
    account_id: Annotated[str, Field(max_length=64)]
    code: Annotated[str, Field(max_length=12)]


class AccountRef(BaseModel):
    account_id: Annotated[str, Field(max_length=64)]


class Login(BaseModel):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=256)]


class ProfilePatch(BaseModel):
    first_name: Annotated[str | None, Field(max_length=100)] = None
    last_name: Annotated[str | None, Field(max_length=100)] = None
    mobile: Annotated[str | None, Field(max_length=20)] = None
    locale: Locale | None = None


class RefreshToken(BaseModel):
    refresh_token: Annotated[str, Field(max_length=200)]


def refused(error: rules.AccountRuleError, status: int = 422) -> ApiError:
    details: dict[str, Any] = {"field": error.field} if error.field else {}
    headers = None
    if error.retry_after_s:
        details["retry_after_s"] = error.retry_after_s
        headers = {"Retry-After": str(error.retry_after_s)}
    return ApiError(status, error.code, details or None, headers)


def add_account_routes(
    app: FastAPI,
    runtime: ServiceRuntime,
    store: AccountStore,
    submissions: IntakeStore,
    classification_requests: ClassificationStore,
) -> None:
    settings = runtime.settings
    passwords = rules.Passwords()
    sessions = SignInSessions(runtime.uow, store, installed_revoked_sessions(app))
    pepper = settings.otp_pepper.get_secret_value()
    sealing_key = settings.field_encryption_key.get_secret_value()

    async def issue_phone_code(account: dict[str, Any], at: datetime, session: AsyncClientSession) -> dict[str, Any]:
        code = rules.new_code()
        state = {"digest": rules.code_digest(code, pepper), "issued_at": at, "attempts": 0, "dead": False}
        event = PhoneCodeIssued(
            account_id=account["_id"],
            phone=account["mobile"],
            sealed_code=seal(code, sealing_key),
            locale=account["locale"],
            expires_at=at + timedelta(seconds=settings.otp_ttl_s),
        )
        await runtime.uow.outbox.add(topics.ACCOUNT_PHONE_CODE, event, session)
        return state

    async def request_email_confirmation(account: dict[str, Any], at: datetime, session: AsyncClientSession) -> str:
        jti = uuid.uuid4().hex
        token = signed_token(
            {"sub": account["_id"], "jti": jti}, settings.jwt_secret.get_secret_value(), settings.email_link_ttl_s
        )
        link = f"{settings.public_base_url}/v1/accounts/confirm-email?token={token}"
        event = EmailConfirmationRequested(
            account_id=account["_id"],
            name=f"{account['first_name']} {account['last_name']}",
            email=account["email"],
            locale=account["locale"],
            sealed_link=seal(link, sealing_key),
            expires_at=at + timedelta(seconds=settings.email_link_ttl_s),
        )
        await runtime.uow.outbox.add(topics.ACCOUNT_EMAIL_CONFIRMATION, event, session)
        return jti

    @app.post("/v1/accounts", status_code=201, tags=["accounts"])
    async def sign_up(body: SignUp) -> JSONResponse:
        try:
            first = rules.check_name(body.first_name, "first_name")
            last = rules.check_name(body.last_name, "last_name")
            id_number, id_kind = rules.parse_id_number(body.id_number, expected=body.id_kind)
            email = rules.normalize_email(body.email)
            mobile = rules.normalize_mobile(body.mobile)
            rules.check_password(
                body.password, body.password_confirmation, email=email, id_number=id_number, names=[first, last]
            )
        except rules.AccountRuleError as error:
            raise refused(error) from error
        if not body.accept_terms:
            raise ApiError(422, "account.terms_required", {"field": "accept_terms"})
        at = now()
        account: dict[str, Any] = {
            "_id": str(uuid.uuid4()),
            "first_name": first,
            "last_name": last,
            "id_kind": id_kind,
            "id_number": id_number,
            "email": email,
            "mobile": mobile,
            "locale": body.locale,
            "password_hash": passwords.hash(body.password),
            "role": "practitioner",
            "status": "pending_phone",
            "terms": {"version": settings.terms_version, "accepted_at": at},
            "code_sends": [at],
            "created_at": at,
            "classification": None,  # a practitioner enters a ladder only through an approved request
        }

        async def work(session: AsyncClientSession) -> None:
            account["phone_code"] = await issue_phone_code(account, at, session)
            await store.insert(account, session)
            registered = AccountRegistered(
                account_id=account["_id"],
                name=f"{first} {last}",
                email=email,
                locale=body.locale,
                id_kind=id_kind,
                terms_version=settings.terms_version,
                registered_at=at,
            )
            await runtime.uow.outbox.add(topics.ACCOUNT_REGISTERED, registered, session)

        try:
            await runtime.uow.run(work)
        except DuplicateKeyError as exc:
            taken = "account.email_taken" if "email" in str(exc.details or exc) else "account.id_taken"
            raise ApiError(409, taken) from exc
        return JSONResponse({"account_id": account["_id"], "status": "pending_phone"}, status_code=201)

    @app.post("/v1/accounts/verify-phone", tags=["accounts"])
    async def verify_phone(body: PhoneCode) -> dict[str, Any]:
        at = now()

        async def work(session: AsyncClientSession) -> dict[str, Any]:
            account = await store.get(body.account_id, session)
            if account is None or account["status"] != "pending_phone":
                raise ApiError(404, "not_found")
            current = rules.PhoneCode(**account["phone_code"]) if account.get("phone_code") else None
            try:
                ok, state = rules.verify_code(
                    current,
                    body.code.strip(),
                    pepper=pepper,
                    now=at,
                    ttl_s=settings.otp_ttl_s,
                    max_attempts=settings.otp_max_attempts,
                )
            except rules.AccountRuleError as error:
                raise refused(error) from error
            if not ok:
                # The failed try must be counted even though the request is refused.
                await store.update(account["_id"], {"phone_code": _code_doc(state)}, session)
                return {"ok": False}
            jti = await request_email_confirmation(account, at, session)
            await store.update(
                account["_id"],
                {"status": "pending_email", "phone_code": None, "phone_confirmed_at": at, "email_link_jti": jti},
                session,
            )
            return {"ok": True}

        outcome = await runtime.uow.run(work)
        if not outcome["ok"]:
            raise ApiError(422, "account.code_wrong", {"field": "code"})
        return {"account_id": body.account_id, "status": "pending_email"}

    @app.post("/v1/accounts/resend-code", status_code=202, tags=["accounts"])
    async def resend_code(body: AccountRef) -> dict[str, Any]:
        at = now()

        async def work(session: AsyncClientSession) -> None:
            account = await store.get(body.account_id, session)
            if account is None or account["status"] != "pending_phone":
                raise ApiError(404, "not_found")
            try:
                rules.check_resend(
                    account.get("code_sends", []),
                    now=at,
                    min_interval_s=settings.otp_resend_min_interval_s,
                    per_hour=settings.otp_resends_per_hour,
                )
            except rules.AccountRuleError as error:
                raise refused(error, 429) from error
            state = await issue_phone_code(account, at, session)
            sends = [s for s in account.get("code_sends", []) if s > at - timedelta(hours=1)] + [at]
            await store.update(account["_id"], {"phone_code": state, "code_sends": sends}, session)

        await runtime.uow.run(work)
        return {"account_id": body.account_id, "status": "pending_phone"}

    @app.get("/v1/accounts/confirm-email", tags=["accounts"])
    async def confirm_email(token: str) -> dict[str, Any]:
        try:
            claims = read_signed_token(token, settings.jwt_secret.get_secret_value())
        except TokenRefused as error:
            raise ApiError(400, error.code) from error
        at = now()

        async def work(session: AsyncClientSession) -> str:
            number = rules.membership_number(await store.next_membership_number(session))
            # Single use: only the link whose id is still on the account confirms it.
            done = await store.update(
                claims["sub"],
                {"status": "active", "email_confirmed_at": at, "email_link_jti": None, "membership_number": number},
                session,
                expect={"email_link_jti": claims["jti"], "status": "pending_email"},
            )
            if not done:
                raise ApiError(400, "account.link_used")
            return number

        number = await runtime.uow.run(work)
        return {"account_id": claims["sub"], "status": "active", "membership_number": number}

    @app.post("/v1/auth/login", tags=["auth"])
    async def login(body: Login, request: Request) -> dict[str, Any]:
        at = now()
        email = body.email.strip().lower()
        client = client_address(request, settings) or "unknown"
        limits = {
            f"account:{email}": settings.login_max_failures,
            f"address:{client}": settings.login_max_failures_per_address,
        }
        keys = list(limits)
        since = at - timedelta(seconds=2 * settings.login_lock_s)  # a lock can start up to lock_s back
        for key, max_failures in limits.items():
            locked = rules.login_lock_remaining(
                await store.failures(key, since), now=at, max_failures=max_failures, lock_s=settings.login_lock_s
            )
            if locked:
                raise ApiError(429, "account.login_locked", {"retry_after_s": locked}, {"Retry-After": str(locked)})
        account = await store.by_email(email)
        # An unknown e-mail costs the same hashing time as a wrong password: no account probing.
        valid = (
            passwords.verify(account["password_hash"], body.password)
            if account
            else passwords.verify_dummy(body.password)
        )
        if account is None or not valid:
            for key in keys:
                await store.record_failure(key, at, keep=limits[key] * 2)
            raise ApiError(401, "account.login_failed")  # the same answer for an unknown e-mail
        if account["status"] == "pending_phone":
            raise ApiError(403, "account.phone_unconfirmed", {"account_id": account["_id"]})
        await store.clear_failures(f"account:{email}")  # the address keeps its history: no reset by one good login
        if passwords.needs_rehash(account["password_hash"]):
            await store.update(account["_id"], {"password_hash": passwords.hash(body.password)})
        return await _tokens(account, family=uuid.uuid4().hex, at=at)

    async def _tokens(account: dict[str, Any], family: str, at: datetime) -> dict[str, Any]:
        principal = Principal(
            id=account["_id"],
            role=account["role"],
            name=f"{account['first_name']} {account['last_name']}",
            email=account["email"],
            locale=account["locale"],
            email_verified=account["status"] == "active",
            session_id=family,  # ending the session (logout, reuse) ends this access token too
        )
        refresh = secrets.token_urlsafe(32)
        await store.store_refresh(refresh, account["_id"], family, at, settings.refresh_ttl_s)
        return {
            "access_token": issue_token(principal, settings),
            "token_type": "Bearer",
            "expires_in": settings.jwt_ttl_s,
            "refresh_token": refresh,
        }

    @app.post("/v1/auth/refresh", tags=["auth"])
    async def refresh(body: RefreshToken) -> dict[str, Any]:
        record, first_use = await store.use_refresh(body.refresh_token)
        if record is None or record["revoked"] or record["expires_at"] < now():
            raise ApiError(401, "auth.invalid_token")
        if not first_use:
            # A used refresh token presented again was stolen or replayed: end the whole session,
            # the access tokens the thief or the owner already hold included.
            await sessions.end(record["family"], "refresh_reuse")
            raise ApiError(401, "auth.invalid_token")
        account = await store.get(record["account_id"])
        if account is None:
            raise ApiError(401, "auth.invalid_token")
        return await _tokens(account, family=record["family"], at=now())

    @app.post("/v1/auth/logout", status_code=204, tags=["auth"])
    async def logout(body: RefreshToken) -> None:
        record, _ = await store.use_refresh(body.refresh_token)
        if record is not None:
            await sessions.end(record["family"], "logout")

    @app.get("/v1/me", tags=["accounts"])
    async def me(request: Request) -> dict[str, Any]:
        who = principal_from(request, settings, "practitioner")
        account = await store.get(who.id)
        if account is None:
            raise ApiError(404, "not_found")
        approved = [d for d in await submissions.list_for(who.id, limit=200) if d["status"] == "approved"]
        return {
            "account_id": account["_id"],
            "first_name": account["first_name"],
            "last_name": account["last_name"],
            "email": account["email"],
            "mobile": account["mobile"],
            "locale": account["locale"],
            "status": account["status"],
            "membership_number": account.get("membership_number"),
            "email_confirmed": account["status"] == "active",
            "classification": classification_view(account.get("classification")),
            "classification_request_id": await classification_requests.open_request_id(who.id),
            "certificates": [{"submission_id": d["_id"], **d["certificate"]} for d in approved],
            "pending_change": _change_view(await store.open_change(who.id)),
        }

    @app.patch("/v1/me", status_code=202, tags=["accounts"], openapi_extra=json_body_doc(ProfilePatch))
    async def change_profile(request: Request) -> JSONResponse:
        """Names and mobile change only after a reviewer approves (the old values stay until then);
        the language preference is the practitioner's own and changes at once."""
        who = principal_from(request, settings, "practitioner")
        body = await read_json(request, ProfilePatch)  # only once the caller is known
        account = await store.get(who.id)
        if account is None:
            raise ApiError(404, "not_found")
        try:
            wanted = {
                "first_name": rules.check_name(body.first_name, "first_name") if body.first_name else None,
                "last_name": rules.check_name(body.last_name, "last_name") if body.last_name else None,
                "mobile": rules.normalize_mobile(body.mobile) if body.mobile else None,
            }
        except rules.AccountRuleError as error:
            raise refused(error) from error
        changes = {k: FieldChange(old=account.get(k), new=v) for k, v in wanted.items() if v and v != account.get(k)}
        if body.locale and body.locale != account["locale"]:
            await store.update(who.id, {"locale": body.locale})
        if not changes:
            if body.locale:
                return JSONResponse({"status": "applied"}, status_code=200)
            raise ApiError(422, "profile.no_change")
        if pending := await store.open_change(who.id):
            raise ApiError(409, "profile.change_pending", {"change_id": pending["_id"]})
        at = now()
        change_id = str(uuid.uuid4())
        event = ProfileChangeRequested(
            change_id=change_id,
            changes=changes,
            requested_at=at,
            practitioner=PractitionerRef(
                id=who.id,
                name=f"{account['first_name']} {account['last_name']}",
                email=account["email"],
                locale=body.locale or account["locale"],
            ),
        )

        async def work(session: AsyncClientSession) -> None:
            await store.add_change(
                {
                    "_id": change_id,
                    "account_id": who.id,
                    "open": True,
                    "status": "requested",
                    "changes": {k: c.model_dump() for k, c in changes.items()},
                    "requested_at": at,
                },
                session,
            )
            await runtime.uow.outbox.add(topics.PROFILE_CHANGE_REQUESTED, event, session)

        await runtime.uow.run(work)
        return JSONResponse({"change_id": change_id, "status": "requested"}, status_code=202)


def _code_doc(state: rules.PhoneCode | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {"digest": state.digest, "issued_at": state.issued_at, "attempts": state.attempts, "dead": state.dead}


def _change_view(change: dict[str, Any] | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {"change_id": change["_id"], "status": change["status"], "changes": change["changes"]}
