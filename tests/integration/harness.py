"""An in-process consumer with the services' delivery policy, on a topic of its own, for tests
of the policy itself (retries, dead letters, replay)."""

import json
from typing import Any

from mumaris.kafka import make_broker
from mumaris.tools.stack import StackInfo
from schemas.cloudevents import CloudEventAttributes
from schemas.events import Event
from schemas.topics import Topic
from tests.support import produce, settings_for, unique


class Ping(Event):
    ping_id: str
    n: int


def ce_headers(event_id: str | None = None) -> dict[str, str]:
    attrs = CloudEventAttributes.new(source="/test", type="test.ping.v1", subject="p")
    if event_id:
        attrs = attrs.model_copy(update={"id": event_id})
    return attrs.to_headers()


async def send(stack: StackInfo, topic: Topic, body: Any, headers: dict[str, str] | None = None) -> None:
    value = body if isinstance(body, bytes) else json.dumps(body).encode()
    await produce(stack.kafka_bootstrap, topic.name, value, key=b"k", headers=headers)


class Harness:
    """One in-process consumer (a unique service name = its own consumer group) on `topic`."""

    def __init__(self, stack: StackInfo, topic: Topic, **settings: Any) -> None:
        self.service = unique("svc")
        self.settings = settings_for(stack, mongo_db=unique("db"), **settings)
        self.broker, self.dead_letters = make_broker(self.settings, self.service)
        self.topic = topic
        self.handled: list[Ping] = []

    async def __aenter__(self) -> "Harness":
        await self.broker.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.broker.stop()
        await self.dead_letters.producer.stop()
