"""The public register's pages in the portal (no sign-in): the look-up and search page, one
registration's page, and the card verification page the QR code opens; and the practitioner's own
card (signed in) with its QR code and the PDF. The same use cases as the JSON API, the same
per-address rate limit (a page of 429 with Retry-After), the portal's frame and sessions."""

import asyncio
import dataclasses
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader

from mumaris.errors import ApiError
from mumaris.service import provided
from schemas.classifications import PROFESSIONS
from services.intake.portal.pages import TEMPLATES as PORTAL_TEMPLATES
from services.intake.portal.pages import Portal
from services.intake.portal.routing import Who, page_router
from services.intake.register.card_pdf import card_pdf, qr_svg
from services.intake.register.routes import throttled
from services.intake.register.rules import RegisterRefused
from services.intake.register.service import PublicRegister
from services.intake.register.text import RegisterWords

TEMPLATES = Path(__file__).parent / "templates"
router = page_router()
Register = Annotated[PublicRegister, Depends(provided("public_register"))]


def with_register_pages(portal: Portal) -> Portal:
    """The portal, its templates found beside ours (ours extend its base.html)."""
    loader = ChoiceLoader([FileSystemLoader(PORTAL_TEMPLATES), FileSystemLoader(TEMPLATES)])
    env = Environment(
        loader=PrefixLoader({"portal": loader}),
        autoescape=True,
        undefined=portal.env.undefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    return dataclasses.replace(portal, env=env)


async def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.runtime.provided["register_portal"]
    return portal


RegisterPortal = Annotated[Portal, Depends(_portal)]


async def show(portal: Portal, request: Request, template: str, status: int = 200, **context: Any) -> Response:
    words = RegisterWords(portal.sessions.lang(request))
    return await portal.render(request, template, status=status, w=words, professions=PROFESSIONS, **context)


async def limited(portal: Portal, request: Request) -> Response | None:
    """The rate limit's page (429, Retry-After) when the address has no request left."""
    try:
        await throttled(request)
    except ApiError as refused:
        response = await portal.render(request, "error.html", status=429, error=refused.code)
        response.headers.update(refused.headers or {})
        return response
    return None


@router.get("/register")
async def register_page(
    request: Request,
    portal: RegisterPortal,
    register: Register,
    number: Annotated[str, Query(max_length=40)] = "",
    name: Annotated[str, Query(max_length=100)] = "",
    profession: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    if (refused := await limited(portal, request)) is not None:
        return refused
    values = {"number": number, "name": name, "profession": profession}
    if number.strip():
        try:
            entry = await register.lookup(number)
        except RegisterRefused as refusal:
            status = 404 if refusal.code == "register.not_found" else 422
            return await show(portal, request, "register.html", status, values=values, lookup_error=refusal.code)
        return await show(portal, request, "register_entry.html", entry=entry)
    if not name.strip() and not profession:
        return await show(portal, request, "register.html", values=values)
    try:
        found = await register.search(name, profession, page)
    except RegisterRefused as refusal:
        return await show(portal, request, "register.html", 422, values=values, search_error=refusal.code)
    return await show(portal, request, "register.html", values=values, found=found)


@router.get("/register/verify")
async def verify_page(
    request: Request, portal: RegisterPortal, register: Register, card: Annotated[str, Query(max_length=8192)] = ""
) -> Response:
    if (refused := await limited(portal, request)) is not None:
        return refused
    verdict = await register.verify(card) if card.strip() else None
    return await show(portal, request, "register_verify.html", verdict=verdict, values={"card": card})


@router.get("/registration/card")
async def card_page(request: Request, who: Who, portal: RegisterPortal, register: Register) -> Response:
    card = await register.card(who.id)
    words = RegisterWords(portal.sessions.lang(request))
    return await show(
        portal, request, "register_card.html", entry=card.entry, url=card.url, qr=qr_svg(card.url, words("card_qr"))
    )


@router.get("/registration/card.pdf")
async def card_pdf_page(request: Request, who: Who, register: Register) -> Response:
    card = await register.card(who.id)
    pdf = await asyncio.to_thread(card_pdf, card.entry, card.token, card.url)
    filename = f"registration-card-{card.entry['registration_number']}.pdf"
    headers = {"Content-Disposition": f'inline; filename="{filename}"'}
    return Response(pdf, media_type="application/pdf", headers=headers)
