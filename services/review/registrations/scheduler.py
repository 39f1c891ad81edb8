"""The clock behind registration reminders and lapses: APScheduler 3 (`AsyncIOScheduler`, on the
service's event loop), started and stopped with the review service, as the fee deadlines' is
(fees/scheduler.py).

Nothing lives only in the scheduler: the registrations in MongoDB are the record, and every
sweep reads what is due from them. So a sweep runs at start-up (what came due while no replica was
running goes out then, late and once), and every `registration_sweep_s` after, on every replica;
each reminder and lapse ends in a conditional update, so exactly one replica sends it.
`Sweeper` is that clock for any such sweep (certificates/scheduler.py runs the certificates' on it).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from services.review.registrations.reminders import RegistrationSweeps

log = logging.getLogger("mumaris.review.registrations")

SWEEP_JOB = "registration-sweep"


class Sweeper:
    """One sweep, at start-up and every `every_s`: `sweep` returns what it did worth a log line
    (None: nothing). A failed sweep is logged; the next one picks up what it left."""

    def __init__(self, job: str, every_s: float, sweep: Callable[[], Awaitable[str | None]]) -> None:
        self.job = job
        self.sweep_s = every_s
        self._sweep = sweep
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            # A sweep that fell behind runs once, not once per missed interval, and never twice at a time.
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    async def start(self) -> None:
        self.scheduler.start()
        await self.sweep()  # what came due while no replica was running
        self.scheduler.add_job(self.sweep, IntervalTrigger(seconds=self.sweep_s), id=self.job, replace_existing=True)
        log.info("%s every %ss", self.job, self.sweep_s)

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn: let it

    async def sweep(self) -> None:
        try:
            done = await self._sweep()
        except Exception:
            log.exception("%s failed; the next one picks up what it left", self.job)
            return
        if done:
            log.info("%s: %s", self.job, done)


class RegistrationDeadlines(Sweeper):
    def __init__(self, sweeps: RegistrationSweeps) -> None:
        super().__init__(SWEEP_JOB, sweeps.settings.registration_sweep_s, self.sweep_once)
        self.sweeps = sweeps

    async def sweep_once(self) -> str | None:
        outcome = await self.sweeps.sweep()
        if not (outcome.reminded or outcome.lapsed):
            return None
        return f"{outcome.reminded} reminder(s) sent, {outcome.lapsed} registration(s) lapsed"
