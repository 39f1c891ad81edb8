"""The HTTP edge every service shares: one error shape, health, metrics and the AsyncAPI document
(its page, with /docs and /redoc, is mumaris/apidocs.py).

Every refusal is `{"error": {"code", "message": {"ar", "en"}, "details"?}}` with a 4xx status; an
unexpected failure of a dependency answers 503 `service.unavailable`, never a bare 500 page.
"""

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, ValidationError
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mumaris import logs
from mumaris.errors import ApiError
from mumaris.settings import Settings

log = logging.getLogger("mumaris.http")
M = TypeVar("M", bound=BaseModel)


def client_address(request: Request, settings: Settings) -> str | None:
    """The caller's address: the peer, or the last address a trusted proxy put in X-Forwarded-For
    (a client can write anything in that header; only what our own proxy appended counts)."""
    peer = request.client.host if request.client else None
    forwarded = request.headers.get("x-forwarded-for")
    if peer is not None and peer in settings.trusted_proxies and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip() or peer
    return peer


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        return JSONResponse(ApiError(422, "request.invalid", details).body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI answers 422 to a JSON body that does not parse, but 400 to one whose bytes
            # are not even UTF-8: to the caller both are the same mistake, refused the same way.
            return JSONResponse(ApiError(422, "request.invalid", NOT_JSON).body(), status_code=422)
        code = "not_found" if exc.status_code == 404 else "request.invalid"
        status = exc.status_code if 400 <= exc.status_code < 500 else 503
        headers = exc.headers if status == exc.status_code else None
        if status == 405:
            # RFC 9110: a 405 lists the methods the resource has. Starlette names only those of
            # the first route on the path, and GET /v1/me and PATCH /v1/me are two routes.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return JSONResponse(ApiError(status, code).body(), status_code=status, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette answers this one outside every middleware, after RequestLogContext let go of
        # the request's ids: bind them again for this line and echo the request id here.
        request_id: str | None = getattr(request.state, "request_id", None)
        with logs.bind(request_id=request_id, submission_id=_id_in_path(request.path_params)):
            if _is_outage(exc):  # expected while the database is away: one line, no traceback
                log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            else:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        return JSONResponse(ApiError(503, "service.unavailable").body(), status_code=503, headers=headers)


NOT_JSON = [{"field": "body", "problem": "JSON decode error"}]


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on the request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


# How long a client is asked to wait after a 503: about what the database needs to come back
# (a restart, a replica-set election), short enough that nobody gives up.
RETRY_AFTER_S = 5


def _is_outage(exc: BaseException) -> bool:
    """A dependency that is away, not a mistake in our code: no traceback is worth a line each time."""
    return isinstance(exc, ConnectionFailure) or (
        isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")
    )


REQUEST_ID_HEADER = "X-Request-ID"
# A caller's request id is kept only when it is short and plain: it lands in every line as is.
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Path parameters that name the submission (or request, or review item) a request is about.
_PATH_IDS = ("submission_id", "review_id", "request_id")
# Polled by probes and scrapers every few seconds: a line each would bury the rest.
_UNLOGGED_PATHS = frozenset({"/healthz", "/metrics"})


def _id_in_path(path_params: dict[str, Any]) -> str | None:
    return next((str(path_params[name]) for name in _PATH_IDS if path_params.get(name)), None)


class RequestLogContext:
    """ASGI middleware: every line written while a request is handled carries its request id
    (the caller's X-Request-ID, or a new one, echoed in the answer) and the id in its path; then
    one INFO line per request: method, path (never the query string: it can hold tokens), status
    and duration. It replaces uvicorn's access log."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = offered if _ACCEPTABLE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id  # for the unexpected-error handler
        status: int | None = None

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        started = time.perf_counter()
        with logs.bind(request_id=request_id, submission_id=self._id_in_route(scope)):
            try:
                await self.app(scope, receive, send_with_request_id)
            finally:
                if scope["path"] not in _UNLOGGED_PATHS:
                    log.info(
                        "%s %s %s in %.0f ms",
                        scope["method"],
                        scope["path"],
                        status if status is not None else "failed",
                        (time.perf_counter() - started) * 1000,
                    )

    def _id_in_route(self, scope: Scope) -> str | None:
        """The router only resolves path parameters right before the endpoint, inside the app;
        matching here too lets every line of the request carry the id, not just the last one.
        Those ids are UUIDs, which have digits: a path without a digit has none of them, and is
        not matched against every route a second time (a tenth of a portal page's time)."""
        if not any(c.isdigit() for c in scope["path"]):
            return None
        for route in self.router.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return _id_in_path(child_scope.get("path_params", {}))
        return None


def install_request_log_context(app: FastAPI) -> None:
    app.add_middleware(RequestLogContext, router=app.router)


# --- request bodies ------------------------------------------------------------------------------

_BODY_LIMIT_KEY = "mumaris.body_limit"  # in the request's scope: the limit its body is held to


@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    refusal: ApiError  # the answer to a body over `max_bytes` (a copy is raised for each request)


class RequestBodyLimit:
    """ASGI middleware: no request body may exceed `max_bytes` (JSON and form bodies: a setting,
    64 KiB) unless its route allows more before reading it (`allow_larger_body`: the uploads, with
    their own per-file limits and refusal). Over it: 413 `request.too_large`.

    - Bytes are counted as they stream in, so a missing Content-Length (chunked) or a lying one
      gets nowhere; a declared length over the limit is refused at the first read, unread.
    - Lazy: nothing is read or refused until the application asks for the body, so a protected
      route that turns an anonymous caller away answers 401 without reading what was sent.
    - Whatever the application makes of the refusal raised from `receive` (FastAPI answers 400 to
      any error while it reads a body), the answer is the refusal. An application that answered
      with the refusal's status itself (the console's error page, an upload's `file.too_large`)
      keeps its answer.

    A pure ASGI middleware, not `@app.middleware("http")`: Starlette's BaseHTTPMiddleware costs a
    task and a stream per request, and cannot see the body as it streams. (Starlette's own
    RequestBodyLimitMiddleware answers in plain text, outside our error shape.)"""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.limit = BodyLimit(max_bytes, ApiError(413, "request.too_large", {"max_bytes": max_bytes}))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[_BODY_LIMIT_KEY] = self.limit
        declared = _declared_length(scope)
        received = 0
        refused: ApiError | None = None
        started = replaced = False

        async def capped_receive() -> Message:
            nonlocal received, refused
            limit: BodyLimit = scope[_BODY_LIMIT_KEY]  # read at every call: the route may have changed it
            if refused is None and declared is not None and declared > limit.max_bytes:
                refused = replace(limit.refusal)  # its own instance: a raised exception carries its request's frames
            if refused is not None:
                raise refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    refused = replace(limit.refusal)
                    raise refused
            return message

        async def send_or_refuse(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the application's answer to a body it could not read: dropped
            if message["type"] == "http.response.start":
                started = True
                if refused is not None and message["status"] != refused.status:
                    replaced = True
                    await _answer(refused, scope, receive, send)
                    return
            await send(message)

        try:
            await self.app(scope, capped_receive, send_or_refuse)
        except ApiError as error:
            if error is not refused or started:
                raise
            await _answer(error, scope, receive, send)


def _declared_length(scope: Scope) -> int | None:
    value = next((v for k, v in scope["headers"] if k == b"content-length"), None)
    return int(value) if value is not None and value.isdigit() else None


async def _answer(refusal: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    await JSONResponse(refusal.body(), status_code=refusal.status, headers=refusal.headers)(scope, receive, send)


def install_body_limit(app: FastAPI, max_bytes: int) -> None:
    """Install first, so it sits inside the metrics and the request log: both see its 413."""
    app.add_middleware(RequestBodyLimit, max_bytes=max_bytes)


def allow_larger_body(request: Request, max_bytes: int, refusal: ApiError) -> None:
    """Let this request's body be up to `max_bytes` (an upload's files and their multipart
    overhead), refused with `refusal` beyond; call it before reading the body."""
    if _BODY_LIMIT_KEY not in request.scope:
        raise RuntimeError("RequestBodyLimit is not installed: an upload would be unbounded")
    request.scope[_BODY_LIMIT_KEY] = BodyLimit(max_bytes, refusal)


async def read_json(request: Request, model: type[M]) -> M:
    """The JSON body as `model`, read only when the route asks: a protected route authenticates
    first and then reads, so an anonymous caller's body is never read, let alone parsed (FastAPI
    reads a declared body parameter before any dependency runs). Refused like FastAPI's own
    parsing: 422 `request.invalid` with one `{field, problem}` per error."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not (content_type == "application/json" or content_type.endswith("+json")):
        raise ApiError(422, "request.invalid", [{"field": "body", "problem": "the body must be application/json"}])
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        raise ApiError(
            422,
            "request.invalid",
            [{"field": ".".join(("body", *map(str, e["loc"]))), "problem": e["msg"]} for e in exc.errors()],
        ) from exc


def install_http_metrics(app: FastAPI, registry: CollectorRegistry, service: str) -> None:
    """Requests and their durations per route template (never the raw path: ids would explode the series)."""
    requests = Counter(
        "mumaris_http_requests", "HTTP requests answered", ["service", "method", "route", "status"], registry=registry
    )
    durations = Histogram(
        "mumaris_http_request_duration_seconds",
        "Time to answer an HTTP request",
        ["service", "method", "route"],
        registry=registry,
    )

    app.add_middleware(HttpMetrics, requests=requests, durations=durations, service=service)


class HttpMetrics:
    """Pure ASGI (Starlette's `@app.middleware("http")` runs every request through task groups and
    memory streams, ~9 % of intake's time): counts the answer's status and times the request,
    labelled by the route template the router matched (it records it in the shared scope)."""

    def __init__(self, app: ASGIApp, *, requests: Counter, durations: Histogram, service: str) -> None:
        self.app = app
        self.requests = requests
        self.durations = durations
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            if route not in _UNLOGGED_PATHS:
                self.requests.labels(self.service, scope["method"], route, str(status)).inc()
                self.durations.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)


def install_ops_routes(
    app: FastAPI,
    broker: KafkaBroker,
    registry: CollectorRegistry,
    service: str,
    ready: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    before_scrape: list[Callable[[], Awaitable[Any]]] | None = None,
) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, Any]:
        # Always 200 while the process answers: a degraded relay heals by itself, and a restart
        # would not help it; the body says what is wrong for people and dashboards.
        extra = await ready() if ready else {}
        return {"service": service, "status": "ok", **extra}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        for refresh in before_scrape or ():
            try:  # a gauge that cannot be refreshed keeps its last value; the scrape still answers
                await asyncio.wait_for(refresh(), timeout=5)
            except Exception:
                log.warning("a metrics refresh failed", exc_info=True)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    built: dict[str, Any] = {}  # built on first request: the subscribers are all registered by then

    def specification() -> Any:
        if "spec" not in built:
            built["spec"] = AsyncAPI(broker, title=f"Mumaris {service}", schema_version="3.0.0").to_specification()
        return built["spec"]

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(specification().to_jsonable())
