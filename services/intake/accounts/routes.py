"""The account journey over HTTP: sign-up, SMS code, e-mail link, login, refresh, logout, a
forgotten password, profile.

The use cases are accounts/service.py, the rules (ID check digits, passwords, codes, throttling)
accounts/rules.py. Their refusals become HTTP errors here: 422 unless STATUS says otherwise, with
`Retry-After` for the rate limits.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from mumaris.certificates import has_expired
from mumaris.clock import today_in_riyadh
from mumaris.errors import ApiError
from mumaris.http import client_address, read_json
from mumaris.openapi import BEARER, JSON_BODY, PROTECTED, UNAVAILABLE, Refusals, answers, json_body, refusals
from mumaris.service import provided
from services.intake.accounts.rules import AccountRuleError
from services.intake.accounts.service import (
    PasswordResets,
    Profile,
    ProfilePatch,
    Profiles,
    Registrations,
    SignIn,
    SignUp,
    Tokens,
)
from services.intake.accounts.views import (
    AccountCreated,
    ChangeApplied,
    ChangeRequested,
    CodeResent,
    EmailConfirmed,
    PasswordReset,
    PhoneConfirmed,
    ProfileView,
    ResetRequested,
    TokensView,
)
from services.intake.callers import Practitioner, settings_of
from services.intake.classification.rules import classification_view

router = APIRouter()
RegistrationsDep = Annotated[Registrations, Depends(provided("registrations"))]
SignInDep = Annotated[SignIn, Depends(provided("sign_in"))]
ProfilesDep = Annotated[Profiles, Depends(provided("profiles"))]
ResetsDep = Annotated[PasswordResets, Depends(provided("password_resets"))]

STATUS: dict[str, int] = {
    "not_found": 404,
    "account.id_taken": 409,
    "account.email_taken": 409,
    "account.code_resend_limit": 429,
    "account.code_resend_too_soon": 429,
    "account.link_invalid": 400,
    "account.link_expired": 400,
    "account.link_used": 400,
    "account.login_failed": 401,
    "auth.invalid_token": 401,
    "account.phone_unconfirmed": 403,
    "account.login_locked": 429,
    "account.reset_link_invalid": 400,
    "account.reset_link_expired": 400,
    "account.reset_limit": 429,
    "profile.change_pending": 409,
}


# What each step can be refused for (the statuses come from STATUS).
IDENTITY_CODES = (
    "account.id_invalid_format",
    "account.id_invalid_check_digit",
    "account.id_kind_mismatch",
    "account.mobile_invalid",
    "account.email_invalid",
    "account.name_invalid",
    "account.name_not_arabic",
    "account.name_not_latin",
)
PASSWORD_CODES = (
    "account.password_weak",
    "account.password_too_long",
    "account.password_mismatch",
    "account.password_contains_personal_data",
)


def refused(*codes: str) -> Refusals:
    return refusals(STATUS, *codes)


class PhoneCode(BaseModel):
    account_id: Annotated[str, Field(max_length=64)]
    code: Annotated[str, Field(max_length=12)]


class AccountRef(BaseModel):
    account_id: Annotated[str, Field(max_length=64)]


class Login(BaseModel):
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=256)]


class ResetAsked(BaseModel):
    email: Annotated[str, Field(max_length=254)]


class NewPassword(BaseModel):
    token: Annotated[str, Field(max_length=2000)]
    password: Annotated[str, Field(max_length=256)]
    password_confirmation: Annotated[str, Field(max_length=256)]


class RefreshToken(BaseModel):
    refresh_token: Annotated[str, Field(max_length=200)]


@contextmanager
def answered_as_http() -> Iterator[None]:
    """An AccountRuleError as the HTTP error STATUS gives its code (422 otherwise)."""
    try:
        yield
    except AccountRuleError as error:
        headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s else None
        raise ApiError.of(error, STATUS.get(error.code, 422), headers) from error


def tokens_view(tokens: Tokens) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "refresh_token": tokens.refresh_token,
    }


def profile_view(profile: Profile) -> dict[str, Any]:
    account, change = profile.account, profile.pending_change
    return {
        "account_id": account["_id"],
        "first_name": account["first_name"],
        "last_name": account["last_name"],
        "first_name_latin": account.get("first_name_latin"),
        "last_name_latin": account.get("last_name_latin"),
        "email": account["email"],
        "mobile": account["mobile"],
        "locale": account["locale"],
        "status": account["status"],
        "membership_number": account.get("membership_number"),
        "email_confirmed": account["status"] == "active",
        "classification": classification_view(account.get("classification")),
        "classification_request_id": profile.open_request_id,
        "certificates": [
            {
                "submission_id": d["_id"],
                **d["certificate"],
                "expired": has_expired(d["certificate"].get("expires_on"), today_in_riyadh()),
            }
            for d in profile.approved
        ],
        "pending_change": None
        if change is None
        else {"change_id": change["_id"], "status": change["status"], "changes": change["changes"]},
    }


@router.post(
    "/v1/accounts",
    status_code=201,
    tags=["accounts"],
    responses={
        201: {"model": AccountCreated},
        **answers(
            JSON_BODY,
            UNAVAILABLE,
            refused(
                *IDENTITY_CODES, *PASSWORD_CODES, "account.terms_required", "account.id_taken", "account.email_taken"
            ),
        ),
    },
)
async def sign_up(body: SignUp, registrations: RegistrationsDep) -> JSONResponse:
    with answered_as_http():
        account_id = await registrations.sign_up(body)
    return JSONResponse({"account_id": account_id, "status": "pending_phone"}, status_code=201)


@router.post(
    "/v1/accounts/verify-phone",
    tags=["accounts"],
    response_model=PhoneConfirmed,
    responses=answers(
        JSON_BODY,
        UNAVAILABLE,
        refused("not_found", "account.code_missing", "account.code_expired", "account.code_dead", "account.code_wrong"),
    ),
)
async def verify_phone(body: PhoneCode, registrations: RegistrationsDep) -> dict[str, Any]:
    with answered_as_http():
        await registrations.verify_phone(body.account_id, body.code)
    return {"account_id": body.account_id, "status": "pending_email"}


@router.post(
    "/v1/accounts/resend-code",
    status_code=202,
    tags=["accounts"],
    response_model=CodeResent,
    responses=answers(
        JSON_BODY, UNAVAILABLE, refused("not_found", "account.code_resend_too_soon", "account.code_resend_limit")
    ),
)
async def resend_code(body: AccountRef, registrations: RegistrationsDep) -> dict[str, Any]:
    with answered_as_http():
        await registrations.resend_code(body.account_id)
    return {"account_id": body.account_id, "status": "pending_phone"}


@router.get(
    "/v1/accounts/confirm-email",
    tags=["accounts"],
    response_model=EmailConfirmed,
    responses=answers(
        {422: ("request.invalid",)},
        UNAVAILABLE,
        refused("account.link_invalid", "account.link_expired", "account.link_used"),
    ),
)
async def confirm_email(token: str, registrations: RegistrationsDep) -> dict[str, Any]:
    with answered_as_http():
        account_id, number = await registrations.confirm_email(token)
    return {"account_id": account_id, "status": "active", "membership_number": number}


@router.post(
    "/v1/auth/login",
    tags=["auth"],
    response_model=TokensView,
    responses=answers(
        JSON_BODY, UNAVAILABLE, refused("account.login_failed", "account.phone_unconfirmed", "account.login_locked")
    ),
)
async def login(body: Login, request: Request, sign_in: SignInDep) -> dict[str, Any]:
    client = client_address(request, settings_of(request)) or "unknown"
    with answered_as_http():
        return tokens_view(await sign_in.login(body.email, body.password, client))


@router.post(
    "/v1/auth/refresh",
    tags=["auth"],
    response_model=TokensView,
    responses=answers(JSON_BODY, UNAVAILABLE, refused("auth.invalid_token")),
)
async def refresh(body: RefreshToken, sign_in: SignInDep) -> dict[str, Any]:
    with answered_as_http():
        return tokens_view(await sign_in.refresh(body.refresh_token))


@router.post(
    "/v1/auth/logout",
    status_code=204,
    tags=["auth"],
    responses={
        204: {"description": "The session has ended (or the token was not a live one)."},
        **answers(JSON_BODY, UNAVAILABLE),
    },
)
async def logout(body: RefreshToken, sign_in: SignInDep) -> None:
    await sign_in.logout(body.refresh_token)


@router.post(
    "/v1/accounts/password-reset",
    status_code=202,
    tags=["accounts"],
    response_model=ResetRequested,
    responses=answers(JSON_BODY, UNAVAILABLE, refused("account.email_invalid", "account.reset_limit")),
)
async def ask_password_reset(body: ResetAsked, request: Request, resets: ResetsDep) -> dict[str, Any]:
    """A forgotten password: the same 202 whether or not an account has this e-mail; if one has,
    a single-use link valid 30 minutes is on its way to it."""
    client = client_address(request, settings_of(request)) or "unknown"
    with answered_as_http():
        await resets.request(body.email, client)
    return {"status": "requested"}


@router.post(
    "/v1/accounts/password-reset/confirm",
    tags=["accounts"],
    response_model=PasswordReset,
    responses=answers(
        JSON_BODY,
        UNAVAILABLE,
        refused("account.reset_link_invalid", "account.reset_link_expired", *PASSWORD_CODES),
    ),
)
async def reset_password(body: NewPassword, resets: ResetsDep) -> dict[str, Any]:
    """The link's token and the new password (twice): every session of the account ends."""
    with answered_as_http():
        account_id = await resets.reset(body.token, body.password, body.password_confirmation)
    return {"account_id": account_id, "status": "reset"}


