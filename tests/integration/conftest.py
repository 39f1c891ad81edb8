"""Fixtures for integration tests that need a topic of their own."""

from collections.abc import AsyncIterator

import pytest

from mumaris.kafka import CloudEvent, subscriber
from mumaris.tools.stack import StackInfo, create_topics
from schemas.topics import Topic
from tests.integration.harness import Harness, Ping
from tests.support import unique


@pytest.fixture
async def topic(stack: StackInfo) -> Topic:
    name = unique("policy")
    await create_topics(stack.kafka_bootstrap, [name, name + ".dlq"], partitions=1)
    return Topic(
        name=name,
        model=Ping,
        ce_type="test.ping.v1",
        key="ping_id",
        producers=("test",),
        consumers=("test",),
        description="test topic",
    )


@pytest.fixture
async def harness(stack: StackInfo, topic: Topic) -> AsyncIterator[Harness]:
    """A consumer that records every event it handles."""
    h = Harness(stack, topic)

    @subscriber(h.broker, topic, service=h.service, settings=h.settings)
    async def handle(event: Ping, ce: CloudEvent) -> None:
        h.handled.append(event)

    async with h:
        yield h
