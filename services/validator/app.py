"""Validator: assembles the runtime and the inspection area (consumes submission.received and
review.decided; publishes submission.validated or submission.rejected through the outbox)."""

from functools import partial

from fastapi import FastAPI

from mumaris.files import FileStore
from mumaris.service import create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from services.validator import SERVICE
from services.validator.inspection import handlers as inspection
from services.validator.inspection.checks import CheckLimits
from services.validator.inspection.content import prepare_ocr
from services.validator.inspection.service import Inspection
from services.validator.inspection.store import ValidatorStore
from services.validator.inspection.workers import ProcessWorkers, ThreadWorkers, Workers, usable_cpus


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    settings = runtime.settings
    store = ValidatorStore(runtime.db)
    runtime.on_startup.append(store.ensure_indexes)
    count = usable_cpus() if settings.validator_workers is None else settings.validator_workers
    workers: Workers = ThreadWorkers()
    if count:
        workers = ProcessWorkers(
            count, prepare=partial(prepare_ocr, settings.ocr_languages) if settings.ocr_enabled else None
        )
    runtime.on_startup.append(workers.start)
    runtime.on_shutdown.append(workers.stop)
    runtime.provide(
        "inspection",
        Inspection(runtime.uow, store, FileStore(runtime.db), CheckLimits.from_settings(settings), settings, workers),
    )
    runtime.broker.include_router(inspection.router)
    return create_http_app(runtime, title="Mumaris validator")
