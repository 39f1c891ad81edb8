"""The channels' own queues: one consumer each, so a dead mail server only delays e-mails (the
SMS and the inbox go on). Each hands its request to the Dispatcher."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter

from mumaris.kafka import CloudEvent, subscriber
from schemas import topics
from schemas.events import DeliveryRequested
from services.notifier import SERVICE
from services.notifier.delivery.service import Dispatcher

router = KafkaRouter()
Dispatching = Annotated[Dispatcher, Context("dispatcher")]


@subscriber(router, topics.NOTIFICATION_EMAIL, service=SERVICE)
async def send_email_delivery(request: DeliveryRequested, ce: CloudEvent, dispatcher: Dispatching) -> None:
    await dispatcher.dispatch(request)


@subscriber(router, topics.NOTIFICATION_SMS, service=SERVICE)
async def send_sms_delivery(request: DeliveryRequested, ce: CloudEvent, dispatcher: Dispatching) -> None:
    await dispatcher.dispatch(request)
