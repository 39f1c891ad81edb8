"""Notifier: the practitioner's in-platform inbox, e-mail and SMS.

Consumes: submission.rejected, review.decided (inbox + e-mail); account.phone_code (SMS);
account.email_confirmation (e-mail); account.registered (contact details).
Each (event, channel, recipient) is delivered once: the inbox message and the delivery intents
are written with the event's ledger entry in one transaction; then every pending delivery is sent
and marked sent. A redelivered event skips the first step and only sends what is still pending.
Sealed codes and links are opened only at the moment of sending and never logged.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from typing import Annotated

from fastapi import FastAPI, Query, Request
from pymongo.asynchronous.client_session import AsyncClientSession

from mumaris.auth import principal_from
from mumaris.crypto import unseal
from mumaris.errors import ApiError
from mumaris.kafka import CloudEvent, subscribe
from mumaris.mongo import now
from mumaris.service import ServiceRuntime, create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.events import (
    AccountRegistered,
    EmailConfirmationRequested,
    PhoneCodeIssued,
    ReviewDecided,
    SubmissionRejected,
)
from services.notifier.channels import PermanentDeliveryError
from services.notifier.channels.email import send_email
from services.notifier.channels.sms import send_sms
from services.notifier.domain import (
    ACCOUNT_PHONE_CODE,
    CHANNELS,
    Notification,
    delivery_key,
    notification_for_decision,
    notification_for_email_confirmation,
    notification_for_rejection,
    sms_for_phone_code,
)
from services.notifier.store import NotifierStore

SERVICE = "notifier"
Sender = Callable[[], Awaitable[str]]


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    settings = runtime.settings
    store = NotifierStore(runtime.db)
    runtime.on_startup.append(store.ensure_indexes)
    sealing_key = settings.field_encryption_key.get_secret_value()
    sub = dict(service=SERVICE, settings=settings)

    async def notify(event_id: str, event_type: str, note: Notification) -> None:
        await _record(runtime, store, event_id, event_type, note.kind, note.recipient_id, note)
        await _deliver_pending(store, event_id, {"email": lambda: send_email(note, settings)})

    @subscribe(runtime.broker, topics.SUBMISSION_REJECTED, **sub)
    async def on_rejected(event: SubmissionRejected, ce: CloudEvent) -> None:
        await notify(ce.id, ce.type, notification_for_rejection(event))

    @subscribe(runtime.broker, topics.REVIEW_DECIDED, **sub)
    async def on_decided(event: ReviewDecided, ce: CloudEvent) -> None:
        await notify(ce.id, ce.type, notification_for_decision(event))

    @subscribe(runtime.broker, topics.ACCOUNT_EMAIL_CONFIRMATION, **sub)
    async def on_email_confirmation(event: EmailConfirmationRequested, ce: CloudEvent) -> None:
        note = notification_for_email_confirmation(
            recipient_id=event.account_id, name=event.name, email=event.email, locale=event.locale,
            link=unseal(event.sealed_link, sealing_key),
        )
        await notify(ce.id, ce.type, note)

    @subscribe(runtime.broker, topics.ACCOUNT_PHONE_CODE, **sub)
    async def on_phone_code(event: PhoneCodeIssued, ce: CloudEvent) -> None:
        await _record(runtime, store, ce.id, ce.type, ACCOUNT_PHONE_CODE, event.account_id, None)
        if now() >= event.expires_at:
            await store.expire_pending(ce.id, now())  # a dead code is not worth an SMS
            return
        minutes = max(1, round((event.expires_at - now()).total_seconds() / 60))

        async def send() -> str:
            text = sms_for_phone_code(unseal(event.sealed_code, sealing_key), event.locale, minutes)
            return await send_sms(event.phone, text, settings,
                                  idempotency_key=delivery_key(ce.id, "sms", event.account_id))

        await _deliver_pending(store, ce.id, {"sms": send})

    @subscribe(runtime.broker, topics.ACCOUNT_REGISTERED, **sub)
    async def on_registered(event: AccountRegistered, ce: CloudEvent) -> None:
        async def work(session: AsyncClientSession) -> None:
            await store.save_contact(event.account_id, event.name, event.email, event.locale, session)

        await runtime.uow.apply_once(ce.id, ce.type, work)

    app = create_http_app(runtime, title="Mumaris notifier")
    _add_inbox_routes(app, runtime, store)
    return app


async def _record(runtime: ServiceRuntime, store: NotifierStore, event_id: str, event_type: str, kind: str,
                  recipient_id: str, note: Notification | None) -> None:
    """The inbox message and one pending intent per other channel, once per event."""
    channels = CHANNELS[kind]
    at = now()

    async def record(session: AsyncClientSession) -> None:
        if "inbox" in channels and note is not None:
            await store.add_inbox_message(
                {"_id": delivery_key(event_id, "inbox", recipient_id), "recipient_id": recipient_id,
                 "event_id": event_id, "kind": kind, "title": note.inbox_title, "body": note.inbox_body,
                 "created_at": at, "read_at": None},
                session,
            )
        for channel in channels:
            if channel != "inbox":
                await store.add_delivery_intent(
                    {"_id": delivery_key(event_id, channel, recipient_id), "event_id": event_id, "channel": channel,
                     "recipient_id": recipient_id, "kind": kind, "status": "pending", "created_at": at, "tries": 0},
                    session,
                )

    await runtime.uow.apply_once(event_id, event_type, record)


async def _deliver_pending(store: NotifierStore, event_id: str, senders: dict[str, Sender]) -> None:
    for delivery in await store.pending_deliveries(event_id):
        send = senders.get(delivery["channel"])
        if send is None:
            continue
        try:
            message_id = await send()
        except PermanentDeliveryError as exc:
            await store.mark_delivery(delivery["_id"], "failed", now(), error=str(exc)[:500])
            continue
        except Exception as exc:
            await store.note_failed_try(delivery["_id"], type(exc).__name__, now())
            raise  # transient: the delivery policy retries, then dead-letters for replay
        await store.mark_delivery(delivery["_id"], "sent", now(), message_id=message_id)


def _add_inbox_routes(app: FastAPI, runtime: ServiceRuntime, store: NotifierStore) -> None:
    def _view(m: dict[str, Any]) -> dict[str, Any]:
        return {"id": m["_id"], "kind": m["kind"], "title": m["title"], "body": m["body"],
                "created_at": m["created_at"].isoformat(), "read": m["read_at"] is not None}

    @app.get("/v1/inbox", tags=["inbox"])
    async def inbox(request: Request, page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                    size: Annotated[int, Query(ge=1, le=100)] = 20) -> dict[str, Any]:
        """The practitioner's own messages, newest first, with the unread count."""
        who = principal_from(request, runtime.settings, "practitioner")
        items, total, unread = await store.inbox_page(who.id, page=page, size=size)
        return {"items": [_view(m) for m in items], "page": page, "size": size, "total": total, "unread": unread}

    @app.post("/v1/inbox/{message_id}/read", status_code=204, tags=["inbox"])
    async def read(message_id: str, request: Request) -> None:
        who = principal_from(request, runtime.settings, "practitioner")
        if not await store.mark_read(who.id, message_id, now()):
            raise ApiError(404, "not_found")  # another practitioner's message does not exist for you
