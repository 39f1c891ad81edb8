"""RequestBodyLimit (mumaris/http.py): JSON and form bodies are capped while they stream in, before
anything parses them; uploads raise the cap for their own route; a protected route authenticates
before it reads."""

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel
from starlette.types import Message

from mumaris.errors import ApiError
from mumaris.http import (
    allow_larger_body,
    install_body_limit,
    install_error_handlers,
    read_json,
)

LIMIT = 1024


class Note(BaseModel):
    text: str


def app_with_limit() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_body_limit(app, LIMIT)

    @app.post("/declared")
    async def declared(note: Note) -> dict[str, Any]:  # FastAPI reads and parses the body itself
        return {"text": note.text}

    @app.post("/protected")
    async def protected(request: Request) -> dict[str, Any]:
        if request.headers.get("authorization") != "Bearer ok":
            raise ApiError(401, "auth.required")
        return {"text": (await read_json(request, Note)).text}

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, Any]:
        allow_larger_body(request, 4 * LIMIT, ApiError(413, "file.too_large", {"max_bytes": 4 * LIMIT}))
        return {"size": len(await request.body())}

    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_with_limit()), base_url="http://t") as client:
        yield client


def note(size: int) -> bytes:
    return json.dumps({"text": "x" * (size - len('{"text": ""}'))}).encode()


async def chunks(data: bytes, size: int = 256) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def code_of(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["error"]["code"]


async def test_a_body_within_the_limit_is_parsed(http: httpx.AsyncClient) -> None:
    answer = await http.post("/declared", content=note(LIMIT), headers={"content-type": "application/json"})
    assert answer.status_code == 200, answer.text


async def test_a_body_over_the_limit_is_refused_with_413_and_the_limit_not_the_400_fastapi_makes_of_it(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.post("/declared", content=note(LIMIT + 1), headers={"content-type": "application/json"})
    assert code_of(answer) == (413, "request.too_large")
    assert answer.json()["error"]["details"] == {"max_bytes": LIMIT}
    assert answer.json()["error"]["message"]["ar"] and answer.json()["error"]["message"]["en"]


async def test_a_chunked_body_without_content_length_is_counted_as_it_streams(http: httpx.AsyncClient) -> None:
    answer = await http.post("/declared", content=chunks(note(4 * LIMIT)), headers={"content-type": "application/json"})
    assert "content-length" not in answer.request.headers
    assert code_of(answer) == (413, "request.too_large")


async def test_a_protected_route_refuses_an_anonymous_caller_before_reading_and_parsing_anything(
    http: httpx.AsyncClient,
) -> None:
    junk = b"{not json" * LIMIT
    anonymous = await http.post("/protected", content=junk, headers={"content-type": "application/json"})
    assert code_of(anonymous) == (401, "auth.required")
    known = {"authorization": "Bearer ok", "content-type": "application/json"}
    assert code_of(await http.post("/protected", content=note(LIMIT + 1), headers=known)) == (413, "request.too_large")
    assert (await http.post("/protected", content=note(LIMIT), headers=known)).status_code == 200
    broken = await http.post("/protected", content=b'{"text": 1}', headers=known)
    assert code_of(broken) == (422, "request.invalid")
    assert broken.json()["error"]["details"][0]["field"] == "body.text"
    plain = await http.post("/protected", content=b'{"text": "a"}', headers={"authorization": "Bearer ok"})
    assert code_of(plain) == (422, "request.invalid")


async def test_an_upload_route_raises_the_limit_for_itself_and_refuses_with_its_own_code(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.post("/upload", content=b"x" * 4 * LIMIT)).json() == {"size": 4 * LIMIT}
    too_big = await http.post("/upload", content=chunks(b"x" * (4 * LIMIT + 1)))
    assert code_of(too_big) == (413, "file.too_large")
    assert too_big.json()["error"]["details"] == {"max_bytes": 4 * LIMIT}


# --- at the ASGI level: what is read from the client ------------------------------------------------


async def call(path: str, headers: dict[str, str], messages: list[Message]) -> tuple[list[Message], int]:
    """Run the app on one request whose body arrives as `messages`; (what it sent, how many were read)."""
    pending = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("t", 80),
    }
    await app_with_limit()(scope, receive, send)
    return sent, len(messages) - len(pending)


def body_part(data: bytes, more: bool = True) -> Message:
    return {"type": "http.request", "body": data, "more_body": more}


async def test_a_declared_length_over_the_limit_is_refused_without_reading_a_byte() -> None:
    sent, read = await call(
        "/declared",
        {"content-type": "application/json", "content-length": str(1024 * 1024)},
        [body_part(b"{" * LIMIT) for _ in range(1024)],
    )
    assert (sent[0]["status"], read) == (413, 0)
    assert json.loads(sent[1]["body"])["error"]["code"] == "request.too_large"


async def test_a_lying_content_length_does_not_get_around_the_count() -> None:
    sent, read = await call(
        "/declared",
        {"content-type": "application/json", "content-length": "10"},
        [body_part(b" " * 512) for _ in range(8)] + [body_part(b"{}", more=False)],
    )
    assert sent[0]["status"] == 413
    assert read == 3  # refused on the message that crossed the limit (1,536 bytes); the rest was never read


async def test_an_anonymous_caller_on_a_protected_route_is_answered_before_any_body_is_read() -> None:
    sent, read = await call(
        "/protected",
        {"content-type": "application/json", "content-length": str(1024 * 1024)},
        [body_part(b"x" * LIMIT) for _ in range(1024)],
    )
    assert (sent[0]["status"], read) == (401, 0)
