"""The registration area's events. Its one subscription, classification.changed, is shared with the
classification area (one subscriber per topic in a service's group): classification/handlers.py
hands the event to ProfessionalRegistrations.classification_changed after the account's own step."""

from faststream.kafka import KafkaRouter

from mumaris.kafka import publishes
from schemas import topics
from services.intake import SERVICE

router = KafkaRouter()

for produced in (topics.REGISTRATION_ISSUED, topics.REGISTRATION_SUSPENDED):
    publishes(router, produced, service=SERVICE)
