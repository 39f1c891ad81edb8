"""The clock behind registration reminders and lapses: APScheduler 3 (`AsyncIOScheduler`, on the
service's event loop), started and stopped with the review service, as the fee deadlines' is
(fees/scheduler.py).

Nothing lives only in the scheduler: the registrations in MongoDB are the record, and every
sweep reads what is due from them. So a sweep runs at start-up (what came due while no replica was
running goes out then, late and once), and every `registration_sweep_s` after, on every replica;
each reminder and lapse ends in a conditional update, so exactly one replica sends it.
"""

import asyncio
import logging
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from services.review.registrations.reminders import RegistrationSweeps

log = logging.getLogger("mumaris.review.registrations")

SWEEP_JOB = "registration-sweep"


class RegistrationDeadlines:
    def __init__(self, sweeps: RegistrationSweeps) -> None:
        self.sweeps = sweeps
        self.sweep_s = sweeps.settings.registration_sweep_s
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            # A sweep that fell behind runs once, not once per missed interval, and never twice at a time.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    async def start(self) -> None:
        self.scheduler.start()
        await self.sweep()  # what came due while no replica was running
        self.scheduler.add_job(self.sweep, IntervalTrigger(seconds=self.sweep_s), id=SWEEP_JOB, replace_existing=True)
        log.info("registration sweeps every %ss", self.sweep_s)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn: let it

    async def sweep(self) -> None:
        try:
            outcome = await self.sweeps.sweep()
        except Exception:
            log.exception("registration sweep failed; the next one picks up what it left")
            return
        if outcome.reminded or outcome.lapsed:
            log.info(
                "registration sweep: %d reminder(s) sent, %d registration(s) lapsed", outcome.reminded, outcome.lapsed
            )
