"""The clock behind the fee deadlines: APScheduler 3 (`AsyncIOScheduler`, on the service's event
loop), started and stopped with the review service.

Nothing lives only in the scheduler. The invoices in MongoDB are the record, and the jobs are
rebuilt from them on every start (an in-memory job store is enough):
- on start-up, every unpaid invoice already past its deadline is expired at once (the service
  may have been down when it fell due), and exact-time jobs (DateTrigger) are planned for the
  other invoices' deadlines and reminders still ahead;
- a replica that issues an invoice plans its jobs at once;
- every `fee_sweep_s` an interval job expires what is due and sends the reminders that are due,
  whichever replica issued the invoice: it covers invoices issued by another replica since this
  one started, and any job that failed (the database away for a moment).
Every job ends in a conditional update (FeeDesk, service.py), so when several replicas fire for
the same deadline exactly one expires the invoice and publishes, and the others find nothing to do.
"""

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mumaris.clock import now
from services.review.fees.service import FeeDesk

log = logging.getLogger("mumaris.review.deadlines")
# APScheduler logs every run of every job at INFO: with a sweep every 30 s that is noise. Failures
# still come through (WARNING and up); what a job achieved, this module and the fee desk log.
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)

SWEEP_JOB = "fee-sweep"


def expiry_job(invoice_id: str) -> str:
    return f"fee-expiry:{invoice_id}"


def reminder_job(invoice_id: str, hours_before: int) -> str:
    return f"fee-reminder:{invoice_id}:{hours_before}"


class FeeDeadlines:
    def __init__(self, fees: FeeDesk) -> None:
        self.fees = fees
        self.sweep_s = fees.settings.fee_sweep_s
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            # A deadline job late by any amount still runs (misfire_grace_time None); a sweep that
            # fell behind runs once, not once per missed interval, and never twice at a time.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    async def start(self) -> None:
        self.scheduler.start()
        await self.sweep()  # deadlines that passed while no replica was running
        waiting = await self.fees.store.unpaid()
        for invoice in waiting:
            self.plan(invoice)
        self.scheduler.add_job(self.sweep, IntervalTrigger(seconds=self.sweep_s), id=SWEEP_JOB, replace_existing=True)
        log.info("fee deadlines: %d unpaid invoice(s) planned, sweeping every %ss", len(waiting), self.sweep_s)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn: let it

    def plan(self, invoice: dict[str, Any]) -> None:
        """Exact-time jobs for an unpaid invoice: its expiry and the reminders still ahead."""
        at = now()
        invoice_id = invoice["_id"]
        self._at(invoice["due_at"], expiry_job(invoice_id), self.fees.expire, invoice_id)
        for hours, moment in self.fees.reminder_moments_of(invoice).items():
            if moment > at and hours not in invoice.get("reminders_sent", []):
                self._at(moment, reminder_job(invoice_id, hours), self.fees.remind, invoice_id)

    def forget(self, invoice_id: str) -> None:
        """A paid invoice needs no more jobs here (if they ran, they would find nothing to do)."""
        reminders = (reminder_job(invoice_id, h) for h in self.fees.settings.fee_reminder_hours)
        for job_id in (expiry_job(invoice_id), *reminders):
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(job_id)

    async def sweep(self) -> None:
        expired = await self.fees.expire_due()
        reminded = await self.fees.send_due_reminders()
        if expired or reminded:
            log.info("fee sweep: %d invoice(s) expired, %d reminder(s) sent", expired, reminded)

    def _at(self, moment: datetime, job_id: str, func: Any, invoice_id: str) -> None:
        self.scheduler.add_job(func, DateTrigger(run_date=moment), args=[invoice_id], id=job_id, replace_existing=True)
