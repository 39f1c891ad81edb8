"""Where the validator's CPU-bound work runs (decoding, clarity measures, OCR): worker processes,
so one replica uses every core it is given and its event loop stays free for Kafka and MongoDB.

No I/O happens in a worker: it receives the file's bytes and what the practitioner declared, and
returns findings. A worker that dies (killed, out of memory, a crash in a native decoder) breaks
its pool; the pool is replaced at once and every caller whose task was in it hears `WorkerDied`.
What to conclude is the use case's decision (service.py): `run_alone` lets it try one document in
a process of its own, to tell the file that kills its worker from the bystanders it took along.
"""

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

# Modules the fork server imports once, so a new worker (at start-up or replacing a dead one) is a
# fork that is ready in milliseconds instead of a fresh interpreter importing numpy, Pillow, pdfium.
_PRELOADED = ["services.validator.inspection.service"]


class WorkerDied(RuntimeError):
    """A worker process ended while it ran (or was about to run) the task."""


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity, which container limits and taskset set)."""
    return len(os.sched_getaffinity(0))


class Workers(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a worker; raises `WorkerDied` if the worker died meanwhile."""
        ...

    async def run_alone(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` in a process that runs nothing else; raises `WorkerDied` if it died."""
        ...


class ThreadWorkers:
    """The work in this process, in threads (`MUMARIS_VALIDATOR_WORKERS=0`, and the use-case
    tests): nothing to start, and a crash takes the process with it."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)

    async def run_alone(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(work, *args)


class ProcessWorkers:
    """A pool of `count` worker processes, replaced whenever one of them dies.

    `prepare` runs once in every worker as it starts (loading the OCR models, say); it must not
    raise for the pool to work, so whatever it raises is logged and left to the tasks to meet.
    """

    def __init__(self, count: int, prepare: Callable[[], object] | None = None) -> None:
        if count < 1:
            raise ValueError("a process pool needs at least one worker")
        self.count = count
        self.prepare = prepare
        self.replacements = 0
        self._pool: ProcessPoolExecutor | None = None
        self._replacing = asyncio.Lock()
        self._alone = asyncio.Lock()  # one document at a time on its own: at most one extra process

    async def start(self) -> None:
        self._pool = self._new_pool(self.count)
        # Every worker started (and prepared) now rather than on the first documents.
        await asyncio.gather(*(asyncio.wrap_future(self._pool.submit(os.getpid)) for _ in range(self.count)))
        log.info("document checks in %d worker processes", self.count)

    async def stop(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        pool = self._pool
        if pool is None:
            raise RuntimeError("the worker pool is not started")
        try:
            return await asyncio.wrap_future(pool.submit(work, *args))
        except BrokenProcessPool as error:
            await self._replace(pool)
            raise WorkerDied("a document-check worker process ended while it worked") from error

    async def run_alone(self, work: Callable[..., T], *args: Any) -> T:
        async with self._alone:
            pool = self._new_pool(1)
            try:
                return await asyncio.wrap_future(pool.submit(work, *args))
            except BrokenProcessPool as error:
                raise WorkerDied("the worker process checking this document alone ended") from error
            finally:
                pool.shutdown(wait=False, cancel_futures=True)

    async def _replace(self, broken: ProcessPoolExecutor) -> None:
        async with self._replacing:
            if self._pool is not broken:  # another caller of the same pool replaced it already
                return
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool(self.count)
            self.replacements += 1
            log.warning("a document-check worker process died; its pool of %d was replaced", self.count)

    def _new_pool(self, count: int) -> ProcessPoolExecutor:
        # Not fork: this process runs threads (the event loop's executor, the database driver's
        # monitors), and a fork copies their locks in whatever state they are in.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOADED)
        return ProcessPoolExecutor(count, mp_context=context, initializer=_start_worker, initargs=(self.prepare,))


def _start_worker(prepare: Callable[[], object] | None) -> None:
    # Ctrl-C in a terminal reaches the whole process group: the validator stops its pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A worker waits for tasks on a queue it also holds the writing end of, so a validator killed
    # with SIGKILL would leave its workers (and through them the fork server) waiting for ever.
    validator = multiprocessing.parent_process()
    if validator is not None:
        threading.Thread(target=_end_with, args=(validator.sentinel,), name="end-with-validator", daemon=True).start()
    if prepare is None:
        return
    try:
        prepare()
    except Exception:
        log.exception("a document-check worker could not prepare; its tasks will say why")


def _end_with(validator_sentinel: int) -> None:
    multiprocessing.connection.wait([validator_sentinel])  # ready when the validator is gone
    os._exit(0)
