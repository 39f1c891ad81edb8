"""The registrations' clock in review: reminders before expiry and the lapse after the grace
period, in plain Python (the sweeps in reminders.py do the I/O around them).

- Reminders fall at fixed distances before expiry (`registration_reminder_days`: 90/60/30/7), each
  sent once per registration, cycle and milestone: a milestone is named "<cycle>:<days>".
- After an outage several may have come due together: only the most urgent one still ahead of the
  expiry is sent ("7 days left", not also "30 days left"), and it settles the others. One missed
  alone is sent late, once. Once the registration has expired none is sent (the grace period and
  the lapse have their own event).
- Past expiry plus the grace period, a registration not renewed lapses (once: a conditional update).
"""

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta


def milestone(cycle: int, days_before: int) -> str:
    return f"{cycle}:{days_before}"


@dataclass(frozen=True)
class DueReminder:
    days_before: int  # the milestone
    days_left: int  # the days actually left when it goes out (fewer when sent late)
    settles: tuple[str, ...]  # this milestone and every earlier one that came due with it


def reminder_due(
    cycle: int, expires_on: date, today: date, reminder_days: Iterable[int], sent: Collection[str]
) -> DueReminder | None:
    """The reminder to send today for a registration of `cycle` ending on `expires_on`, if any
    (none from the expiry day on: the grace period and the lapse have their own event)."""
    last_day = expires_on - timedelta(days=1)
    days = [d for d in reminder_days if d > 0]
    return milestone_due(expires_on, today, last_day, days, sent, lambda d: milestone(cycle, d))


def milestone_due(
    expires_on: date,
    today: date,
    last_day: date,
    reminder_days: Iterable[int],
    sent: Collection[str],
    name: Callable[[int], str],
) -> DueReminder | None:
    """The milestone to send today before `expires_on`, if any, up to `last_day` (the last day a
    reminder still makes sense): the most urgent that has come, unless it was sent (it settled the
    rest). `name` names a milestone as `sent` records it. Registrations' and certificates' alike."""
    if today > last_day:
        return None
    come = sorted(d for d in set(reminder_days) if d >= 0 and expires_on - timedelta(days=d) <= today)
    if not come or name(come[0]) in sent:
        return None  # nothing has come, or the most urgent that has come was sent (it settled the rest)
    return DueReminder(come[0], (expires_on - today).days, tuple(name(d) for d in come))


def lapsing_before(today: date, grace_days: int) -> date:
    """Registrations ending before this day have had their whole grace period: they lapse today
    (one that ended `grace_days` ago lapses today, as intake's status shows it)."""
    return today - timedelta(days=grace_days - 1)


def reminder_window(today: date, reminder_days: Iterable[int]) -> tuple[date, date]:
    """[start, end) of the expiry dates a reminder sweep looks at today: still ahead, within the
    farthest milestone."""
    farthest = max((d for d in reminder_days if d > 0), default=0)
    return today + timedelta(days=1), today + timedelta(days=farthest + 1)
