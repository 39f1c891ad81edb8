"""The validator's worker processes: what they find is what `examine` finds in this process, and a
document that kills its worker never stops the validator (the pool is replaced, the bystanders get
their findings, the document itself ends as a clear refusal). Real processes, no servers."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from mumaris.settings import Settings
from schemas import topics
from schemas.events import SubmissionReceived
from services.validator.inspection.checks import CheckLimits
from services.validator.inspection.service import Examination, Inspection, Reading, examine
from services.validator.inspection.workers import ProcessWorkers, WorkerDied
from tests.certificate_scans import certificate_scan
from tests.documents import jpeg_bytes, text_pdf_bytes, truncated_jpeg_bytes
from tests.fakes import FakeUnitOfWork
from tests.unit.test_validator_service import FakeFiles, FakeValidatorStore, ce, outcomes, received

LIMITS = CheckLimits(max_bytes=10 * 1024 * 1024)
TODAY = date(2026, 11, 1)
# Appended after the JPEG's end: the checks never see it, the test-only work functions below do.
DEADLY = b"<this file kills the process that reads it>"


def dies_on_deadly_files(
    data: bytes, event: SubmissionReceived, today: date, limits: CheckLimits, reading: Reading
) -> Examination:
    if DEADLY in data:
        os._exit(70)  # as a native decoder's crash or the kernel's OOM killer would end it
    return examine(data, event, today, limits, reading)


def dies_reading_deadly_pages(
    data: bytes, event: SubmissionReceived, today: date, limits: CheckLimits, reading: Reading
) -> Examination:
    if DEADLY in data and reading.ocr_enabled:
        os._exit(70)  # Tesseract crashing on the page
    return examine(data, event, today, limits, reading)


def pid_after(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


@pytest.fixture
async def workers() -> AsyncIterator[ProcessWorkers]:
    pool = ProcessWorkers(2)
    await pool.start()
    yield pool
    await pool.stop()


def inspection_with(workers: ProcessWorkers, settings: Settings, work: object) -> Inspection:
    return Inspection(
        FakeUnitOfWork(),  # type: ignore[arg-type]
        FakeValidatorStore(),  # type: ignore[arg-type]
        FakeFiles(),  # type: ignore[arg-type]
        CheckLimits.from_settings(settings),
        settings,
        workers,
        work,  # type: ignore[arg-type]
    )


async def test_a_worker_finds_what_examine_finds_in_this_process(workers: ProcessWorkers) -> None:
    certificate = certificate_scan(3)
    event = received(inspection_with(workers, Settings(), examine), "s-1", certificate.data)
    declared = event.model_copy(
        update={
            "practitioner": event.practitioner.model_copy(update={"name": certificate.name}),
            "certificate": event.certificate.model_copy(
                update={"institution": certificate.issuer, "obtained_on": certificate.obtained_on}
            ),
        }
    )
    cases = [
        (jpeg_bytes(seed=1), Reading(ocr_enabled=False)),
        (truncated_jpeg_bytes(), Reading(ocr_enabled=False)),
        (text_pdf_bytes(1), Reading()),
        (certificate.data, Reading()),  # OCR of a certificate set in real type
    ]

    in_workers = await asyncio.gather(
        *(workers.run(examine, data, declared, TODAY, LIMITS, reading) for data, reading in cases)
    )

    assert in_workers == [examine(data, declared, TODAY, LIMITS, reading) for data, reading in cases]
    assert {f.rule: f.outcome for f in in_workers[3].findings}["content.name"] == "pass"


async def test_documents_are_checked_in_several_worker_processes_at_once(workers: ProcessWorkers) -> None:
    pids = await asyncio.gather(*(workers.run(pid_after, 0.5) for _ in range(4)))
    assert len(set(pids)) == 2 and os.getpid() not in pids


async def test_a_dead_worker_is_replaced_and_the_next_document_is_checked(workers: ProcessWorkers) -> None:
    event = received(inspection_with(workers, Settings(), examine), "s-1", None)
    with pytest.raises(WorkerDied):
        await workers.run(dies_on_deadly_files, jpeg_bytes() + DEADLY, event, TODAY, LIMITS, Reading())

    examination = await workers.run(dies_on_deadly_files, jpeg_bytes(), event, TODAY, LIMITS, Reading(False))

    assert workers.replacements == 1
    assert examination == examine(jpeg_bytes(), event, TODAY, LIMITS, Reading(False))


async def test_a_file_that_kills_its_worker_is_refused_as_corrupt_and_the_others_are_checked(
    workers: ProcessWorkers,
) -> None:
    inspection = inspection_with(workers, Settings(ocr_enabled=False), dies_on_deadly_files)
    deadly = received(inspection, "s-deadly", jpeg_bytes(seed=5) + DEADLY)
    # Other practitioners' (the same certificate twice would be refused as a duplicate).
    bystanders = [
        received(inspection, f"s-{seed}", jpeg_bytes(seed=seed), practitioner=f"p-{seed}") for seed in (6, 7, 8)
    ]

    await asyncio.gather(*(inspection.check(event, ce(topics.SUBMISSION_RECEIVED)) for event in [deadly, *bystanders]))

    assert sorted(outcomes(inspection)) == [
        ("submission.rejected", "s-deadly"),
        ("submission.validated", "s-6"),
        ("submission.validated", "s-7"),
        ("submission.validated", "s-8"),
    ]
    [refusal] = inspection.uow.outbox.of(topics.SUBMISSION_REJECTED)  # type: ignore[attr-defined]
    [failure] = [f for f in refusal.findings if f.outcome == "fail"]
    assert (failure.rule, failure.code) == ("file.parse", "file.corrupt")
    assert failure.evidence == "the document checker's process ended while reading this file"
    assert workers.replacements >= 1
    # Both of the pool's processes work on.
    assert len(set(await asyncio.gather(*(workers.run(pid_after, 0.3) for _ in range(2))))) == 2


async def test_a_page_that_kills_the_ocr_reaches_the_reviewer_with_a_warning(workers: ProcessWorkers) -> None:
    inspection = inspection_with(workers, Settings(ocr_enabled=True), dies_reading_deadly_pages)
    event = received(inspection, "s-1", jpeg_bytes(seed=4) + DEADLY)

    await inspection.check(event, ce(topics.SUBMISSION_RECEIVED))

    assert outcomes(inspection) == [("submission.validated", "s-1")]
    [validated] = inspection.uow.outbox.of(topics.SUBMISSION_VALIDATED)  # type: ignore[attr-defined]
    ocr = {f.rule: f for f in validated.findings}["content.ocr"]
    assert (ocr.outcome, ocr.code) == ("warn", "content.unreadable")
    assert ocr.evidence == "OCR stopped: the process reading this page ended"


# A validator with two workers that prints their process ids, then waits to be killed.
VALIDATOR_WITH_WORKERS = """
import asyncio
from services.validator.inspection.workers import ProcessWorkers
from tests.unit.test_validator_workers import pid_after

async def main():
    workers = ProcessWorkers(2)
    await workers.start()
    print(*await asyncio.gather(workers.run(pid_after, 0.5), workers.run(pid_after, 0.5)), flush=True)
    await asyncio.sleep(120)

asyncio.run(main())
"""


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_validator_killed_with_sigkill_leaves_no_worker_behind() -> None:
    validator = subprocess.Popen(
        [sys.executable, "-c", VALIDATOR_WITH_WORKERS], stdout=subprocess.PIPE, cwd=Path(__file__).parents[2]
    )
    assert validator.stdout is not None
    worker_pids = [int(pid) for pid in validator.stdout.readline().split()]
    assert len(set(worker_pids)) == 2 and all(running(pid) for pid in worker_pids)

    validator.send_signal(signal.SIGKILL)
    validator.wait()

    deadline = time.monotonic() + 10  # a safety net, not a measurement
    while any(running(pid) for pid in worker_pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(running(pid) for pid in worker_pids), "the killed validator's workers are still running"