@router.get(
    "/v1/me",
    tags=["accounts"],
    response_model=ProfileView,
    dependencies=[BEARER],
    responses=answers(PROTECTED, refused("not_found")),
)
async def me(who: Practitioner, profiles: ProfilesDep) -> dict[str, Any]:
    with answered_as_http():
        return profile_view(await profiles.profile(who.id))


@router.patch(
    "/v1/me",
    status_code=202,
    tags=["accounts"],
    dependencies=[BEARER],
    responses={
        200: {"model": ChangeApplied, "description": "Only the language changed, at once."},
        202: {"model": ChangeRequested, "description": "Sent for review."},
        **answers(
            PROTECTED,
            JSON_BODY,
            refused(
                "not_found",
                "account.name_invalid",
                "account.name_not_arabic",
                "account.name_not_latin",
                "account.mobile_invalid",
                "profile.no_change",
                "profile.change_pending",
            ),
        ),
    },
    openapi_extra=json_body(ProfilePatch),
)
async def change_profile(request: Request, who: Practitioner, profiles: ProfilesDep) -> JSONResponse:
    """Names and mobile change only after a reviewer approves (the old values stay until then);
    the language preference is the practitioner's own and changes at once."""
    body = await read_json(request, ProfilePatch)  # only once the caller is known
    with answered_as_http():
        change_id = await profiles.request_change(who.id, body)
    if change_id is None:
        return JSONResponse({"status": "applied"}, status_code=200)
    return JSONResponse({"change_id": change_id, "status": "requested"}, status_code=202)
