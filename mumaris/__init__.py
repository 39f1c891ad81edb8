"""Code the four services share: settings, Kafka and MongoDB wiring, errors, auth, the local stack."""
