"""JSON Schema of every topic's event, for the engineers of other systems: `schemas/json/`.

    mumaris schemas export            # rewrite schemas/json/ from the models
    mumaris schemas export --check    # exit 1 when the checked-in files differ (CI runs the same check as a test)

One file per topic, named after it. Besides the body's schema (pydantic v2, JSON Schema 2020-12),
each file says how the record travels: its CloudEvents type, its Kafka key, who produces it and
who consumes it, and its dead-letter topic.
"""

import json
from pathlib import Path
from typing import Any

from schemas.topics import CATALOGUE, Topic

SCHEMA_DIR = Path(__file__).resolve().parent / "json"
CLOUDEVENTS_HEADERS = ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_time", "ce_subject", "content-type"]


OUR_SERVICES = frozenset({"intake", "validator", "review", "notifier"})


def schema_of(topic: Topic) -> dict[str, Any]:
    # What we publish is described as we write it; what others publish, as we accept it
    # (e.g. an amount may be sent as a number or a decimal string).
    inbound = not OUR_SERVICES.intersection(topic.producers)
    schema = topic.model.model_json_schema(mode="validation" if inbound else "serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://mumaris.example/schemas/{topic.name}.json",
        **schema,
        "description": topic.description,
        "x-topic": topic.name,
        "x-cloudevents-type": topic.ce_type,
        "x-cloudevents-headers": CLOUDEVENTS_HEADERS,
        "x-kafka-key": topic.key,
        "x-producers": list(topic.producers),
        "x-consumers": list(topic.consumers),
        "x-dead-letter-topic": topic.dlq,
    }


def rendered() -> dict[str, str]:
    """File name → its exact text (stable key order, so a diff shows a real change)."""
    return {
        f"{topic.name}.json": json.dumps(schema_of(topic), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for topic in CATALOGUE
    }


def stale_files(folder: Path = SCHEMA_DIR) -> list[str]:
    """Files that are missing, differ, or no longer belong to a topic."""
    expected = rendered()
    present = {path.name for path in folder.glob("*.json")} if folder.exists() else set()
    differ = [
        name
        for name, text in expected.items()
        if name not in present or (folder / name).read_text(encoding="utf-8") != text
    ]
    return sorted(differ + sorted(present - set(expected)))


def export(folder: Path = SCHEMA_DIR) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    expected = rendered()
    for path in folder.glob("*.json"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (folder / name).write_text(text, encoding="utf-8")
    return sorted(expected)
