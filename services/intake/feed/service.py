"""gov.certificates: the use case of one batch of decoded feed records, and its counters.

`CertificateFeed.apply` decides every record of a batch (its practitioner, then its document) and
writes the lot in one transaction: accepted records become certificate submissions exactly like an
upload, refused ones are kept for the publisher, and every event id takes effect once, a record_id
once per publisher. Decoding, retrying a failed batch and dead-lettering are the handler's
(feed/handlers.py); the rules are feed/rules.py.
"""

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter

from mumaris.clock import now, today_in_riyadh
from mumaris.identity import candidate_ref
from mumaris.settings import Settings
from schemas import topics
from schemas.events import PractitionerRef, StoredFile
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
    UrlDocument,
    UrlPolicy,
    addressee,
    decide_in_order,
    document_source,
    submission_received,
    triage,
)
from services.intake.feed.store import BatchWrites, Doc, FeedStore
from services.intake.submissions.store import new_submission_doc
from services.intake.uploads import safe_filename

log = logging.getLogger("mumaris.intake.feed")
TOPIC = topics.GOV_CERTIFICATES


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


@dataclass
class BatchOutcome:
    decisions: list[Decision]
    triage: Triage


class CertificateFeed:
    def __init__(self, store: FeedStore, documents: FeedDocuments, metrics: FeedMetrics, settings: Settings) -> None:
        self.store = store
        self.documents = documents
        self.metrics = metrics
        self.settings = settings
        self.urls = UrlPolicy.of(settings.feed_url_allowlist, settings.feed_url_allow_loopback_http)

    async def apply(self, items: list[FeedItem]) -> BatchOutcome:
        """Decide every record of the batch and write the lot in one transaction. The batch's reads
        go to the database together, in one round trip's time per batch, not per record: accounts
        and GridFS files are only read, so they are looked up for every record of the batch, even
        one that turns out to be a repeat or to be refused (almost every record of a feed is new).
        URLs are fetched only for records still acceptable."""
        every_source = [document_source(item.record.document, self.urls) for item in items]
        handled, received, accounts, gridfs = await asyncio.gather(
            self.store.handled_event_ids([item.ce.id for item in items]),
            self.store.received_keys(list({item.key for item in items})),
            self.store.accounts_by_id_number({item.record.national_id for item in items}),
            self.documents.check_gridfs({s.file_id for s in every_source if isinstance(s, GridFsDocument)}),
        )
        sorted_out = triage(items, handled, received)
        fresh = sorted_out.fresh
        source_of = {id(item): source for item, source in zip(items, every_source, strict=True)}
        sources = [source_of[id(item)] for item in fresh]
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
        (bounded by `feed_url_fetch_concurrency`); a GridFS document was checked already."""

        def known(
            item: FeedItem, who: PractitionerRef | Refusal, source: DocumentSource | Refusal
        ) -> StoredFile | Refusal | None:
            if isinstance(who, Refusal):
                return None
            if isinstance(source, Refusal):
                return source
            if not isinstance(source, GridFsDocument):
                raise ValueError(f"record {item.record.record_id}: its URL was not fetched")
            checked = gridfs[source.file_id]
            named = item.record.document.filename
            if isinstance(checked, StoredFile) and named:
                return checked.model_copy(update={"filename": safe_filename(named)})
            return checked

        async def fetched_from(item: FeedItem, who: PractitionerRef, url: str) -> StoredFile | Refusal:
            stored = await self.documents.fetch_and_store(
                url,
                item.record.document.filename,
                {"owner": who.id, "feed": {"publisher": item.ce.source, "record_id": item.record.record_id}},
            )
            if isinstance(stored, StoredFile):
                fetched[stored.file_id] = item.key
            return stored

        candidates = list(zip(fresh, practitioners, sources, strict=True))
        # A task only for a URL to fetch (a task per record costs more than checking a GridFS one);
        # in a task group: if one fetch fails, the others stop before the batch is retried.
        async with asyncio.TaskGroup() as group:
            fetches = {
                n: group.create_task(fetched_from(item, who, source.url))
                for n, (item, who, source) in enumerate(candidates)
                if isinstance(source, UrlDocument) and not isinstance(who, Refusal)
            }
        return [
            fetches[n].result() if n in fetches else known(item, who, source)
            for n, (item, who, source) in enumerate(candidates)
        ]

    def _writes(self, sorted_out: Triage, decisions: list[Decision]) -> BatchWrites:
        writes = BatchWrites()
        received_at = now()
        for item in sorted_out.already_received:
            writes.handled.append((item.ce.id, item.ce.type))
        for decision in decisions:
            item = decision.item
            writes.handled.append((item.ce.id, item.ce.type))
            if isinstance(decision, Accepted):
                self._accept(writes, decision, received_at)
            elif isinstance(decision, Refused):
                writes.refusals.append(self._refusal(decision, received_at))
        return writes

    @staticmethod
    def _accept(writes: BatchWrites, accepted: Accepted, received_at: datetime) -> None:
        """The submission an upload of the certificate would make, its event, and the marker that
        its record was received."""
        item = accepted.item
        submission_id = str(uuid.uuid4())
        submission = new_submission_doc(
            submission_id=submission_id,
            practitioner=accepted.practitioner.model_dump(mode="json"),
            certificate=item.record.certificate.model_dump(mode="json"),
            file=accepted.file.model_dump(mode="json"),
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
        writes.events.append((topics.SUBMISSION_RECEIVED, submission_received(accepted, submission_id, received_at)))
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

    def _refusal(self, refused: Refused, at: datetime) -> Doc:
        """What operations keep of a refused record: the ID number only as its HMAC."""
        item = refused.item
        return {
            "_id": item.ce.id,
            "publisher": item.ce.source,
            "record_id": item.record.record_id,
            "issuer": item.record.issuer,
            "code": refused.refusal.code.value,
            "detail": refused.refusal.detail,
            "candidate_ref": candidate_ref(item.record.national_id, self.settings),
            "at": at,
        }

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
