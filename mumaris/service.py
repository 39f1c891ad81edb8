"""What every service process is made of: a FastStream Kafka broker, a MongoDB client, the
effect-once unit of work with its outbox relay, Prometheus metrics and a FastAPI edge whose
lifespan starts and stops all of it (FastStream's documented way to run a broker inside another
ASGI framework)."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Gauge
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.http import install_error_handlers, install_ops_routes
from mumaris.kafka import make_broker
from mumaris.mongo import OutboxRelay, UnitOfWork, make_client
from mumaris.settings import Settings

Hook = Callable[[], Awaitable[Any]]


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    broker: KafkaBroker
    client: AsyncMongoClient[dict[str, Any]]
    db: AsyncDatabase[dict[str, Any]]
    uow: UnitOfWork
    relay: OutboxRelay
    registry: CollectorRegistry
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)


def create_runtime(name: str, settings: Settings) -> ServiceRuntime:
    registry = CollectorRegistry()
    broker, _ = make_broker(
        settings, name, middlewares=(KafkaPrometheusMiddleware(registry=registry, app_name=name),)
    )
    client = make_client(settings)
    db = client[settings.mongo_db]
    uow = UnitOfWork(client, db, name)
    relay = OutboxRelay(uow.outbox, broker, settings)
    runtime = ServiceRuntime(name, settings, broker, client, db, uow, relay, registry)
    runtime.on_startup.append(uow.outbox.ensure_indexes)
    runtime.on_startup.append(lambda: uow.ledger.ensure_indexes(settings.ledger_retention_s))
    return runtime


def _outbox_health(runtime: ServiceRuntime) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A gauge of unpublished outbox events, refreshed on every health check."""
    gauge = Gauge(
        "mumaris_outbox_pending", "Outgoing events written but not yet published", ["service"], registry=runtime.registry
    )

    async def refresh() -> dict[str, Any]:
        pending = await runtime.uow.outbox.pending_count()
        gauge.labels(runtime.name).set(pending)
        return {"outbox_pending": pending}

    return refresh


def create_http_app(runtime: ServiceRuntime, *, title: str) -> FastAPI:
    health = _outbox_health(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log = logging.getLogger(f"mumaris.{runtime.name}")
        for hook in runtime.on_startup:
            await hook()
        await runtime.broker.start()
        runtime.relay.start()
        log.info("%s started (kafka %s)", runtime.name, runtime.settings.kafka_bootstrap)
        try:
            yield
        finally:
            await runtime.relay.stop()
            await runtime.broker.stop()
            for hook in runtime.on_shutdown:
                await hook()
            await runtime.client.close()

    app = FastAPI(title=title, lifespan=lifespan)
    install_error_handlers(app)
    install_ops_routes(app, runtime.broker, runtime.registry, runtime.name, health)
    app.state.runtime = runtime
    return app
