"""The outbox relay: publishes each service's pending outbox events to Kafka, in creation order,
and heals by itself after a broker or database outage.

One pass reads up to a batch of pending events, sends them all with the relay's own producer,
waits until every send has settled, removes exactly the events whose own send was acknowledged,
and keeps the rest pending. After any failed send the producer is replaced (see
`mumaris.kafka.HealingProducer`: a failed send can leave an idempotent producer unable to ever
publish on that partition again) and the next pass resends only what was not acknowledged, in
order. So an outage costs at most a batch of copies (sends the broker took whose acknowledgement
was lost), never a multiple of what was sent, and consumers drop copies by their CloudEvents id.

Health is visible: `/healthz` says `degraded` with the reason while the relay cannot publish; the
pending count and the age of the oldest pending event are metrics; a relay that has not published
for `outbox_stuck_after_s` writes one ERROR line saying why, and one line again when it recovers —
never a line per attempt.
"""

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic_core import to_json
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from mumaris.clock import now
from mumaris.kafka import HealingProducer
from mumaris.mongo import Outbox
from mumaris.settings import Settings

log = logging.getLogger("mumaris.relay")


class RelayLease:
    """Which replica's relay publishes a service's outbox: one at a time, so replicas neither
    publish the same record twice nor reorder one key's events between them. The holder renews the
    lease once half of it has passed (`hold`); when it dies, another replica takes over once the
    lease has lapsed."""

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        service: str,
        lease_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.collection = db[f"{service}.outbox_relay"]
        self.holder = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.lease = timedelta(seconds=lease_s)
        self.clock = clock
        self._renew_after: float | None = None  # clock() past which the lease is renewed again

    async def hold(self) -> bool:
        """True while this replica holds the lease. It is renewed once half of it has passed, not
        on every pass: a busy relay makes hundreds of passes a second, and each renewal is a
        database write. The relay also asks while a pass runs, every quarter of a lease
        (`OutboxRelay._holding_the_lease`), so at least a quarter is left at any moment however
        long the pass; a lapsed lease is taken again at once if no other replica took it."""
        if self._renew_after is not None and self.clock() < self._renew_after:
            return True
        self._renew_after = None
        asked = self.clock()
        at = now()
        try:
            await self.collection.find_one_and_update(
                {"_id": "relay", "$or": [{"holder": self.holder}, {"until": {"$lte": at}}]},
                {"$set": {"holder": self.holder, "until": at + self.lease}},
                upsert=True,
            )
        except DuplicateKeyError:  # the document exists and another live replica holds it
            return False
        self._renew_after = asked + self.lease.total_seconds() / 2
        return True

    async def release(self) -> None:
        """Hand over at once on a clean stop instead of making the others wait out the lease."""
        self._renew_after = None
        await self.collection.delete_one({"_id": "relay", "holder": self.holder})


class PublishFailed(Exception):
    """Some sends of a pass failed; the acknowledged ones were removed, the rest stay pending."""

    def __init__(self, error: BaseException, published: int) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error
        self.published = published


@dataclass
class RelayTrouble:
    """Since when the relay has been unable to publish, how often it tried and the last reason."""

    since: float
    reason: str
    attempts: int = 1
    reported_stuck: bool = False


