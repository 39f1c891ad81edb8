"""The way in: sign-up, the phone code (and another one), the e-mail link, sign-in and out, and a
forgotten password (the request, the link's page, the new password).

Each calls the accounts use case the JSON API calls, so its rules and throttles (per account and
per client address) apply as they are. The account waiting for its SMS code is named by a signed
cookie, never by the address.
"""

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from mumaris.errors import ApiError
from mumaris.http import client_address
from mumaris.web import local_path, see_other
from services.intake.accounts.rules import AccountRuleError
from services.intake.accounts.service import Registrations, SignUp
from services.intake.portal.pages import Portal
from services.intake.portal.routing import (
    PortalDep,
    RegistrationsDep,
    ResetsDep,
    page_router,
    posted,
    refused_form,
    status_of,
    text,
)
from services.intake.portal.rules import checked_box, kept, refusal_errors, sign_up_errors, validation_errors
from services.intake.portal.session import PREFIX

router = page_router()
# Pages reached from an e-mail link hold its token in their address: it is sent nowhere else.
NO_REFERRER = {"Referrer-Policy": "no-referrer"}
SIGN_UP_FIELDS = ("first_name", "last_name", "first_name_latin", "last_name_latin", "id_number", "email", "mobile")


@router.get("/sign-up")
async def sign_up_page(request: Request, portal: PortalDep) -> Response:
    if await portal.sessions.signed_in(request):
        return see_other(f"{PREFIX}/profile")
    return await portal.render(request, "sign_up.html", terms_version=portal.settings.terms_version)


