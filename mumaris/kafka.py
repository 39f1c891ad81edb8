"""Kafka wiring every service shares: the broker, subscribers with the delivery policy, the
CloudEvents dependency and the dead-letter middleware.

Delivery policy, for every subscriber:
- offsets are committed only after the handler returned (AckPolicy.NACK_ON_ERROR: on an error that
  escapes, the consumer seeks back and the record is read again);
- an event that cannot be parsed, lacks CloudEvents headers or fails its model goes straight to
  `<topic>.dlq` (retrying would not help);
- any other failure is retried with exponential backoff; after the last attempt the record goes to
  `<topic>.dlq` with the reason, the service and the attempt count in headers;
- if even the dead-letter publish fails (broker gone) the record is not committed, so it is not lost.
"""

import asyncio
import contextlib
import json
import logging
import random
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from types import TracebackType
from typing import Annotated, Any, TypeVar

from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from aiokafka.structs import RecordMetadata
from faststream import AckPolicy, BaseMiddleware, Context, Depends
from faststream.exceptions import HandlerException
from faststream.kafka import KafkaBroker, KafkaMessage, KafkaRouter
from faststream.message import StreamMessage
from pydantic import BaseModel, ValidationError

from mumaris import logs
from mumaris.logs import redact
from mumaris.settings import Settings, get_settings
from schemas.cloudevents import (
    CONTENT_TYPE,
    STRUCTURED_CONTENT_TYPE,
    CloudEventAttributes,
    InvalidCloudEvent,
    from_structured,
)
from schemas.topics import Topic

log = logging.getLogger("mumaris.kafka")
T = TypeVar("T")


class PermanentEventError(Exception):
    """The event can never be handled as it is (it contradicts what we know); retrying is pointless."""


