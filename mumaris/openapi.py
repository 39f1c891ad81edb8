"""What a service's HTTP API says about itself (OpenAPI), so that the document is enough for
another system: the one error body and the refusals each route can answer (`answers`), the bearer
scheme of protected routes (`BEARER`), the bodies a route reads itself (`json_body`, `multipart_body`:
the uploads stream their body, so FastAPI never sees them as parameters), the files a route sends
(`file_download`), and the document's clean-up (`install_openapi`).

A route lists what it can answer by groups of refusals, each `{status: (code, ...)}`:

    @router.get("/v1/me", response_model=ProfileView, dependencies=[BEARER],
                responses=answers(PROTECTED, refusals(STATUS, "not_found")))

Every error status is documented with the shared body (`ErrorBody`: a stable code, an Arabic and
an English message), the codes it can carry in its description and one example per code. The
contract test (tests/e2e/test_api_contracts.py) holds the services to it with a fuzzer.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Security
from fastapi.params import Depends
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from mumaris.errors import MESSAGES, ApiError
from schemas.events import Localized

Refusals = Mapping[int, Sequence[str]]


class ErrorInfo(BaseModel):
    """A refusal: what went wrong, for programs (`code`) and for people (`message`)."""

    model_config = ConfigDict(title="Error")
    code: str = Field(description="Stable machine code; a code never changes meaning once published.")
    message: Localized = Field(description="What to tell the person, in Arabic and in English.")
    details: Any = Field(
        default=None,
        description="What the caller may act on, when there is something: the fields at fault, a limit, a wait.",
    )


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of every service."""

    error: ErrorInfo


# --- groups of refusals -------------------------------------------------------------------------------

# Any route that reaches the database (or checks a session token) may find it away: 503 with Retry-After.
UNAVAILABLE: Refusals = {503: ("service.unavailable",)}
# A route that needs a bearer token of some role (mumaris.auth.principal_from).
PROTECTED: Refusals = {
    401: ("auth.required", "auth.invalid_token", "auth.session_revoked"),
    403: ("auth.forbidden",),
    **UNAVAILABLE,
}
# Query or path parameters with bounds, refused as FastAPI's validation is (mumaris.http).
PARAMETERS: Refusals = {422: ("request.invalid",)}
# A JSON body: at most `max_json_body_bytes` (mumaris.http.RequestBodyLimit), then the model.
JSON_BODY: Refusals = {413: ("request.too_large",), **PARAMETERS}
# A multipart upload read by services/intake/uploads.py: a malformed form, files too large or not PDF/JPEG.
UPLOAD: Refusals = {
    400: ("request.invalid", "file.missing", "file.empty"),
    413: ("file.too_large",),
    415: ("file.unsupported_type",),
}

# Headers some refusals carry; documented, not promised on every answer of the status.
_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {
        "WWW-Authenticate": {
            "description": "`Bearer`, when a token is missing or refused.",
            "schema": {"type": "string"},
        }
    },
    429: {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}},
    503: {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}},
}


def refusals(table: Mapping[str, int], *codes: str, default: int = 422) -> Refusals:
    """`codes` grouped by the status an area's table answers them with (`default` when it has none)."""
    grouped: dict[int, list[str]] = {}
    for code in codes:
        grouped.setdefault(table.get(code, default), []).append(code)
    return {status: tuple(found) for status, found in grouped.items()}


def answers(*groups: Refusals) -> dict[int | str, dict[str, Any]]:
    """FastAPI `responses=` for the refusals a route can answer: each status with the shared error
    body, the codes it carries (description, one example each) and the headers that may come with it."""
    merged: dict[int, list[str]] = {}
    for group in groups:
        for status, codes in group.items():
            known = merged.setdefault(status, [])
            known.extend(code for code in codes if code not in known)
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted(merged):
        codes = merged[status]
        for code in codes:
            assert code in MESSAGES, code
        entry: dict[str, Any] = {
            "model": ErrorBody,
            "description": f"{HTTPStatus(status).phrase}: " + ", ".join(f"`{code}`" for code in codes),
            "content": {
                "application/json": {
                    "examples": {
                        code: {"summary": MESSAGES[code][1], "value": ApiError(status, code).body()} for code in codes
                    }
                }
            },
        }
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        documented[status] = entry
    return documented


def documented_codes(operation: Mapping[str, Any], status: int) -> set[str]:
    """The error codes an OpenAPI operation says it can answer with `status` (its examples)."""
    response = operation.get("responses", {}).get(str(status), {})
    return set(response.get("content", {}).get("application/json", {}).get("examples", {}))


# --- security ----------------------------------------------------------------------------------------

_bearer = HTTPBearer(
    auto_error=False,  # the route checks the token itself, and answers in our error shape
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token from intake's POST /v1/auth/login (15 minutes; POST /v1/auth/refresh renews it).",
)
# `dependencies=[BEARER]` on a protected route: documents the scheme; the route's own check
# (mumaris.auth.principal_from) decides, before it reads any body.
BEARER: Depends = Security(_bearer)


# --- bodies and files ----------------------------------------------------------------------------------

LOCATION_HEADER = {
    "Location": {"description": "Where to follow what was accepted.", "schema": {"type": "string"}, "required": True}
}


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a JSON body the route reads itself (mumaris.http.read_json)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_refs(model.model_json_schema())}},
        }
    }


def multipart_body(
    *,
    json_parts: Mapping[str, type[BaseModel]],
    files: Mapping[str, str],
    required: Iterable[str],
    file_types: Sequence[str],
    description: str,
) -> dict[str, Any]:
    """`openapi_extra` for a multipart/form-data upload the route parses itself: each JSON part
    (sent as a plain field, `application/json`) and each file (`files`: name -> description) of
    one of `file_types`."""
    properties: dict[str, Any] = {name: inline_refs(model.model_json_schema()) for name, model in json_parts.items()}
    properties.update(
        {name: {"type": "string", "format": "binary", "description": text} for name, text in files.items()}
    )
    encoding: dict[str, Any] = {name: {"contentType": "application/json"} for name in json_parts}
    encoding.update({name: {"contentType": ", ".join(file_types)} for name in files})
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": properties, "required": list(required)},
                    "encoding": encoding,
                }
            },
        }
    }


def file_download(media_types: Sequence[str], description: str) -> dict[str, Any]:
    """The `responses` entry of a route that sends a file as one of `media_types`."""
    return {
        "description": description,
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in media_types},
        "headers": {"Content-Disposition": {"description": "`inline` with a file name.", "schema": {"type": "string"}}},
    }


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON Schema with its `$defs` put in place of their `$ref`s: for documents
    (OpenAPI `openapi_extra`, AsyncAPI overrides) that would not resolve them."""
    definitions = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(dict(definitions[node["$ref"].rsplit("/", 1)[1]]))
            return {key: walk(value) for key, value in node.items()}
        return [walk(value) for value in node] if isinstance(node, list) else node

    resolved: dict[str, Any] = walk(schema)
    return resolved


# --- the document --------------------------------------------------------------------------------------


def install_openapi(app: FastAPI) -> None:
    """The document as FastAPI builds it, less FastAPI's own validation error (`HTTPValidationError`,
    which it adds to every route with parameters): our services never answer that shape
    (mumaris.http turns a validation error into the shared error body, listed by each route)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            for path in document.get("paths", {}).values():
                for operation in path.values():
                    response = operation.get("responses", {}).get("422", {})
                    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                    if schema.get("$ref", "").endswith("/HTTPValidationError"):
                        del operation["responses"]["422"]
            schemas = document.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
