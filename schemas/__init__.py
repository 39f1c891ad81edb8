"""The contracts between the services and with other systems.

- `events`: one pydantic model per topic (the body of a Kafka record).
- `cloudevents`: the CloudEvents 1.0 attributes carried as Kafka headers.
- `topics`: the topic catalogue: name, event model, key, producer and consumers.
"""
