"""Certificate expiry reminders in review, in plain Python (the sweep in reminders.py does the I/O).

- A certificate that expires (a life-support course: BLS, ACLS) is no longer valid from its
  `expires_on` day (mumaris/certificates.py has_expired). Its practitioner is reminded at fixed
  distances before it (`certificate_reminder_days`: 30/7/0; 0 is the expiry day itself), each
  once per certificate: a milestone is named by its days ("30").
- As the registrations' reminders (registrations/rules.py milestone_due): after an outage only the
  most urgent milestone that has come goes out, late, and it settles the others; one missed alone
  is sent late, once. After the expiry day none is sent: the profile marks the certificate expired.
"""

from collections.abc import Collection, Iterable
from datetime import date, timedelta

from services.review.registrations.rules import DueReminder, milestone_due


def milestone(days_before: int) -> str:
    return str(days_before)


def reminder_due(
    expires_on: date, today: date, reminder_days: Iterable[int], sent: Collection[str]
) -> DueReminder | None:
    """The reminder to send today for a certificate expiring on `expires_on`, if any."""
    return milestone_due(expires_on, today, expires_on, reminder_days, sent, milestone)


def reminder_window(today: date, reminder_days: Iterable[int]) -> tuple[date, date]:
    """[start, end) of the expiry dates a sweep looks at today: from today (the 0-day reminder)
    to the farthest milestone."""
    farthest = max((d for d in reminder_days if d >= 0), default=-1)
    return today, today + timedelta(days=farthest + 1)
