"""The review queue on review's /metrics: items per state, how long the oldest waiting item has
waited, and how many open items are past their service-level deadline. Read at scrape time, so
every replica reports the same truth."""

import math

from prometheus_client import CollectorRegistry, Gauge

from mumaris.clock import now
from services.review.queue.store import ReviewStore


class QueueMetrics:
    def __init__(self, registry: CollectorRegistry, store: ReviewStore) -> None:
        self.store = store
        self.items = Gauge("mumaris_review_queue_items", "Review items by state", ["state"], registry=registry)
        self.oldest = Gauge(
            "mumaris_review_oldest_waiting_seconds",
            "Age of the oldest item nobody is working on (NaN when none waits)",
            registry=registry,
        )
        self.past_sla = Gauge(
            "mumaris_review_past_sla_items", "Open items past their service-level deadline", registry=registry
        )

    async def refresh(self) -> None:
        at = now()
        for state, count in (await self.store.counts(at)).items():
            self.items.labels(state).set(count)
        oldest = await self.store.oldest_waiting(at)
        self.oldest.set(math.nan if oldest is None else round((at - oldest["queued_at"]).total_seconds(), 1))
        self.past_sla.set(await self.store.count_past_sla(at))
