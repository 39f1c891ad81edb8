"""A facility roster file's rules: its header, each line on its own, the lines of a stream."""

from collections.abc import AsyncIterator

import pytest

from services.intake.facilities import rules
from services.intake.facilities.rules import (
    FacilityRefused,
    Header,
    Row,
    RowChecks,
    RowRefusal,
    check_number,
    header_of,
    parse_csv_line,
)
from services.intake.facilities.service import lines_of
from services.intake.registration.rules import registration_number

GOOD = registration_number(42)
HEADER = Header(number=0, employee=1)


def test_the_header_names_the_number_column_in_any_place_and_case() -> None:
    assert header_of("\ufeffEmployee_Number, Registration_Number") == Header(number=1, employee=0)
    assert header_of("registration_number") == Header(number=0, employee=None)
    with pytest.raises(FacilityRefused) as refused:
        header_of(f"{GOOD},E-1")  # a file without a header: its first row is not taken for one
    assert refused.value.code == "roster.header_missing"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{GOOD},E-17".encode(), Row(7, GOOD, "E-17")),
        (f"  {GOOD.lower()} ,".encode(), Row(7, GOOD, None)),
        (f'"{GOOD}","E, 17"'.encode(), Row(7, GOOD, "E, 17")),
        (b"", None),
        (b"  ", None),
        (b"\xff\xfe" + GOOD.encode(), RowRefusal(7, "roster.row_unreadable")),
        (f'"{GOOD},E-1'.encode(), RowRefusal(7, "roster.row_unreadable")),
        (b",E-1", RowRefusal(7, "roster.number_missing")),
        (b"RG-1234,E-1", RowRefusal(7, "roster.number_invalid", "RG-1234")),
        (GOOD[:-1].encode() + str((int(GOOD[-1]) + 1) % 10).encode(), RowRefusal(7, "roster.number_invalid")),
        (f"{GOOD},{'9' * 41}".encode(), RowRefusal(7, "roster.employee_number_invalid", GOOD)),
    ],
)
def test_each_line_is_a_row_or_a_refusal_with_its_line_and_code(raw: bytes, expected: object) -> None:
    found = parse_csv_line(7, raw, HEADER)
    if isinstance(expected, RowRefusal) and expected.code == "roster.number_invalid" and expected.value is None:
        assert isinstance(found, RowRefusal) and (found.line, found.code) == (7, "roster.number_invalid")
    else:
        assert found == expected


def test_a_number_on_an_earlier_line_is_a_duplicate() -> None:
    checks = RowChecks()
    assert checks.first_time(Row(2, GOOD, None)) is None
    assert checks.first_time(Row(9, GOOD, "E-2")) == RowRefusal(9, "roster.duplicate_row", GOOD)


def test_a_number_alone_is_checked_as_a_line_is() -> None:
    assert check_number(f" {GOOD.lower()} ") == GOOD
    for bad, code in (("", "roster.number_missing"), ("RG-0000004", "roster.number_invalid")):
        with pytest.raises(FacilityRefused) as refused:
            check_number(bad)
        assert refused.value.code == code


async def test_lines_are_numbered_across_chunks_and_line_breaks() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for piece in (b"registration_number\r\nRG-0", b"0000018\r", b"\n\nRG-00000026", b"\nlast"):
            yield piece

    assert [line async for line in lines_of(chunks())] == [
        (1, b"registration_number"),
        (2, b"RG-00000018"),
        (3, b""),
        (4, b"RG-00000026"),
        (5, b"last"),
    ]


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        ("active", []),
        ("renewed", []),
        ("renewal_open", ["expiring"]),
        ("grace", ["expiring"]),
        ("lapsed", ["lapsed"]),
        ("suspended", ["suspended"]),
        ("unknown", ["unknown"]),
    ],
)
def test_a_roster_entry_is_flagged_for_what_a_facility_must_act_on(status: str, flags: list[str]) -> None:
    assert rules.flags_of(status) == flags


def test_the_roster_filters_show_the_entries_with_their_flag_and_attention_shows_any_flag() -> None:
    assert rules.shown_by("all", []) and rules.shown_by("all", ["lapsed"])
    assert rules.shown_by("attention", ["expiring"]) and not rules.shown_by("attention", [])
    assert rules.shown_by("suspended", ["suspended"]) and not rules.shown_by("suspended", ["lapsed"])
    assert rules.shown_by("no-such-filter", [])  # anything else: everyone
