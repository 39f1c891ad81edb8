"""Each service's app, built without servers, consumes and publishes exactly the topics the
catalogue (schemas/topics.py) says it does: the catalogue is checked both ways."""

import importlib

import pytest
from faststream.specification import AsyncAPI

from mumaris.settings import Settings
from schemas.topics import CATALOGUE

SERVICES = ("intake", "validator", "review", "notifier")


def channels(service: str) -> tuple[set[str], set[str]]:
    create_app = importlib.import_module(f"services.{service}.app").create_app
    app = create_app(Settings())
    spec = AsyncAPI(app.state.runtime.broker, title=service, schema_version="3.0.0").to_specification().to_jsonable()
    names = [name.split(":", 1)[1] for name in spec["channels"]]
    consumed = {name for name in names if not name.endswith(":publish")}
    published = {name.removesuffix(":publish") for name in names if name.endswith(":publish")}
    return consumed, published


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_consumes_and_publishes_what_the_catalogue_says(service: str) -> None:
    consumed, published = channels(service)
    assert consumed == {t.name for t in CATALOGUE if service in t.consumers}
    assert published == {t.name for t in CATALOGUE if service in t.producers}
