"""In-memory stand-ins for the unit of work and a notifier channel's sender, for tests of use cases
(no broker, no database, no mail server).

`FakeUnitOfWork` keeps the real one's promises that a use case relies on: the work runs with a
session of its own (a `FakeSession`), the events it adds to the outbox are kept only if the work
returns (also while other transactions run at the same time), and `apply_once` runs the work for a
given event id once. It does not undo a fake store's writes when the work fails; failures in the
middle of a transaction are proven on the real stack.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from schemas.topics import Topic

T = TypeVar("T")
# What a fake store hands the fake unit of work for `insert_all`: its own write, for a session.
FakeInsertion = Callable[[Any], Awaitable[Any]]


class FakeSession:
    """One transaction: what the outbox stages under it commits or is dropped with it."""


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[tuple[Topic, BaseModel]] = []  # committed, in the order they were added
        self._staged: dict[int, list[tuple[Topic, BaseModel]]] = {}  # per transaction (id of its session)

    async def add(self, topic: Topic, event: BaseModel, session: Any) -> str:
        self._staged.setdefault(id(session), []).append((topic, event))
        return f"event-{len(self.events) + sum(map(len, self._staged.values()))}"

    def insertion(self, topic: Topic, event: BaseModel) -> FakeInsertion:
        return lambda session: self.add(topic, event, session)

    def notify(self) -> None: ...

    def of(self, topic: Topic) -> list[Any]:
        """The committed events on `topic`."""
        return [event for on, event in self.events if on.name == topic.name]

    def _commit(self, session: FakeSession) -> None:
        self.events += self._staged.pop(id(session), [])

    def _abort(self, session: FakeSession) -> None:
        self._staged.pop(id(session), None)


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.outbox = FakeOutbox()
        self.handled: list[str] = []  # event ids that took effect
        self.transactions = 0

    async def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        session = FakeSession()
        try:
            result = await work(session)
        except BaseException:
            self.outbox._abort(session)
            raise
        self.outbox._commit(session)
        self.transactions += 1
        return result

    async def attempt(self, work: Callable[[Any], Awaitable[T | None]]) -> T | None:
        return await self.run(work)

    async def insert_all(self, insertions: Sequence[FakeInsertion], session: Any) -> None:
        for insert in insertions:
            await insert(session)

    async def apply_once(self, event_id: str, event_type: str, work: Callable[[Any], Awaitable[T]]) -> T | None:
        if event_id in self.handled:
            return None
        result = await self.run(work)
        self.handled.append(event_id)
        return result


@dataclass
class FakeSender:
    """A notifier channel's sender: records what it was asked to send; fails as told first."""

    outcomes: list[Exception] = field(default_factory=list)
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def __call__(self, delivery_id: str, message: dict[str, str]) -> str:
        self.sent.append((delivery_id, message))
        if self.outcomes:
            raise self.outcomes.pop(0)
        return f"provider-{len(self.sent)}"
