"""Notifier: builds the runtime, the stores, the channels' senders and the use cases, provides the
use cases by name and includes each area's routers.

- messages/: what each event tells the practitioner, recorded once per event (inbox message,
  e-mail and SMS intents, their requests on notification.email / notification.sms);
- delivery/: one consumer per channel queue sends each intent at most once per try;
- inbox/: the practitioner's inbox API;
- webhooks/: facilities' webhooks: subscriptions, a delivery per (subscription, change), the
  dispatcher that delivers them signed, retries and parks them; the delivery log and dead letters;
  secret rotation; their metrics.

Who consumes what: `grep subscriber services/*/*/handlers.py` (the handlers are the list).
"""

from fastapi import FastAPI

from mumaris.service import create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from services.notifier import SERVICE
from services.notifier.delivery import handlers as delivery
from services.notifier.delivery.senders import channel_senders
from services.notifier.delivery.service import Dispatcher
from services.notifier.delivery.store import DeliveryStore
from services.notifier.inbox import routes as inbox_api
from services.notifier.inbox.service import Inbox
from services.notifier.inbox.store import InboxStore
from services.notifier.messages import handlers as messages
from services.notifier.messages.service import Recorder
from services.notifier.messages.store import ContactStore
from services.notifier.webhooks import handlers as webhook_events
from services.notifier.webhooks import routes as webhook_api
from services.notifier.webhooks.metrics import WebhookMetrics
from services.notifier.webhooks.service import Dispatcher as WebhookDispatcher
from services.notifier.webhooks.service import Webhooks
from services.notifier.webhooks.store import WebhookStore


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    inbox, deliveries = InboxStore(runtime.db), DeliveryStore(runtime.db)
    webhook_store = WebhookStore(runtime.db)
    runtime.on_startup += [inbox.ensure_indexes, deliveries.ensure_indexes, webhook_store.ensure_indexes]
    sealing_key = runtime.settings.field_encryption_key.get_secret_value()
    runtime.provide("recorder", Recorder(runtime.uow, ContactStore(runtime.db), inbox, deliveries))
    runtime.provide("dispatcher", Dispatcher(deliveries, sealing_key, channel_senders(runtime.settings)))
    runtime.provide("inbox", Inbox(inbox))
    webhooks = Webhooks(runtime.uow, webhook_store, runtime.settings)
    runtime.provide("webhooks", webhooks)
    webhook_metrics = WebhookMetrics(runtime.registry, webhook_store)
    runtime.on_scrape.append(webhook_metrics.refresh)
    dispatcher = WebhookDispatcher(webhook_store, webhooks, runtime.settings, webhook_metrics)
    runtime.provide("webhook_dispatcher", dispatcher)
    runtime.on_startup.append(dispatcher.start)
    runtime.on_shutdown.append(dispatcher.stop)
    runtime.broker.include_router(messages.router)
    runtime.broker.include_router(webhook_events.router)
    runtime.broker.include_router(delivery.router)
    app = create_http_app(runtime, title="Mumaris notifier")
    app.include_router(inbox_api.router)
    app.include_router(webhook_api.router)
    return app
