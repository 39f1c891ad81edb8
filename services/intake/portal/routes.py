"""The practitioner portal's pages, all under /portal, put together: the way in (way_in.py), the
profile and the inbox (profile_pages.py), certificates (certificate_pages.py), e-services
(classification_pages.py), the registration and CPD (registration_pages.py, recognition_pages.py:
hours earned abroad), the static files, the home page and a 404 page for anything else.

Pages call intake's own use cases (provided by app.py), never its HTTP API. Every form works
without JavaScript and carries a CSRF token. How a refusal becomes a page is routing.py; sessions,
cookies and CSRF session.py; how a page is made pages.py; the words text.py; the pure rules rules.py.
"""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from mumaris.errors import ApiError
from mumaris.web import see_other
from services.intake.portal import (
    certificate_pages,
    classification_pages,
    profile_pages,
    recognition_pages,
    registration_pages,
    way_in,
)
from services.intake.portal.pages import STATIC
from services.intake.portal.routing import PortalDep, page_router
from services.intake.portal.session import PREFIX

home_pages = page_router()


@home_pages.get("/")
async def home(request: Request, portal: PortalDep) -> Response:
    signed_in = await portal.sessions.signed_in(request)
    return see_other(f"{PREFIX}/profile" if signed_in else f"{PREFIX}/sign-in")


# Last: whatever no page above answers is a page too, never FastAPI's JSON 404.
fallback = page_router()


@fallback.api_route("/{rest:path}", methods=["GET", "POST"])
async def not_found(rest: str) -> Response:
    raise ApiError(404, "not_found")


router = APIRouter(include_in_schema=False)
# A mount's path is the whole path.
router.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="portal-static")
pages_in_order = (
    home_pages,
    way_in.router,
    profile_pages.router,
    certificate_pages.router,
    classification_pages.router,
    registration_pages.router,
    recognition_pages.router,
)
for pages in pages_in_order:
    router.include_router(pages)
router.include_router(fallback)
