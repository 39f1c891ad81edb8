"""Operations replay dead letters once the cause is fixed: each takes effect once, and a second
replay sends nothing again."""

import asyncio
import json
import os
import subprocess
import sys

import pytest

from mumaris.kafka import CloudEvent, subscriber
from mumaris.tools.dlq import list_dead_letters, replay
from mumaris.tools.stack import StackInfo
from schemas.topics import Topic
from tests.integration.harness import Harness, Ping, ce_headers, send
from tests.support import eventually

pytestmark = pytest.mark.integration


async def test_a_dead_letter_replayed_after_the_fix_takes_effect_once(stack: StackInfo, topic: Topic) -> None:
    h = Harness(stack, topic, retry_attempts=2)
    downstream_fixed = False
    applied: list[str] = []

    @subscriber(h.broker, topic, service=h.service, settings=h.settings)
    async def handle(event: Ping, ce: CloudEvent) -> None:
        if not downstream_fixed:
            raise RuntimeError("the registry API is down")
        if ce.id not in applied:  # what the services' event ledger does
            applied.append(ce.id)

    async with h:
        await send(stack, topic, {"ping_id": "p", "n": 1}, ce_headers())

        async def dead() -> list:
            return await list_dead_letters(stack.kafka_bootstrap, topic.name)

        [letter] = await eventually(dead, what="the dead letter")
        assert (letter.reason, letter.service, letter.attempts) == ("retries_exhausted", h.service, "2")

        downstream_fixed = True
        first = await replay(stack.kafka_bootstrap, topic.name)
        assert [(r.partition, r.offset) for r in first] == [(letter.partition, letter.offset)]

        async def done() -> list[str]:
            return applied

        await eventually(done, what="the replayed record to be handled")
        assert await replay(stack.kafka_bootstrap, topic.name) == []  # already replayed: nothing sent
    assert len(applied) == 1


def mumaris(stack: StackInfo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mumaris.tools.cli", *args],
        env={**os.environ, **stack.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_the_cli_lists_and_shows_dead_letters(stack: StackInfo, topic: Topic, harness: Harness) -> None:
    await send(stack, topic, b"{broken", ce_headers())

    async def dead() -> list:
        return await list_dead_letters(stack.kafka_bootstrap, topic.name)

    await eventually(dead, what="the dead letter")
    listed = await asyncio.to_thread(mumaris, stack, "dlq", "list", topic.name)
    [line] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (line["reason"], line["service"]) == ("invalid_event", harness.service)
    shown = await asyncio.to_thread(
        mumaris, stack, "dlq", "show", topic.name, str(line["partition"]), str(line["offset"])
    )
    assert json.loads(shown.stdout)["body"] == "{broken"
