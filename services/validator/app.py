"""Validator: automated document checks before a human sees a submission.

Consumes:  submission.received (check it), review.decided (it is no longer pending).
Publishes: submission.validated or submission.rejected (through the outbox).

Order of work for one submission: read the file; run the file and image rules (decoding it
once); if the document itself is sound, read its content (text layer or OCR) for the reviewer;
then, in one transaction serialised per practitioner, refuse it if the same certificate is
already under review, record the result and emit the outcome.
"""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from gridfs.errors import NoFile
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.errors import localized
from mumaris.files import FileStore
from mumaris.kafka import CloudEvent, subscribe
from mumaris.mongo import now
from mumaris.service import create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.events import (
    Finding,
    ReviewDecided,
    SubmissionKind,
    SubmissionReceived,
    SubmissionRejected,
    SubmissionValidated,
)
from services.validator.checks import CheckLimits, DocumentReport, inspect_document, passed
from services.validator.content import content_findings
from services.validator.domain import Fingerprint, certificate_key, duplicate_findings, metadata_findings, page_hash
from services.validator.store import ValidatorStore

SERVICE = "validator"
RIYADH = ZoneInfo("Asia/Riyadh")  # "not in the future" is judged on the practitioner's calendar day


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    settings = runtime.settings
    store = ValidatorStore(runtime.db)
    files = FileStore(runtime.db)
    limits = CheckLimits.from_settings(settings)
    runtime.on_startup.append(store.ensure_indexes)

    def examine(data: bytes, event: SubmissionReceived) -> tuple[list[Finding], str | None]:
        """The CPU-bound part (decode, clarity, OCR), run off the event loop."""
        report: DocumentReport = inspect_document(data, limits)
        findings = list(report.findings)
        findings += metadata_findings(event.certificate, datetime.now(RIYADH).date())
        if passed(report.findings):
            findings += content_findings(
                report.page, report.text_layer,
                name=event.practitioner.name, issuer=event.certificate.institution,
                obtained_on=event.certificate.obtained_on, languages=settings.ocr_languages,
                timeout_s=settings.ocr_timeout_s, ocr_enabled=settings.ocr_enabled,
            )
        return findings, page_hash(report.page) if report.page is not None else None

    @subscribe(runtime.broker, topics.SUBMISSION_RECEIVED, service=SERVICE, settings=settings)
    async def on_submission_received(event: SubmissionReceived, ce: CloudEvent) -> None:
        try:
            data = await files.get(event.file.file_id)
        except NoFile:
            findings = [Finding(rule="file.present", outcome="fail", code="file.missing", message=localized("file.missing"))]
            hashed = None
        else:
            findings, hashed = await asyncio.to_thread(examine, data, event)
        fingerprint = Fingerprint(event.submission_id, event.file.sha256, certificate_key(event.certificate), hashed)

        async def work(session: AsyncClientSession) -> None:
            at = now()
            await store.serialize_practitioner(event.practitioner.id, session)
            # A classification request's documents are not certificates under review: the request has
            # its own one-open-at-a-time rule, and the same degree scan may back a certificate and a
            # request, or a new request after one lapsed. Only certificates take part in the duplicate check.
            checks_duplicates = event.kind is SubmissionKind.CERTIFICATE
            verdict = findings
            if checks_duplicates:
                pending = await store.pending_fingerprints(event.practitioner.id, session)
                verdict = findings + duplicate_findings(fingerprint, pending, settings.duplicate_max_hash_distance,
                                                        replaces=event.previous_submission_id)
            ok = passed(verdict)
            await store.save_result(event.submission_id, verdict, ok, at, session)
            if ok:
                if checks_duplicates:
                    await store.add_pending(event.practitioner.id, fingerprint, session)
                outcome = SubmissionValidated(
                    submission_id=event.submission_id, kind=event.kind, practitioner=event.practitioner,
                    # A resubmission stays linked to the version the reviewer sent back.
                    version=event.version, previous_submission_id=event.previous_submission_id,
                    # A classification document stays tied to its request and its place in it.
                    request_id=event.request_id, document_type=event.document_type,
                    certificate=event.certificate, file=event.file, findings=verdict, validated_at=at,
                )
                await runtime.uow.outbox.add(topics.SUBMISSION_VALIDATED, outcome, session)
            else:
                rejection = SubmissionRejected(
                    submission_id=event.submission_id, kind=event.kind, practitioner=event.practitioner,
                    request_id=event.request_id, document_type=event.document_type,
                    findings=verdict, rejected_at=at,
                )
                await runtime.uow.outbox.add(topics.SUBMISSION_REJECTED, rejection, session)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    @subscribe(runtime.broker, topics.REVIEW_DECIDED, service=SERVICE, settings=settings)
    async def on_review_decided(event: ReviewDecided, ce: CloudEvent) -> None:
        # Whatever the decision (approve, reject, request changes), the submission is no longer
        # under review, so its fingerprints stop blocking: a resubmission may carry the same file.
        async def work(session: AsyncClientSession) -> None:
            await store.close(event.submission_id, session)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    return create_http_app(runtime, title="Mumaris validator")

