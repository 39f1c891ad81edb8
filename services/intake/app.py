"""Intake: assembles the runtime, the stores and use cases of its areas, and their routers.

- submissions/: certificate uploads and resubmissions; the status timeline, projected from
  submission.validated, submission.rejected, review.queued and review.decided (whose events about a
  classification request or a personal-data change go to those areas' use cases);
- accounts/: sign-up, codes, login, tokens, sessions, profile changes, staff accounts;
- classification/: requests, their documents, their status (fee.invoiced, fee.expired,
  classification.lapsed, classification.changed), exam results (gov.exams);
- feed/: gov.certificates in batches;
- registration/: professional registrations, issued on the first classification.changed;
- cpd/: the CPD ledger: providers' attendance (gov.cpd_attendance, in batches), approved CPD certificates,
  recognition of hours earned abroad (requested over HTTP, decided in review);
- register/: the public register (no sign-in, rate-limited), signed registration cards and their verification;
- registry/: every change of a registration republished on registry.registration_changed (for
  government systems), in a consumer group of its own;
- facilities/: hospitals and clinics (created by admins), their staff users, rosters and pages;
- portal/: the practitioner's pages (/portal), on the use cases above.

Publishes through the outbox: submission.received, account.registered, account.phone_code,
account.email_confirmation, account.password_reset, profile.change_requested, classification.requested,
registration.issued, registration.suspended, registry.registration_changed.
"""

from fastapi import FastAPI

