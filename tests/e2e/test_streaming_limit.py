"""An upload over the size limit is refused while it is still arriving, not after it was read."""

import asyncio
import json
from urllib.parse import urlparse

import httpx
import pytest

from tests.e2e.conftest import Pipeline

pytestmark = pytest.mark.e2e

TOTAL = 64 * 1024 * 1024  # what the client would send; far over the 5 MiB limit
CHUNK = b"\x00" * 65536


async def test_an_oversized_chunked_upload_gets_413_before_the_body_is_read(
    pipeline: Pipeline, http: httpx.AsyncClient
) -> None:
    _, auth = pipeline.practitioner()
    url = urlparse(pipeline.url("intake"))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    boundary = "mumarisboundary7"
    writer.write(
        (
            "POST /v1/certificates HTTP/1.1\r\n"
            f"Host: {url.netloc}\r\nAuthorization: {auth['Authorization']}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"  # no Content-Length to refuse up front
        ).encode()
    )
    preamble = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
        + json.dumps(
            {
                "name": "X-ray course",
                "obtained_on": "2025-01-01",
                "institution": "KSU",
                "specialty": "Radiology",
                "degree": "Course",
            }
        )
        + f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + b"\xff\xd8\xff"
    writer.write(f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")

    sent = 0

    async def stream_body() -> None:
        nonlocal sent
        try:
            while sent < TOTAL:
                writer.write(f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n")
                await writer.drain()
                sent += len(CHUNK)
                await asyncio.sleep(0)  # drain() need not yield; let the reader see an early answer
        except (ConnectionError, OSError):
            pass  # the server stopped listening: that is the point

    sender = asyncio.create_task(stream_body())
    status_line, rest, sent_when_refused = b"", b"", None
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=60)
        sent_when_refused = sent
        rest = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        length = next(
            int(line.split(b":", 1)[1]) for line in rest.split(b"\r\n") if line.lower().startswith(b"content-length:")
        )
        rest += await asyncio.wait_for(reader.readexactly(length), timeout=10)
    except (ConnectionResetError, asyncio.IncompleteReadError):
        # The server answered and closed with our unread bytes still in its buffer; the kernel then
        # resets the connection, which can discard the answer before we read it. Either way it
        # stopped reading early, which is what this test is about.
        sent_when_refused = sent if sent_when_refused is None else sent_when_refused
    finally:
        sender.cancel()
        writer.close()

    assert sent_when_refused is not None and sent_when_refused < TOTAL / 4, (
        f"{sent_when_refused} bytes were sent before the refusal"
    )
    if status_line:
        assert status_line.startswith(b"HTTP/1.1 413"), status_line
    if b"\r\n\r\n" in rest and rest.split(b"\r\n\r\n", 1)[1]:  # the body, when the reset spared it
        assert b'"file.too_large"' in rest
    mine = (await http.get(f"{pipeline.url('intake')}/v1/certificates", headers=auth)).json()
    assert mine["items"] == []
