"""gov.certificates, the bulk certificate feed, on the real broker and database.

Intake runs in this process (its real application and lifespan) on a stack of its own
(`own_stack`): the end-to-end suite's intake process is a member of the same consumer group and
would otherwise take some of these records. Each test publishes its records first and then starts
intake, so they reach the batch consumer together (one key, one partition: one batch), and waits
until the group has committed past the last of them.
"""

import asyncio
import json
import random
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from pymongo.errors import AutoReconnect

from mumaris.clock import now, today_in_riyadh
from mumaris.files import FileStore, sha256_hex
from mumaris.identity import candidate_ref
from mumaris.settings import Settings
from mumaris.tools.stack import StackInfo
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from services.intake.accounts.rules import make_valid_id
from services.intake.app import create_app as create_intake
from services.intake.feed.store import FeedStore
from tests.documents import jpeg_bytes, pdf_bytes, png_bytes
from tests.support import headers_of, read_all, settings_for, unique, wait_consumed

pytestmark = pytest.mark.integration

TOPIC = topics.GOV_CERTIFICATES
PUBLISHER = "/universities/ksu"
MAX_UPLOAD = 512 * 1024
Headers = dict[str, str]
RawHeaders = dict[str, str | bytes]


# --- a tiny document server (plain http on loopback: the test setting allows it) ---------------


class DocumentServer:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, Headers]] = {}
        self.requested: list[str] = []  # every path asked for, in order
        routes, requested = self.routes, self.requested

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                requested.append(self.path)
                status, body, headers = routes.get(self.path, (404, b"not found", {}))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def serve(self, path: str, body: bytes, status: int = 200, **headers: str) -> str:
        self.routes[path] = (status, body, headers)
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    @contextmanager
    def running(self) -> Iterator["DocumentServer"]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


# --- the test bench ---------------------------------------------------------------------------


@dataclass
class Practitioner:
    account_id: str
    id_number: str
    email: str


def certificate(name: str = "Bachelor of Nursing") -> dict[str, Any]:
    return {
        "name": name,
        "obtained_on": "2024-06-30",
        "institution": "King Saud University",
        "specialty": "Nursing",
        "degree": "Bachelor",
    }


def feed_record(record_id: str, national_id: str, document: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "issuer": "King Saud University",
        "national_id": national_id,
        "certificate": certificate(f"Certificate {record_id}"),
        "document": document,
        "issued_at": "2024-07-01T09:00:00+03:00",
        **overrides,
    }


def binary(body: dict[str, Any] | bytes, event_id: str | None = None) -> tuple[bytes, Headers]:
    attrs = CloudEventAttributes.new(source=PUBLISHER, type=TOPIC.ce_type, subject=None)
    if event_id:
        attrs = attrs.model_copy(update={"id": event_id})
    return (body if isinstance(body, bytes) else json.dumps(body).encode()), attrs.to_headers()


def structured(body: dict[str, Any], event_id: str) -> tuple[bytes, Headers]:
    envelope = {
        "specversion": "1.0",
        "id": event_id,
        "source": PUBLISHER,
        "type": TOPIC.ce_type,
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": body,
    }
    return json.dumps(envelope).encode(), {"content-type": "application/cloudevents+json"}


