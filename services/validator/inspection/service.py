"""The validator's use cases: check a received submission, and forget a decided one's fingerprints.

Order of work for one submission: read the file; in a worker process, run the file and image rules
(decoding it once) and, if the document itself is sound, read its content (text layer or OCR) for
the reviewer; then, in one transaction serialised per practitioner, refuse it if the same
certificate is already under review, record the result and emit the outcome.
"""

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from gridfs.errors import NoFile
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.clock import now, today_in_riyadh
from mumaris.errors import localized
from mumaris.files import FileStore
from mumaris.mongo import UnitOfWork
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import (
    Finding,
    ReviewDecided,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
    SubmissionValidated,
)
from services.validator.inspection.checks import (
    CheckLimits,
    DocumentReport,
    fatal_file_findings,
    inspect_document,
    passed,
)
from services.validator.inspection.content import content_findings
from services.validator.inspection.rules import (
    Fingerprint,
    certificate_key,
    duplicate_findings,
    metadata_findings,
    page_hash,
)
from services.validator.inspection.store import ValidatorStore
from services.validator.inspection.workers import ThreadWorkers, WorkerDied, Workers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reading:
    """How the content rules read a page."""

    ocr_enabled: bool = True
    languages: str = "ara+eng"
    timeout_s: float = 20.0
    ocr_off_because: str = "OCR is turned off"

    @classmethod
    def from_settings(cls, settings: Settings) -> "Reading":
        return cls(ocr_enabled=settings.ocr_enabled, languages=settings.ocr_languages, timeout_s=settings.ocr_timeout_s)


@dataclass(frozen=True)
class Examination:
    findings: list[Finding]
    page_hash: str | None
    """The first page's perceptual hash (None without a readable page, or a page with too little detail)."""


Examine = Callable[[bytes, SubmissionReceived, date, CheckLimits, Reading], Examination]


def examine(data: bytes, event: SubmissionReceived, today: date, limits: CheckLimits, reading: Reading) -> Examination:
    """The CPU-bound part (decode, clarity, OCR), without I/O: what a worker process runs."""
    report: DocumentReport = inspect_document(data, limits)
    findings = list(report.findings)
    # "Not in the future" is judged on the practitioner's calendar day.
    findings += metadata_findings(event.certificate, today)
    if passed(report.findings):
        findings += content_findings(
            report.page,
            report.text_layer,
            name=event.practitioner.name,
            other_names=[event.practitioner.latin_name] if event.practitioner.latin_name else [],
            issuer=event.certificate.institution,
            obtained_on=event.certificate.obtained_on,
            languages=reading.languages,
            timeout_s=reading.timeout_s,
            ocr_enabled=reading.ocr_enabled,
            ocr_off_because=reading.ocr_off_because,
            cpd=event.certificate.cpd,
            hours_claimed=event.certificate.recognition.hours_claimed if event.certificate.recognition else None,
        )
    return Examination(findings, page_hash(report.page) if report.page is not None else None)


async def examine_in(
    workers: Workers,
    data: bytes,
    event: SubmissionReceived,
    limits: CheckLimits,
    reading: Reading,
    work: Examine = examine,
) -> Examination:
    """`examine` in a worker process. A file that kills its worker never stops the validator:

    - the dead worker's pool is replaced, and the document is checked again in a process of its
      own: a document that was only in the pool when another killed it gets its findings;
    - a document that kills that process too is checked once more without OCR: if Tesseract was
      what died, the reviewer gets the clarity findings and a `content.ocr` warning;
    - a document that kills even that is refused at `file.parse` with `file.corrupt` (the evidence
      says the checker died reading it), so the practitioner learns to send another scan and the
      event is done with, not retried into a crash loop nor dead-lettered.
    """
    today = today_in_riyadh()
    try:
        return await workers.run(work, data, event, today, limits, reading)
    except WorkerDied:
        pass
    try:
        return await workers.run_alone(work, data, event, today, limits, reading)
    except WorkerDied:
        log.error("the document of submission %s ended the process checking it", event.submission_id)
    without_ocr = dataclasses.replace(
        reading, ocr_enabled=False, ocr_off_because="OCR stopped: the process reading this page ended"
    )
    try:
        return await workers.run_alone(work, data, event, today, limits, without_ocr)
    except WorkerDied:
        log.error("submission %s: its file ends the process reading it, refused as corrupt", event.submission_id)
    evidence = "the document checker's process ended while reading this file"
    findings = fatal_file_findings(data, limits, evidence) + metadata_findings(event.certificate, today)
    return Examination(findings, None)


