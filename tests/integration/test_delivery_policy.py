"""The delivery policy every consumer runs with, against the real broker and database:
broken records go to the dead-letter topic and the consumer keeps going; transient failures are
retried; a crash in the middle of a handler leaves nothing behind and the redelivery applies once."""

from typing import Any

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.kafka import CloudEvent, subscriber
from mumaris.mongo import UnitOfWork, make_client
from mumaris.tools.stack import StackInfo
from schemas.topics import Topic
from tests.integration.harness import Harness, Ping, ce_headers, send
from tests.support import eventually, headers_of, read_all

pytestmark = pytest.mark.integration


async def test_broken_records_are_dead_lettered_with_the_reason_and_the_consumer_goes_on(
    stack: StackInfo, topic: Topic, harness: Harness
) -> None:
    await send(stack, topic, b"\x00not json at all", ce_headers())
    await send(stack, topic, {"ping_id": "p", "n": "not a number"}, ce_headers())
    await send(stack, topic, {"ping_id": "p", "n": 1})  # no CloudEvents headers
    await send(stack, topic, {"ping_id": "p", "n": 2}, ce_headers())

    await eventually(lambda: _ready(harness.handled), what="the valid record to be handled")
    assert [e.n for e in harness.handled] == [2]

    dead = await eventually(lambda: _at_least(read_all(stack.kafka_bootstrap, topic.dlq), 3), what="3 dead letters")
    assert len(dead) == 3
    for record in dead:
        headers = headers_of(record)
        assert headers["x-dlq-service"] == harness.service
        assert headers["x-dlq-topic"] == topic.name
        assert headers["x-dlq-reason"] == "invalid_event"
        assert headers["x-dlq-attempts"] == "1"  # broken input is not retried
    assert dead[0].value == b"\x00not json at all"  # the original bytes, for replay
    assert "ce_id" in headers_of(dead[1])  # the original headers travel along


async def test_a_transient_failure_is_retried_and_then_succeeds(stack: StackInfo, topic: Topic) -> None:
    h = Harness(stack, topic, retry_attempts=4)
    calls = 0

    @subscriber(h.broker, topic, service=h.service, settings=h.settings)
    async def flaky(event: Ping) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("database briefly away")
        h.handled.append(event)

    async with h:
        await send(stack, topic, {"ping_id": "p", "n": 7}, ce_headers())
        await eventually(lambda: _ready(h.handled), what="the retried record")
    assert calls == 3 and [e.n for e in h.handled] == [7]
    assert await read_all(stack.kafka_bootstrap, topic.dlq) == []


async def test_a_record_that_keeps_failing_is_dead_lettered_after_the_last_attempt(
    stack: StackInfo, topic: Topic
) -> None:
    h = Harness(stack, topic, retry_attempts=3)
    attempts: list[int] = []

    @subscriber(h.broker, topic, service=h.service, settings=h.settings)
    async def failing(event: Ping) -> None:
        if event.n == 1:
            attempts.append(event.n)
            raise RuntimeError("downstream keeps failing")
        h.handled.append(event)

    async with h:
        await send(stack, topic, {"ping_id": "p", "n": 1}, ce_headers())
        await send(stack, topic, {"ping_id": "p", "n": 2}, ce_headers())
        await eventually(lambda: _ready(h.handled), what="the record after the poisoned one")
    assert len(attempts) == 3
    dead = await read_all(stack.kafka_bootstrap, topic.dlq)
    assert len(dead) == 1
    headers = headers_of(dead[0])
    assert headers["x-dlq-reason"] == "retries_exhausted"
    assert headers["x-dlq-attempts"] == "3"
    assert "downstream keeps failing" in headers["x-dlq-error"]


async def test_a_crash_in_the_middle_of_a_handler_leaves_nothing_and_the_redelivery_applies_once(
    stack: StackInfo, topic: Topic
) -> None:
    h = Harness(stack, topic)
    client = make_client(h.settings)
    db = client[h.settings.mongo_db]
    uow = UnitOfWork(client, db, h.service)
    crashes = 0

    @subscriber(h.broker, topic, service=h.service, settings=h.settings)
    async def half_done(event: Ping, ce: CloudEvent) -> None:
        async def work(session: AsyncClientSession) -> None:
            nonlocal crashes
            await db["effects"].insert_one({"ping": event.ping_id, "n": event.n}, session=session)
            await uow.outbox.add(topic, event, session)
            if crashes == 0:
                crashes += 1
                raise RuntimeError("process died after the first write")

        await uow.apply_once(ce.id, ce.type, work)
        h.handled.append(event)

    same_id = ce_headers()["ce_id"]
    async with h:
        await send(stack, topic, {"ping_id": "once", "n": 1}, ce_headers(same_id))
        await send(stack, topic, {"ping_id": "once", "n": 1}, ce_headers(same_id))  # duplicate delivery
        await eventually(lambda: _at_least_list(h.handled, 2), what="both deliveries handled")

    assert crashes == 1
    assert await db["effects"].count_documents({"ping": "once"}) == 1
    assert await uow.outbox.collection.count_documents({}) == 1
    assert await uow.ledger.collection.count_documents({"_id": same_id}) == 1
    await client.close()


async def _ready(items: list[Any]) -> bool:
    return bool(items)


async def _at_least_list(items: list[Any], n: int) -> bool:
    return len(items) >= n


async def _at_least(pending: Any, n: int) -> list[Any] | None:
    records = await pending
    return records if len(records) >= n else None


async def test_the_dead_letter_error_header_masks_personal_data(
    stack: StackInfo, topic: Topic, harness: Harness
) -> None:
    # A validation error quotes the bad input; operators read it in `mumaris dlq list`.
    await send(stack, topic, {"ping_id": "p", "n": "sara.alharbi@example.sa 0551234567 1000000008"}, ce_headers())
    dead = await eventually(lambda: _at_least(read_all(stack.kafka_bootstrap, topic.dlq), 1), what="the dead letter")
    error = headers_of(dead[0])["x-dlq-error"]
    assert "ValidationError" in error
    for secret in ("sara.alharbi@example.sa", "0551234567", "1000000008"):
        assert secret not in error
