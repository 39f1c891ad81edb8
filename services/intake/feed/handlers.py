"""gov.certificates: intake's batch consumer for the bulk certificate feeds.

Delivery, kept as every other consumer keeps it but per batch of up to `feed_batch_max_records`:
- the batch's offsets are committed after it has been handled (AckPolicy.NACK_ON_ERROR);
- each record is decoded alone (CloudEvents binary or structured mode, the topic's type, the
  model): a broken one is dead-lettered alone to `gov.certificates.dlq` with the same x-dlq-*
  headers as `mumaris.kafka.DeadLetterPolicy`, and the rest of the batch goes on;
- effect-once: every event id is applied once (the ledger, read for the whole batch with one
  `$in` and written with the batch), and a record_id once (`intake.feed_records`);
- a failure of the batch (the database away) retries the whole batch with exponential backoff;
  after the last attempt its records are dead-lettered (`retries_exhausted`) to be replayed;
- if even the dead-letter publish fails, the batch is not committed and is read again.

Why not `mumaris.kafka.subscribe`: its parser and the dead-letter middleware work on one record,
and a FastStream batch is one message holding a tuple of records (the parser would see only the
first record's headers, and a failure before the handler could not be dead-lettered and would be
read again forever). So this subscriber parses leniently, decodes each record itself and handles
its own retries and dead letters; the broker's middleware only ever sees a handler that returns
or raises NackMessage (which it passes on: the batch is read again).
"""

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from aiokafka import ConsumerRecord
from faststream.exceptions import NackMessage
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError, WithJsonSchema

from mumaris.clock import now, today_in_riyadh
from mumaris.files import FileStore
from mumaris.http import inline_refs
from mumaris.identity import candidate_ref
from mumaris.kafka import NOT_RETRYABLE, backoff_delay, subscribe
from mumaris.service import ServiceRuntime
from schemas import topics
from schemas.cloudevents import (
    STRUCTURED_CONTENT_TYPE,
    CloudEventAttributes,
    InvalidCloudEvent,
    from_structured,
)
from schemas.events import CertificateFeedRecord, PractitionerRef, StoredFile
from services.intake.feed.documents import FeedDocuments
from services.intake.feed.rules import (
    Accepted,
    AlreadyReceived,
    Decision,
    DocumentSource,
    FeedItem,
    GridFsDocument,
    Refusal,
    RefusalCode,
    Refused,
    Triage,
    UrlPolicy,
    addressee,
    decide_in_order,
    document_source,
    submission_received,
    triage,
)
from services.intake.feed.store import BatchWrites, FeedStore, ledger_marker
from services.intake.submissions.store import new_submission_doc
from services.intake.uploads import safe_filename

log = logging.getLogger("mumaris.intake.feed")
TOPIC = topics.GOV_CERTIFICATES
Record = ConsumerRecord[Any, Any]


# --- one record off the wire ------------------------------------------------------------------


def decode_record(record: Record) -> FeedItem:
    """The record's CloudEvent and body, in binary or structured mode. Raises (InvalidCloudEvent,
    ValidationError) when it is not a gov.certificates event we can read."""
    headers = {key: value.decode("utf-8", "replace") for key, value in record.headers or ()}
    if headers.get("content-type", "").split(";")[0].strip() == STRUCTURED_CONTENT_TYPE:
        ce, data = from_structured(record.value or b"")
    else:
        ce, data = CloudEventAttributes.from_headers(headers), record.value or b""
    if ce.type != TOPIC.ce_type:
        raise InvalidCloudEvent(f"type {ce.type!r} is not {TOPIC.ce_type!r}, the type of {TOPIC.name}")
    return FeedItem(ce, CertificateFeedRecord.model_validate_json(data))


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


# --- metrics ----------------------------------------------------------------------------------


