"""gov.certificates: intake's batch subscriber for the bulk certificate feeds, in batches of up to
`feed_batch_max_records`, on the shared batch delivery (mumaris/batches.py: each record decoded
alone and a broken one dead-lettered alone, the batch retried as a whole, committed once handled).

The subscriber's options (batch size among them) come from the environment's settings when this
module is imported.
"""

from typing import Annotated, Any

from faststream import Context
from faststream.kafka import KafkaRouter
from pydantic import WithJsonSchema

from mumaris.batches import Record, handle_batch, lenient_batch_parser, undecoded
from mumaris.kafka import DeadLetters, decode_cloud_event, subscriber
from mumaris.openapi import inline_refs
from mumaris.settings import get_settings
from schemas import topics
from schemas.events import CertificateFeedRecord
from services.intake import SERVICE
from services.intake.feed.rules import FeedItem
from services.intake.feed.service import CertificateFeed

TOPIC = topics.GOV_CERTIFICATES
Feed = Annotated[CertificateFeed, Context("certificate_feed")]

router = KafkaRouter()


def decode_record(record: Record) -> FeedItem:
    """The record's CloudEvent and body, in binary or structured mode. Raises (InvalidCloudEvent,
    ValidationError) when it is not a gov.certificates event we can read."""
    attrs, data = decode_cloud_event(record, TOPIC)
    return FeedItem(attrs, CertificateFeedRecord.model_validate_json(data))


# The handler takes the raw records, but the AsyncAPI document shows publishers what one record's
# body is (refs inlined: FastStream cannot resolve the nested models' refs of an override).
RawFeedBatch = Annotated[list[Any], WithJsonSchema(inline_refs(CertificateFeedRecord.model_json_schema()))]
SETTINGS = get_settings()


@subscriber(
    router,
    TOPIC,
    service=SERVICE,
    batch=True,
    max_records=SETTINGS.feed_batch_max_records,
    parser=lenient_batch_parser,
    decoder=undecoded,
    note=(
        f"Consumed in batches of up to {SETTINGS.feed_batch_max_records} records; a record_id is received "
        f"once per ce_source; refused records are kept in intake.feed_refusals."
    ),
)
async def on_certificates(records: RawFeedBatch, feed: Feed, dead_letters: DeadLetters) -> None:
    await handle_batch(records, TOPIC, dead_letters, decode_record, feed.apply, feed.count)
