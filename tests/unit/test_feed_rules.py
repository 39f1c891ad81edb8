"""gov.certificates rules (services/intake/feed/rules.py) and the decoding of one feed record."""

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from mumaris.batches import describe
from mumaris.certificates import CertificateRefused, check_obtained_on
from mumaris.errors import MESSAGES
from schemas.cloudevents import CloudEventAttributes, InvalidCloudEvent
from schemas.events import CertificateFeedRecord, FeedDocument, StoredFile
from services.intake.feed.handlers import decode_record
from services.intake.feed.rules import (
    Accepted,
    AlreadyReceived,
    FeedItem,
    GridFsDocument,
    Refusal,
    RefusalCode,
    Refused,
    UrlDocument,
    UrlPolicy,
    addressee,
    decide_in_order,
    document_source,
    practitioner_of,
    record_key,
    triage,
)

POLICY = UrlPolicy.of(["certs.ksu.edu.sa", "127.0.0.1"])
ID_NUMBER = "1000000008"


def body(record_id: str = "KSU-1", **overrides: Any) -> dict[str, Any]:
    return {
        "record_id": record_id,
        "issuer": "King Saud University",
        "national_id": ID_NUMBER,
        "certificate": {
            "name": "Bachelor of Nursing",
            "obtained_on": "2024-06-30",
            "institution": "King Saud University",
            "specialty": "Nursing",
            "degree": "Bachelor",
        },
        "document": {"file_id": "65f0c0ffee0000000000abcd"},
        "issued_at": "2024-07-01T09:00:00+03:00",
        **overrides,
    }


def item(record_id: str = "KSU-1", event_id: str | None = None, source: str = "/universities/ksu") -> FeedItem:
    attrs = CloudEventAttributes.new(source=source, type="mumaris.gov.certificates.v1", subject=record_id)
    if event_id:
        attrs = attrs.model_copy(update={"id": event_id})
    return FeedItem(attrs, CertificateFeedRecord.model_validate(body(record_id)))


def refusal_of(document: dict[str, Any], policy: UrlPolicy = POLICY) -> RefusalCode | None:
    source = document_source(FeedDocument.model_validate(document), policy)
    return source.code if isinstance(source, Refusal) else None


def test_a_record_names_its_document_by_exactly_one_of_file_id_and_url() -> None:
    assert document_source(FeedDocument(file_id="abc"), POLICY) == GridFsDocument("abc")
    assert document_source(FeedDocument(url="https://certs.ksu.edu.sa/c/1.pdf"), POLICY) == UrlDocument(
        "https://certs.ksu.edu.sa/c/1.pdf"
    )
    assert refusal_of({"file_id": "abc", "url": "https://certs.ksu.edu.sa/c/1.pdf"}) is RefusalCode.DOCUMENT_AMBIGUOUS
    assert refusal_of({}) is RefusalCode.DOCUMENT_AMBIGUOUS
    assert refusal_of({"file_id": " ", "url": ""}) is RefusalCode.DOCUMENT_AMBIGUOUS


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/c/1.pdf",  # not on the allow-list
        "https://certs.ksu.edu.sa.evil.example/c/1.pdf",  # a suffix is not the host
        "https://evil.example/certs.ksu.edu.sa/1.pdf",
        "http://certs.ksu.edu.sa/c/1.pdf",  # allow-listed host, but not https
        "ftp://certs.ksu.edu.sa/c/1.pdf",
        "https://user:secret@certs.ksu.edu.sa/c/1.pdf",  # credentials in the URL
        "http://127.0.0.1:8080/c/1.pdf",  # loopback over http only when a test allows it
        "certs.ksu.edu.sa/c/1.pdf",
        "https://certs.ksu.edu.sa:99999/c/1.pdf",
    ],
)
def test_document_urls_are_https_to_allow_listed_hosts_only(url: str) -> None:
    assert refusal_of({"url": url}) is RefusalCode.URL_NOT_ALLOWED


def test_the_allow_list_matches_hostnames_exactly_and_ignores_case() -> None:
    assert refusal_of({"url": "https://CERTS.ksu.edu.sa./c/1.pdf"}) is None
    assert refusal_of({"url": "https://certs.ksu.edu.sa:8443/c/1.pdf"}) is None
    assert refusal_of({"url": "https://anything.example/x.pdf"}, UrlPolicy.of([])) is RefusalCode.URL_NOT_ALLOWED


