"""Review: assembles the runtime and the service's areas — queue/ (the review queue: claims,
decisions, audit), fees/ (classification and renewal invoices, deadlines, payments, exams),
registrations/ (renewals settled, reminders before expiry, lapses), certificates/ (reminders
before an approved certificate expires) and console/ (the reviewer
console) — and includes their routers. What each area consumes and publishes is declared
in its handlers.py, its HTTP routes in its routes.py."""

from fastapi import FastAPI

from mumaris.auth import installed_revoked_sessions
from mumaris.clock import RegistryClock
from mumaris.files import FileStore
from mumaris.service import create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from services.review import SERVICE
from services.review.certificates import handlers as certificate_handlers
from services.review.certificates.reminders import CertificateSweeps
from services.review.certificates.scheduler import CertificateDeadlines
from services.review.certificates.service import ApprovedCertificates
from services.review.certificates.store import CertificateExpiries
from services.review.console import routes as console_routes
from services.review.console.pages import Pages
from services.review.console.registrations import IntakeRegistrations
from services.review.console.session import ConsoleSessions
from services.review.fees import handlers as fee_handlers
from services.review.fees import routes as fee_routes
from services.review.fees.metrics import FeeMetrics
from services.review.fees.scheduler import FeeDeadlines
from services.review.fees.service import ClassificationReview, FeeDesk, FeeEvents
from services.review.fees.store import ClassificationStore
from services.review.queue import handlers as queue_handlers
from services.review.queue import routes as queue_routes
from services.review.queue.metrics import QueueMetrics
from services.review.queue.service import ReviewDesk
from services.review.queue.store import ReviewStore
from services.review.registrations import handlers as registration_handlers
from services.review.registrations.metrics import RegistrationMetrics
from services.review.registrations.reminders import RegistrationSweeps
from services.review.registrations.scheduler import RegistrationDeadlines
from services.review.registrations.service import RegistrationEvents, RenewalDesk
from services.review.registrations.store import RegistrationBook


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    settings = runtime.settings
    queue_store, fee_store = ReviewStore(runtime.db), ClassificationStore(runtime.db)
    classifications = ClassificationReview(fee_store, runtime.uow, settings)
    expiries = CertificateExpiries(runtime.db)
    desk = ReviewDesk(queue_store, runtime.uow, settings, classifications, ApprovedCertificates(expiries))
    fees = FeeDesk(fee_store, desk, runtime.uow, settings)
    deadlines = FeeDeadlines(fees)
    book = RegistrationBook(runtime.db)
    renewals = RenewalDesk(book, fees, runtime.uow, settings)  # settles the fee desk's renewal invoices
    clock = RegistryClock.from_file(settings.clock_shift_file)
    sweeps = RegistrationDeadlines(RegistrationSweeps(book, runtime.uow, settings, clock))
    certificate_clock = CertificateDeadlines(CertificateSweeps(expiries, runtime.uow, settings, clock))
    fee_metrics = FeeMetrics(runtime.registry, fee_store)
    runtime.on_startup += [
        queue_store.ensure_indexes,
        fee_store.ensure_indexes,
        book.ensure_indexes,
        expiries.ensure_indexes,
        deadlines.start,
        sweeps.start,
        certificate_clock.start,
    ]
    runtime.on_shutdown += [deadlines.stop, sweeps.stop, certificate_clock.stop]
    runtime.on_scrape += [
        fee_metrics.refresh,
        QueueMetrics(runtime.registry, queue_store).refresh,
        RegistrationMetrics(runtime.registry, book, settings, clock).refresh,
    ]

    app = create_http_app(runtime, title="Mumaris review")
    sessions = ConsoleSessions(settings, installed_revoked_sessions(app))
    registrations_at_intake = IntakeRegistrations(settings)  # a supervisor's pages call intake as her
    runtime.on_shutdown += [sessions.aclose, registrations_at_intake.aclose]
    provisions = {
        "settings": settings,
        "files": FileStore(runtime.db),
        "desk": desk,
        "fees": fees,
        "fee_events": FeeEvents(runtime.uow, fees, classifications, deadlines, fee_metrics),
        "registration_events": RegistrationEvents(runtime.uow, renewals, deadlines),
        "certificate_sweeps": certificate_clock.sweeps,
        "console": Pages(sessions),
        "console_registrations": registrations_at_intake,
    }
    for name, provision in provisions.items():
        runtime.provide(name, provision)
    runtime.broker.include_router(queue_handlers.router)
    runtime.broker.include_router(fee_handlers.router)
    runtime.broker.include_router(registration_handlers.router)
    runtime.broker.include_router(certificate_handlers.router)
    app.include_router(fee_routes.router)  # before the queue's /v1/review/{review_id}, which would take its paths
    app.include_router(queue_routes.router)
    app.include_router(console_routes.router)
    return app
