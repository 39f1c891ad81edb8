"""The public register over HTTP, without sign-in: `GET /v1/register/{number}`, `GET /v1/register`
(search by name and profession, paged and capped), `GET /v1/register/verify?card=` (a card's
verdict now) and the published key set `GET /.well-known/jwks.json`; the practitioner's own card
(`GET /v1/me/registration/card`, and `.pdf`). Every public route is rate-limited per client
address (429 `register.rate_limited` with Retry-After). Refusals become HTTP errors here."""

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from mumaris.errors import ApiError
from mumaris.http import client_address
from mumaris.openapi import BEARER, PARAMETERS, PROTECTED, UNAVAILABLE, answers, file_download, refusals
from mumaris.ratelimit import RateLimiter
from mumaris.service import provided
from services.intake.callers import Practitioner, settings_of
from services.intake.register.card_pdf import card_pdf
from services.intake.register.rules import RegisterRefused
from services.intake.register.service import PublicRegister
from services.intake.register.views import KeySetView, MyCard, RegisterEntry, SearchPage, Verdict

router = APIRouter(tags=["register"])
Register = Annotated[PublicRegister, Depends(provided("public_register"))]

REFUSAL_STATUS: dict[str, int] = {
    "register.not_found": 404,
    "register.number_invalid": 422,
    "register.query_too_short": 422,
    "register.profession_unknown": 422,
    "register.page_out_of_range": 422,
    "register.card_not_valid": 409,
    "register.rate_limited": 429,
}
LIMITED = refusals(REFUSAL_STATUS, "register.rate_limited")
PUBLIC_CACHE = {"Cache-Control": "no-store"}  # a status can change at any moment (a suspension)


def refused(refusal: RegisterRefused) -> ApiError:
    return ApiError.of(refusal, REFUSAL_STATUS.get(refusal.code, 422))


async def throttled(request: Request) -> None:
    """One token per request from the caller's address; none left: 429 with Retry-After."""
    limiter: RateLimiter = request.app.state.runtime.provided["register_limiter"]
    wait = limiter.take(client_address(request, settings_of(request)) or "unknown")
    if wait:
        headers = {"Retry-After": str(wait)}
        raise ApiError(429, "register.rate_limited", {"retry_after_s": wait}, headers)


THROTTLED = [Depends(throttled)]


@router.get(
    "/v1/register/verify",
    response_model=Verdict,
    dependencies=THROTTLED,
    responses=answers(LIMITED, PARAMETERS, UNAVAILABLE),
)
async def verify(register: Register, card: Annotated[str, Query(max_length=8192)] = "") -> JSONResponse:
    """Check a registration card now: its signature against the registry's keys, its dates, and
    whether the registration is **valid now** (it may have lapsed or been suspended since the card
    was printed). `card`: the token, or the whole URL its QR code holds. Always 200 with a verdict;
    anything that is not a good card is a verdict with its reason, never an error."""
    return JSONResponse(await register.verify(card), headers=PUBLIC_CACHE)


# Before /v1/register/{number}, which would take "keys" and "verify" for a number.
@router.get("/v1/register/keys", response_model=KeySetView)
@router.get("/.well-known/jwks.json", response_model=KeySetView, operation_id="well_known_jwks")
async def jwks(register: Register) -> JSONResponse:
    """The public keys registration cards are signed with (JWKS, Ed25519), also published at
    `/.well-known/jwks.json`: the current key first, then earlier ones that old cards still use;
    `revoked_kids` lists key ids no card may be trusted by."""
    return JSONResponse(register.jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.get(
    "/v1/register/{number}",
    response_model=RegisterEntry,
    dependencies=THROTTLED,
    responses=answers(LIMITED, refusals(REFUSAL_STATUS, "register.not_found", "register.number_invalid"), UNAVAILABLE),
)
async def lookup(number: str, register: Register) -> JSONResponse:
    """A registration by its number (RG- and eight digits): the name in Arabic and in Latin letters,
    profession, classification, status and validity; nothing else."""
    try:
        entry = await register.lookup(number)
    except RegisterRefused as refusal:
        raise refused(refusal) from refusal
    return JSONResponse(entry, headers=PUBLIC_CACHE)


SEARCH_REFUSALS = ("register.query_too_short", "register.profession_unknown", "register.page_out_of_range")


@router.get(
    "/v1/register",
    response_model=SearchPage,
    dependencies=THROTTLED,
    responses=answers(LIMITED, refusals(REFUSAL_STATUS, *SEARCH_REFUSALS), PARAMETERS, UNAVAILABLE),
)
async def search(
    register: Register,
    name: Annotated[str, Query(max_length=100, description="At least three letters; each word starts a name's word.")],
    profession: Annotated[str, Query(max_length=40, description="`nursing`, `pharmacy` or `medicine`.")],
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> JSONResponse:
    """Registrations by name (Arabic or Latin letters) within a profession, 20 a page at most and
    only the first few pages: narrow the search rather than page through the register."""
    try:
        found = await register.search(name, profession, page)
    except RegisterRefused as refusal:
        raise refused(refusal) from refusal
    return JSONResponse(found, headers=PUBLIC_CACHE)


MY_CARD = answers(PROTECTED, refusals(REFUSAL_STATUS, "register.not_found", "register.card_not_valid"))


@router.get("/v1/me/registration/card", response_model=MyCard, dependencies=[BEARER], responses=MY_CARD)
async def my_card(who: Practitioner, register: Register) -> dict[str, Any]:
    """The practitioner's registration card, signed now: the token its QR code carries, the URL
    the code opens, and what the card shows. Refused while the registration is not valid."""
    try:
        card = await register.card(who.id)
    except RegisterRefused as refusal:
        raise refused(refusal) from refusal
    return {"token": card.token, "url": card.url, "entry": card.entry}


@router.get(
    "/v1/me/registration/card.pdf",
    response_class=Response,
    dependencies=[BEARER],
    responses={200: file_download(["application/pdf"], "The card as a PDF, both languages."), **MY_CARD},
)
async def my_card_pdf(who: Practitioner, register: Register) -> Response:
    """The same card as a PDF to print or keep on a phone (Arabic and English, no photo)."""
    try:
        card = await register.card(who.id)
    except RegisterRefused as refusal:
        raise refused(refusal) from refusal
    filename = f"registration-card-{card.entry['registration_number']}.pdf"
    headers = {"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, no-store"}
    pdf = await asyncio.to_thread(card_pdf, card.entry, card.token, card.url)  # shaping is CPU work
    return Response(pdf, media_type="application/pdf", headers=headers)
