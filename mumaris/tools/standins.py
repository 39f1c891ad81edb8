"""Stand-ins for the outside world on loopback, for the demo and the tests: the commission's SMS
gateway (a real HTTP server) and a mail catcher (a real SMTP server).

The SMS gateway stand-in:

It runs in its own thread, so it keeps answering whatever the test's event loop is doing, and it
can be used from sync and async tests alike:

    with SmsGatewayStandIn() as gateway:                 # or: async with ..., or start()/stop()
        settings = Settings(sms_gateway_url=gateway.url)
        gateway.fail_next(2, status=503)                 # the next two requests get a 503
        gateway.refuse_number("+966500000000")           # 400 invalid_number, every time
        gateway.hold_next()                              # keep the next request unanswered ...
        await gateway.wait_until_held()                  # ... until it has arrived ...
        gateway.release()                                # ... and let it through
        ...
        assert gateway.messages[-1]["text"].startswith("رمز التحقق")

What it records:
- `requests`: every request, answered or refused, with its headers and the status it got.
- `messages`: the JSON body of every request it accepted (2xx), in order, repeats included, so a
  test can see whether the notifier sent the same delivery twice.
- `delivered`: the accepted bodies once per idempotency key: what phones would receive, since a
  real gateway drops a repeated key (and, like one, the stand-in answers a repeat with the same id).
- `repeats`: the accepted requests whose idempotency key had been accepted before (dropped, as a
  real gateway drops them), with their key.
"""

import asyncio
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller

from mumaris.tools.stack import free_port

PATH = "/messages"


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: Any  # parsed JSON, or None when the body was not JSON
    status: int  # what the stand-in answered


@dataclass(frozen=True)
class Repeat:
    key: str  # the Idempotency-Key the request repeated
    body: Any


@dataclass
class _Planned:
    status: int | None = None  # None: answer normally
    stall_s: float = 0.0
    hold: bool = False  # wait for release() (or stop()) before answering
    body: Any = None
    retry_after: int | None = None


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[GatewayRequest] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ids_by_key: dict[str, str] = field(default_factory=dict)
    repeats: list[Repeat] = field(default_factory=list)
    refused_numbers: dict[str, int] = field(default_factory=dict)  # number → status
    plan: deque[_Planned] = field(default_factory=deque)
    stopping: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)  # a held request has arrived
    released: threading.Event = field(default_factory=threading.Event)


class SmsGatewayStandIn:
    """See the module docstring. `api_key`, when given, is required as `Authorization: Bearer ...`
    (401 otherwise), like the real gateway; by default any credentials are accepted and recorded."""

    def __init__(self, *, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_key = api_key
        self._host = host
        self._port = port
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        state, api_key = self._state, self.api_key
        state.stopping.clear()

        class Handler(_GatewayHandler):
            pass

        Handler.state = state
        Handler.api_key = api_key
        server = ThreadingHTTPServer((self._host, self._port), Handler)
        server.daemon_threads = True
        server.block_on_close = False  # a stalled answer must not hold up stop()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sms-gateway-stand-in", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._state.stopping.set()  # wakes stalled answers
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- where it listens ------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the SMS gateway stand-in is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The endpoint to put in `Settings.sms_gateway_url`."""
        return f"http://{self._host}:{self.port}{PATH}"

    # --- steering the next answers ----------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 503, body: Any = None, retry_after: int | None = None) -> None:
        """Answer the next `count` requests with `status` (and `body` as JSON, if given) instead of
        accepting them. Queued after whatever is already planned."""
        with self._state.lock:
            self._state.plan.extend(_Planned(status=status, body=body, retry_after=retry_after) for _ in range(count))

    def stall_next(self, count: int = 1, *, seconds: float = 30.0) -> None:
        """Hold the next `count` requests for `seconds` before answering (normally), to make the
        client time out. The stand-in accepts them as it would after the delay."""
        with self._state.lock:
            self._state.plan.extend(_Planned(stall_s=seconds) for _ in range(count))

    def refuse_number(self, phone: str, *, status: int = 400) -> None:
        """Refuse every request to `phone` with `status` and `{"error": "invalid_number"}`, the way a
        gateway refuses a number that cannot receive SMS."""
        with self._state.lock:
            self._state.refused_numbers[phone] = status

    def hold_next(self) -> None:
        """Keep the next request (after whatever is already planned) unanswered until `release()`:
        the gateway has it, the sender does not know yet. For tests that crash the sender then."""
        with self._state.lock:
            self._state.holding.clear()
            self._state.released.clear()
            self._state.plan.append(_Planned(hold=True))

    async def wait_until_held(self, timeout: float = 30.0) -> None:
        """Wait until the request planned by `hold_next()` has arrived (and is being held)."""
        deadline = time.monotonic() + timeout
        while not self._state.holding.is_set():
            if time.monotonic() >= deadline:
                raise TimeoutError("no request reached the SMS gateway stand-in to hold")
            await asyncio.sleep(0.02)

    def release(self) -> None:
        """Let the held request go on: it is accepted (or refused) as if it had never waited."""
        self._state.released.set()

    def reset(self) -> None:
        """Forget everything received and everything planned (between tests sharing one stand-in)."""
        with self._state.lock:
            self._state.requests.clear()
            self._state.messages.clear()
            self._state.ids_by_key.clear()
            self._state.repeats.clear()
            self._state.refused_numbers.clear()
            self._state.plan.clear()
        self._state.released.set()  # nothing stays held across tests

    # --- what it received -------------------------------------------------------------------

    @property
    def requests(self) -> list[GatewayRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        seen: set[str] = set()
        unique: list[dict[str, Any]] = []
        for message in self.messages:
            key = str(message.get("reference"))
            if key not in seen:
                seen.add(key)
                unique.append(message)
        return unique

    @property
    def repeats(self) -> list[Repeat]:
        with self._state.lock:
            return list(self._state.repeats)

    def messages_to(self, phone: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message.get("to") == phone]

    def delivered_to(self, phone: str) -> list[dict[str, Any]]:
        """What the phone itself received: repeats of an idempotency key dropped."""
        return [message for message in self.delivered if message.get("to") == phone]

    def requests_to(self, phone: str) -> list[GatewayRequest]:
        return [r for r in self.requests if isinstance(r.body, dict) and r.body.get("to") == phone]

    async def wait_for_messages(
        self, count: int = 1, *, to: str | None = None, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """Wait until at least `count` messages (to `to`, if given) were accepted; return them."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages if to is None else self.messages_to(to)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the SMS gateway stand-in received {len(found)} message(s), expected {count}")
            await asyncio.sleep(0.05)


