"""Every topic's event has an example that its own model accepts, shown in the published schemas."""

import json

from schemas.examples import EXAMPLES
from schemas.export import SCHEMA_DIR
from schemas.topics import CATALOGUE


def test_every_topic_has_an_example_its_model_accepts() -> None:
    for topic in CATALOGUE:
        example = EXAMPLES[topic.model]
        parsed = topic.model.model_validate(example)
        assert str(getattr(parsed, topic.key)), topic.name


def test_the_published_schema_of_each_topic_carries_its_example() -> None:
    for topic in CATALOGUE:
        schema = json.loads((SCHEMA_DIR / f"{topic.name}.json").read_text(encoding="utf-8"))
        assert schema["examples"] and schema["examples"][0] == json.loads(json.dumps(EXAMPLES[topic.model]))
