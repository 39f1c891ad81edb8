"""Service log lines: JSON shape, the ids of the work in hand (Kafka and HTTP), personal data masked."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from faststream.kafka import TestKafkaBroker

from mumaris import logs
from mumaris.http import install_error_handlers, install_request_log_context
from mumaris.kafka import CloudEvent, make_broker, subscriber
from mumaris.logs import configure_logging, redact
from mumaris.settings import Settings
from schemas.cloudevents import CloudEventAttributes
from schemas.topics import SUBMISSION_RECEIVED


@pytest.fixture
def service_log() -> Iterator[io.StringIO]:
    """The root logger configured as `mumaris run` does, writing to a buffer; restored afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    buffer = io.StringIO()
    configure_logging("validator", stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
        logging.captureWarnings(False)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


# --- redaction ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("national id 1000000008", "national id 1******008"),
        ("iqama=2123456789;", "iqama=2******789;"),
        ("رقم الهوية 1000000008", "رقم الهوية 1******008"),
        ("sms to +966592481510 sent", "sms to +*********510 sent"),
        ("sms to 966592481510", "sms to 9********510"),
        ("sms to 00966592481510", "sms to 0**********510"),
        ("mobile 0551234567.", "mobile 0******567."),
        ("mail to noura.ca3528e6@example.sa failed", "mail to n***@example.sa failed"),
        ("From: Mumaris <no-reply@mumaris.local>", "From: Mumaris <n***@mumaris.local>"),
        ("your code is 470895", "your code is ******"),
        ("OTP: 1234", "OTP: ****"),
        ("رمز التحقق لمنصة ممارس: 470895 (صالح 5 دقائق)", "رمز التحقق لمنصة ممارس: ****** (صالح 5 دقائق)"),
        ("{'code': '47089512'}", "{'code': '********'}"),
    ],
)
def test_personal_data_is_masked(text: str, masked: str) -> None:
    assert redact(text) == masked
    assert redact(masked) == masked  # idempotent: a second handler or pass changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "submission 8d9f0c1a-d9eb-4ce8-b641-123456789012 in 1234 ms",  # a UUID whose tail is all digits
        "delivery 7f2a07b06dc4f65386701234567890ec385d16f3d2e6f24 sent",  # hex with a 10-digit run
        "kafka 127.0.0.1:57625, membership MP-00000034, 2026-11-25T22:13:52",
        "error_code 40001 and status_code=503",  # "code" inside a word, or too short
        "12345678901 is not an ID (11 digits), neither is 3000000008",
    ],
)
def test_ids_hashes_and_ordinary_numbers_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_arguments_and_exceptions_are_masked_once_formatted(service_log: io.StringIO) -> None:
    log = logging.getLogger("mumaris.test")
    log.warning("sign-up refused for %s (%s)", "reem@example.sa", "0551234567")
    try:
        raise ValueError("id_number '1000000008' is taken\nmobile +966551234567")
    except ValueError:
        log.exception("could not store the account")
    log.info("bad %d arguments", "not a number")  # a broken call logs its template, never raises

    warning, error, broken = lines(service_log)
    assert warning["message"] == "sign-up refused for r***@example.sa (0******567)"
    assert error["message"] == "could not store the account"
    assert "ValueError: id_number '1******008' is taken\nmobile +*********567" in error["exception"]
    assert "1000000008" not in service_log.getvalue() and "551234567" not in service_log.getvalue()
    assert broken["message"] == "bad %d arguments (log arguments could not be formatted)"


# --- the JSON line -----------------------------------------------------------------------------
def test_a_line_is_one_json_object_with_the_ids_of_the_work_in_hand(service_log: io.StringIO) -> None:
    log = logging.getLogger("mumaris.test")
    with logs.bind(event_id="e-1", event_type="mumaris.submission.received.v1", submission_id="s-1"):
        log.info("two\nlines, طلب")
    log.info("outside")

    assert len(service_log.getvalue().splitlines()) == 2
    inside, outside = lines(service_log)
    assert list(inside) == ["time", "level", "service", "logger", "message", "event_id", "event_type", "submission_id"]
    assert (inside["level"], inside["service"], inside["logger"]) == ("INFO", "validator", "mumaris.test")
    assert inside["message"] == "two\nlines, طلب"
    assert "طلب" in service_log.getvalue()  # Arabic stays readable, not \\u-escaped
    assert datetime.fromisoformat(inside["time"]).utcoffset() == UTC.utcoffset(None)
    assert (inside["event_id"], inside["submission_id"]) == ("e-1", "s-1")
    assert set(outside) == {"time", "level", "service", "logger", "message"}


