"""gov.cpd_attendance: intake's batch subscriber for accredited providers' attendance records, on
the batch delivery it shares with the certificate feed (mumaris/batches.py): each record decoded
alone and a broken one dead-lettered alone to gov.cpd_attendance.dlq, the batch committed after it
is handled, a failed batch retried with the delivery policy's backoff and dead-lettered after the
last attempt.

Approved CPD certificates reach the ledger from review.decided's one subscriber
(submissions/handlers.py)."""

from typing import Annotated

from faststream import Context
from faststream.kafka import KafkaRouter
from pydantic import WithJsonSchema

from mumaris.batches import Record, handle_batch, lenient_batch_parser, undecoded
from mumaris.kafka import DeadLetters, decode_cloud_event, subscriber
from mumaris.openapi import inline_refs
from mumaris.settings import get_settings
from schemas import topics
from schemas.events import CpdAttendanceRecord
from services.intake import SERVICE
from services.intake.cpd.rules import AttendanceItem
from services.intake.cpd.service import CpdLedger

TOPIC = topics.GOV_CPD_ATTENDANCE
Ledger = Annotated[CpdLedger, Context("cpd_ledger")]

router = KafkaRouter()


def decode_record(record: Record) -> AttendanceItem:
    """The record's CloudEvent and body; raises when it is not a gov.cpd_attendance event we can read."""
    attrs, data = decode_cloud_event(record, TOPIC)
    return AttendanceItem(attrs, CpdAttendanceRecord.model_validate_json(data))


RawAttendanceBatch = Annotated[list[Record], WithJsonSchema(inline_refs(CpdAttendanceRecord.model_json_schema()))]
SETTINGS = get_settings()


@subscriber(
    router,
    TOPIC,
    service=SERVICE,
    batch=True,
    max_records=SETTINGS.cpd_batch_max_records,
    parser=lenient_batch_parser,
    decoder=undecoded,
    note=(
        f"Consumed in batches of up to {SETTINGS.cpd_batch_max_records} records; a record_id is credited "
        f"once per ce_source, an activity (accreditation number and date) once per practitioner; refused "
        f"records are kept in intake.cpd_refusals."
    ),
)
async def on_attendance(records: RawAttendanceBatch, ledger: Ledger, dead_letters: DeadLetters) -> None:
    await handle_batch(records, TOPIC, dead_letters, decode_record, ledger.apply, ledger.count)
