"""The gov.certificates batch use case with in-memory stores: what one batch decides for each record
(accepted, refused, already received, a repeated event) and what it writes together; the metrics
once it is done. The same batches run on the real broker and database in
tests/integration/test_certificate_feed.py."""

from collections.abc import Iterable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from mumaris.identity import candidate_ref
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import CertificateFeedRecord, StoredFile, SubmissionReceived
from services.intake.feed.rules import FeedItem, Refusal, RefusalCode, record_key
from services.intake.feed.service import CertificateFeed, FeedMetrics
from services.intake.feed.store import BatchWrites

SETTINGS = Settings(feed_url_allowlist=["certs.ksu.edu.sa"])
PUBLISHER = "/universities/ksu"
REEM, PENDING, NOBODY = "1000000008", "2000000007", "1000000016"
SCAN = "65f0c0ffee0000000000abcd"


class FakeFeedStore:
    def __init__(self) -> None:
        self.handled: set[str] = set()
        self.received: set[str] = set()
        self.writes: list[BatchWrites] = []
        self.accounts = {
            REEM: {"_id": "acct-reem", "first_name": "Reem", "last_name": "Al-Zahrani", "email": "reem@example.sa",
                   "locale": "en", "status": "active"},
            PENDING: {"_id": "acct-new", "first_name": "Hind", "last_name": "Al-Otaibi", "email": "hind@example.sa",
                      "locale": "ar", "status": "pending_phone"},
        }  # fmt: skip

    async def handled_event_ids(self, event_ids: list[str]) -> set[str]:
        return self.handled & set(event_ids)

    async def received_keys(self, keys: list[str]) -> set[str]:
        return self.received & set(keys)

    async def accounts_by_id_number(self, id_numbers: set[str]) -> dict[str, dict[str, Any]]:
        return {number: self.accounts[number] for number in id_numbers if number in self.accounts}

    async def write(self, writes: BatchWrites) -> None:
        self.writes.append(writes)
        self.handled |= {event_id for event_id, _ in writes.handled}
        self.received |= {doc["_id"] for doc in writes.received}


class FakeFeedDocuments:
    def __init__(self) -> None:
        self.fetched: list[str] = []
        self.discarded: list[str] = []

    async def check_gridfs(self, file_ids: Iterable[str]) -> dict[str, StoredFile | Refusal]:
        return {
            file_id: StoredFile(
                file_id=file_id, filename="c.pdf", size=9, sha256="ab" * 32, content_type="application/pdf"
            )
            if file_id == SCAN
            else Refusal(RefusalCode.DOCUMENT_INVALID, "no such file in GridFS")
            for file_id in file_ids
        }

    async def fetch_and_store(self, url: str, filename: str | None, metadata: dict[str, Any]) -> StoredFile | Refusal:
        self.fetched.append(url)
        return StoredFile(file_id=f"fetched-{len(self.fetched)}", filename="u.pdf", size=9, sha256="cd" * 32,
                          content_type="application/pdf")  # fmt: skip

    async def discard(self, file_ids: Iterable[str]) -> None:
        self.discarded += list(file_ids)


def item(record_id: str, national_id: str, document: dict[str, Any], event_id: str | None = None) -> FeedItem:
    attrs = CloudEventAttributes.new(source=PUBLISHER, type=topics.GOV_CERTIFICATES.ce_type, subject=record_id)
    record = CertificateFeedRecord.model_validate(
        {
            "record_id": record_id,
            "issuer": "King Saud University",
            "national_id": national_id,
            "certificate": {
                "name": f"Certificate {record_id}",
                "obtained_on": "2024-06-30",
                "institution": "King Saud University",
                "specialty": "Nursing",
                "degree": "Bachelor",
            },
            "document": document,
            "issued_at": "2024-07-01T09:00:00+03:00",
        }
    )
    return FeedItem(attrs.model_copy(update={"id": event_id or f"ce-{record_id}"}), record)


class Feed:
    def __init__(self) -> None:
        self.store = FakeFeedStore()
        self.documents = FakeFeedDocuments()
        self.registry = CollectorRegistry()
        self.feed = CertificateFeed(self.store, self.documents, FeedMetrics(self.registry), SETTINGS)  # type: ignore[arg-type]

    def metric(self, name: str, label: str, value: str) -> float:
        return self.registry.get_sample_value(f"mumaris_feed_{name}_total", {label: value}) or 0.0


