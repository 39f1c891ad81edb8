"""The JSON Schemas other systems code against are the models, checked in and current."""

import json

from schemas.export import SCHEMA_DIR, stale_files
from schemas.topics import CATALOGUE


def test_the_checked_in_schemas_match_the_models() -> None:
    assert stale_files() == [], "schemas/json/ is stale: run `mumaris schemas export`"


def test_each_schema_says_how_its_record_travels() -> None:
    for topic in CATALOGUE:
        schema = json.loads((SCHEMA_DIR / f"{topic.name}.json").read_text(encoding="utf-8"))
        assert schema["x-cloudevents-type"] == topic.ce_type
        assert schema["x-kafka-key"] == topic.key and topic.key in schema["properties"]
        assert schema["x-dead-letter-topic"] == f"{topic.name}.dlq"
        assert set(schema["required"]) <= set(schema["properties"])


def test_a_stale_or_stray_file_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "gone.topic.json").write_text("{}", encoding="utf-8")
    stale = stale_files(tmp_path)
    assert "gone.topic.json" in stale
    assert f"{CATALOGUE[0].name}.json" in stale
