"""Log lines every service process writes: one JSON object per line (or readable text for local
use), carrying the ids of the event or HTTP request being handled, with personal data masked.

    {"time": "2026-11-25T18:21:21.574+00:00", "level": "INFO", "service": "validator",
     "logger": "mumaris.kafka", "message": "handled mumaris.submission.received.v1 from submission.received in 41 ms",
     "event_id": "…", "event_type": "mumaris.submission.received.v1", "submission_id": "…"}

The ids travel in a context variable: the Kafka middleware (`mumaris.kafka.EventLogContext`) binds
the CloudEvents id, type and subject of each record, the HTTP middleware
(`mumaris.http.RequestLogContext`) the request id and the id in the path. A filter on the root
handler copies them onto every record, and another masks national IDs, mobiles, e-mail addresses
and one-time codes in the message and the exception text, whatever logger wrote them.
"""

import json
import logging
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Literal, TextIO

LogFormat = Literal["json", "text"]

# What a line may say about the work in hand, in this order.
CONTEXT_FIELDS = ("event_id", "event_type", "submission_id", "request_id")


@dataclass
class LogContext:
    """The ids of what the current task is handling. Mutable on purpose: an HTTP endpoint runs in a
    child task of the request middleware (Starlette), and an id it learns (`note`) must still
    reach the request's own log line, which the middleware writes from the parent task."""

    event_id: str | None = None
    event_type: str | None = None
    submission_id: str | None = None
    request_id: str | None = None


_current: ContextVar[LogContext | None] = ContextVar("mumaris_log_context", default=None)


def current() -> LogContext | None:
    return _current.get()


@contextmanager
def bind(**ids: str | None) -> Iterator[LogContext]:
    """Lines written inside the block carry these ids (empty values keep what an outer block set).
    A fresh context each time, so that nothing leaks into the next record a consumer task handles."""
    outer = _current.get() or LogContext()
    inner = replace(outer, **{name: value for name, value in ids.items() if value})
    token = _current.set(inner)
    try:
        yield inner
    finally:
        _current.reset(token)


def note(**ids: str | None) -> None:
    """Add ids learnt along the way (e.g. the submission id an upload just created) to the work in hand."""
    context = _current.get()
    if context is None:
        return
    for name, value in ids.items():
        if value and name in CONTEXT_FIELDS:
            setattr(context, name, value)


class AttachLogContext(logging.Filter):
    """Copies the ids of the work in hand onto the record; ids passed with `extra=` win."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _current.get()
        if context is not None:
            for name, value in asdict(context).items():
                if value and not getattr(record, name, None):
                    setattr(record, name, value)
        return True


# --- personal data -----------------------------------------------------------------------------
# Digit runs count only when no ASCII letter or digit touches them: the hex of a UUID or a SHA-256
# then never looks like an ID, while "id=1000000008" or "رقم 1000000008" still does.
_ALONE_BEFORE = r"(?<![0-9A-Za-z])"
_ALONE_AFTER = r"(?![0-9A-Za-z])"
_EMAIL = re.compile(r"(?<![\w.%+-])([\w.%+-])[\w.%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
# A one-time code: 4-8 digits shortly after a word that names it (the SMS text reads
# "رمز التحقق لمنصة ممارس: 470895").
_CODE = re.compile(r"(?i)\b(code|otp|pin|passcode|رمز|كود)\b([^\d\n]{0,40}?)(\d{4,8})(?!\d)")
_MOBILE = re.compile(rf"(?<![0-9A-Za-z+])(?:\+|00)?9665\d{{8}}{_ALONE_AFTER}|{_ALONE_BEFORE}05\d{{8}}{_ALONE_AFTER}")
_NATIONAL_ID = re.compile(rf"{_ALONE_BEFORE}[12]\d{{9}}{_ALONE_AFTER}")


def _keep_ends(value: str) -> str:
    """`1000000008` → `1******008`: enough to tell two numbers apart in an investigation, not to use one."""
    return value[0] + "*" * (len(value) - 4) + value[-3:]


def redact(text: str) -> str:
    """The text with national IDs / iqamas, Saudi mobiles, e-mail addresses and codes masked."""
    text = _EMAIL.sub(lambda m: f"{m[1]}***@{m[2]}", text)  # first: an address may hold digits
    text = _CODE.sub(lambda m: m[1] + m[2] + "*" * len(m[3]), text)  # a code keeps no digit at all
    text = _MOBILE.sub(lambda m: _keep_ends(m[0]), text)
    return _NATIONAL_ID.sub(lambda m: _keep_ends(m[0]), text)


class RedactPersonalData(logging.Filter):
    """Masks personal data in the formatted message, the exception text and the stack, and in the
    ids (a subject chosen by another system could be anything). Runs on the handler, so records of
    every library's loggers pass through it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep the template, drop the values
            message = f"{record.msg} (log arguments could not be formatted)"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for name in CONTEXT_FIELDS:
            if isinstance(value := getattr(record, name, None), str):
                setattr(record, name, redact(value))
        return True


