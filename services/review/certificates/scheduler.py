"""The clock behind certificate expiry reminders: the registrations' Sweeper (APScheduler 3 on
the service's event loop, registrations/scheduler.py), its own job every `certificate_sweep_s`
and once at start-up, on every replica. The certificates in MongoDB are the record; each reminder
ends in a conditional update, so exactly one replica sends it."""

from services.review.certificates.reminders import CertificateSweeps
from services.review.registrations.scheduler import Sweeper

SWEEP_JOB = "certificate-expiry-sweep"


class CertificateDeadlines(Sweeper):
    def __init__(self, sweeps: CertificateSweeps) -> None:
        super().__init__(SWEEP_JOB, sweeps.settings.certificate_sweep_s, self.sweep_once)
        self.sweeps = sweeps

    async def sweep_once(self) -> str | None:
        reminded = await self.sweeps.sweep()
        return f"{reminded} certificate expiry reminder(s) sent" if reminded else None