from mumaris.auth import installed_revoked_sessions
from mumaris.clock import RegistryClock
from mumaris.files import FileStore
from mumaris.ratelimit import RateLimiter
from mumaris.service import create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from services.intake import SERVICE
from services.intake.accounts import handlers as account_events
from services.intake.accounts import routes as account_routes
from services.intake.accounts.rules import Passwords
from services.intake.accounts.service import PasswordResets, Profiles, Registrations, SignIn
from services.intake.accounts.sessions import SignInSessions
from services.intake.accounts.store import AccountStore
from services.intake.classification import handlers as classification_events
from services.intake.classification import routes as classification_routes
from services.intake.classification.service import ClassificationRequests, RequestTimeline
from services.intake.classification.store import ClassificationStore
from services.intake.cpd import handlers as cpd_events
from services.intake.cpd import routes as cpd_routes
from services.intake.cpd.service import CpdLedger, CpdMetrics
from services.intake.cpd.store import CpdStore
from services.intake.facilities import pages as facility_pages
from services.intake.facilities import routes as facility_routes
from services.intake.facilities.service import Facilities
from services.intake.facilities.store import FacilityStore
from services.intake.facilities.webhook_client import WebhookClient
from services.intake.feed import handlers as feed_events
from services.intake.feed.documents import FeedDocuments
from services.intake.feed.service import CertificateFeed, FeedMetrics
from services.intake.feed.store import FeedStore
from services.intake.portal import routes as portal_pages
from services.intake.portal.inbox import InboxClient
from services.intake.portal.pages import Portal
from services.intake.portal.session import PortalSessions
from services.intake.register import pages as register_pages
from services.intake.register import routes as register_routes
from services.intake.register.cards import Signer
from services.intake.register.service import PublicRegister
from services.intake.register.store import RegisterStore
from services.intake.registration import handlers as registration_events
from services.intake.registration import routes as registration_routes
from services.intake.registration.service import ProfessionalRegistrations
from services.intake.registration.store import RegistrationStore
from services.intake.registration.supervision import RegistrationSupervision
from services.intake.registry import handlers as registry_events
from services.intake.registry.service import RegistryFeed
from services.intake.registry.store import RegistryStore
from services.intake.submissions import handlers as submission_events
from services.intake.submissions import routes as submission_routes
from services.intake.submissions.service import Certificates, SubmissionTimeline
from services.intake.submissions.store import SubmissionStore


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    settings = runtime.settings
    submissions = SubmissionStore(runtime.db)
    accounts = AccountStore(runtime.db)
    requests = ClassificationStore(runtime.db)
    files = FileStore(runtime.db)
    feed = FeedStore(runtime.db, runtime.uow)
    feed_documents = FeedDocuments(files, settings)
    registrations = RegistrationStore(runtime.db)
    cpd = CpdStore(runtime.db, runtime.uow)
    register = RegisterStore(runtime.db)
    facilities = FacilityStore(runtime.db)
    stores = (submissions, accounts, requests, files, feed, registrations, cpd, register, facilities)
    runtime.on_startup += [store.ensure_indexes for store in stores]
    runtime.on_shutdown.append(feed_documents.close)
    app = create_http_app(runtime, title="Mumaris intake")

    uow = runtime.uow
    passwords = Passwords()
    sessions = SignInSessions(uow, accounts, installed_revoked_sessions(app))
    runtime.provide("certificates", Certificates(uow, submissions, files))
    runtime.provide("submission_timeline", SubmissionTimeline(uow, submissions))
    runtime.provide("registrations", Registrations(uow, accounts, settings, passwords))
    sign_in = SignIn(accounts, sessions, settings, passwords)
    runtime.provide("sign_in", sign_in)
    runtime.provide("password_resets", PasswordResets(uow, accounts, sessions, settings, passwords))
    runtime.provide("profiles", Profiles(uow, accounts, submissions, requests))
    runtime.provide(
        "classification_requests", ClassificationRequests(uow, requests, submissions, accounts, files, settings)
    )
    runtime.provide("request_timeline", RequestTimeline(uow, requests, submissions, accounts))
    runtime.provide("certificate_feed", CertificateFeed(feed, feed_documents, FeedMetrics(runtime.registry), settings))
    clock = RegistryClock.from_file(settings.clock_shift_file)
    professional = ProfessionalRegistrations(uow, registrations, settings, clock)
    runtime.provide("professional_registrations", professional)
    signer = Signer.from_settings(
        settings.card_signing_key.get_secret_value(), settings.card_previous_keys, settings.card_revoked_kids
    )
    runtime.provide("public_register", PublicRegister(register, professional, signer, settings, clock))
    runtime.provide("register_limiter", RateLimiter(settings.register_rate_per_minute / 60, settings.register_burst))
    runtime.provide("registration_supervision", RegistrationSupervision(uow, registrations, clock))
    runtime.provide("cpd_ledger", CpdLedger(uow, cpd, feed, CpdMetrics(runtime.registry), settings, clock))
    runtime.provide("registry_feed", RegistryFeed(uow, RegistryStore(runtime.db), settings, clock))
    runtime.provide("facilities", Facilities(uow, facilities, accounts, settings, clock, passwords))
    areas = (submission_events, account_events, classification_events, feed_events, registration_events)
    for events in (*areas, cpd_events, registry_events):
        runtime.broker.include_router(events.router)
    inbox = InboxClient(settings)
    runtime.on_shutdown.append(inbox.aclose)
    portal = Portal.build(settings, PortalSessions(settings, sign_in, installed_revoked_sessions(app)), inbox)
    runtime.provide("portal", portal)
    runtime.provide("register_portal", register_pages.with_register_pages(portal))
    staff_sessions = PortalSessions(settings, sign_in, installed_revoked_sessions(app), facility_pages.FACILITY_STAFF)
    runtime.provide("facility_portal", facility_pages.with_facility_pages(portal, staff_sessions))
    facility_webhooks = WebhookClient(settings)
    runtime.on_shutdown.append(facility_webhooks.aclose)
    runtime.provide("facility_webhooks", facility_webhooks)
    api_areas = (account_routes, submission_routes, classification_routes, registration_routes, cpd_routes)
    for routes in (*api_areas, register_routes, facility_routes):
        app.include_router(routes.router)
    app.include_router(register_pages.router)  # before the portal's own pages
    app.include_router(facility_pages.router)
    app.include_router(portal_pages.router)
    return app