class OutboxRelay:
    """Publishes pending outbox events in creation order; survives broker and database outages.
    With several replicas, only the holder of the relay lease publishes."""

    def __init__(self, outbox: Outbox, producer: HealingProducer, settings: Settings, lease: RelayLease) -> None:
        self.outbox = outbox
        self.producer = producer
        self.lease = lease
        self.poll_s = settings.outbox_poll_s
        self.linger_s = settings.outbox_linger_s
        self.batch = settings.outbox_batch
        self.backoff_max_s = settings.retry_backoff_max_s
        self.degraded_after_s = settings.outbox_degraded_after_s
        self.stuck_after_s = settings.outbox_stuck_after_s
        self.published_total = 0
        self.on_published: Callable[[str, int], None] = lambda topic, count: None  # (topic, events) for metrics
        self.trouble: RelayTrouble | None = None
        self.awaiting_since: float | None = None  # a pass is waiting for acknowledgements since then
        self._task: asyncio.Task[None] | None = None

    @property
    def service(self) -> str:
        return self.outbox.service

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.producer.stop()
        with contextlib.suppress(Exception):  # the database may be gone: the lease then lapses
            await self.lease.release()

    # -- one pass -------------------------------------------------------------------------------

    async def publish_pending(self) -> int:
        """Publish up to a batch of pending events; returns how many were acknowledged.
        Raises PublishFailed after removing the acknowledged ones when any send failed."""
        docs = await (
            self.outbox.collection.find({})
            .sort([("created_at", ASCENDING), ("seq", ASCENDING)])
            .limit(self.batch)
            .batch_size(self.batch)  # all in the first reply: no getMore after the server's default 101
            .to_list()
        )
        if not docs:
            return 0
        sent: list[tuple[dict[str, Any], asyncio.Future[Any]]] = []
        refused: BaseException | None = None
        for doc in docs:
            try:
                future = await self.producer.send(
                    doc["topic"], _body_bytes(doc["body"]), key=doc["key"].encode(), headers=doc["headers"]
                )
            except Exception as exc:  # not even queued (no metadata, buffer full, broker away)
                refused = exc  # later events wait too: they must not overtake this one
                break
            sent.append((doc, future))
        outcomes = await self._settled([future for _, future in sent])
        acknowledged = [doc for (doc, _), outcome in zip(sent, outcomes, strict=True) if outcome is None]
        if acknowledged:
            # By their ids, not as a range of the sort order (`created_at`, `seq` up to the last one
            # sent): writers commit concurrently, and an event ordered before the last one read
            # can commit after the read, while its batch is being sent (its transaction began
            # earlier and took longer). A range delete would remove it unpublished: lost. `$in` of
            # the acknowledged ids is an `_id` lookup per id and removes exactly what the broker has.
            await self.outbox.collection.delete_many({"_id": {"$in": [doc["_id"] for doc in acknowledged]}})
            self.published_total += len(acknowledged)
            for topic, count in Counter(doc["topic"] for doc in acknowledged).items():
                self.on_published(topic, count)
        failure = refused or next((outcome for outcome in outcomes if outcome is not None), None)
        if failure is not None:
            # A fresh producer (new id, sequences from zero) for the resend of what is left.
            await self.producer.replace()
            raise PublishFailed(failure, len(acknowledged))
        return len(acknowledged)

    async def _settled(self, futures: list[asyncio.Future[Any]]) -> list[BaseException | None]:
        """Wait until every send has succeeded or failed (an error, or None for each). While the
        broker is away that is as long as it stays away: nothing is resent meanwhile, so nothing
        the broker may still take is sent twice."""
        if not futures:
            return []
        self.awaiting_since = time.monotonic()
        try:
            pending: set[asyncio.Future[Any]] = set(futures)
            while pending:
                _, pending = await asyncio.wait(pending, timeout=self.degraded_after_s)
                if pending:
                    self._in_trouble(f"the broker has not acknowledged {len(pending)} event(s)", attempt=False)
            return [_failure_of(future) for future in futures]
        finally:
            self.awaiting_since = None

    # -- the loop -------------------------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        while True:
            self.outbox.added.clear()
            try:
                if not await self.lease.hold():
                    await asyncio.sleep(self.poll_s)
                    continue
                published = await self._holding_the_lease(self.publish_pending())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep everything pending, try again
                failures += 1
                self._in_trouble(_reason(exc))
                await asyncio.sleep(min(self.backoff_max_s, self.poll_s * 2 ** min(failures, 6)))
                continue
            failures = 0
            self._recovered()
            if published == self.batch:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.outbox.added.wait(), timeout=self.poll_s)
                await asyncio.sleep(self.linger_s)  # woken by a new event: let the next ones join it

    async def _holding_the_lease(self, work: Coroutine[Any, Any, int]) -> int:
        """`work` (a pass), the lease renewed meanwhile for as long as it runs. A pass can outlast
        the lease (a producer starting on a loaded machine, acknowledgements the broker is slow to
        give): another replica must not take over and publish the same pending events while this
        one still sends them. Renewed from this loop, so a relay that dies, or whose loop is
        cancelled, stops renewing and is replaced once the lease lapses."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=self.lease.lease.total_seconds() / 4)
                if done:
                    return task.result()
                with contextlib.suppress(PyMongoError):  # the database away: the pass decides
                    await self.lease.hold()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _in_trouble(self, reason: str, *, attempt: bool = True) -> None:
        trouble = self.trouble
        if trouble is None:
            self.trouble = RelayTrouble(since=time.monotonic(), reason=reason)
            log.warning(
                "outbox relay (%s) cannot publish: %s; events stay pending and are retried", self.service, reason
            )
            return
        trouble.attempts += attempt
        trouble.reason = reason
        stuck_for = time.monotonic() - trouble.since
        if stuck_for >= self.stuck_after_s and not trouble.reported_stuck:
            trouble.reported_stuck = True
            log.error(
                "outbox relay (%s) stuck for %.0f s: %s (%d attempts); it keeps trying, nothing is lost",
                self.service,
                stuck_for,
                reason,
                trouble.attempts,
            )

    def _recovered(self) -> None:
        trouble, self.trouble = self.trouble, None
        if trouble is not None:
            log.warning(
                "outbox relay (%s) publishing again after %.0f s (%d attempts, %d producer replacement(s) so far)",
                self.service,
                time.monotonic() - trouble.since,
                trouble.attempts,
                self.producer.replacements,
            )

    # -- health ---------------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Why the relay is not publishing right now, or None when it is well."""
        if self.trouble is not None:
            return (
                f"outbox relay cannot publish for {time.monotonic() - self.trouble.since:.0f} s: {self.trouble.reason}"
            )
        if self.awaiting_since is not None and time.monotonic() - self.awaiting_since > self.degraded_after_s:
            return f"outbox relay waiting for the broker for {time.monotonic() - self.awaiting_since:.0f} s"
        return None

    async def oldest_pending_age_s(self) -> float:
        oldest = await self.outbox.collection.find_one(
            {}, sort=[("created_at", ASCENDING)], projection={"created_at": 1}
        )
        return max(0.0, (now() - oldest["created_at"]).total_seconds()) if oldest else 0.0


def _body_bytes(body: Any) -> bytes:
    """The event's JSON: as the outbox keeps it (bytes), or, for a document an earlier release
    wrote, as that release sent it (compact, UTF-8, nothing escaped that need not be), written by
    pydantic's serializer."""
    return body if isinstance(body, bytes) else to_json(body)


def _failure_of(future: "asyncio.Future[Any]") -> BaseException | None:
    if future.cancelled():
        return asyncio.CancelledError("the send was cancelled")
    return future.exception()


def _reason(exc: BaseException) -> str:
    error = exc.error if isinstance(exc, PublishFailed) else exc
    where = "database" if isinstance(error, PyMongoError) else "broker"
    return f"{where}: {type(error).__name__}: {error}"[:300]