def outcome_of(
    event: SubmissionReceived, verdict: list[Finding], at: datetime
) -> SubmissionValidated | SubmissionRejected:
    if passed(verdict):
        return SubmissionValidated(
            submission_id=event.submission_id,
            kind=event.kind,
            practitioner=event.practitioner,
            # A resubmission stays linked to the version the reviewer sent back.
            version=event.version,
            previous_submission_id=event.previous_submission_id,
            # A classification document stays tied to its request and its place in it.
            request_id=event.request_id,
            document_type=event.document_type,
            certificate=event.certificate,
            file=event.file,
            findings=verdict,
            validated_at=at,
        )
    return SubmissionRejected(
        submission_id=event.submission_id,
        kind=event.kind,
        practitioner=event.practitioner,
        request_id=event.request_id,
        document_type=event.document_type,
        findings=verdict,
        rejected_at=at,
    )


@dataclass(frozen=True)
class Inspection:
    uow: UnitOfWork
    store: ValidatorStore
    files: FileStore
    limits: CheckLimits
    settings: Settings
    workers: Workers = field(default_factory=ThreadWorkers)
    """Where `examine` runs: worker processes in the service, threads in the use-case tests."""
    work: Examine = examine
    """What the workers run for a document (the tests put functions that crash in its place)."""

    async def check(self, event: SubmissionReceived, ce: CloudEventAttributes) -> None:
        """Check the submission's file and publish submission.validated or submission.rejected."""
        try:
            data = await self.files.get(event.file.file_id)
        except NoFile:
            findings = [
                Finding(rule="file.present", outcome="fail", code="file.missing", message=localized("file.missing"))
            ]
            hashed = None
        else:
            examination = await examine_in(
                self.workers, data, event, self.limits, Reading.from_settings(self.settings), self.work
            )
            findings, hashed = examination.findings, examination.page_hash
        fingerprint = Fingerprint(event.submission_id, event.file.sha256, certificate_key(event.certificate), hashed)

        async def work(session: AsyncClientSession) -> None:
            await self.store.serialize_practitioner(event.practitioner.id, session)
            # A classification request's documents are not certificates under review: the request has
            # its own one-open-at-a-time rule, and the same degree scan may back a certificate and a
            # request, or a new request after one lapsed. Only certificates take part in the duplicate check.
            checks_duplicates = event.kind is SubmissionKind.CERTIFICATE
            verdict = findings
            if checks_duplicates:
                pending = await self.store.pending_fingerprints(event.practitioner.id, session)
                verdict = findings + duplicate_findings(
                    fingerprint,
                    pending,
                    self.settings.duplicate_max_hash_distance,
                    replaces=event.previous_submission_id,
                )
            at = now()
            outcome = outcome_of(event, verdict, at)
            validated = isinstance(outcome, SubmissionValidated)
            await self.store.save_result(event.submission_id, verdict, validated, at, session)
            if validated and checks_duplicates:
                await self.store.add_pending(event.practitioner.id, fingerprint, session)
            topic = topics.SUBMISSION_VALIDATED if validated else topics.SUBMISSION_REJECTED
            await self.uow.outbox.add(topic, outcome, session)

        await self.uow.apply_once(ce.id, ce.type, work)

    async def close(self, event: ReviewDecided, ce: CloudEventAttributes) -> None:
        """Whatever the decision (approve, reject, request changes), the submission is no longer
        under review, so its fingerprints stop blocking: a resubmission may carry the same file."""

        async def work(session: AsyncClientSession) -> None:
            await self.store.close(event.submission_id, session)

        await self.uow.apply_once(ce.id, ce.type, work)
