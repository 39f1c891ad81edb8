"""The certificates area's topics in review: it consumes none (it learns of approved certificates
from the decision it records, service.py) and publishes the expiry reminders its sweep sends."""

from faststream.kafka import KafkaRouter

from mumaris.kafka import publishes
from schemas import topics
from services.review import SERVICE

router = KafkaRouter()

publishes(router, topics.CERTIFICATE_EXPIRING, service=SERVICE)
