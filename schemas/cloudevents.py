"""CloudEvents 1.0 over Kafka (the Kafka protocol binding).

Binary mode, what our services publish: every record has `ce_id`, `ce_source`, `ce_type`,
`ce_specversion`, `ce_time`, `ce_subject` and `content-type: application/json`; the body is the
event's data. Structured mode, also accepted from other systems: `content-type:
application/cloudevents+json` and a body that is the whole event (`specversion`, `id`, `source`,
`type`, `time`, `subject`, `datacontenttype`, `data`). `ce_id` / `id` is the idempotency key: a
consumer applies each id once.
"""

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"


class CloudEventAttributes(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    specversion: str = SPECVERSION
    time: datetime
    subject: str | None = None

    @classmethod
    def new(cls, *, source: str, type: str, subject: str | None) -> "CloudEventAttributes":
        return cls(id=str(uuid.uuid4()), source=source, type=type, time=datetime.now(UTC), subject=subject)

    def to_headers(self) -> dict[str, str]:
        headers = {
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_specversion": self.specversion,
            "ce_time": self.time.isoformat(),
            "content-type": CONTENT_TYPE,
        }
        if self.subject:
            headers["ce_subject"] = self.subject
        return headers

    @classmethod
    def from_headers(cls, headers: Mapping[str, str | bytes]) -> "CloudEventAttributes":
        """Raises `InvalidCloudEvent` when a required attribute is missing or malformed."""

        def text(name: str) -> str | None:
            value = headers.get(name)
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else value

        try:
            attrs = cls(
                id=text("ce_id") or "",
                source=text("ce_source") or "",
                type=text("ce_type") or "",
                specversion=text("ce_specversion") or "",
                time=text("ce_time") or "",
                subject=text("ce_subject"),
            )
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
            raise InvalidCloudEvent(f"missing or malformed CloudEvents headers: {fields}") from exc
        if attrs.specversion != SPECVERSION:
            raise InvalidCloudEvent(f"unsupported ce_specversion {attrs.specversion!r}")
        return attrs


def from_structured(body: bytes) -> tuple[CloudEventAttributes, bytes]:
    """A structured-mode record's attributes and its data as JSON bytes (what binary mode carries)."""
    try:
        envelope = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidCloudEvent("a structured CloudEvent must be a JSON object") from exc
    if not isinstance(envelope, dict):
        raise InvalidCloudEvent("a structured CloudEvent must be a JSON object")
    if "data" not in envelope:
        raise InvalidCloudEvent("the structured CloudEvent has no data")
    content_type = envelope.get("datacontenttype", CONTENT_TYPE)
    if not str(content_type).startswith(CONTENT_TYPE):
        raise InvalidCloudEvent(f"unsupported datacontenttype {content_type!r}")
    headers = {
        f"ce_{name}": str(envelope[name])
        for name in ("id", "source", "type", "specversion", "time", "subject")
        if envelope.get(name) is not None
    }
    return CloudEventAttributes.from_headers(headers), json.dumps(envelope["data"]).encode()


class InvalidCloudEvent(ValueError):
    """The record does not carry valid CloudEvents 1.0 attributes."""
