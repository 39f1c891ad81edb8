"""Validator: assembles the runtime and the inspection area (consumes submission.received and
review.decided; publishes submission.validated or submission.rejected through the outbox)."""

from fastapi import FastAPI

from mumaris.files import FileStore
from mumaris.service import create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from services.validator import SERVICE
from services.validator.inspection import handlers as inspection
from services.validator.inspection.checks import CheckLimits
from services.validator.inspection.service import Inspection
from services.validator.inspection.store import ValidatorStore


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    store = ValidatorStore(runtime.db)
    runtime.on_startup.append(store.ensure_indexes)
    runtime.provide(
        "inspection",
        Inspection(
            runtime.uow, store, FileStore(runtime.db), CheckLimits.from_settings(runtime.settings), runtime.settings
        ),
    )
    runtime.broker.include_router(inspection.router)
    return create_http_app(runtime, title="Mumaris validator")
