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

from mumaris.auth import RevokedSessions, install_revoked_sessions
from mumaris.http import (
    install_body_limit,
    install_error_handlers,
    install_http_metrics,
    install_ops_routes,
    install_request_log_context,
)
from mumaris.kafka import make_broker
from mumaris.mongo import OutboxRelay, RelayLease, UnitOfWork, make_client
from mumaris.settings import Settings
from mumaris.topic_status import topic_status
from schemas.topics import CATALOGUE, DLQ_SUFFIX

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
    on_scrape: list[Hook] = field(default_factory=list)  # refresh gauges before /metrics answers


def create_runtime(name: str, settings: Settings) -> ServiceRuntime:
    registry = CollectorRegistry()
    broker, _ = make_broker(
        settings, name, middlewares=(KafkaPrometheusMiddleware(registry=registry, app_name=name),)
    )
    client = make_client(settings)
    db = client[settings.mongo_db]
    uow = UnitOfWork(client, db, name)
    relay = OutboxRelay(uow.outbox, broker, settings, RelayLease(db, name, settings.outbox_relay_lease_s))
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


def _kafka_metrics(runtime: ServiceRuntime) -> Hook:
    """Consumer lag of this service's group on every topic it consumes, and the size of those
    topics' dead-letter topics, read from the broker at scrape time."""
    lag = Gauge("mumaris_consumer_lag", "Records not yet consumed by the group", ["topic", "partition", "group"],
                registry=runtime.registry)
    dead_letters = Gauge("mumaris_dlq_messages", "Records ever dead-lettered on the topic's DLQ", ["topic"],
                         registry=runtime.registry)
    consumed = [topic for topic in CATALOGUE if runtime.name in topic.consumers]

    async def refresh() -> None:
        names = [name for topic in consumed for name in (topic.name, topic.dlq)]
        for status in await topic_status(runtime.settings.kafka_bootstrap, names):
            if status.name.endswith(DLQ_SUFFIX):
                dead_letters.labels(status.name.removesuffix(DLQ_SUFFIX)).set(status.end_offset_total)
                continue
            for partition, behind in status.lag.get(runtime.name, {}).items():
                lag.labels(status.name, str(partition), runtime.name).set(behind)

    return refresh


def create_http_app(runtime: ServiceRuntime, *, title: str) -> FastAPI:
    health = _outbox_health(runtime)
    runtime.on_scrape.append(_kafka_metrics(runtime))

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
    install_body_limit(app, runtime.settings.max_json_body_bytes)  # innermost: the others see its 413
    install_http_metrics(app, runtime.registry, runtime.name)
    install_ops_routes(app, runtime.broker, runtime.registry, runtime.name, health, runtime.on_scrape)
    install_request_log_context(app)  # added last, so outermost: its duration covers the others
    app.state.runtime = runtime
    revoked = RevokedSessions(runtime.db, runtime.settings)  # every service refuses ended sessions' tokens
    runtime.on_startup.append(revoked.start)
    runtime.on_shutdown.append(revoked.stop)
    install_revoked_sessions(app, revoked)
    return app