class _GatewayHandler(BaseHTTPRequestHandler):
    state: _State
    api_key: str | None
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet, and the bodies carry OTP codes anyway

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}

        with self.state.lock:
            planned = self.state.plan.popleft() if self.state.plan else _Planned()
        if planned.stall_s:
            self.state.stopping.wait(planned.stall_s)
        if planned.hold:
            self.state.holding.set()
            while not (self.state.released.wait(0.05) or self.state.stopping.is_set()):
                pass

        status, answer, extra = self._decide(planned, headers, body)
        with self.state.lock:
            self.state.requests.append(GatewayRequest("POST", self.path, headers, body, status))
            if 200 <= status < 300 and isinstance(body, dict):
                key = str(headers.get("idempotency-key") or body.get("reference") or "")
                if key and key in self.state.ids_by_key:
                    self.state.repeats.append(Repeat(key, body))
                message_id = (
                    self.state.ids_by_key.setdefault(key, f"msg-{uuid.uuid4().hex[:12]}")
                    if key
                    else f"msg-{uuid.uuid4().hex[:12]}"
                )
                self.state.messages.append(body)
                answer = {"id": message_id, "status": "queued"}
        self._answer(status, answer, extra)

    def _decide(self, planned: _Planned, headers: dict[str, str], body: Any) -> tuple[int, Any, dict[str, str]]:
        if planned.status is not None:
            extra = {"Retry-After": str(planned.retry_after)} if planned.retry_after is not None else {}
            try:
                default = {"error": HTTPStatus(planned.status).phrase.lower().replace(" ", "_")}
            except ValueError:
                default = {"error": "error"}
            return planned.status, planned.body if planned.body is not None else default, extra
        if self.path.split("?", 1)[0] != PATH:
            return 404, {"error": "not_found"}, {}
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {"error": "unauthorized"}, {}
        if not isinstance(body, dict) or not all(
            isinstance(body.get(name), str) and body.get(name) for name in ("to", "from", "text")
        ):
            return 400, {"error": "invalid_request"}, {}
        with self.state.lock:
            refused = self.state.refused_numbers.get(body["to"])
        if refused is not None:
            return refused, {"error": "invalid_number"}, {}
        return 202, None, {}

    def _answer(self, status: int, answer: Any, extra: dict[str, str]) -> None:
        payload = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out) before the answer


class MailCatcher:
    """A real SMTP server on loopback that keeps what it receives.

    `hang()` makes it behave like a mail server that has stopped working but still accepts
    connections: it greets, then never answers EHLO/HELO, so every client waits for its timeout;
    `answer()` brings it back (connections that were left hanging stay dead).
    """

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.hung_sessions = 0  # how many clients reached it while it was hanging
        self.port = free_port()
        self._answering = threading.Event()
        self._answering.set()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def hang(self) -> None:
        self._answering.clear()

    def answer(self) -> None:
        self._answering.set()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        await self._hang_while_told()
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        await self._hang_while_told()
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def _hang_while_told(self) -> None:
        if self._answering.is_set():
            return
        self.hung_sessions += 1
        while not self._answering.is_set():  # noqa: ASYNC110 - a threading.Event, set from the test's thread
            await asyncio.sleep(0.05)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def __enter__(self) -> "MailCatcher":
        self._controller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._controller.stop()