@dataclass
class Bench:
    stack: StackInfo
    settings: Settings
    db: Any
    files: FileStore
    documents: DocumentServer

    async def practitioner(self, status: str = "active") -> Practitioner:
        """An account as sign-up leaves it, with its ID number (what feeds name practitioners by)."""
        who = Practitioner(
            unique("acct"), make_valid_id("1", f"{random.randrange(10**8):08d}"), f"{unique('reem')}@example.sa"
        )
        await self.db["intake.accounts"].insert_one(
            {
                "_id": who.account_id,
                "first_name": "Reem",
                "last_name": "Al-Zahrani",
                "id_kind": "national_id",
                "id_number": who.id_number,
                "email": who.email,
                "mobile": "+966551234567",
                "locale": "en",
                "password_hash": "-",
                "role": "practitioner",
                "status": status,
                "created_at": now(),
            }
        )
        return who

    async def gridfs_file(self, data: bytes, filename: str = "certificate.pdf") -> str:
        """A document the publisher put in GridFS beforehand."""
        return await self.files.put(filename, data, metadata={"publisher": PUBLISHER})

    async def publish(self, records: list[tuple[bytes, RawHeaders]]) -> tuple[int, list[int]]:
        """Publish on one key (one partition, in order); returns the partition and the offsets."""
        producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            futures = [
                await producer.send(
                    TOPIC.name,
                    value,
                    key=b"bulk-file",
                    headers=[(k, v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()],
                )
                for value, headers in records
            ]
            sent = [await future for future in futures]
        finally:
            await producer.stop()
        return sent[0].partition, [meta.offset for meta in sent]

    @asynccontextmanager
    async def intake(self, settings: Settings | None = None) -> AsyncIterator[httpx.AsyncClient]:
        app = create_intake(settings or self.settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as http,
        ):
            yield http

    async def handle(
        self, records: list[tuple[bytes, RawHeaders]], settings: Settings | None = None
    ) -> tuple[list[int], dict[str, float]]:
        """Publish, run intake until it has committed past them all; the offsets and the feed metrics."""
        partition, offsets = await self.publish(records)
        async with self.intake(settings) as http:
            await wait_consumed(self.stack.kafka_bootstrap, "intake", TOPIC.name, partition, offsets[-1], timeout=60)
            return offsets, feed_metrics((await http.get("/metrics")).text)

    async def submissions_of(self, who: Practitioner) -> list[dict[str, Any]]:
        return await self.db["intake.submissions"].find({"practitioner_id": who.account_id}).to_list()

    async def refusals(self, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        docs = await self.db["intake.feed_refusals"].find({"record_id": {"$in": record_ids}}).to_list()
        return {doc["record_id"]: doc for doc in docs}

    async def dead_letters(self, offsets: list[int]) -> dict[int, Headers]:
        return {
            int(h["x-dlq-offset"]): h
            for h in map(headers_of, await read_all(self.stack.kafka_bootstrap, TOPIC.dlq))
            if int(h["x-dlq-offset"]) in offsets
        }


def feed_metrics(text: str) -> dict[str, float]:
    """`outcome` and `code` series of mumaris_feed_records / mumaris_feed_refusals, as {label: value}."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(("mumaris_feed_records_total{", "mumaris_feed_refusals_total{")):
            label, value = line.split("}")
            values[label.split('"')[1]] = float(value)
    return values


@pytest.fixture(scope="module")
async def bench(own_stack: StackInfo) -> AsyncIterator[Bench]:
    settings = settings_for(
        own_stack,
        max_upload_bytes=MAX_UPLOAD,
        feed_url_timeout_s=5.0,
        feed_url_allowlist=["127.0.0.1", "certs.ksu.edu.sa"],
        feed_url_allow_loopback_http=True,
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongo_uri, tz_aware=True)
    files = FileStore(client[settings.mongo_db])
    await files.ensure_indexes()
    try:
        with DocumentServer().running() as documents:
            yield Bench(own_stack, settings, client[settings.mongo_db], files, documents)
    finally:
        await client.close()


async def received_events(bench: Bench, practitioner_ids: set[str]) -> list[tuple[dict[str, Any], bytes]]:
    """(body, raw value + headers) of every submission.received for these practitioners."""
    return [
        (json.loads(r.value), r.value + b"".join(k.encode() + v for k, v in r.headers))
        for r in await read_all(bench.stack.kafka_bootstrap, topics.SUBMISSION_RECEIVED.name)
        if json.loads(r.value)["practitioner"]["id"] in practitioner_ids
    ]


async def eventually_received(
    bench: Bench, practitioner_ids: set[str], count: int
) -> list[tuple[dict[str, Any], bytes]]:
    """The outbox relay publishes after the commit: wait for `count` events."""
    for _ in range(300):
        events = await received_events(bench, practitioner_ids)
        if len(events) >= count:
            return events
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} submission.received events")


# --- tests ------------------------------------------------------------------------------------


async def test_records_for_known_practitioners_become_submissions_once(bench: Bench) -> None:
    people = [await bench.practitioner() for _ in range(3)]
    scan_pdf, scan_jpeg = pdf_bytes(), jpeg_bytes(900, 700, seed=1)
    shared_pdf, own_jpeg = await bench.gridfs_file(scan_pdf), await bench.gridfs_file(scan_jpeg, "scan.jpg")
    record_ids = [unique("KSU") for _ in people]
    documents = [{"file_id": shared_pdf}, {"file_id": own_jpeg, "filename": "transcript.jpg"}, {"file_id": shared_pdf}]
    bodies = [feed_record(rid, who.id_number, doc) for rid, who, doc in zip(record_ids, people, documents, strict=True)]

    first = [binary(body) for body in bodies]
    _, metrics = await bench.handle(first)

    for who, rid, scan, filename in zip(
        people,
        record_ids,
        [scan_pdf, scan_jpeg, scan_pdf],
        ["certificate.pdf", "transcript.jpg", "certificate.pdf"],
        strict=True,
    ):
        [submission] = await bench.submissions_of(who)
        assert (submission["kind"], submission["status"], submission["version"]) == ("certificate", "received", 1)
        assert submission["practitioner"] == {
            "id": who.account_id,
            "name": "Reem Al-Zahrani",
            "latin_name": None,  # her account has no name in Latin letters
            "email": who.email,
            "locale": "en",
        }
        assert submission["certificate"]["name"] == f"Certificate {rid}"
        assert (submission["file"]["sha256"], submission["file"]["size"], submission["file"]["filename"]) == (
            sha256_hex(scan),
            len(scan),
            filename,
        )
        assert submission["origin"]["record_id"] == rid
        assert who.id_number not in json.dumps(submission, default=str)
    assert metrics["accepted"] == 3 and metrics["refused"] == 0

    # One submission.received per record, with the practitioner's reference and no ID number.
    events = await eventually_received(bench, {who.account_id for who in people}, 3)
    assert len(events) == 3
    for body, raw in events:
        who = next(w for w in people if w.account_id == body["practitioner"]["id"])
        assert (body["kind"], body["practitioner"]["email"]) == ("certificate", who.email)
        assert all(w.id_number.encode() not in raw for w in people)

    # The same records again: two republished under new event ids, one redelivered under its own.
    _, metrics = await bench.handle([binary(bodies[0]), binary(bodies[1]), first[2]])
    for who in people:
        assert len(await bench.submissions_of(who)) == 1
    assert (metrics["already_received"], metrics["repeated_event"], metrics["accepted"]) == (2, 1, 0)
    assert len(await received_events(bench, {who.account_id for who in people})) == 3


async def test_refused_records_are_recorded_and_the_rest_of_the_batch_goes_through(bench: Bench) -> None:
    good, structured_good, odd_header = (
        await bench.practitioner(),
        await bench.practitioner(),
        await bench.practitioner(),
    )
    inactive = await bench.practitioner("pending_phone")
    unknown_id = make_valid_id("2", f"{random.randrange(10**8):08d}")
    scan = await bench.gridfs_file(pdf_bytes())
    png = await bench.gridfs_file(png_bytes(), "scan.png")
    ids = {
        name: unique(name)
        for name in (
            "good",
            "unknown",
            "inactive",
            "foreign_url",
            "plain_http",
            "png",
            "missing",
            "both",
            "neither",
            "structured",
            "odd_header",
        )
    }
    body, headers = binary(feed_record(ids["odd_header"], odd_header.id_number, {"file_id": scan}))
    not_utf8: tuple[bytes, RawHeaders] = (
        body,
        {**headers, "x-trace": b"\xff\xfe"},
    )  # FastStream decodes headers strictly
    records = [
        binary(feed_record(ids["good"], good.id_number, {"file_id": scan})),
        binary(feed_record(ids["unknown"], unknown_id, {"file_id": scan})),
        binary(feed_record(ids["inactive"], inactive.id_number, {"file_id": scan})),
        binary(feed_record(ids["foreign_url"], good.id_number, {"url": "https://files.example.com/c.pdf"})),
        binary(feed_record(ids["plain_http"], good.id_number, {"url": "http://certs.ksu.edu.sa/c.pdf"})),
        binary(feed_record(ids["png"], good.id_number, {"file_id": png})),
        binary(feed_record(ids["missing"], good.id_number, {"file_id": "65f0c0ffee0000000000abcd"})),
        binary(feed_record(ids["both"], good.id_number, {"file_id": scan, "url": "https://certs.ksu.edu.sa/c.pdf"})),
        binary(feed_record(ids["neither"], good.id_number, {})),
        binary(b'{"record_id": "broken", "issuer": '),  # not JSON
        binary(feed_record(unique("typed"), good.id_number, {"file_id": scan}, certificate="a string")),  # wrong type
        structured(feed_record(ids["structured"], structured_good.id_number, {"file_id": scan}), unique("ce")),
        not_utf8,
    ]
    offsets, metrics = await bench.handle(records)

    assert len(await bench.submissions_of(good)) == 1
    assert len(await bench.submissions_of(structured_good)) == 1
    assert len(await bench.submissions_of(odd_header)) == 1
    assert await bench.submissions_of(inactive) == []
    expected = {
        ids["unknown"]: "feed.unknown_practitioner",
        ids["inactive"]: "feed.practitioner_not_active",
        ids["foreign_url"]: "feed.url_not_allowed",
        ids["plain_http"]: "feed.url_not_allowed",
        ids["png"]: "feed.document_invalid",
        ids["missing"]: "feed.document_invalid",
        ids["both"]: "feed.document_ambiguous",
        ids["neither"]: "feed.document_ambiguous",
    }
    refusals = await bench.refusals(list(ids.values()))
    assert {rid: doc["code"] for rid, doc in refusals.items()} == expected
    for rid, doc in refusals.items():
        assert doc["issuer"] == "King Saud University" and doc["publisher"] == PUBLISHER and doc["at"]
        number = (
            unknown_id if rid == ids["unknown"] else inactive.id_number if rid == ids["inactive"] else good.id_number
        )
        assert doc["candidate_ref"] == candidate_ref(number, bench.settings)
        assert number not in json.dumps(doc, default=str)
    assert await bench.db["intake.submissions"].count_documents({"origin.record_id": {"$in": list(expected)}}) == 0
    assert {k: metrics[k] for k in set(expected.values())} == {
        "feed.unknown_practitioner": 1,
        "feed.practitioner_not_active": 1,
        "feed.url_not_allowed": 2,
        "feed.document_invalid": 2,
        "feed.document_ambiguous": 2,
    }
    assert (metrics["accepted"], metrics["refused"], metrics["dead_lettered"]) == (3, 8, 2)

    # The two unreadable records went to the dead-letter topic alone, with the reason.
    dead = await bench.dead_letters(offsets)
    assert sorted(dead) == [offsets[9], offsets[10]]
    for headers in dead.values():
        assert (
            headers["x-dlq-reason"],
            headers["x-dlq-service"],
            headers["x-dlq-topic"],
            headers["x-dlq-attempts"],
        ) == ("invalid_event", "intake", TOPIC.name, "1")
        assert headers["x-dlq-partition"] and headers["x-dlq-at"] and headers["ce_id"]
    assert "certificate" in dead[offsets[10]]["x-dlq-error"]
    assert good.id_number not in dead[offsets[10]]["x-dlq-error"]

    accepted = {good.account_id, structured_good.account_id, odd_header.account_id}
    assert len(await eventually_received(bench, accepted, 3)) == 3


async def test_a_certificate_dated_in_the_future_or_before_1950_is_refused_not_dead_lettered(bench: Bench) -> None:
    who = await bench.practitioner()
    scan = await bench.gridfs_file(pdf_bytes())
    never_fetched = bench.documents.serve(
        f"/{unique('c')}/future.jpg", jpeg_bytes(900, 700, seed=8), **{"Content-Type": "image/jpeg"}
    )
    today = today_in_riyadh().isoformat()
    ids = {name: unique(name) for name in ("future", "future_url", "ancient", "today")}

    def dated(name: str, obtained_on: str, document: dict[str, Any]) -> tuple[bytes, Headers]:
        return binary(
            feed_record(
                ids[name],
                who.id_number,
                document,
                certificate={**certificate(f"Certificate {name}"), "obtained_on": obtained_on},
            )
        )

    files_before = await bench.db["files.files"].count_documents({})
    offsets, metrics = await bench.handle(
        [
            dated("future", "2099-01-01", {"file_id": scan}),
            dated("future_url", "2099-01-01", {"url": never_fetched}),
            dated("ancient", "1949-12-31", {"file_id": scan}),
            dated("today", today, {"file_id": scan}),  # today in Riyadh is not the future
        ]
    )

    [accepted] = await bench.submissions_of(who)
    assert (accepted["origin"]["record_id"], accepted["certificate"]["obtained_on"]) == (ids["today"], today)
    refusals = await bench.refusals(list(ids.values()))
    assert {rid: doc["code"] for rid, doc in refusals.items()} == {
        ids["future"]: "metadata.date_in_future",
        ids["future_url"]: "metadata.date_in_future",
        ids["ancient"]: "metadata.date_implausible",
    }
    assert "2099-01-01" in refusals[ids["future"]]["detail"]
    assert await bench.dead_letters(offsets) == {}
    assert (metrics["metadata.date_in_future"], metrics["metadata.date_implausible"]) == (2, 1)
    # A record refused for its date is refused before its document is looked at: the URL was never fetched.
    assert urlsplit(never_fetched).path not in bench.documents.requested
    assert await bench.db["files.files"].count_documents({}) == files_before


async def test_a_document_at_an_allow_listed_url_is_fetched_and_stored(bench: Bench) -> None:
    who = await bench.practitioner()
    scan = jpeg_bytes(900, 700, seed=7)
    fetched = bench.documents.serve(f"/{unique('c')}/degree.jpg", scan, **{"Content-Type": "image/jpeg"})
    too_large = bench.documents.serve(f"/{unique('c')}/huge.pdf", b"%PDF-1.7\n" + b"0" * MAX_UPLOAD)
    elsewhere = bench.documents.serve(f"/{unique('c')}/moved.pdf", b"", 302, Location="https://files.example.com/c.pdf")
    not_there = bench.documents.serve(f"/{unique('c')}/gone.pdf", b"gone", 404)
    ids = {name: unique(name) for name in ("fetched", "too_large", "elsewhere", "not_there")}
    records = [
        binary(feed_record(ids[name], who.id_number, {"url": url}))
        for name, url in (
            ("fetched", fetched),
            ("too_large", too_large),
            ("elsewhere", elsewhere),
            ("not_there", not_there),
        )
    ]
    files_before = await bench.db["files.files"].count_documents({})

    await bench.handle(records)

    [submission] = await bench.submissions_of(who)
    assert submission["origin"]["record_id"] == ids["fetched"]
    stored = submission["file"]
    assert (stored["filename"], stored["content_type"], stored["size"], stored["sha256"]) == (
        "degree.jpg",
        "image/jpeg",
        len(scan),
        sha256_hex(scan),
    )
    assert await bench.files.get(stored["file_id"]) == scan
    # Only the accepted document was kept; the refused ones were never stored.
    assert await bench.db["files.files"].count_documents({}) == files_before + 1
    refusals = await bench.refusals(list(ids.values()))
    assert {rid: doc["code"] for rid, doc in refusals.items()} == {
        ids["too_large"]: "feed.document_invalid",
        ids["elsewhere"]: "feed.document_unreachable",
        ids["not_there"]: "feed.document_unreachable",
    }


async def test_a_database_failure_retries_the_batch_and_applies_it_once(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [await bench.practitioner() for _ in range(2)]
    scan = await bench.gridfs_file(pdf_bytes())
    write = FeedStore.write
    attempts: list[int] = []

    async def flaky_write(self: FeedStore, writes: Any) -> None:
        attempts.append(len(writes.submissions))
        if len(attempts) <= 2:
            raise AutoReconnect("connection to the database lost")
        await write(self, writes)

    monkeypatch.setattr(FeedStore, "write", flaky_write)
    offsets, metrics = await bench.handle(
        [binary(feed_record(unique("KSU"), who.id_number, {"file_id": scan})) for who in people]
    )

    assert attempts == [2, 2, 2]
    for who in people:
        assert len(await bench.submissions_of(who)) == 1
    assert await bench.dead_letters(offsets) == {}
    assert metrics["accepted"] == 2


async def test_a_batch_the_database_keeps_refusing_is_dead_lettered_for_replay(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = await bench.practitioner()
    scan = await bench.gridfs_file(pdf_bytes())

    async def failing_write(self: FeedStore, writes: Any) -> None:
        raise AutoReconnect("connection to the database lost")

    monkeypatch.setattr(FeedStore, "write", failing_write)
    records = [binary(feed_record(unique("KSU"), who.id_number, {"file_id": scan})) for _ in range(2)]
    offsets, _ = await bench.handle(records, bench.settings.model_copy(update={"retry_attempts": 2}))

    assert await bench.submissions_of(who) == []
    dead = await bench.dead_letters(offsets)
    assert sorted(dead) == offsets
    assert {(h["x-dlq-reason"], h["x-dlq-attempts"]) for h in dead.values()} == {("retries_exhausted", "2")}
    assert "AutoReconnect" in dead[offsets[0]]["x-dlq-error"]


async def test_a_gridfs_file_named_again_in_a_later_batch_is_read_once_and_one_deleted_meanwhile_is_refused(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [await bench.practitioner() for _ in range(4)]
    scan, doomed_scan = pdf_bytes(), jpeg_bytes(900, 700, seed=5)
    shared, doomed = await bench.gridfs_file(scan), await bench.gridfs_file(doomed_scan, "scan.jpg")
    reads: list[str] = []
    get = FileStore.get

    async def counted(self: FileStore, file_id: str) -> bytes:
        reads.append(file_id)
        return await get(self, file_id)

    monkeypatch.setattr(FileStore, "get", counted)
    ids = [unique("KSU") for _ in range(4)]
    first = [
        binary(feed_record(ids[0], people[0].id_number, {"file_id": shared})),
        binary(feed_record(ids[1], people[1].id_number, {"file_id": doomed})),
    ]
    later = [
        binary(feed_record(ids[2], people[2].id_number, {"file_id": shared, "filename": "again.pdf"})),
        binary(feed_record(ids[3], people[3].id_number, {"file_id": doomed})),
    ]
    async with bench.intake():
        partition, offsets = await bench.publish(first)
        await wait_consumed(bench.stack.kafka_bootstrap, "intake", TOPIC.name, partition, offsets[-1], timeout=60)
        await bench.files.delete(doomed)  # GridFS files are never changed, but they can go
        partition, offsets = await bench.publish(later)
        await wait_consumed(bench.stack.kafka_bootstrap, "intake", TOPIC.name, partition, offsets[-1], timeout=60)

    # Each file's bytes were read and checked once; the later batch still asked whether they exist.
    assert sorted(reads) == sorted([shared, doomed])
    for who, filename in ((people[0], "certificate.pdf"), (people[2], "again.pdf")):
        [submission] = await bench.submissions_of(who)
        assert (submission["file"]["file_id"], submission["file"]["sha256"]) == (shared, sha256_hex(scan))
        assert submission["file"]["filename"] == filename
    assert len(await bench.submissions_of(people[1])) == 1
    assert await bench.submissions_of(people[3]) == []
    assert {rid: doc["code"] for rid, doc in (await bench.refusals(ids)).items()} == {ids[3]: "feed.document_invalid"}
