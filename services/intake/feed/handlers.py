"""gov.certificates: intake's batch subscriber for the bulk certificate feeds.

Delivery, kept as every other consumer keeps it but per batch of up to `feed_batch_max_records`:
- the batch's offsets are committed after it has been handled (AckPolicy.NACK_ON_ERROR);
- each record is decoded alone (`mumaris.kafka.decode_cloud_event`: binary or structured mode, the
  topic's type; then the model): a broken one is dead-lettered alone to `gov.certificates.dlq` by
  the broker's own `DeadLetterPolicy` (the same x-dlq-* headers), and the rest of the batch goes on;
- effect-once: every event id is applied once and a record_id once (the CertificateFeed use case);
- a failure of the batch (the database away) retries the whole batch with the policy's backoff
  (`DeadLetterPolicy.retrying`); after the last attempt its records are dead-lettered
  (`retries_exhausted`) to be replayed;
- if even the dead-letter publish fails, the batch is not committed and is read again.

Why the handler decodes and dead-letters itself: the parser and the dead-letter middleware work on
one record, and a FastStream batch is one message holding a tuple of records (the parser would see
only the first record's headers, and a failure before the handler could not be dead-lettered and
would be read again forever). So this subscriber parses leniently and takes the raw records; the
broker's middleware only ever sees a handler that returns or raises NackMessage (which it passes
on: the batch is read again).

The subscriber's options (batch size among them) come from the environment's settings when this
module is imported.
"""

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeAlias, TypeVar

from aiokafka import ConsumerRecord
from faststream import Context
from faststream.exceptions import NackMessage
from faststream.kafka import KafkaRouter
from pydantic import ValidationError, WithJsonSchema

from mumaris.kafka import NOT_RETRYABLE, DeadLetter, DeadLetterPolicy, DeadLetters, decode_cloud_event, subscriber
from mumaris.openapi import inline_refs
from mumaris.settings import get_settings
from schemas import topics
from schemas.events import CertificateFeedRecord
from services.intake import SERVICE
from services.intake.feed.rules import FeedItem
from services.intake.feed.service import BatchOutcome, CertificateFeed

log = logging.getLogger("mumaris.intake.feed")
TOPIC = topics.GOV_CERTIFICATES
Record: TypeAlias = ConsumerRecord[Any, Any]
T = TypeVar("T")
Feed = Annotated[CertificateFeed, Context("certificate_feed")]

router = KafkaRouter()


# --- one record off the wire ------------------------------------------------------------------


def decode_record(record: Record) -> FeedItem:
    """The record's CloudEvent and body, in binary or structured mode. Raises (InvalidCloudEvent,
    ValidationError) when it is not a gov.certificates event we can read."""
    attrs, data = decode_cloud_event(record, TOPIC)
    return FeedItem(attrs, CertificateFeedRecord.model_validate_json(data))


def describe(error: BaseException) -> str:
    """One line for x-dlq-error and the log. A validation error is described without the values
    it refused: the value of a malformed `national_id` is still someone's ID number."""
    if isinstance(error, BaseExceptionGroup) and error.exceptions:  # from the batch's task group
        return describe(error.exceptions[0])
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(body)'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        return f"ValidationError: {problems}"[:1000]
    return f"{type(error).__name__}: {error}".replace("\n", " ")[:1000]


def dead_letter(reason: str, error: BaseException, attempts: int) -> DeadLetter:
    return DeadLetter(reason, error, attempts, description=describe(error))


async def lenient_batch_parser(records: tuple[Record, ...], original: Callable[..., Awaitable[Any]]) -> Any:
    """FastStream's batch parser decodes every header as strict UTF-8 before any handler runs: one
    record with a broken header would fail its whole batch, again and again. Retry with the
    headers made readable (the handler judges each record on its own)."""
    try:
        return await original(records)
    except UnicodeDecodeError:
        readable = tuple(
            dataclasses.replace(r, headers=[(k, v.decode("utf-8", "replace").encode()) for k, v in r.headers or ()])
            for r in records
        )
        return await original(readable)


async def undecoded(message: Any) -> list[Record]:
    """The batch as the raw records: the handler decodes each one itself, so one bad body cannot
    fail FastStream's decoding (JSON of every body) of the whole batch."""
    return list(message.raw_message)


# The handler takes the raw records, but the AsyncAPI document shows publishers what one record's
# body is (refs inlined: FastStream cannot resolve the nested models' refs of an override).
RawFeedBatch = Annotated[list[Any], WithJsonSchema(inline_refs(CertificateFeedRecord.model_json_schema()))]


# --- the batch --------------------------------------------------------------------------------


def decode_batch(
    records: Sequence[Record], decode: Callable[[Record], T]
) -> tuple[list[tuple[Record, T]], list[tuple[Record, DeadLetter]]]:
    """The records that decode (`decode`: one record, or raise), and those set aside for the
    dead-letter topic."""
    decoded: list[tuple[Record, T]] = []
    dead: list[tuple[Record, DeadLetter]] = []
    for record in records:
        try:
            decoded.append((record, decode(record)))
        except Exception as exc:
            reason = "invalid_event" if isinstance(exc, NOT_RETRYABLE) else "unparseable"
            dead.append((record, dead_letter(reason, exc, 1)))
    return decoded, dead


async def publish_dead_letters(
    dead_letters: DeadLetterPolicy, dead: list[tuple[Record, DeadLetter]], topic: topics.Topic = TOPIC
) -> None:
    """Each broken record to its topic's dead-letter topic (gov.certificates.dlq); if the broker
    takes not all of them, the batch stays uncommitted (NackMessage) and is read again."""
    try:
        for record, letter in dead:
            await dead_letters.publish(record, letter)
    except Exception as exc:
        log.exception("%s: could not dead-letter %d record(s); the batch stays uncommitted", topic.name, len(dead))
        raise NackMessage() from exc


SETTINGS = get_settings()


@subscriber(
    router,
    TOPIC,
    service=SERVICE,
    batch=True,
    max_records=SETTINGS.feed_batch_max_records,
    parser=lenient_batch_parser,
    decoder=undecoded,
    note=(
        f"Consumed in batches of up to {SETTINGS.feed_batch_max_records} records; a record_id is received "
        f"once per ce_source; refused records are kept in intake.feed_refusals."
    ),
)
async def on_certificates(records: RawFeedBatch, feed: Feed, dead_letters: DeadLetters) -> None:
    decoded, dead = decode_batch(records, decode_record)
    outcome: BatchOutcome | None = None
    if decoded:
        try:
            outcome = await dead_letters.retrying(lambda: feed.apply([item for _, item in decoded]))
        except DeadLetter as failed:
            dead += [(record, dead_letter(failed.reason, failed.error, failed.attempts)) for record, _ in decoded]
    await publish_dead_letters(dead_letters, dead)
    feed.count(outcome, len(dead))
