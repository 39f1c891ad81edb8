"""Other systems may send CloudEvents in binary mode (ce_* headers + JSON data) or structured mode
(`application/cloudevents+json`, the whole event in the body); both reach the handler the same way.
An event of another type or version, or a malformed envelope, is dead-lettered with the reason
while the consumer goes on."""

import json
from datetime import UTC, datetime

import pytest

from mumaris.tools.stack import StackInfo
from schemas.topics import Topic
from tests.integration.harness import Harness, ce_headers, send
from tests.support import eventually, headers_of, read_all, unique

pytestmark = pytest.mark.integration


def structured(data: object, *, type_: str = "test.ping.v1", event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id or unique("evt"),
            "source": "/gov/payments",
            "type": type_,
            "time": datetime.now(UTC).isoformat(),
            "subject": "p",
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


STRUCTURED = {"content-type": "application/cloudevents+json"}


async def test_binary_and_structured_events_are_handled_alike(stack: StackInfo, topic: Topic, harness: Harness) -> None:
    await send(stack, topic, {"ping_id": "p", "n": 1}, ce_headers())
    await send(stack, topic, structured({"ping_id": "p", "n": 2}), STRUCTURED)

    await eventually(lambda: _count(harness.handled, 2), what="both events")
    assert sorted(e.n for e in harness.handled) == [1, 2]
    assert await read_all(stack.kafka_bootstrap, topic.dlq) == []


async def test_a_structured_event_is_applied_once_by_its_id(stack: StackInfo, topic: Topic) -> None:
    # The id in the envelope is the idempotency key, exactly like ce_id in binary mode.
    from mumaris.kafka import CloudEvent, subscriber

    h = Harness(stack, topic)
    seen: list[str] = []

    @subscriber(h.broker, topic, service=h.service, settings=h.settings)
    async def handle(event: object, ce: CloudEvent) -> None:
        seen.append(ce.id)

    async with h:
        body = structured({"ping_id": "p", "n": 3}, event_id="payment-42")
        await send(stack, topic, body, STRUCTURED)
        await eventually(lambda: _count(seen, 1), what="the structured event")
    assert seen == ["payment-42"]


async def test_unknown_types_wrong_versions_and_broken_envelopes_are_dead_lettered_with_the_reason(
    stack: StackInfo, topic: Topic, harness: Harness
) -> None:
    other = {**ce_headers(), "ce_type": "test.something_else.v1"}
    newer = {**ce_headers(), "ce_type": "test.ping.v2"}
    await send(stack, topic, {"ping_id": "p", "n": 1}, other)
    await send(stack, topic, {"ping_id": "p", "n": 2}, newer)
    await send(stack, topic, structured({"ping_id": "p", "n": 3}, type_="test.ping.v2"), STRUCTURED)
    await send(stack, topic, b'{"specversion": "1.0", "id": "x"}', STRUCTURED)  # no data, no type
    await send(stack, topic, b"[1, 2]", STRUCTURED)
    await send(stack, topic, {"ping_id": "p", "n": 9}, ce_headers())  # the consumer is still there

    await eventually(lambda: _count(harness.handled, 1), what="the valid event after the bad ones")
    assert [e.n for e in harness.handled] == [9]
    dead = await eventually(lambda: _at_least(read_all(stack.kafka_bootstrap, topic.dlq), 5), what="5 dead letters")
    reasons = [headers_of(r)["x-dlq-reason"] for r in dead]
    errors = [headers_of(r)["x-dlq-error"] for r in dead]
    assert reasons == ["invalid_event"] * 5
    assert "test.something_else.v1" in errors[0] and "test.ping.v2" in errors[1] and "test.ping.v2" in errors[2]
    assert "no data" in errors[3] and "JSON object" in errors[4]


async def _count(items: list, n: int) -> bool:  # type: ignore[type-arg]
    return len(items) >= n


async def _at_least(records, n: int):  # type: ignore[no-untyped-def]
    found = await records
    return found if len(found) >= n else None


async def test_an_event_sent_with_the_real_kcat_binary_is_handled(
    stack: StackInfo, topic: Topic, harness: Harness
) -> None:
    """What the README's consumer guide tells other teams to run, run for real."""
    import asyncio
    import shutil

    kcat = shutil.which("kcat")
    assert kcat, "kcat is installed by `make install` (Debian package kcat)"
    headers = ce_headers()
    binary = [arg for name, value in headers.items() for arg in ("-H", f"{name}={value}")]
    for extra, body in (
        (binary, json.dumps({"ping_id": "p", "n": 11})),
        (["-H", "content-type=application/cloudevents+json"], structured({"ping_id": "p", "n": 12}).decode()),
    ):
        process = await asyncio.create_subprocess_exec(
            kcat,
            "-P",
            "-b",
            stack.kafka_bootstrap,
            "-t",
            topic.name,
            "-k",
            "p",
            *extra,
            stdin=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await process.communicate(body.encode())
        assert process.returncode == 0, stderr.decode()

    await eventually(lambda: _count(harness.handled, 2), what="both kcat events")
    assert sorted(e.n for e in harness.handled) == [11, 12]
