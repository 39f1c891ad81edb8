"""Batch subscribers' delivery: the machinery the inbound bulk topics share (gov.certificates in
intake's feed area, gov.cpd_attendance in its CPD area).

Delivery, kept as every other consumer keeps it but per batch:
- the batch's offsets are committed after it has been handled (AckPolicy.NACK_ON_ERROR);
- each record is decoded alone (`mumaris.kafka.decode_cloud_event`: binary or structured mode, the
  topic's type; then the model): a broken one is dead-lettered alone to `<topic>.dlq` by the
  broker's own `DeadLetterPolicy` (the same x-dlq-* headers), and the rest of the batch goes on;
- effect-once is the use case's (every event id applied once, a record id once per publisher);
- a failure of the batch (the database away) retries the whole batch with the policy's backoff
  (`DeadLetterPolicy.retrying`); after the last attempt its records are dead-lettered
  (`retries_exhausted`) to be replayed;
- if even the dead-letter publish fails, the batch is not committed and is read again.

Why the handler decodes and dead-letters itself: the parser and the dead-letter middleware work on
one record, and a FastStream batch is one message holding a tuple of records (the parser would see
only the first record's headers, and a failure before the handler could not be dead-lettered and
would be read again forever). So these subscribers parse leniently and take the raw records; the
broker's middleware only ever sees a handler that returns or raises NackMessage (which it passes
on: the batch is read again).
"""

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar

from aiokafka import ConsumerRecord
from faststream.exceptions import NackMessage
from pydantic import ValidationError

from mumaris.kafka import NOT_RETRYABLE, DeadLetter, DeadLetterPolicy
from schemas.topics import Topic

log = logging.getLogger("mumaris.batches")
Record: TypeAlias = ConsumerRecord[Any, Any]
Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


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


def decode_batch(
    records: Sequence[Record], decode: Callable[[Record], Item]
) -> tuple[list[tuple[Record, Item]], list[tuple[Record, DeadLetter]]]:
    """The records that decode (`decode`: one record, or raise), and those set aside for the
    dead-letter topic."""
    decoded: list[tuple[Record, Item]] = []
    dead: list[tuple[Record, DeadLetter]] = []
    for record in records:
        try:
            decoded.append((record, decode(record)))
        except Exception as exc:
            reason = "invalid_event" if isinstance(exc, NOT_RETRYABLE) else "unparseable"
            dead.append((record, dead_letter(reason, exc, 1)))
    return decoded, dead


async def publish_dead_letters(
    dead_letters: DeadLetterPolicy, dead: list[tuple[Record, DeadLetter]], topic: Topic
) -> None:
    """Each broken record to its topic's dead-letter topic; if the broker takes not all of them, the
    batch stays uncommitted (NackMessage) and is read again."""
    try:
        for record, letter in dead:
            await dead_letters.publish(record, letter)
    except Exception as exc:
        log.exception("%s: could not dead-letter %d record(s); the batch stays uncommitted", topic.name, len(dead))
        raise NackMessage() from exc


async def handle_batch(
    records: Sequence[Record],
    topic: Topic,
    dead_letters: DeadLetterPolicy,
    decode: Callable[[Record], Item],
    apply: Callable[[list[Item]], Awaitable[Outcome]],
    count: Callable[[Outcome | None, int], None],
) -> None:
    """One batch, the way the module's docstring tells: decode each record, apply the decoded ones
    together (retried as a whole), dead-letter what could not be read or applied, then count
    (`count(outcome or None, dead-lettered)`, once the batch is done, so a retry is not counted twice)."""
    decoded, dead = decode_batch(records, decode)
    outcome: Outcome | None = None
    if decoded:
        items = [item for _, item in decoded]
        try:
            outcome = await dead_letters.retrying(lambda: apply(items))
        except DeadLetter as failed:
            dead += [(record, dead_letter(failed.reason, failed.error, failed.attempts)) for record, _ in decoded]
    await publish_dead_letters(dead_letters, dead, topic)
    count(outcome, len(dead))