def test_plain_http_is_accepted_only_to_loopback_and_only_when_a_test_allows_it() -> None:
    testing = UrlPolicy.of(["127.0.0.1", "certs.ksu.edu.sa"], allow_loopback_http=True)
    assert refusal_of({"url": "http://127.0.0.1:8080/c/1.pdf"}, testing) is None
    assert refusal_of({"url": "http://certs.ksu.edu.sa/c/1.pdf"}, testing) is RefusalCode.URL_NOT_ALLOWED


def test_the_practitioner_is_an_active_account_and_carries_no_id_number() -> None:
    account = {
        "_id": "acct-1",
        "id_number": ID_NUMBER,
        "first_name": "Reem",
        "last_name": "Al-Zahrani",
        "email": "reem@example.sa",
        "locale": "en",
        "status": "active",
    }
    ref = practitioner_of(account)
    assert not isinstance(ref, Refusal)
    assert (ref.id, ref.name, ref.email, ref.locale) == ("acct-1", "Reem Al-Zahrani", "reem@example.sa", "en")
    assert ID_NUMBER not in ref.model_dump_json()
    assert practitioner_of({**account, "status": "pending_phone"}) == Refusal(RefusalCode.PRACTITIONER_NOT_ACTIVE)


def test_triage_skips_handled_events_and_received_records() -> None:
    done, received, fresh, again = item("A", "e-1"), item("B", "e-2"), item("C", "e-3"), item("C", "e-3")
    sorted_out = triage([done, received, fresh, again], handled_event_ids={"e-1"}, received_keys={received.key})
    assert sorted_out.repeats == [done, again]
    assert sorted_out.already_received == [received]
    assert sorted_out.fresh == [fresh]


def test_the_same_record_id_from_two_publishers_is_two_records() -> None:
    assert item("R-1", source="/universities/ksu").key != item("R-1", source="/universities/kau").key


def test_within_a_batch_the_first_acceptable_record_of_a_key_wins() -> None:
    who = practitioner_of(
        {"_id": "a", "first_name": "R", "last_name": "Z", "email": "r@example.sa", "status": "active"}
    )
    assert not isinstance(who, Refusal)
    scan = StoredFile(file_id="f", filename="c.pdf", size=10, sha256="0" * 64, content_type="application/pdf")
    bad = Refusal(RefusalCode.DOCUMENT_INVALID)
    first, corrected, repeated, other = item("K", "e-1"), item("K", "e-2"), item("K", "e-3"), item("L", "e-4")
    decisions = decide_in_order([(first, who, bad), (corrected, who, scan), (repeated, who, scan), (other, bad, None)])
    assert decisions == [
        Refused(first, bad),
        Accepted(corrected, who, scan),
        AlreadyReceived(repeated),
        Refused(other, bad),
    ]


def test_every_refusal_code_has_arabic_and_english_messages() -> None:
    for code in RefusalCode:
        ar, en = MESSAGES[code.value]
        assert ar and en


def consumer_record(value: bytes, headers: dict[str, str]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="gov.certificates",
        partition=0,
        offset=7,
        timestamp=0,
        timestamp_type=0,
        key=b"KSU-1",
        value=value,
        checksum=None,
        serialized_key_size=5,
        serialized_value_size=len(value),
        headers=[(k, v.encode()) for k, v in headers.items()],
    )


def binary_headers(event_type: str = "mumaris.gov.certificates.v1") -> dict[str, str]:
    return CloudEventAttributes.new(source="/universities/ksu", type=event_type, subject="KSU-1").to_headers()


def test_a_record_is_read_in_binary_and_in_structured_mode() -> None:
    binary = decode_record(consumer_record(json.dumps(body()).encode(), binary_headers()))
    envelope = {
        "specversion": "1.0",
        "id": "ksu-1",
        "source": "/universities/ksu",
        "type": "mumaris.gov.certificates.v1",
        "time": datetime.now(UTC).isoformat(),
        "datacontenttype": "application/json",
        "data": body(),
    }
    structured = decode_record(
        consumer_record(json.dumps(envelope).encode(), {"content-type": "application/cloudevents+json"})
    )
    assert binary.record == structured.record
    assert (structured.ce.id, structured.ce.source) == ("ksu-1", "/universities/ksu")


