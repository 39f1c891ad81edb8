"""Configuration from the environment (prefix `MUMARIS_`), the same code for the local stack and
production. The local stack launcher writes its addresses to `.mumaris/stack.env`, which is read
when present; real environment variables always win.
"""

import os
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACK_ENV_FILE = Path(os.environ.get("MUMARIS_STACK_ENV", PROJECT_ROOT / ".mumaris" / "stack.env"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MUMARIS_", env_file=STACK_ENV_FILE, extra="ignore")

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_idempotent_producer: bool = True  # turn off for brokers that refuse it
    kafka_acks: str = "all"
    kafka_request_timeout_ms: int = 15_000
    # Producers (outbox relay, dead letters): how long a batch may wait for more records, and how
    # large it may grow. A few milliseconds turn a relay pass of hundreds of events into a handful
    # of requests per partition.
    kafka_linger_ms: int = 5
    kafka_max_batch_bytes: int = 256 * 1024
    kafka_partitions: int = 3
    kafka_replication_factor: int = 1
    kafka_auto_offset_reset: Literal["earliest", "latest", "none"] = "earliest"
    # Consumers per subscriber inside one process: partitions are handled in parallel, each one
    # still in order and committed after its handler. More than the partition count idles.
    kafka_consumers_per_subscriber: int = 3
    # How often a consumer tells the group coordinator it is alive; a rebalance (a consumer joining,
    # e.g. at start-up) waits for every member's next heartbeat. Kafka's 3 s default makes a
    # service with many subscribers in one group take ~17 s to start (each consumer joining is a
    # rebalance); 300 ms brings that to ~3 s. Every subscriber uses it (mumaris.kafka.subscriber).
    kafka_heartbeat_interval_ms: int = 300
    # How long a dead replica's partitions wait before another replica takes them over: 6 s is the
    # broker's minimum (group.min.session.timeout.ms), against aiokafka's 10 s default.
    kafka_session_timeout_ms: int = 6_000

    # MongoDB
    mongo_uri: str = "mongodb://127.0.0.1:27017/?retryWrites=false"
    mongo_db: str = "mumaris"
    mongo_timeout_ms: int = 5_000

    # Delivery: handler retries before a message goes to its dead-letter topic
    retry_attempts: int = 4
    retry_backoff_s: float = 0.2
    retry_backoff_max_s: float = 5.0
    outbox_poll_s: float = 0.5
    # Woken by a new event, the relay waits this long before it reads the outbox, so that a pass
    # carries the events written meanwhile (under load, several per read, send and delete).
    outbox_linger_s: float = 0.005
    # One replica's relay publishes a service's outbox; if it dies, another takes over after this long.
    outbox_relay_lease_s: float = 5.0
    # The relay's health: `/healthz` says degraded as soon as a send fails or the broker has not
    # acknowledged for this long; one ERROR line once it has not published for `outbox_stuck_after_s`.
    outbox_degraded_after_s: float = 5.0
    outbox_stuck_after_s: float = 30.0
    ledger_retention_s: int = 30 * 24 * 3600  # longer than the topics' retention (7 days)
    outbox_batch: int = 200

    # The garbage collector: what a service built at start-up (routes, models, templates, the
    # catalogue) is frozen out of its collections, and the youngest generation is collected after
    # this many new objects instead of Python's 700. A page allocates thousands of objects that die
    # young anyway; at 700 a signed-in portal spent ~15 % of its time in collections and each full
    # one stopped it ~300 ms (measured: python -m tests.benchmarks.portal_pages). 0: Python's defaults.
    gc_young_threshold: int = 20_000

    # HTTP
    http_host: str = "127.0.0.1"
    intake_port: int = 8001
    validator_port: int = 8002
    review_port: int = 8003
    notifier_port: int = 8004
    # The most a JSON or form body may carry (413 request.too_large beyond; mumaris.http.RequestBodyLimit).
    # Uploads keep their own limit below, per file.
    max_json_body_bytes: int = 64 * 1024

    # Uploads and document checks (validator)
    max_upload_bytes: int = 5 * 1024 * 1024
    max_pdf_pages: int = 20
    max_image_pixels: int = 40_000_000  # decompression-bomb guard, checked before decoding
    min_short_side_px: int = 600
    # Clarity, measured on the first page at the validator's working scale (shorter side 850 px),
    # in 64 px tiles summarised by their 98th percentile ("where the page has detail"); see
    # services/validator/checks.py and the calibration in tests/benchmarks/validator_calibration.py.
    min_brightness: float = 40.0  # mean grey level 0..255 below which a scan is too dark
    max_brightness: float = 250.0  # ... above which it is washed out, if its contrast is low too
    min_contrast: float = 18.0  # standard deviation of grey levels where the page has detail
    min_sharpness: float = 150.0  # variance of the Laplacian there; below it "the scan is not clear"
    ocr_enabled: bool = True
    ocr_languages: str = "ara+eng"
    ocr_timeout_s: float = 20.0
    # Worker processes per validator replica for the document checks and OCR (CPU-bound): unset, one
    # per CPU the process may use (its affinity); 0 runs them in the validator's own process, in threads.
    validator_workers: int | None = Field(default=None, ge=0)
    duplicate_max_hash_distance: int = 6  # perceptual-hash bits that may differ for "the same page"

    # Tokens (HS256 shared secret until accounts bring their own keys)
    jwt_secret: SecretStr = SecretStr("local-development-secret-change-me-0123456789")
    jwt_issuer: str = "mumaris"
    jwt_ttl_s: int = 900
    # Ended sign-in sessions (mumaris.auth.RevokedSessions): every service re-reads them this often,
    # and answers session tokens with 503 once it has failed to for this long (it could no longer
    # tell an ended session from an open one).
    session_revocation_poll_s: float = 1.0
    session_revocation_max_staleness_s: float = 30.0

    # Accounts: OTP codes and e-mail links travel to notifier sealed with this Fernet key
    # (urlsafe base64 of 32 bytes); codes are stored only as HMACs keyed with otp_pepper.
    field_encryption_key: SecretStr = SecretStr("bG9jYWwtZGV2ZWxvcG1lbnQta2V5LWNoYW5nZS1tZSE=")
    otp_pepper: SecretStr = SecretStr("local-development-otp-pepper-change-me")
    otp_ttl_s: int = 300
    otp_max_attempts: int = 5
    otp_resend_min_interval_s: int = 60
    otp_resends_per_hour: int = 5
    email_link_ttl_s: int = 24 * 3600
    refresh_ttl_s: int = 30 * 24 * 3600
    login_max_failures: int = 5
    # Many practitioners share an address (hospital networks, carrier NAT): the per-address limit
    # catches spraying across accounts without locking a whole hospital out after five typos.
    login_max_failures_per_address: int = 50
    login_lock_s: int = 15 * 60
    # Forgotten password: a single-use e-mail link valid this long. An account is sent at most
    # `password_reset_per_hour` links, one per `password_reset_min_interval_s` (beyond that the
    # request is answered alike and nothing is sent: the answer never tells whether an account
    # exists); one client address may ask `password_reset_per_address_per_hour` times an hour.
    password_reset_ttl_s: int = 30 * 60
    password_reset_min_interval_s: int = 60
    password_reset_per_hour: int = 5
    password_reset_per_address_per_hour: int = 30
    public_base_url: str = "http://127.0.0.1:8001"
    terms_version: str = "2026-01"

    # SMS gateway (the commission's provider is an HTTP API)
    sms_gateway_url: str = "http://127.0.0.1:9901/messages"
    sms_sender: str = "MUMARIS"
    sms_api_key: SecretStr = SecretStr("local-development-sms-key")
    sms_timeout_s: float = 5.0

    # E-mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = 10.0
    mail_from: str = "Mumaris <no-reply@mumaris.local>"

    # Review queue
    review_lease_s: int = 30 * 60  # a claim lasts this long unless renewed
    review_sla_working_days: int = 5
    review_holidays: list[date] = []  # public holidays (Riyadh dates) the SLA does not count
    # A resubmission is held this long for the reviewer who asked for the changes, then anyone may take it.
    review_resubmission_hold_s: int = 8 * 3600
    # Where the console signs reviewers in and a supervisor's registration pages suspend and lift
    # (intake owns the accounts and the registrations); empty: intake on http_host.
    intake_url: str = ""
    # Where the practitioner portal (served by intake) reads the inbox (notifier owns it); empty:
    # notifier on http_host.
    notifier_url: str = ""
    # Peers whose X-Forwarded-For is believed (a load balancer, the console's sign-in proxy).
    trusted_proxies: list[str] = []

    # Classification fees (review): the invoice is due this long after it is issued; reminders go out
    # this many hours before; every replica sweeps for due deadlines this often (a backstop for the
    # exact-time jobs, and how a replica learns of invoices another one issued).
    fee_deadline_s: int = 24 * 3600
    fee_reminder_hours: list[int] = [12, 1]
    fee_sweep_s: float = 30.0
    # How long one "hour" of fee_reminder_hours lasts. Only tests shrink it (the reminders keep their
    # names, "12 hours" and "1 hour", so a test with a deadline of seconds still sees both).
    fee_reminder_hour_s: float = 3600.0
    # HMAC key turning a national ID / iqama number into `candidate_ref` (intake and review share it),
    # so exam results can be matched without the number on our topics or in review's database.
    candidate_ref_key: SecretStr = SecretStr("local-development-candidate-key-change-me")

    # gov.certificates (intake's bulk certificate feed): records per batch, each batch written with
    # bulk writes in one transaction. Document URLs are fetched only from these hostnames (exact
    # match), over https, with the upload size limit and this timeout; redirects are not followed.
    feed_batch_max_records: int = 500
    feed_url_allowlist: list[str] = []
    feed_url_timeout_s: float = 10.0
    feed_url_fetch_concurrency: int = 8
    # Tests only: also accept plain http to a loopback address on the allow-list (a local server).
    feed_url_allow_loopback_http: bool = False
    # gov.cpd_attendance (accredited CPD providers' attendance records): records per batch.
    cpd_batch_max_records: int = 500

    # Professional registrations (intake keeps them, review runs their clock): renewal opens this
    # many days before expiry; past expiry a grace period of this many days, then the registration
    # lapses. Reminders go out at these distances before expiry, each once per cycle; every review
    # replica sweeps for due reminders and lapses this often.
    registration_renewal_window_days: int = 90
    registration_grace_days: int = 30
    registration_reminder_days: list[int] = [90, 60, 30, 7]
    registration_sweep_s: float = 3600.0
    registration_sweep_batch: int = 500
    # Approved certificates with an expiry (life-support courses): reminders go out at these
    # distances before it, each once per certificate (0: on the day it expires); every review
    # replica sweeps for due ones this often, reading this many at a time.
    certificate_reminder_days: list[int] = [30, 7, 0]
    certificate_sweep_s: float = 3600.0
    certificate_sweep_batch: int = 500
    # How long a renewal's invoice may wait (unset: the catalogue's, schemas/registrations.py);
    # tests shrink it to seconds.
    renewal_payment_deadline_s: int | None = None
    # Facility rosters (services/intake/facilities/): a CSV upload of at most this many lines and bytes.
    roster_upload_max_rows: int = 20_000
    roster_upload_max_bytes: int = 2 * 1024 * 1024
    # Facilities' webhooks (services/notifier/webhooks/): each try waits this long for an answer; a
    # failed one is tried again after base × 2^(try-1) seconds (at most max), with jitter, for
    # retry_for seconds or max_attempts tries, then the delivery is parked (dead letters). A claimed
    # delivery's lease: another replica takes it over once the lease ran out (its holder died).
    # A rotated secret keeps signing beside the new one for `webhook_secret_overlap_s` (receivers
    # switch over within it), then only the new one signs.
    # Tests only: allow plain http to a loopback address (the tests' receiver); never in production.
    webhook_timeout_s: float = 10.0
    webhook_retry_base_s: float = 30.0
    webhook_retry_max_s: float = 3600.0
    webhook_retry_for_s: float = 24 * 3600.0
    webhook_max_attempts: int = 40
    webhook_poll_s: float = 1.0
    webhook_lease_s: float = 60.0
    webhook_allow_loopback_http: bool = False
    webhook_secret_overlap_s: float = 24 * 3600.0
    # Tests and demonstrations only: a file holding a number of seconds that the registry's clock
    # (registrations, CPD cycles, renewals, their sweeps) runs ahead of the real one, read by every
    # service, so a test moves two years on without waiting (mumaris.clock.RegistryClock).
    clock_shift_file: str | None = None

    # The public register (services/intake/register/): each client address may make
    # `register_rate_per_minute` requests a minute, in bursts of up to `register_burst`, per replica
    # (429 `register.rate_limited` with Retry-After beyond). A search needs `register_min_query_letters`
    # letters and answers at most `register_page_size` entries a page and `register_max_pages` pages.
    register_rate_per_minute: int = Field(default=60, ge=1)
    register_burst: int = Field(default=20, ge=1)
    register_min_query_letters: int = Field(default=3, ge=1)
    register_page_size: int = Field(default=20, ge=1, le=20)
    register_max_pages: int = Field(default=5, ge=1)
    # Registration cards: signed with this Ed25519 key (urlsafe base64 of its 32-byte seed; `mumaris
    # keys card` makes one). The default is the local stack's development key: set your own in
    # production. Earlier keys stay published (urlsafe base64 of their 32-byte public keys) so old
    # cards keep verifying; a key id (RFC 7638 thumbprint) listed as revoked fails every card it signed.
    card_signing_key: SecretStr = SecretStr("bG9jYWwtZGV2ZWxvcG1lbnQtY2FyZC1rZXktMDAwMDA")
    card_previous_keys: list[str] = []
    card_revoked_kids: list[str] = []

    service_name: str = Field(default="mumaris", description="set per process by `mumaris run`")
    # Service logs: one JSON object per line (what log collectors read), or `text` for a person
    # at a terminal. Either way with the event / request ids and personal data masked (mumaris.logs).
    log_format: Literal["json", "text"] = "json"

    @property
    def intake_base_url(self) -> str:
        return self.intake_url.rstrip("/") or f"http://{self.http_host}:{self.intake_port}"

    @property
    def notifier_base_url(self) -> str:
        return self.notifier_url.rstrip("/") or f"http://{self.http_host}:{self.notifier_port}"

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))


@lru_cache
def get_settings() -> Settings:
    return Settings()
