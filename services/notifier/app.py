"""Notifier: the practitioner's in-platform inbox, e-mail and SMS.

Consumes: submission.rejected, review.decided (inbox, e-mail, SMS); account.phone_code (SMS, and the
account's phone number); account.email_confirmation (e-mail); account.registered (contact details);
and its own queues notification.email and notification.sms.
Each (event, channel, recipient) is delivered once. An event handler only records: the inbox
message, one intent per other channel and a request on that channel's queue, with the event's
ledger entry, in one transaction. Each channel's consumer then records "sending", sends and records
"sent"; a redelivered request skips what is sent (see delivery.py and intents.py). Sealed codes and
links are opened only by the channel consumer at the moment of sending and never logged.

A new kind of notification is one subscriber: `await notify(ce, notification_for_...(event))`.
"""

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request

from mumaris.auth import principal_from
from mumaris.clock import now
from mumaris.errors import ApiError
from mumaris.kafka import CloudEvent, subscribe
from mumaris.service import ServiceRuntime, create_http_app, create_runtime
from mumaris.settings import Settings, get_settings
from schemas import topics
from schemas.events import (
    AccountRegistered,
    ClassificationChanged,
    ClassificationLapsed,
    DeliveryRequested,
    EmailConfirmationRequested,
    FeeInvoiced,
    FeeReminderDue,
    PhoneCodeIssued,
    ReviewDecided,
    ReviewQueued,
    SubmissionReceived,
    SubmissionRejected,
)
from services.notifier.delivery.senders import channel_senders
from services.notifier.delivery.service import Dispatcher
from services.notifier.delivery.store import DeliveryStore
from services.notifier.inbox.store import InboxStore
from services.notifier.messages.rules import (
    notification_for_classification_changed,
    notification_for_decision,
    notification_for_fee_invoiced,
    notification_for_fee_reminder,
    notification_for_lapsed,
    notification_for_queued,
    notification_for_received,
    notification_for_rejection,
)
from services.notifier.messages.service import Recorder
from services.notifier.messages.store import ContactStore

SERVICE = "notifier"


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = create_runtime(SERVICE, settings or get_settings())
    settings = runtime.settings
    inbox, deliveries = InboxStore(runtime.db), DeliveryStore(runtime.db)
    runtime.on_startup += [inbox.ensure_indexes, deliveries.ensure_indexes]
    recorder = Recorder(runtime.uow, ContactStore(runtime.db), inbox, deliveries)
    notify = recorder.notify
    dispatcher = Dispatcher(deliveries, settings.field_encryption_key.get_secret_value(), channel_senders(settings))
    sub = dict(service=SERVICE, settings=settings)

    # --- events → recorded notifications (never waits for a mail server or the gateway) -------

    @subscribe(runtime.broker, topics.SUBMISSION_RECEIVED, **sub)
    async def on_received(event: SubmissionReceived, ce: CloudEvent) -> None:
        await notify(ce, notification_for_received(event))

    @subscribe(runtime.broker, topics.SUBMISSION_REJECTED, **sub)
    async def on_rejected(event: SubmissionRejected, ce: CloudEvent) -> None:
        await notify(ce, notification_for_rejection(event))

    @subscribe(runtime.broker, topics.REVIEW_QUEUED, **sub)
    async def on_queued(event: ReviewQueued, ce: CloudEvent) -> None:
        await notify(ce, notification_for_queued(event))

    @subscribe(runtime.broker, topics.REVIEW_DECIDED, **sub)
    async def on_decided(event: ReviewDecided, ce: CloudEvent) -> None:
        await notify(ce, notification_for_decision(event))

    @subscribe(runtime.broker, topics.FEE_INVOICED, **sub)
    async def on_fee_invoiced(event: FeeInvoiced, ce: CloudEvent) -> None:
        await notify(ce, notification_for_fee_invoiced(event))

    @subscribe(runtime.broker, topics.FEE_REMINDER, **sub)
    async def on_fee_reminder(event: FeeReminderDue, ce: CloudEvent) -> None:
        await notify(ce, notification_for_fee_reminder(event))

    @subscribe(runtime.broker, topics.CLASSIFICATION_LAPSED, **sub)
    async def on_lapsed(event: ClassificationLapsed, ce: CloudEvent) -> None:
        await notify(ce, notification_for_lapsed(event))

    @subscribe(runtime.broker, topics.CLASSIFICATION_CHANGED, **sub)
    async def on_classification_changed(event: ClassificationChanged, ce: CloudEvent) -> None:
        await notify(ce, notification_for_classification_changed(event))

    @subscribe(runtime.broker, topics.ACCOUNT_EMAIL_CONFIRMATION, **sub)
    async def on_email_confirmation(event: EmailConfirmationRequested, ce: CloudEvent) -> None:
        await recorder.email_confirmation(ce, event)

    @subscribe(runtime.broker, topics.ACCOUNT_PHONE_CODE, **sub)
    async def on_phone_code(event: PhoneCodeIssued, ce: CloudEvent) -> None:
        await recorder.phone_code(ce, event)

    @subscribe(runtime.broker, topics.ACCOUNT_REGISTERED, **sub)
    async def on_registered(event: AccountRegistered, ce: CloudEvent) -> None:
        await recorder.contact(ce, event)

    # --- the channels' own queues: one consumer each, so a dead mail server only delays e-mail -

    @subscribe(runtime.broker, topics.NOTIFICATION_EMAIL, **sub)
    async def send_email_delivery(request: DeliveryRequested, ce: CloudEvent) -> None:
        await dispatcher.dispatch(request)

    @subscribe(runtime.broker, topics.NOTIFICATION_SMS, **sub)
    async def send_sms_delivery(request: DeliveryRequested, ce: CloudEvent) -> None:
        await dispatcher.dispatch(request)

    app = create_http_app(runtime, title="Mumaris notifier")
    _add_inbox_routes(app, runtime, inbox)
    return app


def _add_inbox_routes(app: FastAPI, runtime: ServiceRuntime, store: InboxStore) -> None:
    def _view(m: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": m["_id"],
            "kind": m["kind"],
            "title": m["title"],
            "body": m["body"],
            "created_at": m["created_at"].isoformat(),
            "read": m["read_at"] is not None,
        }

    @app.get("/v1/inbox", tags=["inbox"])
    async def inbox(
        request: Request,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> dict[str, Any]:
        """The practitioner's own messages, newest first, with the unread count."""
        who = principal_from(request, runtime.settings, "practitioner")
        items, total, unread = await store.page(who.id, page=page, size=size)
        return {"items": [_view(m) for m in items], "page": page, "size": size, "total": total, "unread": unread}

    @app.post("/v1/inbox/{message_id}/read", status_code=204, tags=["inbox"])
    async def read(message_id: str, request: Request) -> None:
        who = principal_from(request, runtime.settings, "practitioner")
        if not await store.mark_read(who.id, message_id, now()):
            raise ApiError(404, "not_found")  # another practitioner's message does not exist for you
