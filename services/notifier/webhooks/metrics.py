"""Facilities' webhooks on notifier's /metrics.

Counted as they happen (per replica; Prometheus sums them): each try by its outcome's class
(rules.outcome_class), each delivery settled for good (delivered or parked), and how long a
delivery took from the change being recorded to the receiver's 2xx. Read at scrape time from the
deliveries themselves, so every replica reports the same truth: how many are parked in the
dead-letter list and how long the oldest pending one has waited.
"""

import math

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from mumaris.clock import now
from services.notifier.webhooks.rules import OUTCOME_LABELS
from services.notifier.webhooks.store import WebhookStore

# From a few hundred milliseconds (a receiver that answers at once) to a day (retried for hours).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry, store: WebhookStore) -> None:
        self.store = store
        self.attempts = Counter(
            "mumaris_webhook_attempts", "Webhook delivery tries, by outcome", ["outcome"], registry=registry
        )
        self.deliveries = Counter(
            "mumaris_webhook_deliveries",
            "Webhook deliveries settled for good, by outcome (delivered or parked)",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "mumaris_webhook_delivery_latency_seconds",
            "From the change being recorded for a subscription to the receiver's 2xx",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.parked = Gauge(
            "mumaris_webhook_parked", "Webhook deliveries parked in the dead-letter list", registry=registry
        )
        self.oldest_pending = Gauge(
            "mumaris_webhook_oldest_pending_seconds",
            "Age of the oldest webhook delivery not yet delivered nor parked (NaN when none is pending)",
            registry=registry,
        )
        # Every label from the start, at 0: a rate is there to plot before the first failure.
        for label in OUTCOME_LABELS:
            self.attempts.labels(label)
        for label in ("delivered", "parked"):
            self.deliveries.labels(label)

    def tried(self, outcome_label: str) -> None:
        self.attempts.labels(outcome_label).inc()

    def delivered(self, latency_s: float) -> None:
        self.deliveries.labels("delivered").inc()
        self.latency.observe(max(0.0, latency_s))

    def parked_now(self) -> None:
        self.deliveries.labels("parked").inc()

    async def refresh(self) -> None:
        at = now()
        self.parked.set(await self.store.parked_count())
        oldest = await self.store.oldest_pending()
        self.oldest_pending.set(math.nan if oldest is None else round((at - oldest).total_seconds(), 1))