def test_a_record_of_another_type_or_shape_is_refused_before_any_rule() -> None:
    with pytest.raises(InvalidCloudEvent):
        decode_record(consumer_record(json.dumps(body()).encode(), binary_headers("mumaris.gov.exams.v1")))
    with pytest.raises(InvalidCloudEvent):
        decode_record(consumer_record(json.dumps(body()).encode(), {"content-type": "application/json"}))
    with pytest.raises(ValidationError):
        decode_record(consumer_record(b"{not json", binary_headers()))


def test_a_refused_record_is_described_without_its_id_number() -> None:
    with pytest.raises(ValidationError) as caught:
        decode_record(consumer_record(json.dumps(body(national_id="12345678901")).encode(), binary_headers()))
    text = describe(caught.value)
    assert "national_id" in text and "12345678901" not in text


# --- the certificate a record declares ----------------------------------------------------------

ACTIVE_ACCOUNT = {
    "_id": "acct-1",
    "status": "active",
    "first_name": "Reem",
    "last_name": "Al-Zahrani",
    "email": "reem@example.sa",
    "locale": "en",
}
TODAY = date(2026, 11, 25)


def dated(obtained_on: str) -> CertificateFeedRecord:
    record = body()
    certificate = {**record["certificate"], "obtained_on": obtained_on}
    return CertificateFeedRecord.model_validate({**record, "certificate": certificate})


def test_a_record_dated_in_the_future_or_before_1950_is_refused_with_the_codes_an_upload_gets() -> None:
    future = addressee(dated("2099-01-01"), ACTIVE_ACCOUNT, TODAY)
    assert isinstance(future, Refusal) and future.code is RefusalCode.DATE_IN_FUTURE
    assert "2099-01-01" in future.detail and ID_NUMBER not in future.detail
    ancient = addressee(dated("1949-12-31"), ACTIVE_ACCOUNT, TODAY)
    assert isinstance(ancient, Refusal) and ancient.code is RefusalCode.DATE_IMPLAUSIBLE
    accepted = addressee(dated(TODAY.isoformat()), ACTIVE_ACCOUNT, TODAY)
    assert accepted == practitioner_of(ACTIVE_ACCOUNT)


def test_who_the_record_is_for_is_judged_before_its_date() -> None:
    assert addressee(dated("2099-01-01"), None, TODAY) == Refusal(RefusalCode.UNKNOWN_PRACTITIONER)
    pending = addressee(dated("2099-01-01"), {**ACTIVE_ACCOUNT, "status": "pending_email"}, TODAY)
    assert pending == Refusal(RefusalCode.PRACTITIONER_NOT_ACTIVE)


@pytest.mark.parametrize("obtained_on", [date(2099, 1, 1), date(1900, 1, 1)])
def test_every_date_refusal_of_the_certificate_rules_is_a_feed_refusal_code(obtained_on: date) -> None:
    with pytest.raises(CertificateRefused) as refused:
        check_obtained_on(obtained_on, TODAY)
    assert RefusalCode(refused.value.code).value in MESSAGES


@pytest.mark.parametrize(
    ("publisher", "record_id"),
    [
        ("/universities/ksu", "KSU-2024-000123"),
        ("/جامعة/الملك-سعود", "سجل-١٢٣"),  # stored as is (ensure_ascii=False), not as \\u escapes
        ('/a "quoted" \\ publisher', "tab\there, new\nline and \x00 \x1f \x7f \u2028"),
        ("", ""),
        ("/emoji/🎓", "😀-1"),
    ],
)
def test_a_record_key_is_the_json_text_every_stored_key_was_made_as(publisher: str, record_id: str) -> None:
    assert record_key(publisher, record_id) == json.dumps([publisher, record_id], ensure_ascii=False)
    assert record_key("/universities/ksu", 'KSU-"1"') == '["/universities/ksu", "KSU-\\"1\\""]'