@router.post("/sign-up")
async def sign_up(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    form = await posted(request, portal)
    values = kept(form)
    page: dict[str, Any] = {
        "template": "sign_up.html",
        "terms_version": portal.settings.terms_version,
        "here": f"{PREFIX}/sign-up",
    }
    password, confirmation = text(form, "password"), text(form, "password_confirmation")
    accepted = checked_box(form.get("accept_terms"))
    id_kind = values.get("id_kind")
    try:
        signing_up = SignUp(
            **{k: values.get(k, "") for k in SIGN_UP_FIELDS},
            id_kind=id_kind if id_kind in ("national_id", "iqama") else None,
            password=password,
            password_confirmation=confirmation,
            accept_terms=accepted,
            locale=portal.sessions.lang(request),
        )
        # Every field the rules refuse, at once; the use case decides (and stops at the first).
        if errors := sign_up_errors(values, password, confirmation, accepted):
            return await portal.render(request, status=422, errors=errors, values=values, **page)
        account_id = await registrations.sign_up(signing_up)
    except ValidationError as invalid:
        errors = validation_errors(invalid, SignUp.model_fields)
        return await portal.render(request, status=422, errors=errors, values=values, **page)
    except AccountRuleError as refusal:
        return await refused_form(portal, request, refusal=refusal, values=values, **page)
    portal.sessions.remember_pending(request, account_id)
    return see_other(f"{PREFIX}/verify-phone?done=signed_up")


async def phone_page(
    portal: Portal, request: Request, registrations: Registrations, account_id: str | None, **context: Any
) -> Response:
    """The code's page: the number it went to, its time left, the wait before another."""
    if account_id is None:
        return await portal.render(request, "verify_phone.html", step=None, **context)
    try:
        step = await registrations.phone_step(account_id)
    except AccountRuleError:  # confirmed meanwhile (or gone): sign-in is next
        portal.sessions.forget_pending(request)
        return see_other(f"{PREFIX}/sign-in")
    return await portal.render(request, "verify_phone.html", step=step, here=f"{PREFIX}/verify-phone", **context)


@router.get("/verify-phone")
async def verify_phone_page(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    return await phone_page(portal, request, registrations, portal.sessions.pending_account(request))


@router.post("/verify-phone")
async def verify_phone(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    form = await posted(request, portal)
    account_id = portal.sessions.pending_account(request)
    if account_id is None:
        return await phone_page(portal, request, registrations, None)
    try:
        await registrations.verify_phone(account_id, text(form, "code", 12))
    except AccountRuleError as refusal:
        errors, error = refusal_errors(refusal.code, refusal.details)
        return await phone_page(
            portal, request, registrations, account_id, status=status_of(refusal.code), errors=errors, error=error
        )
    portal.sessions.forget_pending(request)
    return see_other(f"{PREFIX}/sign-in?done=phone_confirmed")


@router.post("/verify-phone/resend")
async def resend_code(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    await posted(request, portal)
    account_id = portal.sessions.pending_account(request)
    if account_id is None:
        return await phone_page(portal, request, registrations, None)
    try:
        await registrations.resend_code(account_id)
    except AccountRuleError as refusal:  # too soon, or the hour's limit: the page says how long to wait
        return await phone_page(
            portal, request, registrations, account_id, status=status_of(refusal.code), errors={"resend": refusal.code}
        )
    return see_other(f"{PREFIX}/verify-phone?done=code_resent")


@router.get("/confirm-email")
async def confirm_email_page(request: Request, portal: PortalDep) -> Response:
    """The e-mail link's landing page: a button confirms (link scanners that open every link in
    an e-mail must not use it up)."""
    token = request.query_params.get("token", "")[:2000]
    response = await portal.render(request, "confirm_email.html", token=token, here=f"{PREFIX}/confirm-email")
    response.headers.update(NO_REFERRER)
    return response


@router.post("/confirm-email")
async def confirm_email(request: Request, portal: PortalDep, registrations: RegistrationsDep) -> Response:
    form = await posted(request, portal)
    here = f"{PREFIX}/sign-in"
    try:
        account_id, number = await registrations.confirm_email(text(form, "token", 2000))
    except AccountRuleError as refusal:
        return await portal.render(
            request, "confirm_email.html", status=status_of(refusal.code), error=refusal.code, token="", here=here
        )
    signed_in = await portal.sessions.signed_in(request)
    if signed_in is not None and signed_in.id == account_id:
        await portal.sessions.refreshed(request)  # her token now says the e-mail is confirmed
    return await portal.render(request, "confirm_email.html", confirmed=number, token="", here=here)


@router.get("/sign-in")
async def sign_in_page(request: Request, portal: PortalDep) -> Response:
    next_page = local_path(request.query_params.get("next"), PREFIX, f"{PREFIX}/profile")
    if await portal.sessions.signed_in(request):
        return see_other(next_page)
    return await portal.render(request, "sign_in.html", next=request.query_params.get("next", ""), locked_s=0)


@router.post("/sign-in")
async def sign_in(request: Request, portal: PortalDep) -> Response:
    form = await posted(request, portal)
    values = {"email": text(form, "email", 254)}
    page: dict[str, Any] = {"template": "sign_in.html", "next": text(form, "next", 500), "here": f"{PREFIX}/sign-in"}
    try:
        await portal.sessions.sign_in_with(request, values["email"], text(form, "password"))
    except AccountRuleError as refusal:
        if refusal.code == "account.phone_unconfirmed" and isinstance(refusal.details, dict):
            portal.sessions.remember_pending(request, str(refusal.details["account_id"]))
            return see_other(f"{PREFIX}/verify-phone?done=phone_unconfirmed")
        locked = refusal.retry_after_s or 0
        return await refused_form(portal, request, refusal=refusal, values=values, locked_s=locked, **page)
    except ApiError as refusal:
        return await refused_form(portal, request, refusal=refusal, values=values, locked_s=0, **page)
    return see_other(local_path(form.get("next"), PREFIX, f"{PREFIX}/profile"))


@router.post("/sign-out")
async def sign_out(request: Request, portal: PortalDep) -> Response:
    await posted(request, portal)
    await portal.sessions.sign_out(request)
    return see_other(f"{PREFIX}/sign-in?done=signed_out")


@router.get("/forgot-password")
async def forgot_page(request: Request, portal: PortalDep) -> Response:
    return await portal.render(request, "forgot_password.html", sent=False)


@router.post("/forgot-password")
async def forgot(request: Request, portal: PortalDep, resets: ResetsDep) -> Response:
    """Answers alike whether or not the address has an account (no enumeration)."""
    form = await posted(request, portal)
    values = {"email": text(form, "email", 254)}
    page: dict[str, Any] = {"template": "forgot_password.html", "here": f"{PREFIX}/forgot-password"}
    try:
        await resets.request(values["email"], client_address(request, portal.settings) or "unknown")
    except AccountRuleError as refusal:
        return await refused_form(portal, request, refusal=refusal, values=values, sent=False, **page)
    minutes = portal.settings.password_reset_ttl_s // 60
    return await portal.render(request, sent=True, minutes=minutes, **page)


@router.get("/reset-password")
async def reset_page(request: Request, portal: PortalDep, resets: ResetsDep) -> Response:
    token = request.query_params.get("token", "")[:2000]
    try:
        await resets.usable_link(token)  # a used or replaced link says so at once, not after the form
        response = await portal.render(request, "reset_password.html", token=token, link_ok=True)
    except AccountRuleError as refusal:
        response = await portal.render(
            request, "reset_password.html", status=status_of(refusal.code), error=refusal.code, token="", link_ok=False
        )
    response.headers.update(NO_REFERRER)
    return response


@router.post("/reset-password")
async def reset(request: Request, portal: PortalDep, resets: ResetsDep) -> Response:
    form = await posted(request, portal)
    token = text(form, "token", 2000)
    try:
        await resets.reset(token, text(form, "password"), text(form, "password_confirmation"))
    except AccountRuleError as refusal:
        link_ok = refusal.field is not None  # a password refusal keeps the link; a link refusal does not
        # The language switch opens the link's page again (its address is the e-mail's link).
        here = f"{PREFIX}/reset-password?{urlencode({'token': token})}" if link_ok else f"{PREFIX}/forgot-password"
        response = await refused_form(
            portal,
            request,
            "reset_password.html",
            refusal=refusal,
            values={},
            token=token if link_ok else "",
            link_ok=link_ok,
            here=here,
        )
        response.headers.update(NO_REFERRER)
        return response
    portal.sessions.forget_session(request)  # this browser's session ended with all the others
    return see_other(f"{PREFIX}/sign-in?done=password_reset")
