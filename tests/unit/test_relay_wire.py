"""What the outbox relay puts on the wire: each event's body as the JSON it always sent, and its key
on the partition the Java client (and aiokafka) would choose."""

import json
import random
from datetime import UTC, datetime

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2

from mumaris.kafka import key_partitioner, murmur2
from mumaris.relay import _body_bytes
from schemas.events import PractitionerRef, StoredFile, SubmissionKind, SubmissionReceived


@pytest.mark.parametrize(
    ("text", "java"),
    [  # org.apache.kafka.common.utils.UtilsTest#testMurmur2 (Java's signed ints)
        ("21", -973932308),
        ("foobar", -790332482),
        ("a-little-bit-long-string", -985981536),
        ("a-little-bit-longer-string", -1486304829),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        ("abc", 479470107),
    ],
)
def test_murmur2_is_the_java_clients(text: str, java: int) -> None:
    assert murmur2(text.encode()) == java % 2**32


def test_murmur2_and_the_partition_are_aiokafkas_for_any_key() -> None:
    rng = random.Random(14)
    partitions = list(range(12))
    for _ in range(20_000):
        key = rng.randbytes(rng.randrange(0, 80))
        assert murmur2(key) == aiokafka_murmur2(key)
        for count in (1, 3, 12):
            assert key_partitioner(key, partitions[:count], partitions[:count]) == DefaultPartitioner()(
                key, partitions[:count], partitions[:count]
            )


def test_a_record_without_a_key_goes_to_an_available_partition() -> None:
    assert {key_partitioner(None, [0, 1, 2], [2]) for _ in range(50)} == {2}
    assert {key_partitioner(None, [0, 1, 2], []) for _ in range(200)} == {0, 1, 2}


def test_an_event_body_is_the_compact_utf8_json_the_relay_always_sent() -> None:
    event = SubmissionReceived(
        submission_id="8d9f0c1a-d9eb-4ce8-b641-d898e7c53a86",
        kind=SubmissionKind.CERTIFICATE,
        practitioner=PractitionerRef(id="p-1", name='د. سارة "Sara" \\ Al-Qahtani', email="s@x.sa", locale="ar"),
        certificate={
            "name": "Basic Life Support\u2028(BLS)\t✓",
            "obtained_on": "2025-03-14",
            "institution": "Saudi Heart Association",
            "specialty": "Nursing",
            "degree": "Training certificate",
        },
        file=StoredFile(
            file_id="0" * 24, filename="scan.jpg", size=120_000, sha256="ab" * 32, content_type="image/jpeg"
        ),
        received_at=datetime(2026, 11, 25, 18, 21, 21, 514000, tzinfo=UTC),
    )
    odd = {"floats": [0.1, 1e16, -0.0, 0.875], "big": 10**20, "none": None, "control": "\x00\x1f\x7f", "": [{}]}
    for body in (event.model_dump(mode="json"), odd):
        assert _body_bytes(body) == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    # A small float's exponent loses its padding zero (1.5e-7, not 1.5e-07): the same number.
    tiny = {"score": 1.5e-7, "other": 1e-5}
    assert json.loads(_body_bytes(tiny)) == tiny