@pytest.fixture
def feed() -> Feed:
    return Feed()


async def test_a_batch_accepts_refuses_and_writes_everything_together(feed: Feed) -> None:
    accepted = item("KSU-1", REEM, {"file_id": SCAN})
    batch = [
        accepted,
        item("KSU-2", NOBODY, {"file_id": SCAN}),
        item("KSU-3", PENDING, {"url": "https://certs.ksu.edu.sa/3.pdf"}),
        item("KSU-4", REEM, {"url": "https://evil.example/4.pdf"}),
        item("KSU-5", REEM, {"file_id": "65f0c0ffee00000000000000"}),
        item("KSU-1", REEM, {"file_id": SCAN}, event_id="ce-KSU-1-again"),  # the same record, republished
    ]
    outcome = await feed.feed.apply(batch)
    feed.feed.count(outcome, dead_lettered=1)

    [writes] = feed.store.writes
    [submission] = writes.submissions
    assert (submission["practitioner_id"], submission["origin"]["record_id"], submission["status"]) == (
        "acct-reem",
        "KSU-1",
        "received",
    )
    [(topic, event)] = writes.events
    assert isinstance(event, SubmissionReceived)
    assert (topic.name, event.submission_id, event.practitioner.id) == (
        "submission.received",
        submission["_id"],
        "acct-reem",
    )
    assert [doc["_id"] for doc in writes.received] == [accepted.key]
    assert {doc["record_id"]: doc["code"] for doc in writes.refusals} == {
        "KSU-2": "feed.unknown_practitioner",
        "KSU-3": "feed.practitioner_not_active",
        "KSU-4": "feed.url_not_allowed",
        "KSU-5": "feed.document_invalid",
    }
    refused_unknown = next(doc for doc in writes.refusals if doc["record_id"] == "KSU-2")
    assert refused_unknown["candidate_ref"] == candidate_ref(NOBODY, SETTINGS)
    assert NOBODY not in str(writes.refusals) and REEM not in str(writes.submissions)
    assert [event_id for event_id, _ in writes.handled] == [i.ce.id for i in batch]  # every event takes effect once
    assert feed.documents.fetched == []  # no URL is fetched for a record refused anyway
    assert (feed.metric("records", "outcome", "accepted"), feed.metric("records", "outcome", "refused")) == (1, 4)
    assert feed.metric("records", "outcome", "already_received") == 1
    assert (
        feed.metric("records", "outcome", "dead_lettered"),
        feed.metric("refusals", "code", "feed.url_not_allowed"),
    ) == (1, 1)


async def test_a_batch_read_again_changes_nothing_and_a_record_republished_later_is_already_received(
    feed: Feed,
) -> None:
    first = [item("KSU-1", REEM, {"url": "https://certs.ksu.edu.sa/1.pdf"})]
    await feed.feed.apply(first)
    again = await feed.feed.apply(first)  # the same events, redelivered
    republished = await feed.feed.apply([item("KSU-1", REEM, {"url": "https://certs.ksu.edu.sa/1.pdf"}, "ce-new")])

    assert (len(again.triage.repeats), again.decisions) == (1, [])
    assert [i.ce.id for i in republished.triage.already_received] == ["ce-new"]
    assert [len(w.submissions) for w in feed.store.writes] == [1, 0, 0]
    assert feed.documents.fetched == ["https://certs.ksu.edu.sa/1.pdf"]  # fetched once, for the first batch
    assert feed.store.received == {record_key(PUBLISHER, "KSU-1")}


async def test_a_failed_write_discards_what_the_batch_fetched(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    async def failing_write(writes: BatchWrites) -> None:
        raise ConnectionError("database away")

    monkeypatch.setattr(feed.store, "write", failing_write)
    with pytest.raises(ConnectionError):
        await feed.feed.apply([item("KSU-1", REEM, {"url": "https://certs.ksu.edu.sa/1.pdf"})])
    assert feed.documents.discarded == ["fetched-1"]
