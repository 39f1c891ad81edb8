"""Code the four services run on: settings, Kafka and MongoDB wiring, the outbox relay, errors,
auth, logs, files. Tooling for developers and operations is in `mumaris.tools`."""
