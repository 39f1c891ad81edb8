"""The validator's use cases: check a received submission, and forget a decided one's fingerprints.

Order of work for one submission: read the file; run the file and image rules (decoding it
once); if the document itself is sound, read its content (text layer or OCR) for the reviewer;
then, in one transaction serialised per practitioner, refuse it if the same certificate is
already under review, record the result and emit the outcome.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime

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


def examine(
    data: bytes, event: SubmissionReceived, limits: CheckLimits, settings: Settings
) -> tuple[list[Finding], str | None]:
    """The CPU-bound part (decode, clarity, OCR): the findings and the page's perceptual hash."""
    report: DocumentReport = inspect_document(data, limits)
    findings = list(report.findings)
    # "Not in the future" is judged on the practitioner's calendar day.
    findings += metadata_findings(event.certificate, today_in_riyadh())
    if passed(report.findings):
        findings += content_findings(
            report.page,
            report.text_layer,
            name=event.practitioner.name,
            issuer=event.certificate.institution,
            obtained_on=event.certificate.obtained_on,
            languages=settings.ocr_languages,
            timeout_s=settings.ocr_timeout_s,
            ocr_enabled=settings.ocr_enabled,
        )
    return findings, page_hash(report.page) if report.page is not None else None


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
            findings, hashed = await asyncio.to_thread(examine, data, event, self.limits, self.settings)
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
