"""Registrations on review's /metrics, read from the database at scrape time (every replica
reports the same truth): registrations by status as of today on the registry's clock, those due
to expire within 30 days, those lapsed this month, renewals awaiting payment. Each is a count on
an index range of review.registrations (status, expires_on) or review.renewals."""

from datetime import timedelta

from prometheus_client import CollectorRegistry, Gauge

from mumaris.clock import RegistryClock
from mumaris.settings import Settings
from services.review.registrations.store import RegistrationBook

STATUSES = ("active", "renewal_open", "renewed", "grace", "suspended", "lapsed")


class RegistrationMetrics:
    def __init__(
        self, registry: CollectorRegistry, book: RegistrationBook, settings: Settings, clock: RegistryClock
    ) -> None:
        self.book = book
        self.settings = settings
        self.clock = clock
        self.by_status = Gauge(
            "mumaris_registrations",
            "Professional registrations by status, as of today (Riyadh) on the registry's clock",
            ["status"],
            registry=registry,
        )
        self.due_30_days = Gauge(
            "mumaris_registrations_due_soon",
            "Running registrations that expire within 30 days (due soon)",
            registry=registry,
        )
        self.lapsed_this_month = Gauge(
            "mumaris_registrations_lapsed_this_month",
            "Registrations that lapsed since the first of this month",
            registry=registry,
        )
        self.renewals_awaiting = Gauge(
            "mumaris_registration_renewals_awaiting_payment",
            "Renewals invoiced and not yet paid",
            registry=registry,
        )

    async def refresh(self) -> None:
        today = self.clock.today()
        counts = await self.book.counts(
            today,
            today + timedelta(days=self.settings.registration_renewal_window_days),
            today - timedelta(days=self.settings.registration_grace_days - 1),
            today + timedelta(days=31),
            today.replace(day=1),
        )
        for status in STATUSES:
            self.by_status.labels(status).set(counts[status])
        self.due_30_days.set(counts["due_30_days"])
        self.lapsed_this_month.set(counts["lapsed_this_month"])
        self.renewals_awaiting.set(counts["renewals_awaiting_payment"])
