"""The contracts other teams code against: CloudEvents headers, the catalogue, the error texts."""

from datetime import UTC, datetime

import pytest

from mumaris.errors import MESSAGES, ApiError
from schemas.cloudevents import CloudEventAttributes, InvalidCloudEvent
from schemas.events import Event
from schemas.topics import CATALOGUE, all_topic_names


def test_cloudevent_headers_round_trip() -> None:
    attrs = CloudEventAttributes.new(source="/mumaris/intake", type="mumaris.submission.received.v1", subject="s-1")
    headers = {k: v.encode() for k, v in attrs.to_headers().items()}
    assert headers["content-type"] == b"application/json"
    assert CloudEventAttributes.from_headers(headers) == attrs


@pytest.mark.parametrize("missing", ["ce_id", "ce_source", "ce_type", "ce_time"])
def test_an_event_without_a_required_attribute_is_refused(missing: str) -> None:
    headers = CloudEventAttributes.new(source="/x", type="t", subject=None).to_headers()
    del headers[missing]
    with pytest.raises(InvalidCloudEvent, match=missing.removeprefix("ce_")):
        CloudEventAttributes.from_headers(headers)


def test_an_unknown_specversion_is_refused() -> None:
    headers = {
        "ce_id": "1",
        "ce_source": "/x",
        "ce_type": "t",
        "ce_specversion": "0.3",
        "ce_time": datetime.now(UTC).isoformat(),
    }
    with pytest.raises(InvalidCloudEvent, match="specversion"):
        CloudEventAttributes.from_headers(headers)


def test_every_topic_has_a_versioned_type_a_producer_a_consumer_and_a_dlq() -> None:
    names = [t.name for t in CATALOGUE]
    assert len(names) == len(set(names))
    for topic in CATALOGUE:
        assert topic.ce_type.startswith("mumaris.") and topic.ce_type.endswith(".v1")
        assert topic.producers and topic.consumers
        assert topic.key in topic.model.model_fields
        assert issubclass(topic.model, Event)
        assert topic.dlq in all_topic_names()


def test_consumers_ignore_fields_they_do_not_know() -> None:
    topic = CATALOGUE[0]
    sample = {
        "submission_id": "s",
        "kind": "certificate",
        "received_at": "2026-11-25T09:00:00Z",
        "practitioner": {"id": "p", "name": "n", "email": "e@x.sa"},
        "certificate": {
            "name": "Cert",
            "obtained_on": "2025-01-01",
            "institution": "Uni",
            "specialty": "Nursing",
            "degree": "BSc",
        },
        "file": {"file_id": "f", "filename": "a.pdf", "size": 1, "sha256": "0" * 64, "content_type": "application/pdf"},
        "added_in_a_later_version": {"anything": True},
    }
    assert topic.model.model_validate(sample).submission_id == "s"  # type: ignore[attr-defined]


def test_every_error_code_speaks_arabic_and_english() -> None:
    for code, (ar, en) in MESSAGES.items():
        assert any("\u0600" <= ch <= "\u06ff" for ch in ar), code
        assert en.isascii() and en.strip(), code
    body = ApiError(415, "file.unsupported_type").body()
    assert body["error"]["code"] == "file.unsupported_type"
    assert set(body["error"]["message"]) == {"ar", "en"}


def test_the_readme_topic_table_lists_every_topic_with_its_producers_and_consumers() -> None:
    from mumaris.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    for topic in CATALOGUE:
        assert f"| `{topic.name}` | {', '.join(topic.producers)} → {', '.join(topic.consumers)} |" in readme, topic.name
