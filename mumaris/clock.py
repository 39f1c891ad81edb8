"""The commission's calendar: Riyadh time, whatever zone a server runs in.

"Today", a bill's year, a working day and a deadline shown to a practitioner or a reviewer are all
Riyadh's (Saudi Arabia keeps one zone, UTC+3, without daylight saving): one constant for all of them.
"""

from datetime import UTC, date, datetime
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
