"""Validator: automated document checks before a human sees a submission.

Consumes:  submission.received.
Publishes: submission.validated or submission.rejected (through the outbox).
"""

import asyncio

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
from schemas.events import Finding, SubmissionReceived, SubmissionRejected, SubmissionValidated
from services.validator.checks import check_document, passed
from services.validator.store import ValidatorStore

SERVICE = "validator"


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    store = ValidatorStore(runtime.db)
    files = FileStore(runtime.db)
    max_bytes = runtime.settings.max_upload_bytes

    @subscribe(runtime.broker, topics.SUBMISSION_RECEIVED, service=SERVICE, settings=runtime.settings)
    async def on_submission_received(event: SubmissionReceived, ce: CloudEvent) -> None:
        try:
            data = await files.get(event.file.file_id)
        except NoFile:
            findings = [Finding(rule="file.present", outcome="fail", code="file.missing", message=localized("file.missing"))]
        else:
            # Decoding images is CPU work; keep the event loop free for other partitions and HTTP.
            findings = await asyncio.to_thread(check_document, data, max_bytes=max_bytes)
        ok = passed(findings)
        at = now()

        async def work(session: AsyncClientSession) -> None:
            await store.save_result(event.submission_id, findings, ok, at, session)
            if ok:
                outcome = SubmissionValidated(
                    submission_id=event.submission_id, kind=event.kind, practitioner=event.practitioner,
                    certificate=event.certificate, file=event.file, findings=findings, validated_at=at,
                )
                await runtime.uow.outbox.add(topics.SUBMISSION_VALIDATED, outcome, session)
            else:
                rejection = SubmissionRejected(
                    submission_id=event.submission_id, kind=event.kind, practitioner=event.practitioner,
                    findings=findings, rejected_at=at,
                )
                await runtime.uow.outbox.add(topics.SUBMISSION_REJECTED, rejection, session)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    return create_http_app(runtime, title="Mumaris validator")