def test_extra_ids_win_and_ids_are_masked_too(service_log: io.StringIO) -> None:
    with logs.bind(submission_id="s-1"):
        logging.getLogger("t").info("a", extra={"submission_id": "s-2"})
        logging.getLogger("t").info("b", extra={"submission_id": "1000000008"})  # an outside system's key
    assert [line["submission_id"] for line in lines(service_log)] == ["s-2", "1******008"]


def test_binding_nests_and_noting_reaches_the_enclosing_scope() -> None:
    logs.note(submission_id="nowhere")  # no work in hand: nothing to add to, nothing raised
    assert logs.current() is None
    with logs.bind(request_id="r-1") as request:
        with logs.bind(submission_id="s-1", request_id=None):
            assert logs.current() == logs.LogContext(submission_id="s-1", request_id="r-1")
        assert logs.current() is request and request.submission_id is None
        logs.note(submission_id="s-2")
        assert request.submission_id == "s-2"
    assert logs.current() is None


def test_the_text_format_keeps_the_old_line_and_appends_the_ids() -> None:
    record = logging.LogRecord("mumaris.kafka", logging.INFO, __file__, 1, "handled %s", ("x",), None)
    record.submission_id = "s-1"
    line = logs.TextFormatter("review").format(record)
    assert line.endswith(" review INFO mumaris.kafka: handled x [submission_id=s-1]")


