"""The pages that show a service's contracts, working on a closed network: Swagger UI (`/docs`) and
ReDoc (`/redoc`) for the OpenAPI document, the AsyncAPI viewer (`/asyncapi`) for the topics.

Their scripts and styles come from pinned Python packages and are served by the service itself
under `/docs-assets/` (fastapi-offline: Swagger UI and ReDoc; asyncapi-viewer: a web component
that renders AsyncAPI 2 and 3 in its own shadow root). No page has an inline script: each starts
its viewer from a small script of ours (mumaris/static/), so a strict Content-Security-Policy holds
(`script-src 'self'`; styles may be inline, as ReDoc writes its own).
"""

from html import escape
from importlib.resources import files
from pathlib import Path

import asyncapi_viewer.assets
from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse

from mumaris.errors import ApiError

ASSETS_PREFIX = "/docs-assets"
_OURS = Path(__file__).with_name("static")
_OFFLINE = Path(str(files("fastapi_offline") / "static"))
_VIEWER = asyncapi_viewer.assets.STATIC_DIR
# Every file a page may load, by the name it is served under; nothing else is reachable.
ASSETS: dict[str, Path] = {
    "swagger-ui-bundle.js": _OFFLINE / "swagger-ui-bundle.js",
    "swagger-ui.css": _OFFLINE / "swagger-ui.css",
    "redoc.standalone.js": _OFFLINE / "redoc.standalone.js",
    "favicon.png": _OFFLINE / "favicon.png",
    "asyncapi-viewer.js": _VIEWER / asyncapi_viewer.assets.VIEWER_MODULE,
    "asyncapi-theme.css": _VIEWER / asyncapi_viewer.assets.VIEWER_THEME,
    "swagger-init.js": _OURS / "swagger-init.js",
}
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png"}

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _page(title: str, head: str, body: str) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="icon" type="image/png" href="{ASSETS_PREFIX}/favicon.png">\n{head}</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


def install_api_docs(app: FastAPI, title: str) -> None:
    """/docs, /redoc and /asyncapi with their assets. Create the app with `docs_url=None,
    redoc_url=None` (FastAPI's own pages load from a CDN)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(f"{ASSETS_PREFIX}/{{name}}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = ASSETS.get(name)
        if path is None:
            raise ApiError(404, "not_found")
        return FileResponse(
            path,
            media_type=_MEDIA_TYPES[path.suffix],
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _page(
            f"{title} — API",
            f'<link rel="stylesheet" href="{ASSETS_PREFIX}/swagger-ui.css">\n',
            f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>\n'
            f'<script src="{ASSETS_PREFIX}/swagger-ui-bundle.js"></script>\n'
            f'<script src="{ASSETS_PREFIX}/swagger-init.js"></script>\n',
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _page(
            f"{title} — API",
            "",
            f'<redoc spec-url="{escape(openapi_url)}"></redoc>\n'
            f'<script src="{ASSETS_PREFIX}/redoc.standalone.js"></script>\n',
        )

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return _page(
            f"{title} — topics",
            f'<link rel="stylesheet" href="{ASSETS_PREFIX}/asyncapi-theme.css">\n'
            f'<script type="module" src="{ASSETS_PREFIX}/asyncapi-viewer.js"></script>\n',
            '<asyncapi-viewer src="/asyncapi.json" sidebar></asyncapi-viewer>\n',
        )
