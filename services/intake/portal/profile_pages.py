"""The profile (personal data, membership number, classification, approved certificates, a change
of personal data and its review) and the in-platform inbox (notifier's, read with her own token)."""

import asyncio
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import ValidationError

from mumaris.auth import Principal
from mumaris.certificates import has_expired
from mumaris.clock import today_in_riyadh
from mumaris.web import see_other
from services.intake.accounts.rules import AccountRuleError
from services.intake.accounts.service import ProfilePatch, Profiles
from services.intake.portal.pages import Portal
from services.intake.portal.registration_pages import card_for
from services.intake.portal.routing import PortalDep, ProfilesDep, Who, page_router, posted, status_of, text
from services.intake.portal.rules import kept, refusal_errors, validation_errors
from services.intake.portal.session import PREFIX

router = page_router()


@router.get("/profile")
async def profile_page(request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep) -> Response:
    return await show_profile(portal, request, profiles, who)


async def show_profile(
    portal: Portal, request: Request, profiles: Profiles, who: Principal, **context: Any
) -> Response:
    # The registration card reads other collections: asked beside the profile, not after it.
    profile, registration = await asyncio.gather(profiles.profile(who.id), card_for(request, who.id))
    account = profile.account
    values = context.pop("values", None) or {
        "first_name": account["first_name"],
        "last_name": account["last_name"],
        "first_name_latin": account.get("first_name_latin") or "",
        "last_name_latin": account.get("last_name_latin") or "",
        "mobile": account.get("mobile") or "",
        "locale": account["locale"],
    }
    return await portal.render(
        request,
        "profile.html",
        profile=profile,
        account=account,
        values=values,
        here=f"{PREFIX}/profile",
        registration=registration,
        expired={
            d["_id"] for d in profile.approved if has_expired(d["certificate"].get("expires_on"), today_in_riyadh())
        },
        **context,
    )


@router.post("/profile")
async def change_profile(request: Request, who: Who, portal: PortalDep, profiles: ProfilesDep) -> Response:
    """A new name or mobile goes to review (shown as pending until decided); the language of her
    messages changes at once."""
    form = await posted(request, portal)
    values = kept(form)
    try:
        patch = ProfilePatch(
            first_name=values.get("first_name") or None,
            last_name=values.get("last_name") or None,
            first_name_latin=values.get("first_name_latin") or None,
            last_name_latin=values.get("last_name_latin") or None,
            mobile=values.get("mobile") or None,
            locale=values.get("locale") if values.get("locale") in ("ar", "en") else None,
        )
        change_id = await profiles.request_change(who.id, patch)
    except ValidationError as invalid:
        errors = validation_errors(invalid, ProfilePatch.model_fields)
        return await show_profile(portal, request, profiles, who, status=422, errors=errors, values=values)
    except AccountRuleError as refusal:
        errors, error = refusal_errors(refusal.code, refusal.details)
        status = status_of(refusal.code)
        return await show_profile(
            portal, request, profiles, who, status=status, errors=errors, error=error, values=values
        )
    return see_other(f"{PREFIX}/profile?done={'change_requested' if change_id else 'language_saved'}")


@router.get("/notifications")
async def notifications_page(request: Request, who: Who, portal: PortalDep) -> Response:
    wanted = request.query_params.get("page", "1")
    page = int(wanted) if wanted.isdigit() and 0 < int(wanted) <= 10_000 else 1
    inbox = await portal.inbox.page(portal.sessions.access_token(request), who.id, page=page)
    # The header counts what this page has just read, not what was kept.
    unread: dict[str, Any] = {"unread": inbox.unread} if inbox is not None else {}
    return await portal.render(request, "notifications.html", inbox=inbox, page=page, **unread)


@router.post("/notifications/{message_id}/read")
async def mark_read(message_id: str, request: Request, who: Who, portal: PortalDep) -> Response:
    form = await posted(request, portal)
    await portal.inbox.mark_read(portal.sessions.access_token(request), who.id, message_id[:200])
    page = text(form, "page", 6)
    return see_other(f"{PREFIX}/notifications?done=read" + (f"&page={page}" if page.isdigit() else ""))
