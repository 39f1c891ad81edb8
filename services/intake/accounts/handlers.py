"""The accounts area's part of intake's AsyncAPI document: what it publishes (through the outbox,
in the transaction of the account change that causes it). It consumes no topic of its own: review's
queueing and decisions of a personal-data change arrive on the subscribers of
submissions/handlers.py (one subscriber per topic), which hand them to the Profiles use case."""

from faststream.kafka import KafkaRouter

from mumaris.kafka import publishes
from schemas import topics
from services.intake import SERVICE

router = KafkaRouter()

publishes(router, topics.ACCOUNT_REGISTERED, service=SERVICE)
publishes(router, topics.ACCOUNT_PHONE_CODE, service=SERVICE)
publishes(router, topics.ACCOUNT_EMAIL_CONFIRMATION, service=SERVICE)
publishes(router, topics.ACCOUNT_PASSWORD_RESET, service=SERVICE)
publishes(router, topics.PROFILE_CHANGE_REQUESTED, service=SERVICE)
