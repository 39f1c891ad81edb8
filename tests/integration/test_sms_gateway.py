"""The SMS channel against a real HTTP server standing in for the gateway: what it receives, and
how refusals, overloads, hangs and outages are classified for the retry policy."""

import socket
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from mumaris.settings import Settings
from mumaris.tools.standins import SmsGatewayStandIn
from services.notifier.delivery.channels import PermanentDeliveryError, TransientDeliveryError
from services.notifier.delivery.channels.sms import send_sms
from services.notifier.delivery.rules import delivery_key
from services.notifier.messages.rules import sms_for_phone_code

API_KEY = "test-sms-key-5f1c"
PHONE = "+966512345678"


@pytest.fixture(scope="module")
async def standing_gateway() -> AsyncIterator[SmsGatewayStandIn]:
    async with SmsGatewayStandIn(api_key=API_KEY) as gateway:
        yield gateway


@pytest.fixture
def gateway(standing_gateway: SmsGatewayStandIn) -> SmsGatewayStandIn:
    standing_gateway.reset()
    return standing_gateway


@pytest.fixture
def settings(gateway: SmsGatewayStandIn) -> Settings:
    return Settings(sms_gateway_url=gateway.url, sms_sender="MUMARIS", sms_api_key=API_KEY, sms_timeout_s=2.0)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_gateway_receives_body_credentials_and_idempotency_key(
    gateway: SmsGatewayStandIn, settings: Settings
) -> None:
    text = sms_for_phone_code("482913", "ar", 5)
    key = delivery_key("evt-1", "sms", PHONE)

    message_id = await send_sms(PHONE, text, settings, idempotency_key=key)

    assert gateway.messages == [{"to": PHONE, "from": "MUMARIS", "text": text, "reference": key}]
    (request,) = gateway.requests
    assert request.method == "POST" and request.path == "/messages"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["idempotency-key"] == key
    assert request.headers["content-type"] == "application/json"
    assert message_id.startswith("msg-")
    assert "482913" in gateway.messages[0]["text"]  # Arabic and the code arrive intact


async def test_retry_with_the_same_key_gets_the_same_message_id(gateway: SmsGatewayStandIn, settings: Settings) -> None:
    key = delivery_key("evt-2", "sms", PHONE)

    first = await send_sms(PHONE, "code 1", settings, idempotency_key=key)
    second = await send_sms(PHONE, "code 1", settings, idempotency_key=key)

    assert first == second
    assert len(gateway.messages) == 2 and len(gateway.delivered) == 1


async def test_overloaded_gateway_is_a_transient_failure(gateway: SmsGatewayStandIn, settings: Settings) -> None:
    gateway.fail_next(1, status=503, retry_after=1)

    with pytest.raises(TransientDeliveryError) as caught:
        await send_sms(PHONE, "secret 123456", settings, idempotency_key="k-503")

    assert caught.value.code == 503 and caught.value.channel == "sms"
    assert "123456" not in str(caught.value) and PHONE not in str(caught.value)
    assert gateway.messages == []
    # The next attempt goes through.
    await send_sms(PHONE, "secret 123456", settings, idempotency_key="k-503")
    assert len(gateway.messages) == 1


async def test_rate_limited_gateway_is_a_transient_failure(gateway: SmsGatewayStandIn, settings: Settings) -> None:
    gateway.fail_next(1, status=429)

    with pytest.raises(TransientDeliveryError) as caught:
        await send_sms(PHONE, "hello", settings, idempotency_key="k-429")
    assert caught.value.code == 429


async def test_refused_request_is_a_permanent_failure(gateway: SmsGatewayStandIn, settings: Settings) -> None:
    gateway.fail_next(1, status=400, body={"error": "invalid_number", "message": "bad number secret 123456"})

    with pytest.raises(PermanentDeliveryError) as caught:
        await send_sms(PHONE, "secret 123456", settings, idempotency_key="k-400")

    assert caught.value.code == 400
    assert "invalid_number" in str(caught.value)
    assert "123456" not in str(caught.value)  # free text from the gateway is not repeated


async def test_wrong_credentials_are_a_permanent_failure(gateway: SmsGatewayStandIn, settings: Settings) -> None:
    wrong = settings.model_copy(update={"sms_api_key": SecretStr("not-the-key")})

    with pytest.raises(PermanentDeliveryError) as caught:
        await send_sms(PHONE, "hello", wrong, idempotency_key="k-401")
    assert caught.value.code == 401
    assert gateway.messages == []


async def test_closed_port_is_a_transient_failure() -> None:
    settings = Settings(sms_gateway_url=f"http://127.0.0.1:{free_port()}/messages", sms_timeout_s=2.0)

    with pytest.raises(TransientDeliveryError):
        await send_sms(PHONE, "hello", settings, idempotency_key="k-closed")


async def test_gateway_that_does_not_answer_in_time_is_a_transient_failure(
    gateway: SmsGatewayStandIn, settings: Settings
) -> None:
    gateway.stall_next(1, seconds=5)
    hasty = settings.model_copy(update={"sms_timeout_s": 0.3})

    with pytest.raises(TransientDeliveryError):
        await send_sms(PHONE, "hello", hasty, idempotency_key="k-slow")


async def test_unusable_gateway_url_is_a_permanent_failure() -> None:
    settings = Settings(sms_gateway_url="ftp://127.0.0.1/messages")

    with pytest.raises(PermanentDeliveryError):
        await send_sms(PHONE, "hello", settings, idempotency_key="k-ftp")


def test_stand_in_works_without_an_event_loop() -> None:
    with SmsGatewayStandIn() as gateway:
        assert gateway.url.startswith("http://127.0.0.1:") and gateway.url.endswith("/messages")
    with pytest.raises(RuntimeError):
        _ = gateway.url
