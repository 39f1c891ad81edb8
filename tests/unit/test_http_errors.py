"""The error handlers every service installs (mumaris/http.py): whatever FastAPI or Starlette
refuse on their own is answered in the shared error shape, with the status and headers the
OpenAPI documents promise (both found by the contract fuzzer, tests/e2e/test_api_contracts.py)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from mumaris.http import install_error_handlers


class Note(BaseModel):
    text: str


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/notes")
    async def add(note: Note) -> dict[str, Any]:
        return {"text": note.text}

    @app.get("/notes")
    async def notes() -> dict[str, Any]:
        return {"notes": []}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def test_a_method_the_route_does_not_have_is_answered_405_with_the_methods_it_has(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.request("TRACE", "/notes")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"  # every route on the path, not only the first
    assert answer.json()["error"]["code"] == "request.invalid"


async def test_a_json_body_that_is_not_utf_8_is_refused_like_one_that_is_not_json(http: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    not_utf8 = await http.post("/notes", content=b'{"text": "\xff\xfe"}', headers=headers)
    not_json = await http.post("/notes", content=b'{"text": ', headers=headers)
    assert (not_utf8.status_code, not_json.status_code) == (422, 422)
    assert not_utf8.json()["error"]["code"] == not_json.json()["error"]["code"] == "request.invalid"
    assert not_utf8.json()["error"]["details"] == [{"field": "body", "problem": "JSON decode error"}]
