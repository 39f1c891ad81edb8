"""What every service process is made of: a FastStream Kafka broker, a MongoDB client, the
effect-once unit of work with its outbox relay, Prometheus metrics and a FastAPI edge whose
lifespan starts and stops all of it (FastStream's documented way to run a broker inside another
ASGI framework)."""

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Counter, Gauge
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from mumaris.apidocs import install_api_docs
from mumaris.auth import RevokedSessions, install_revoked_sessions
from mumaris.http import (
    install_body_limit,
    install_error_handlers,
    install_http_metrics,
    install_ops_routes,
    install_request_log_context,
)
from mumaris.kafka import HealingProducer, make_broker
from mumaris.mongo import UnitOfWork, make_client
from mumaris.openapi import install_openapi
from mumaris.relay import OutboxRelay, RelayLease
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

    def provide(self, key: str, value: Any) -> None:
        """Make a use-case object reachable by name from handlers (FastStream's context:
        `Annotated[T, Context(key)]`) and from routes (`Depends(provided(key))`). A plain name:
        FastStream reads a dot in it as attribute access."""
        self.broker.context.set_global(key, value)
        self.provided[key] = value

    provided: dict[str, Any] = field(default_factory=dict)


def create_runtime(name: str, settings: Settings) -> ServiceRuntime:
    registry = CollectorRegistry()
    broker, dead_letters = make_broker(
        settings, name, middlewares=(KafkaPrometheusMiddleware(registry=registry, app_name=name),)
    )
    client = make_client(settings)
    db = client[settings.mongo_db]
    uow = UnitOfWork(client, db, name)
    relay = OutboxRelay(
        uow.outbox,
        HealingProducer(settings, f"mumaris-{name}-relay"),
        settings,
        RelayLease(db, name, settings.outbox_relay_lease_s),
    )
    runtime = ServiceRuntime(name, settings, broker, client, db, uow, relay, registry)
    runtime.on_startup.append(uow.outbox.ensure_indexes)
    runtime.on_startup.append(lambda: uow.ledger.ensure_indexes(settings.ledger_retention_s))
    runtime.on_shutdown.append(dead_letters.producer.stop)
    return runtime


def _outbox_health(runtime: ServiceRuntime) -> Callable[[], Awaitable[dict[str, Any]]]:
    """The relay's state for /healthz and its gauges, refreshed on every health check and scrape:
    `degraded` with the reason while it cannot publish (or the database cannot be read)."""
    labels = ["service"]
    pending = Gauge(
        "mumaris_outbox_pending", "Outgoing events written but not yet published", labels, registry=runtime.registry
    )
    oldest = Gauge(
        "mumaris_outbox_oldest_pending_seconds",
        "Age of the oldest event not yet published",
        labels,
        registry=runtime.registry,
    )
    healthy = Gauge(
        "mumaris_outbox_relay_healthy",
        "1 while the outbox relay publishes, 0 while it cannot",
        labels,
        registry=runtime.registry,
    )
    relay = runtime.relay
    published = Counter(
        "mumaris_outbox_published",
        "Events the outbox relay published (acknowledged by the broker)",
        ["service", "topic"],
        registry=runtime.registry,
    )
    relay.on_published = lambda topic, count: published.labels(runtime.name, topic).inc(count)

    async def refresh() -> dict[str, Any]:
        problem = relay.problem()
        try:
            count = await runtime.uow.outbox.pending_count()
            age = await relay.oldest_pending_age_s() if count else 0.0
        except Exception as exc:
            healthy.labels(runtime.name).set(0)
            return {"status": "degraded", "reason": f"database: {type(exc).__name__}", "outbox_pending": None}
        pending.labels(runtime.name).set(count)
        oldest.labels(runtime.name).set(age)
        healthy.labels(runtime.name).set(0 if problem else 1)
        report: dict[str, Any] = {
            "outbox_pending": count,
            "outbox_oldest_pending_s": round(age, 1),
            "outbox_published": relay.published_total,
        }
        if problem:
            report.update(status="degraded", reason=problem)
        return report

    return refresh


def _kafka_metrics(runtime: ServiceRuntime) -> Hook:
    """Consumer lag of this service's groups (its own and its areas', `<service>-<area>`) on every
    topic it consumes, and the size of those topics' dead-letter topics, read from the broker at
    scrape time."""
    lag = Gauge(
        "mumaris_consumer_lag",
        "Records not yet consumed by the group",
        ["topic", "partition", "group"],
        registry=runtime.registry,
    )
    dead_letters = Gauge(
        "mumaris_dlq_messages", "Records ever dead-lettered on the topic's DLQ", ["topic"], registry=runtime.registry
    )
    consumed = [topic for topic in CATALOGUE if runtime.name in topic.consumers]

    async def refresh() -> None:
        names = [name for topic in consumed for name in (topic.name, topic.dlq)]
        for status in await topic_status(runtime.settings.kafka_bootstrap, names):
            if status.name.endswith(DLQ_SUFFIX):
                dead_letters.labels(status.name.removesuffix(DLQ_SUFFIX)).set(status.end_offset_total)
                continue
            for group, partitions in status.lag.items():
                if group == runtime.name or group.startswith(f"{runtime.name}-"):  # an area's own group
                    for partition, behind in partitions.items():
                        lag.labels(status.name, str(partition), group).set(behind)

    return refresh


def tune_garbage_collector(young_threshold: int) -> None:
    """Once started: what exists now lives as long as the process, so the collector stops
    scanning it (gc.freeze), and the youngest generation waits for `young_threshold` new objects."""
    if young_threshold <= 0:
        return
    gc.collect()  # what start-up left as garbage is not frozen with the rest
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, middle, oldest)


def create_http_app(runtime: ServiceRuntime, *, title: str) -> FastAPI:
    health = _outbox_health(runtime)
    runtime.on_scrape.append(health)
    runtime.on_scrape.append(_kafka_metrics(runtime))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log = logging.getLogger(f"mumaris.{runtime.name}")
        for hook in runtime.on_startup:
            await hook()
        await runtime.broker.start()
        runtime.relay.start()
        tune_garbage_collector(runtime.settings.gc_young_threshold)
        log.info("%s started (kafka %s)", runtime.name, runtime.settings.kafka_bootstrap)
        try:
            yield
        finally:
            await runtime.relay.stop()
            await runtime.broker.stop()
            for hook in runtime.on_shutdown:
                await hook()
            await runtime.client.close()

    # FastAPI's own /docs and /redoc load their scripts from a CDN: ours are served by the service.
    app = FastAPI(
        title=title,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Each operation is known by its function's name (`submit_certificate`), what a generated client calls it.
        generate_unique_id_function=lambda route: route.name,
    )
    install_openapi(app)
    install_api_docs(app, title)
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


def provided(key: str) -> Callable[[Request], Awaitable[Any]]:
    """A FastAPI dependency answering what the service's app.py provided under `key`. A coroutine
    although it waits for nothing: FastAPI runs a plain `def` dependency in its thread pool, a
    hand-over to a worker thread and back on every request that uses it."""

    async def dependency(request: Request) -> Any:
        return request.app.state.runtime.provided[key]

    return dependency
