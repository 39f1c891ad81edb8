"""Notifier: the practitioner's in-platform inbox and e-mail.

Consumes: submission.rejected, review.decided.
Each (event, channel, recipient) is delivered once: the inbox message and the delivery intents are
written with the event's ledger entry in one transaction; then every pending delivery is sent and
marked sent. A redelivered event skips the first step and only sends what is still pending.
"""

from typing import Any

from fastapi import FastAPI, Request
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import principal_from
from mumaris.kafka import CloudEvent, subscribe
from mumaris.mongo import now
from mumaris.service import ServiceRuntime, create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.events import ReviewDecided, SubmissionRejected
from services.notifier.channels import PermanentDeliveryError
from services.notifier.channels.email import send_email
from services.notifier.domain import CHANNELS, Notification, delivery_key, notification_for_decision, notification_for_rejection
from services.notifier.store import NotifierStore

SERVICE = "notifier"


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    store = NotifierStore(runtime.db)
    runtime.on_startup.append(store.ensure_indexes)
    notify = _notifier(runtime, store)
    sub = dict(service=SERVICE, settings=runtime.settings)

    @subscribe(runtime.broker, topics.SUBMISSION_REJECTED, **sub)
    async def on_rejected(event: SubmissionRejected, ce: CloudEvent) -> None:
        await notify(ce.id, ce.type, notification_for_rejection(event))

    @subscribe(runtime.broker, topics.REVIEW_DECIDED, **sub)
    async def on_decided(event: ReviewDecided, ce: CloudEvent) -> None:
        await notify(ce.id, ce.type, notification_for_decision(event))

    app = create_http_app(runtime, title="Mumaris notifier")
    _add_inbox_routes(app, runtime, store)
    return app


def _notifier(runtime: ServiceRuntime, store: NotifierStore) -> Any:
    async def notify(event_id: str, event_type: str, note: Notification) -> None:
        channels = CHANNELS[note.kind]
        at = now()

        async def record(session: AsyncClientSession) -> None:
            if "inbox" in channels:
                await store.add_inbox_message(
                    {"_id": delivery_key(event_id, "inbox", note.recipient_id), "recipient_id": note.recipient_id,
                     "event_id": event_id, "kind": note.kind, "title": note.inbox_title, "body": note.inbox_body,
                     "created_at": at, "read_at": None},
                    session,
                )
            for channel in channels:
                if channel == "inbox":
                    continue
                await store.add_delivery_intent(
                    {"_id": delivery_key(event_id, channel, note.recipient_id), "event_id": event_id,
                     "channel": channel, "recipient_id": note.recipient_id, "kind": note.kind,
                     "status": "pending", "created_at": at, "tries": 0},
                    session,
                )

        await runtime.uow.apply_once(event_id, event_type, record)
        for delivery in await store.pending_deliveries(event_id):
            await _deliver(runtime, store, delivery, note)

    return notify


async def _deliver(runtime: ServiceRuntime, store: NotifierStore, delivery: dict[str, Any], note: Notification) -> None:
    if delivery["channel"] != "email":
        return
    try:
        message_id = await send_email(note, runtime.settings)
    except PermanentDeliveryError as exc:
        await store.mark_delivery(delivery["_id"], "failed", now(), error=str(exc)[:500])
        return
    except Exception as exc:
        await store.note_failed_try(delivery["_id"], repr(exc)[:500], now())
        raise  # transient: the delivery policy retries, then dead-letters for replay
    await store.mark_delivery(delivery["_id"], "sent", now(), message_id=message_id)


def _add_inbox_routes(app: FastAPI, runtime: ServiceRuntime, store: NotifierStore) -> None:
    @app.get("/v1/inbox", tags=["inbox"])
    async def inbox(request: Request) -> dict[str, Any]:
        who = principal_from(request, runtime.settings, "practitioner")
        items = await store.inbox_for(who.id)
        return {
            "items": [
                {"id": m["_id"], "kind": m["kind"], "title": m["title"], "body": m["body"],
                 "created_at": m["created_at"].isoformat(), "read": m["read_at"] is not None}
                for m in items
            ],
            "unread": sum(1 for m in items if m["read_at"] is None),
        }