# --- floods ------------------------------------------------------------------------------------
# A number inside a message (a port, a node id, an attempt count) does not make it another message.
_NUMBER = re.compile(r"\d+")


@dataclass
class _Repeats:
    window_start: float
    suppressed: int = 0
    level: int = logging.WARNING
    last_message: str = ""


class FloodGuard(logging.Filter):
    """While a dependency is away, libraries repeat the same warning thousands of times a second
    (aiokafka writes one ERROR per connection attempt, per client: ~5,000 lines a second for a
    service with a dozen consumers). The first line of a kind passes; the rest of its window are
    counted and told in one summary line ("… 1,234 times in the last 10 s"). A kind is the logger
    and the message template with its numbers blurred. INFO and below always pass: they are the
    one-line-per-event trail, not noise. A record with `extra={"every": True}` always passes too."""

    def __init__(self, window_s: float = 10.0) -> None:
        super().__init__()
        self.window_s = window_s
        self.handler: logging.Handler | None = None
        self._kinds: dict[tuple[str, str], _Repeats] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or getattr(record, "every", False) or getattr(record, "summary", False):
            return True
        kind = (record.name, _NUMBER.sub("#", str(record.msg)))
        at = time.monotonic()
        with self._lock:
            repeats = self._kinds.get(kind)
            if repeats is None or at - repeats.window_start >= self.window_s:
                if repeats is not None and repeats.suppressed:  # the count of the window that ended rides along
                    record.msg = (
                        f"{record.msg} (and {repeats.suppressed:,} more like it in the last "
                        f"{at - repeats.window_start:.0f} s)"
                    )
                self._kinds[kind] = _Repeats(window_start=at)
                return True
            repeats.suppressed += 1
            repeats.level = max(repeats.level, record.levelno)
            repeats.last_message = record.getMessage()
            return False

    def flush(self) -> None:
        """Tell what was held back in windows that have ended (called by a timer, so that the
        count of a flood that stopped is not lost)."""
        at = time.monotonic()
        with self._lock:
            ended = [kind for kind, repeats in self._kinds.items() if at - repeats.window_start >= self.window_s]
            summaries = [self._summary_of(kind, self._kinds.pop(kind), at) for kind in ended]
        for summary in summaries:
            if summary is not None:
                self._emit(summary)

    def _summary_of(self, kind: tuple[str, str], repeats: _Repeats, at: float) -> logging.LogRecord | None:
        if not repeats.suppressed:
            return None
        seconds = at - repeats.window_start
        record = logging.LogRecord(
            kind[0],
            repeats.level,
            __file__,
            0,
            "%s (and %s more like it in the last %.0f s)",
            (repeats.last_message, f"{repeats.suppressed:,}", seconds),
            None,
        )
        record.summary = True
        return record

    def _emit(self, record: logging.LogRecord) -> None:
        if self.handler is not None:
            self.handler.handle(record)


def _flush_periodically(guard: FloodGuard) -> None:
    while True:
        time.sleep(guard.window_s / 2)
        guard.flush()


# --- formats -----------------------------------------------------------------------------------
class JsonFormatter(logging.Formatter):
    """One JSON object per line (json.dumps escapes newlines, so a traceback stays on its line)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if value := getattr(record, name, None):
                entry[name] = str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the old line, with the ids appended when known."""

    def __init__(self, service: str) -> None:
        super().__init__(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s%(context_suffix)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [f"{name}={value}" for name in CONTEXT_FIELDS if (value := getattr(record, name, None))]
        record.context_suffix = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


def configure_logging(
    service: str, *, log_format: LogFormat = "json", level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Replace the root handlers with one that writes `log_format` lines to `stream` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(service) if log_format == "json" else TextFormatter(service))
    guard = FloodGuard()
    guard.handler = handler
    handler.addFilter(guard)  # first, while the record still has its template; summaries are masked too
    handler.addFilter(AttachLogContext())
    handler.addFilter(RedactPersonalData())  # after the ids are attached: it masks them too
    threading.Thread(target=_flush_periodically, args=(guard,), name="log-flood-guard", daemon=True).start()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings become log lines too, not free text in a JSON log
    return handler
