"""The commission's calendar: Riyadh time, whatever zone a server runs in.

"Today", a bill's year, a working day and a deadline shown to a practitioner or a reviewer are all
Riyadh's (Saudi Arabia keeps one zone, UTC+3, without daylight saving): one constant for all of them.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

RIYADH = ZoneInfo("Asia/Riyadh")


def now() -> datetime:
    """This instant, in UTC (what is stored and sent; shown in Riyadh time)."""
    return datetime.now(UTC)


def today_in_riyadh(at: datetime | None = None) -> date:
    """The calendar day in Riyadh at `at` (now when not given; a naive `at` is read as UTC)."""
    moment = datetime.now(RIYADH) if at is None else at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(RIYADH).date()


class RegistryClock:
    """The time the registry's long clock reads (registrations, CPD cycles, renewals, reminders):
    injected into those use cases rather than read from `now()`, so a test moves it on by years.

    It runs `shift` ahead of the real clock: nothing by default; `shifted_by` for a unit test;
    `from_file` for processes under test, which all read the seconds written in one file (the
    test writes it; `clock_shift_file` in the settings), so every service and replica agrees."""

    def __init__(self, shift: timedelta = timedelta(0), shift_file: str | None = None) -> None:
        self.shift = shift
        self.shift_file = Path(shift_file) if shift_file else None

    @classmethod
    def from_file(cls, shift_file: str | None) -> "RegistryClock":
        return cls(shift_file=shift_file)

    def now(self) -> datetime:
        return now() + self.shift + self._file_shift()

    def today(self) -> date:
        """The calendar day in Riyadh on this clock."""
        return today_in_riyadh(self.now())

    def advance(self, by: timedelta) -> None:
        self.shift += by

    def _file_shift(self) -> timedelta:
        if self.shift_file is None:
            return timedelta(0)
        try:
            return timedelta(seconds=float(self.shift_file.read_text(encoding="utf-8").strip() or 0))
        except FileNotFoundError:
            return timedelta(0)


def write_shift(shift_file: str | Path, by: timedelta) -> None:
    """Set the registry clock of every process reading `shift_file` to run `by` ahead (tests)."""
    target = Path(shift_file)
    partial = target.with_suffix(".partial")
    partial.write_text(str(by.total_seconds()), encoding="utf-8")
    partial.replace(target)  # readers see the old shift or the new one, never half a number
