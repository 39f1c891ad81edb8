"""Review's subscribers (queue/handlers.py, fees/handlers.py) through FastStream's TestKafkaBroker,
with the use cases over in-memory stores: each event reaches its use case, a classification
document goes to its request rather than the queue, and an event the fee rules cannot place is
dead-lettered at once. The real broker carries the same flows in tests/e2e."""

from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from mumaris.kafka import make_broker
from mumaris.settings import Settings
from schemas import topics
from schemas.cloudevents import CloudEventAttributes
from schemas.events import ClassificationRef, Event, Localized
from services.review import SERVICE
from services.review.fees import handlers as fee_handlers
from services.review.queue import handlers as queue_handlers
from tests.fee_support import ClassificationCase
from tests.review_fakes import Review, stop_the_clock, validated_certificate
from tests.unit.test_logs import RecordingProducer

SETTINGS = Settings(retry_attempts=3, retry_backoff_s=0.001)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class DeadLetters(RecordingProducer):
    """The dead-letter producer, keeping each record's headers too."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[dict[str, str]] = []

    async def send(self, topic: str, value: bytes, *, key: bytes | None, headers: dict[str, str]) -> Any:
        self.headers.append(headers)
        return await super().send(topic, value, key=key, headers=headers)


@pytest.fixture
def review(monkeypatch: pytest.MonkeyPatch) -> Review:
    return Review(SETTINGS, stop_the_clock(monkeypatch, T0))


async def send(broker: KafkaBroker, topic: topics.Topic, event: Event) -> dict[str, Any]:
    body = event.model_dump(mode="json")
    key = str(getattr(event, topic.key))
    attrs = CloudEventAttributes.new(source="/test", type=topic.ce_type, subject=key)
    await broker.publish(body, topic=topic.name, key=key.encode(), headers=attrs.to_headers())
    return body


async def test_each_subscriber_hands_its_event_to_its_use_case(review: Review) -> None:
    broker, dead_letters = make_broker(SETTINGS, SERVICE)
    dead = dead_letters.producer = DeadLetters()  # type: ignore[assignment]  # no broker in a unit test
    broker.include_router(queue_handlers.router)
    broker.include_router(fee_handlers.router)
    broker.context.set_global("desk", review.desk)
    broker.context.set_global("fee_events", review.events)
    request = ClassificationCase(SETTINGS)
    nowhere = ClassificationRef(code="dentistry.wizard", label=Localized(ar="ساحر", en="Wizard"))

    async with TestKafkaBroker(broker) as test_broker:
        sent = await send(test_broker, topics.SUBMISSION_VALIDATED, validated_certificate("s-9"))
        queue_handlers.on_submission_validated.mock.assert_called_once_with(sent)
        await send(test_broker, topics.CLASSIFICATION_REQUESTED, request.requested())
        for document_type in request.documents:
            await send(test_broker, topics.SUBMISSION_VALIDATED, request.validated(document_type))
        unknown = request.requested().model_copy(update={"request_id": "req-unknown", "target": nowhere})
        await send(test_broker, topics.CLASSIFICATION_REQUESTED, unknown)

    assert [e.review_id for e in review.uow.outbox.of(topics.REVIEW_QUEUED)] == ["s-9"]  # documents wait for payment
    [invoiced] = review.uow.outbox.of(topics.FEE_INVOICED)
    assert invoiced.request_id == request.request_id
    assert "req-unknown" not in review.fee_store.requests
    assert [topic for topic, _ in dead.sent] == [topics.CLASSIFICATION_REQUESTED.dlq]
    [why] = dead.headers
    assert (why["x-dlq-reason"], why["x-dlq-attempts"]) == ("invalid_event", "1")  # no retry can mend it
    assert "unknown classification 'dentistry.wizard'" in why["x-dlq-error"]
