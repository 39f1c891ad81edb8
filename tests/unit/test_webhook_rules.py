"""Webhook rules: which targets a webhook may reach (SSRF), the Standard Webhooks signature, and
the retry schedule."""

import base64
import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.webhooks.rules import (
    RetryPolicy,
    WebhookRefused,
    address_refusal,
    new_secret,
    outcome_class,
    parse_target,
    pinned_url,
    signature,
    signed_headers,
    signing_secrets,
)


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hospital.example.sa/hook", "webhook.url_not_https"),
        ("ftp://hospital.example.sa/hook", "webhook.url_invalid"),
        ("https://user:pw@hospital.example.sa/hook", "webhook.url_invalid"),
        ("https:///nohost", "webhook.url_invalid"),
        ("https://hospital.example.sa:99999/", "webhook.url_invalid"),
    ],
)
def test_a_webhook_url_is_https_with_a_host_and_no_credentials(url: str, code: str) -> None:
    with pytest.raises(WebhookRefused) as refused:
        parse_target(url, allow_loopback_http=False)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_every_address_not_public_is_refused_in_production(address: str) -> None:
    target = parse_target("https://hooks.hospital.example.sa/x", allow_loopback_http=False)
    refusal = address_refusal(["8.8.8.8", address], target, allow_loopback_http=False)
    assert refusal is not None and refusal.code == "webhook.address_not_allowed"


def test_a_public_address_passes_and_loopback_http_only_with_the_test_setting() -> None:
    target = parse_target("https://hooks.hospital.example.sa/x", allow_loopback_http=False)
    assert address_refusal(["8.8.8.8", "2001:4860:4860::8888"], target, allow_loopback_http=False) is None
    assert address_refusal([], target, allow_loopback_http=False).code == "webhook.host_unresolvable"  # type: ignore[union-attr]
    local = parse_target("http://127.0.0.1:8123/hook", allow_loopback_http=True)
    assert address_refusal(["127.0.0.1"], local, allow_loopback_http=True) is None
    refusal = address_refusal(["127.0.0.1"], local, allow_loopback_http=False)
    assert refusal is not None and refusal.code == "webhook.address_not_allowed"
    # The test setting opens loopback only: http to a public address stays refused.
    for url in ("http://hooks.hospital.example.sa/x", "http://localhost:8123/x", "http://8.8.8.8/x"):
        with pytest.raises(WebhookRefused) as refused:
            parse_target(url, allow_loopback_http=True)
        assert refused.value.code == "webhook.url_not_https"


def test_the_signature_is_standard_webhooks_v1() -> None:
    # The Standard Webhooks specification's own example (github.com/standard-webhooks, spec/standard-webhooks.md).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    fresh = new_secret()
    headers = signed_headers([fresh], "e-1", 1700000000, b"{}")
    key = base64.b64decode(fresh.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, b"e-1.1700000000.{}", hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert (headers["webhook-id"], headers["webhook-timestamp"]) == ("e-1", "1700000000")


def test_during_a_rotation_both_secrets_sign_the_new_one_first_then_only_the_new_one() -> None:
    old, new = new_secret(), new_secret()
    at = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    until = at + timedelta(hours=24)
    assert signing_secrets(new, old, until, at) == [new, old]
    assert signing_secrets(new, old, until, until) == [new]
    assert signing_secrets(new, None, None, at) == [new]
    header = signed_headers(signing_secrets(new, old, until, at), "e-2", 1700000000, b"{}")["webhook-signature"]
    assert header.split(" ") == [signature(new, "e-2", 1700000000, b"{}"), signature(old, "e-2", 1700000000, b"{}")]


@pytest.mark.parametrize(
    ("outcome", "label"),
    [
        ("delivered", "delivered"),
        ("http_500", "http_5xx"),
        ("http_404", "http_4xx"),
        ("timeout", "timeout"),
        ("ConnectError", "network_error"),
        ("webhook.address_not_allowed", "refused"),
        ("subscription_removed", "subscription_removed"),
    ],
)
def test_a_tries_outcome_becomes_one_of_a_few_metric_labels(outcome: str, label: str) -> None:
    assert outcome_class(outcome) == label


def test_retries_back_off_exponentially_with_jitter_then_give_up() -> None:
    policy = RetryPolicy(base_s=30, max_s=3600, retry_for_s=24 * 3600, max_attempts=40)
    rng = random.Random(7)
    delays = [policy.delay(attempt, rng) for attempt in range(1, 12)]
    for attempt, delay in enumerate(delays, 1):
        ceiling = min(3600, 30 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 3) for d in delays}) == len(delays)  # jitter: no two alike
    first = datetime(2026, 12, 1, tzinfo=UTC)
    assert policy.next_try(1, first, first) is not None
    assert policy.next_try(40, first, first) is None  # the last try
    assert policy.next_try(5, first, first + timedelta(hours=23, minutes=59, seconds=59)) is None  # past the window


def test_a_try_connects_to_the_address_that_was_checked() -> None:
    target = parse_target("https://hooks.hospital.example.sa/mumaris?x=1", allow_loopback_http=False)
    assert pinned_url(target, "8.8.8.8") == "https://8.8.8.8:443/mumaris?x=1"
    assert pinned_url(target, "2001:4860:4860::8888") == "https://[2001:4860:4860::8888]:443/mumaris?x=1"
    local = parse_target("http://127.0.0.1:8123", allow_loopback_http=True)
    assert pinned_url(local, "127.0.0.1") == "http://127.0.0.1:8123/"
