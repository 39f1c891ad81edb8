"""CloudEvents 1.0 attributes carried as Kafka headers (the Kafka protocol binding, binary mode).

Every record on every topic has `ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_time`,
`ce_subject` and `content-type: application/json`; the body is the event's data. `ce_id` is the
idempotency key: a consumer applies each id once.
"""

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"


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


class InvalidCloudEvent(ValueError):
    """The record does not carry valid CloudEvents 1.0 attributes."""
