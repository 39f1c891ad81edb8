"""Classification fees on review's /metrics: invoices waiting for payment, the nearest deadline,
and refused payments by kind (each one a payment issue for operations)."""

import math

from prometheus_client import CollectorRegistry, Counter, Gauge

from mumaris.clock import now
from services.review.fees.rules import ISSUE_KINDS, PaymentVerdict
from services.review.fees.store import ClassificationStore


class FeeMetrics:
    def __init__(self, registry: CollectorRegistry, store: ClassificationStore) -> None:
        self.store = store
        self.awaiting = Gauge(
            "mumaris_fee_invoices_awaiting_payment",
            "Classification invoices issued and not yet paid",
            registry=registry,
        )
        self.next_deadline = Gauge(
            "mumaris_fee_next_deadline_seconds",
            "Seconds until the nearest unpaid invoice's deadline (NaN when none waits)",
            registry=registry,
        )
        self.issues = Counter(
            "mumaris_fee_payment_issues",
            "Payments refused and flagged for operations, by kind",
            ["kind"],
            registry=registry,
        )
        for kind in ISSUE_KINDS:  # every kind shows from the start, at 0
            self.issues.labels(kind.value)

    def payment_issue(self, kind: PaymentVerdict) -> None:
        self.issues.labels(kind.value).inc()

    async def refresh(self) -> None:
        """Read from the database at scrape time, so every replica reports the same truth."""
        count, nearest = await self.store.awaiting_payment()
        self.awaiting.set(count)
        self.next_deadline.set(math.nan if nearest is None else round((nearest - now()).total_seconds(), 3))