class FeedMetrics:
    OUTCOMES = ("accepted", "refused", "already_received", "repeated_event", "dead_lettered")

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "mumaris_feed_records", "gov.certificates records handled, by outcome", ["outcome"], registry=registry
        )
        self.refusals = Counter(
            "mumaris_feed_refusals", "gov.certificates records refused, by code", ["code"], registry=registry
        )
        for outcome in self.OUTCOMES:  # every series shows from the start, at 0
            self.records.labels(outcome)
        for code in RefusalCode:
            self.refusals.labels(code.value)


# --- the batch --------------------------------------------------------------------------------


@dataclass
class DeadRecord:
    record: Record
    reason: str
    error: BaseException
    attempts: int


@dataclass
class BatchOutcome:
    decisions: list[Decision]
    triage: Triage


class CertificateFeed:
    def __init__(
        self, runtime: ServiceRuntime, store: FeedStore, documents: FeedDocuments, metrics: FeedMetrics
    ) -> None:
        settings = runtime.settings
        self.service = runtime.name
        self.settings = settings
        self.broker = runtime.broker
        self.outbox = runtime.uow.outbox
        self.store = store
        self.documents = documents
        self.metrics = metrics
        self.urls = UrlPolicy.of(settings.feed_url_allowlist, settings.feed_url_allow_loopback_http)
        self.attempts = max(1, settings.retry_attempts)

    async def handle(self, records: Sequence[Record]) -> None:
        """One batch: unreadable records set aside for the dead-letter topic, the rest applied
        (with retries), then the dead letters published; counted once it is all done."""
        decoded: list[tuple[Record, FeedItem]] = []
        dead: list[DeadRecord] = []
        for record in records:
            try:
                decoded.append((record, decode_record(record)))
            except Exception as exc:
                dead.append(
                    DeadRecord(record, "invalid_event" if isinstance(exc, NOT_RETRYABLE) else "unparseable", exc, 1)
                )
        outcome = None
        attempt = 0
        while decoded:
            attempt += 1
            try:
                outcome = await self.apply([item for _, item in decoded])
                break
            except Exception as exc:
                if attempt >= self.attempts:
                    dead += [DeadRecord(record, "retries_exhausted", exc, attempt) for record, _ in decoded]
                    break
                delay = backoff_delay(attempt, self.settings.retry_backoff_s, self.settings.retry_backoff_max_s)
                log.warning(
                    "%s: batch of %d attempt %d failed (%s); retrying in %.2fs",
                    TOPIC.name,
                    len(decoded),
                    attempt,
                    describe(exc)[:300],
                    delay,
                )
                await asyncio.sleep(delay)
        await self.dead_letter(dead)
        self.count(outcome, len(dead))

    async def apply(self, items: list[FeedItem]) -> BatchOutcome:
        """Decide every record of the batch and write the lot in one transaction. Independent
        reads go to the database together: each costs a round trip per batch, not per record."""
        handled, received = await asyncio.gather(
            self.store.handled_event_ids([item.ce.id for item in items]),
            self.store.received_keys(list({item.key for item in items})),
        )
        sorted_out = triage(items, handled, received)
        fresh = sorted_out.fresh
        sources = [document_source(item.record.document, self.urls) for item in fresh]
        # GridFS files are only read, so they are checked beside the account lookup even for a
        # record that turns out to be refused; URLs are fetched only for records still acceptable.
        accounts, gridfs = await asyncio.gather(
            self.store.accounts_by_id_number({item.record.national_id for item in fresh}),
            self.documents.check_gridfs(s.file_id for s in sources if isinstance(s, GridFsDocument)),
        )
        today = today_in_riyadh()
        practitioners = [addressee(item.record, accounts.get(item.record.national_id), today) for item in fresh]
        fetched: dict[str, str] = {}  # file id → record key, for the files fetched from URLs
        try:
            documents = await self._documents(fresh, practitioners, sources, gridfs, fetched)
            decisions = decide_in_order(zip(fresh, practitioners, documents, strict=True))
            await self.store.write(self._writes(sorted_out, decisions))
        except BaseException:
            await self._discard_unless_received(fetched)
            raise
        used = {d.file.file_id for d in decisions if isinstance(d, Accepted)}
        await self.documents.discard(file_id for file_id in fetched if file_id not in used)
        return BatchOutcome(decisions, sorted_out)

    async def _documents(
        self,
        fresh: list[FeedItem],
        practitioners: list[PractitionerRef | Refusal],
        sources: list[DocumentSource | Refusal],
        gridfs: dict[str, StoredFile | Refusal],
        fetched: dict[str, str],
    ) -> list[StoredFile | Refusal | None]:
        """Each record's document (None for a record already refused), URLs fetched concurrently
        (bounded by `feed_url_fetch_concurrency`)."""

        async def document_of(
            item: FeedItem, who: PractitionerRef | Refusal, source: DocumentSource | Refusal
        ) -> StoredFile | Refusal | None:
            if isinstance(who, Refusal):
                return None
            if isinstance(source, Refusal):
                return source
            named = item.record.document.filename
            if isinstance(source, GridFsDocument):
                checked = gridfs[source.file_id]
                if isinstance(checked, StoredFile) and named:
                    return checked.model_copy(update={"filename": safe_filename(named)})
                return checked
            stored = await self.documents.fetch_and_store(
                source.url,
                named,
                {"owner": who.id, "feed": {"publisher": item.ce.source, "record_id": item.record.record_id}},
            )
            if isinstance(stored, StoredFile):
                fetched[stored.file_id] = item.key
            return stored

        # A task group: if one fetch fails, the others stop before the batch is retried.
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(document_of(item, who, source))
                for item, who, source in zip(fresh, practitioners, sources, strict=True)
            ]
        return [task.result() for task in tasks]

    def _writes(self, sorted_out: Triage, decisions: list[Decision]) -> BatchWrites:
        writes = BatchWrites()
        received_at = now()
        for item in sorted_out.already_received:
            writes.ledger.append(ledger_marker(item.ce.id, item.ce.type))
        for decision in decisions:
            item = decision.item
            writes.ledger.append(ledger_marker(item.ce.id, item.ce.type))
            if isinstance(decision, Accepted):
                submission_id = str(uuid.uuid4())
                event = submission_received(decision, submission_id, received_at)
                submission = new_submission_doc(
                    submission_id=submission_id,
                    practitioner=decision.practitioner.model_dump(mode="json"),
                    certificate=item.record.certificate.model_dump(mode="json"),
                    file=decision.file.model_dump(mode="json"),
                    received_at=received_at,
                )
                # Where it came from, for the reviewer and operations (never the ID number).
                submission["origin"] = {
                    "feed": TOPIC.name,
                    "publisher": item.ce.source,
                    "event_id": item.ce.id,
                    "record_id": item.record.record_id,
                    "issuer": item.record.issuer,
                }
                writes.submissions.append(submission)
                writes.outbox.append(self.outbox.record(topics.SUBMISSION_RECEIVED, event))
                writes.received.append(
                    {
                        "_id": item.key,
                        "publisher": item.ce.source,
                        "record_id": item.record.record_id,
                        "submission_id": submission_id,
                        "event_id": item.ce.id,
                        "at": received_at,
                    }
                )
            elif isinstance(decision, Refused):
                writes.refusals.append(
                    {
                        "_id": item.ce.id,
                        "publisher": item.ce.source,
                        "record_id": item.record.record_id,
                        "issuer": item.record.issuer,
                        "code": decision.refusal.code.value,
                        "detail": decision.refusal.detail,
                        "candidate_ref": candidate_ref(item.record.national_id, self.settings),
                        "at": received_at,
                    }
                )
        return writes

    async def _discard_unless_received(self, fetched: dict[str, str]) -> None:
        """After a failed batch: the files it fetched, unless the commit did land (only its answer
        was lost) and a submission uses them."""
        if not fetched:
            return
        try:
            landed = await self.store.received_keys(list(set(fetched.values())))
        except Exception:
            return
        await self.documents.discard(file_id for file_id, key in fetched.items() if key not in landed)

    async def dead_letter(self, dead: list[DeadRecord]) -> None:
        """Each broken record to gov.certificates.dlq, with the headers DeadLetterPolicy writes."""
        if not dead:
            return
        try:
            futures = [
                await self.broker.publish(
                    d.record.value or b"",
                    topic=TOPIC.dlq,
                    key=d.record.key,
                    headers=self._dead_letter_headers(d),
                    no_confirm=True,
                )
                for d in dead
            ]
            await asyncio.gather(*futures)
        except Exception as exc:
            log.exception("%s: could not dead-letter %d record(s); the batch stays uncommitted", TOPIC.name, len(dead))
            raise NackMessage() from exc
        for d in dead:
            log.error(
                "%s: %s@%d/%d dead-lettered (%s after %d attempt(s)): %s",
                self.service,
                d.record.topic,
                d.record.partition,
                d.record.offset,
                d.reason,
                d.attempts,
                describe(d.error)[:300],
                extra={"every": True},
            )

    def _dead_letter_headers(self, dead: DeadRecord) -> dict[str, str]:
        record = dead.record
        headers = {key: value.decode("utf-8", "replace") for key, value in record.headers or ()}
        headers.update(
            {
                "x-dlq-reason": dead.reason,
                "x-dlq-error": describe(dead.error),
                "x-dlq-service": self.service,
                "x-dlq-attempts": str(dead.attempts),
                "x-dlq-topic": record.topic,
                "x-dlq-partition": str(record.partition),
                "x-dlq-offset": str(record.offset),
                "x-dlq-at": datetime.now(UTC).isoformat(),
            }
        )
        return headers

    def count(self, outcome: BatchOutcome | None, dead_lettered: int) -> None:
        """Counted once the batch is committed, so a retried batch is not counted twice."""
        tally = dict.fromkeys(FeedMetrics.OUTCOMES, 0)
        tally["dead_lettered"] = dead_lettered
        if outcome is not None:
            tally["repeated_event"] = len(outcome.triage.repeats)
            tally["already_received"] = len(outcome.triage.already_received)
            for decision in outcome.decisions:
                if isinstance(decision, Accepted):
                    tally["accepted"] += 1
                elif isinstance(decision, AlreadyReceived):
                    tally["already_received"] += 1
                else:
                    tally["refused"] += 1
                    self.metrics.refusals.labels(decision.refusal.code.value).inc()
        for name, value in tally.items():
            self.metrics.records.labels(name).inc(value)
        log.info(
            "%s: batch of %d: %s",
            TOPIC.name,
            sum(tally.values()),
            ", ".join(f"{value} {name}" for name, value in tally.items() if value),
        )


# --- wiring -----------------------------------------------------------------------------------


def subscribe_certificate_feed(runtime: ServiceRuntime, files: FileStore) -> CertificateFeed:
    settings = runtime.settings
    store = FeedStore(runtime.db, runtime.uow)
    documents = FeedDocuments(files, settings)
    feed = CertificateFeed(runtime, store, documents, FeedMetrics(runtime.registry))
    runtime.on_startup.append(store.ensure_indexes)
    runtime.on_shutdown.append(documents.close)

    @subscribe(
        runtime.broker,
        TOPIC,
        service=runtime.name,
        settings=settings,
        batch=True,
        max_records=settings.feed_batch_max_records,
        parser=lenient_batch_parser,
        decoder=undecoded,
        note=(
            f"Consumed in batches of up to {settings.feed_batch_max_records} records; a record_id is received "
            f"once per ce_source; refused records are kept in intake.feed_refusals."
        ),
    )
    async def on_certificates(records: RawFeedBatch) -> None:
        await feed.handle(records)

    return feed