# Failures that say "this record is broken", not "try again later".
NOT_RETRYABLE: tuple[type[BaseException], ...] = (
    ValidationError,
    InvalidCloudEvent,
    PermanentEventError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


class DeadLetter(Exception):
    """Why a record goes to `<topic>.dlq`. `description`: what x-dlq-error says instead of the
    error's own text (a batch handler that describes a validation error without its values)."""

    def __init__(self, reason: str, error: BaseException, attempts: int, *, description: str | None = None) -> None:
        super().__init__(f"{reason}: {error!r}")
        self.reason = reason
        self.error = error
        self.attempts = attempts
        self.description = description


def backoff_delay(attempt: int, base_s: float, max_s: float) -> float:
    """Exponential backoff: base, 2×base, 4×base … capped."""
    return float(min(max_s, base_s * 2 ** (attempt - 1)))


class DeadLetterPolicy:
    """Middleware factory (FastStream calls it once per received record)."""

    def __init__(self, service: str, settings: Settings) -> None:
        self.service = service
        self.attempts = max(1, settings.retry_attempts)
        self.base_s = settings.retry_backoff_s
        self.max_s = settings.retry_backoff_max_s
        # Its own producer: one that heals after an outage (HealingProducer), unlike the broker's.
        self.producer = HealingProducer(settings, f"mumaris-{service}-dlq")

    def __call__(self, msg: Any, /, *, context: Any) -> "_RetryThenDeadLetter":
        return _RetryThenDeadLetter(msg, context=context, policy=self)

    async def retrying(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work`, tried again with exponential backoff while it fails; DeadLetter when it cannot
        succeed: at once for a broken record (NOT_RETRYABLE), after the last attempt otherwise.
        Every subscriber's handler runs in it, and a batch handler runs its batch in it."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await work()
            except HandlerException:
                raise
            except NOT_RETRYABLE as exc:
                raise DeadLetter("invalid_event", exc, attempt) from exc
            except Exception as exc:
                if attempt >= self.attempts:
                    raise DeadLetter("retries_exhausted", exc, attempt) from exc
                delay = backoff_delay(attempt, self.base_s, self.max_s)
                log.warning("%s: attempt %d failed (%r); retrying in %.2fs", self.service, attempt, exc, delay)
                await asyncio.sleep(delay)

    async def publish(self, record: ConsumerRecord[Any, Any], dead: DeadLetter) -> None:
        """`record` to `<topic>.dlq` with why, where from and how often it was tried; raises when
        the broker did not take it (the record then stays uncommitted and is read again)."""
        error = dead.description or _one_line(dead.error)
        headers = _text_headers(record)
        headers.update(
            {
                "x-dlq-reason": dead.reason,
                # Operators read this header (`mumaris dlq list`): masked like the logs.
                "x-dlq-error": redact(error)[:1000],
                "x-dlq-service": self.service,
                "x-dlq-attempts": str(dead.attempts),
                "x-dlq-topic": record.topic,
                "x-dlq-partition": str(record.partition),
                "x-dlq-offset": str(record.offset),
                "x-dlq-at": datetime.now(UTC).isoformat(),
            }
        )
        try:
            await (
                await self.producer.send(record.topic + ".dlq", record.value or b"", key=record.key, headers=headers)
            )
        except Exception:
            await self.producer.replace()
            raise
        log.error(
            "%s: %s@%d/%d dead-lettered (%s after %d attempt(s)): %s",
            self.service,
            record.topic,
            record.partition,
            record.offset,
            dead.reason,
            dead.attempts,
            error[:300],
            extra={"every": True},  # one line per dead letter, whatever their number (FloodGuard)
        )


class _RetryThenDeadLetter(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, policy: DeadLetterPolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        return await self.policy.retrying(lambda: call_next(msg))

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if exc_val is None or isinstance(exc_val, HandlerException | asyncio.CancelledError):
            return False
        if isinstance(exc_val, DeadLetter):
            dead = exc_val
        else:  # raised while parsing, before any handler ran
            dead = DeadLetter("invalid_event" if isinstance(exc_val, NOT_RETRYABLE) else "unparseable", exc_val, 1)
        try:
            await self._publish_dead_letter(dead)
        except Exception:
            log.exception("%s: could not dead-letter a record; it stays uncommitted", self.policy.service)
            return False
        return True  # handled: the record is committed, the consumer goes on

    async def _publish_dead_letter(self, dead: DeadLetter) -> None:
        await self.policy.publish(self.msg, dead)


def _one_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".replace("\n", " ")


def _text_headers(record: ConsumerRecord[Any, Any]) -> dict[str, str]:
    return {key: value.decode("utf-8", "replace") for key, value in record.headers or ()}


def _event_ids(headers: dict[str, str], key: str | None) -> dict[str, str | None]:
    """The log ids of a CloudEvent: its id, its type, and its subject (the Kafka key when absent)."""
    return {
        "event_id": headers.get("ce_id"),
        "event_type": headers.get("ce_type"),
        "submission_id": headers.get("ce_subject") or key,
    }


def _text(value: bytes | str | None) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class EventLogContext(BaseMiddleware):
    """Every line written while a record is handled carries its CloudEvents id, type and subject,
    and each handled event leaves exactly one INFO line ("handled <type> … in N ms"): the trail of
    a submission through the services. Failures are told by DeadLetterPolicy's own lines."""

    def __init__(self, msg: Any, /, *, context: Any) -> None:
        super().__init__(msg, context=context)
        self._scope = ExitStack()

    async def on_receive(self) -> None:
        # Bound from the raw record, before parsing: a record that cannot be parsed is
        # dead-lettered by the policy inside this scope, and that line must say which event it was.
        if isinstance(self.msg, ConsumerRecord):
            headers = {name: _text(value) or "" for name, value in self.msg.headers or ()}
            self._scope.enter_context(logs.bind(**_event_ids(headers, _text(self.msg.key))))

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:
        started = time.perf_counter()
        if isinstance(self.msg, tuple):  # a batch subscriber: no single event to name
            result = await call_next(msg)
            log.info(
                "handled a batch of %d %s record(s) from %s in %.0f ms",
                len(self.msg),
                msg.headers.get("ce_type", "event"),
                self.msg[0].topic if self.msg else "?",
                (time.perf_counter() - started) * 1000,
            )
            return result
        # Parsed headers: a structured-mode event only reveals its attributes once parsed.
        with logs.bind(**_event_ids(msg.headers, None)):
            result = await call_next(msg)
            log.info(
                "handled %s from %s in %.0f ms",
                msg.headers.get("ce_type", "an event"),
                getattr(self.msg, "topic", "?"),
                (time.perf_counter() - started) * 1000,
            )
            return result

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        self._scope.close()
        return False


def make_broker(
    settings: Settings, service: str, *, middlewares: tuple[Any, ...] = ()
) -> tuple[KafkaBroker, DeadLetterPolicy]:
    policy = DeadLetterPolicy(service, settings)
    broker = KafkaBroker(
        settings.kafka_bootstrap,
        client_id=f"mumaris-{service}",
        acks="all" if settings.kafka_acks == "all" else int(settings.kafka_acks),
        enable_idempotence=settings.kafka_idempotent_producer,
        request_timeout_ms=settings.kafka_request_timeout_ms,
        # Outermost, so the dead-letter lines of the policy (innermost) carry the event's ids too.
        middlewares=(EventLogContext, *middlewares, policy),
        logger=logging.getLogger(f"mumaris.{service}.broker"),
        # FastStream's own "Received" / "Processed" pair per record goes to DEBUG: the INFO trail
        # is EventLogContext's single line per event. Its errors keep their ERROR level.
        log_level=logging.DEBUG,
    )
    # Where a batch handler finds the policy, to retry its batch and dead-letter records itself.
    broker.context.set_global(DEAD_LETTERS, policy)
    return broker, policy


DEAD_LETTERS = "dead_letters"
DeadLetters = Annotated[DeadLetterPolicy, Context(DEAD_LETTERS)]


def cloudevents_parser(
    topic: Topic,
) -> Callable[[ConsumerRecord[Any, Any], Callable[..., Awaitable[Any]]], Awaitable[Any]]:
    """FastStream's parser, plus: a structured-mode CloudEvent (`application/cloudevents+json`) is
    turned into its binary-mode form (ce_* headers + data as the body), and an event whose type is
    not the topic's (another event, or another version) is refused before any handler sees it."""

    async def parse(record: ConsumerRecord[Any, Any], original: Callable[..., Awaitable[Any]]) -> Any:
        message = await original(record)
        if _is_structured(message.content_type):
            attrs, data = from_structured(message.body)
            message.headers = {**message.headers, **attrs.to_headers()}
            message.body = data
            message.content_type = CONTENT_TYPE
        _refuse_other_type(message.headers.get("ce_type"), topic)
        return message

    return parse


def decode_cloud_event(record: ConsumerRecord[Any, Any], topic: Topic) -> tuple[CloudEventAttributes, bytes]:
    """One raw record's CloudEvents attributes and data, in binary or structured mode, checked as
    `cloudevents_parser` checks them: for a batch handler, which decodes each record itself.
    Raises InvalidCloudEvent when the attributes are missing or of another type than the topic's."""
    headers = _text_headers(record)
    if _is_structured(headers.get("content-type")):
        attrs, data = from_structured(record.value or b"")
    else:
        attrs, data = CloudEventAttributes.from_headers(headers), record.value or b""
    _refuse_other_type(attrs.type, topic)
    return attrs, data


def _is_structured(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip() == STRUCTURED_CONTENT_TYPE


def _refuse_other_type(event_type: str | None, topic: Topic) -> None:
    if event_type is not None and event_type != topic.ce_type:
        raise InvalidCloudEvent(f"type {event_type!r} is not {topic.ce_type!r}, the type of {topic.name}")


Registrar = KafkaBroker | KafkaRouter
# What `subscriber` gives: FastStream's subscriber, which decorates the handler.
SubscriberDecorator = Callable[[Callable[..., Awaitable[Any]]], Any]


def subscriber(
    registrar: Registrar,
    topic: Topic,
    *,
    service: str,
    settings: Settings | None = None,
    batch: bool = False,
    note: str = "",
    group: str | None = None,
    **options: Any,
) -> SubscriberDecorator:
    """A subscriber in the service's own consumer group, committing after the handler succeeds;
    its partitions are consumed in parallel (each one in order). Events arrive as CloudEvents in
    binary or structured mode. `batch`: the handler receives lists (it then parses and dead-letters
    each record itself, and passes its own `parser`); `note` adds to the AsyncAPI description;
    `group`: a consumer group of its own (`<service>-<group>`) for an area that reads the same topic
    as another area of the service for a purpose of its own (each group gets every record; within
    one group a second subscriber would take half the partitions).

    On an area's module-level `KafkaRouter` the options come from the environment's settings when
    the module is imported (FastStream fixes a subscriber's options when it is declared)."""
    settings = settings or get_settings()
    # Every subscriber joining the group at start-up is a rebalance that waits for each member's
    # next heartbeat: a short heartbeat keeps a service with many subscribers starting in seconds.
    options.setdefault("heartbeat_interval_ms", settings.kafka_heartbeat_interval_ms)
    options.setdefault("session_timeout_ms", settings.kafka_session_timeout_ms)
    options.setdefault("parser", cloudevents_parser(topic))
    if batch:
        options["batch"] = True
    else:
        options.setdefault("max_workers", settings.kafka_consumers_per_subscriber)
    description = (
        f"{topic.description}\n\nCloudEvents 1.0, type `{topic.ce_type}`: binary mode (headers ce_id, "
        f"ce_source, ce_type, ce_specversion, ce_time, ce_subject; JSON body) or structured mode "
        f"(content-type application/cloudevents+json). Kafka key: `{topic.key}`. ce_id is the "
        f"idempotency key. Unusable events go to `{topic.dlq}`."
    )
    # Typed as the decorator it is, so a decorated handler stays typed code for mypy.
    group_id = f"{service}-{group}" if group else service
    decorator: SubscriberDecorator = registrar.subscriber(
        topic.name,
        group_id=group_id,
        auto_offset_reset=settings.kafka_auto_offset_reset,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=f"{group_id}:{topic.name}",
        description=f"{description} {note}".strip(),
        **options,
    )
    return decorator


def publishes(registrar: Registrar, topic: Topic, *, service: str) -> None:
    """Declare that `service` publishes `topic`. Its events leave through the outbox relay, not
    through this publisher; the declaration puts the channel, its payload schema and its CloudEvents
    type in the service's AsyncAPI document, beside what it consumes."""
    registrar.publisher(
        topic.name,
        title=f"{service}:{topic.name}:publish",
        description=(
            f"{topic.description}\n\nPublished by {service} through its transactional outbox, as "
            f"CloudEvents 1.0 in binary mode, type `{topic.ce_type}`, Kafka key `{topic.key}`."
        ),
        schema=topic.model,
    )


def _cloud_event(message: KafkaMessage) -> CloudEventAttributes:
    return CloudEventAttributes.from_headers(message.headers)


CloudEvent = Annotated[CloudEventAttributes, Depends(_cloud_event)]


def encode_event(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


_MURMUR_M = 0x5BD1E995
_MURMUR_SEED = 0x9747B28C
_WORDS = struct.Struct("<I")


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (Java's `Utils.murmur2`, as an unsigned 32-bit number): the same result
    as aiokafka's, which masks every step and adds bytes one at a time, in half its time (the
    relay hashes the key of every event it publishes). Tested against both."""
    length = len(data)
    h = _MURMUR_SEED ^ length
    tail = length & ~3
    for (k,) in _WORDS.iter_unpack(data[:tail]):
        k = (k * _MURMUR_M) & 0xFFFFFFFF
        k ^= k >> 24
        h = ((h * _MURMUR_M) & 0xFFFFFFFF) ^ ((k * _MURMUR_M) & 0xFFFFFFFF)
    extra = length & 3
    if extra == 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h = ((h ^ data[tail]) * _MURMUR_M) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * _MURMUR_M) & 0xFFFFFFFF
    return h ^ (h >> 15)


def key_partitioner(key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
    """aiokafka's (and the Java client's) default partitioner, with the faster `murmur2`: a key
    lands on the partition every other Kafka client would put it on."""
    if key is None:
        return random.choice(available or all_partitions)
    return all_partitions[(murmur2(key) & 0x7FFFFFFF) % len(all_partitions)]


class HealingProducer:
    """An idempotent aiokafka producer that is replaced, not retried forever, after a failed send.

    Why replace: an idempotent producer numbers each partition's batches. A batch that fails
    without reaching the log (it expired while the broker was away, after it had been given a
    sequence number) leaves a gap the broker will never fill, and from then on every batch of that
    partition is refused with `OutOfOrderSequenceNumber` — for as long as that producer lives. The
    same holds for an unknown producer id or a fenced epoch. A new producer gets a new producer id
    and starts its sequences at zero, so the caller resends what was not acknowledged with it.

    Why these settings keep one key's events in order:
    - `enable_idempotence` (hence `acks="all"`): the broker writes a partition's batches only in
      sequence order and refuses any batch after a gap, so what lands of one producer's sends is
      always a prefix of them, in order, never a later event without an earlier one;
    - in-flight requests: aiokafka sends at most one batch per partition at a time (it mutes the
      partition until the answer), the strictest setting Kafka has;
    - delivery timeout: aiokafka has none of its own; a batch waits `request_timeout_ms` for a
      partition leader and is otherwise retried until the broker answers. Callers wait for every
      send to settle before they resend anything, and resend in the original order.
    """

    def __init__(self, settings: Settings, client_id: str) -> None:
        self.settings = settings
        self.client_id = client_id
        self.replacements = 0
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()  # consumers dead-lettering at once start one producer, not several

    def _new(self) -> AIOKafkaProducer:
        settings = self.settings
        return AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap,
            client_id=self.client_id,
            acks="all"
            if settings.kafka_idempotent_producer or settings.kafka_acks == "all"
            else int(settings.kafka_acks),
            enable_idempotence=settings.kafka_idempotent_producer,
            request_timeout_ms=settings.kafka_request_timeout_ms,
            linger_ms=settings.kafka_linger_ms,
            max_batch_size=settings.kafka_max_batch_bytes,
            partitioner=key_partitioner,
        )

    async def ready(self) -> AIOKafkaProducer:
        """The live producer, started now if there is none (raises while the broker is unreachable)."""
        async with self._starting:
            if self._producer is None:
                producer = self._new()
                try:
                    await producer.start()
                except BaseException:
                    await _discard(producer)
                    raise
                self._producer = producer
            return self._producer

    async def send(
        self, topic: str, value: bytes, *, key: bytes | None, headers: Mapping[str, str]
    ) -> "asyncio.Future[RecordMetadata]":
        """Queue one record; the future settles when the broker acknowledged it or it failed."""
        producer = self._producer or await self.ready()  # the lock only while there is none
        queued: asyncio.Future[RecordMetadata] = await producer.send(
            topic, value, key=key, headers=[(name, text.encode()) for name, text in headers.items()]
        )
        return queued

    async def replace(self) -> None:
        """Drop the current producer; the next send starts a fresh one (a new producer id).
        Anything it still holds is failed at once: its callers keep those records and resend them."""
        producer, self._producer = self._producer, None
        if producer is not None:
            self.replacements += 1
            await _discard(producer)

    async def stop(self) -> None:
        """Deliver what is queued if the broker answers within a few seconds, then let go."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        with contextlib.suppress(Exception):  # the broker is away: what is queued stays with its callers
            await asyncio.wait_for(producer.flush(), 5.0)
        await _discard(producer)


async def _discard(producer: AIOKafkaProducer) -> None:
    """Stop a producer without waiting on a broker that is gone. aiokafka's `stop()` flushes first,
    which never ends while the broker is away, so its queued and in-flight batches are failed
    beforehand (the accumulator's own `fail_all`, what aiokafka itself does when its sender dies)."""
    producer._message_accumulator.fail_all(KafkaError("producer discarded"))
    try:
        await asyncio.wait_for(producer.stop(), 5.0)
    except Exception:
        log.debug("a discarded producer did not stop cleanly", exc_info=True)
