"""The commission's calendar day is Riyadh's, whatever zone the server runs in."""

from datetime import UTC, datetime, timedelta, timezone

from mumaris.clock import today_in_riyadh


def test_riyadh_is_already_tomorrow_three_hours_before_midnight_utc() -> None:
    assert str(today_in_riyadh(datetime(2026, 1, 1, 20, 59, tzinfo=UTC))) == "2026-01-01"
    assert str(today_in_riyadh(datetime(2026, 1, 1, 21, 0, tzinfo=UTC))) == "2026-01-02"


def test_a_naive_moment_is_read_as_utc_and_other_zones_are_converted() -> None:
    assert str(today_in_riyadh(datetime(2026, 1, 1, 21, 30))) == "2026-01-02"
    los_angeles_evening = datetime(2026, 1, 1, 18, 0, tzinfo=timezone(timedelta(hours=-8)))  # 02:00 UTC on the 2nd
    assert str(today_in_riyadh(los_angeles_evening)) == "2026-01-02"