# --- Kafka: one line per handled event, with its ids --------------------------------------------
class RecordingProducer:
    """Stands in for the dead-letter producer (a HealingProducer) where no broker runs."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]
    ) -> "asyncio.Future[None]":
        self.sent.append((topic, value))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def replace(self) -> None: ...

    async def stop(self) -> None: ...


async def test_every_handled_event_leaves_one_line_with_its_ids_and_failures_keep_them(
    service_log: io.StringIO,
) -> None:
    settings = Settings(retry_attempts=2, retry_backoff_s=0.001)
    broker, dead_letters = make_broker(settings, "validator")
    dead_letters.producer = RecordingProducer()  # type: ignore[assignment]  # no broker in a unit test
    tries: dict[str, int] = {}

    @subscriber(broker, SUBMISSION_RECEIVED, service="validator", settings=settings)
    async def handle(body: dict[str, Any], ce: CloudEvent) -> None:
        tries[ce.id] = tries.get(ce.id, 0) + 1
        logging.getLogger("mumaris.validator").info("checking")
        if body.get("flaky") and tries[ce.id] == 1:
            raise RuntimeError("database hiccup")

    def event(subject: str) -> dict[str, str]:
        return CloudEventAttributes.new(source="/test", type=SUBMISSION_RECEIVED.ce_type, subject=subject).to_headers()

    steady, flaky, broken = event("s-1"), event("s-2"), event("s-3")
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish({"ok": True}, topic=SUBMISSION_RECEIVED.name, key=b"s-1", headers=steady)
        await test_broker.publish({"flaky": True}, topic=SUBMISSION_RECEIVED.name, key=b"s-2", headers=flaky)
        await test_broker.publish(b'{"cut', topic=SUBMISSION_RECEIVED.name, key=b"s-3", headers=broken)
    logging.getLogger("mumaris.test").info("after")

    written = lines(service_log)
    handled = [line for line in written if line["message"].startswith("handled ")]
    assert [(h["submission_id"], h["event_id"]) for h in handled] == [("s-1", steady["ce_id"]), ("s-2", flaky["ce_id"])]
    assert all(h["event_type"] == SUBMISSION_RECEIVED.ce_type for h in handled)
    assert handled[0]["message"].startswith(
        f"handled {SUBMISSION_RECEIVED.ce_type} from {SUBMISSION_RECEIVED.name} in "
    )
    retried = next(line for line in written if line["level"] == "WARNING")
    dead = next(line for line in written if line["level"] == "ERROR")
    assert (retried["submission_id"], dead["submission_id"], dead["event_id"]) == ("s-2", "s-3", broken["ce_id"])
    assert "dead-lettered" in dead["message"]
    assert [topic for topic, _ in dead_letters.producer.sent] == [SUBMISSION_RECEIVED.dlq]  # type: ignore[attr-defined]
    assert "submission_id" not in written[-1]  # nothing leaks past the record it belongs to


# --- HTTP: the request id and the id in the path ------------------------------------------------
def request_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_request_log_context(app)
    log = logging.getLogger("mumaris.intake")

    @app.get("/v1/certificates/{submission_id}")
    async def read(submission_id: str) -> dict[str, str]:
        log.info("reading")
        return {"id": submission_id}

    @app.post("/v1/certificates", status_code=202)
    async def create() -> dict[str, str]:
        logs.note(submission_id="new-1")
        return {}

    @app.get("/v1/review/{review_id}/fail")
    async def fail(review_id: str) -> None:
        raise RuntimeError(f"lost the record of 1000000008 ({review_id})")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {}

    return app


async def test_requests_carry_their_id_and_the_id_in_their_path(service_log: io.StringIO) -> None:
    transport = httpx.ASGITransport(app=request_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        given = await client.get("/v1/certificates/s-1?token=secret", headers={"X-Request-ID": "req-42"})
        fresh = await client.post("/v1/certificates")
        forged = await client.get("/healthz", headers={"X-Request-ID": "x; injected=1"})
        failed = await client.get("/v1/review/r-9/fail", headers={"X-Request-ID": "req-43"})

    assert given.headers["x-request-id"] == "req-42"
    assert len(fresh.headers["x-request-id"]) == 32
    assert forged.headers["x-request-id"] not in ("", "x; injected=1")  # only short, plain ids are kept
    assert (failed.status_code, failed.headers["x-request-id"]) == (503, "req-43")

    ours = [line for line in lines(service_log) if line["logger"].startswith("mumaris.")]  # not the client's
    reading, read_line, create_line, fail_line, error = ours  # /healthz leaves no line
    assert (reading["message"], reading["request_id"], reading["submission_id"]) == ("reading", "req-42", "s-1")
    assert read_line["message"].startswith("GET /v1/certificates/s-1 200 in ")  # never the query string
    assert not any("secret" in json.dumps(line) for line in ours)
    assert (create_line["submission_id"], create_line["request_id"]) == ("new-1", fresh.headers["x-request-id"])
    assert (error["level"], error["request_id"], error["submission_id"]) == ("ERROR", "req-43", "r-9")
    assert "lost the record of 1******008" in error["exception"]
    assert fail_line["message"].startswith("GET /v1/review/r-9/fail failed in ")


# --- floods ------------------------------------------------------------------------------------
def guard_of(handler_owner: logging.Logger) -> logs.FloodGuard:
    return next(f for h in handler_owner.handlers for f in h.filters if isinstance(f, logs.FloodGuard))


def test_a_flood_of_one_warning_leaves_its_first_line_and_one_count(service_log: io.StringIO) -> None:
    guard = guard_of(logging.getLogger())
    guard.window_s = 600  # one window for the whole flood, however slow the machine
    kafka_log = logging.getLogger("aiokafka")
    for attempt in range(5000):  # what aiokafka writes per connection attempt while the broker is away
        kafka_log.error('Unable connect to "%s:%s": %s', "127.0.0.1", 40000 + attempt % 7, "[Errno 111] refused")
    logging.getLogger("mumaris.intake").info("an upload")  # the trail is never held back
    logging.getLogger("mumaris.kafka").error("dead-lettered %d", 1, extra={"every": True})
    logging.getLogger("mumaris.kafka").error("dead-lettered %d", 2, extra={"every": True})
    guard.window_s = 0  # the window ends
    guard.flush()

    written = lines(service_log)
    floods = [line for line in written if line["logger"] == "aiokafka"]
    assert len(floods) == 2
    assert floods[0]["message"].startswith('Unable connect to "127.0.0.1:40000"')
    assert floods[1]["level"] == "ERROR"
    assert "(and 4,999 more like it in the last " in floods[1]["message"]
    assert [line["message"] for line in written if line["logger"] != "aiokafka"] == [
        "an upload",
        "dead-lettered 1",
        "dead-lettered 2",
    ]


def test_a_kind_that_comes_back_after_its_window_passes_again_carrying_the_count_of_the_window_before(
    service_log: io.StringIO,
) -> None:
    guard = guard_of(logging.getLogger())
    guard.window_s = 600
    log = logging.getLogger("pymongo.test")
    for _ in range(3):
        log.warning("server 127.0.0.1:27017 unreachable (code 6)")
    guard.window_s = 0  # the window ends
    log.warning("server 127.0.0.1:27017 unreachable (code 6)")
    messages = [line["message"] for line in lines(service_log)]
    assert messages[0] == "server 127.0.0.1:27017 unreachable (code 6)"
    assert messages[1].startswith("server 127.0.0.1:27017 unreachable (code 6) (and 2 more like it in the last ")
    assert len(messages) == 2


def test_a_summary_masks_personal_data_like_every_line(service_log: io.StringIO) -> None:
    guard = guard_of(logging.getLogger())
    guard.window_s = 600
    for _ in range(3):
        logging.getLogger("mumaris.test").warning("could not text %s", "+966592481510")
    guard.window_s = 0
    guard.flush()
    assert "more like it" in lines(service_log)[-1]["message"]
    assert all("592481" not in line["message"] for line in lines(service_log))
