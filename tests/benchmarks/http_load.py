"""Closed-loop (and paced) HTTP load on loopback, for the benchmarks that set a service's pages or routes beside
a bare FastAPI route in the same run (portal_pages, register_lookup).

Each client asks, waits for the answer, and asks again at once until the window closes; the
response times are taken at the client. A service's own time per request is read from its request
log lines (`<METHOD> <path> <status> in <ms> ms`). The bare route is one line of HTML with no
middleware and no database, served by uvicorn the way `mumaris run` serves the services, in a
process of its own.

    python -m tests.benchmarks.http_load --serve-bare PORT    # the bare route alone
"""

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mumaris.settings import PROJECT_ROOT
from mumaris.tools.stack import free_port

BARE_PATH = "/bare"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


@dataclass(frozen=True)
class Load:
    """Response times (ms) at the client over a window, and what they add up to."""

    samples: list[float]
    seconds: float
    errors: int

    def percentile(self, p: float) -> float:
        return percentile(self.samples, p)

    @property
    def rate(self) -> float:
        return len(self.samples) / self.seconds

    def line(self, name: str) -> str:
        return (
            f"{name:<7} {len(self.samples):>6} requests  {self.rate:7.0f}/s  p50 {self.percentile(50):6.1f} ms  "
            f"p95 {self.percentile(95):6.1f} ms  p99 {self.percentile(99):6.1f} ms  errors {self.errors}"
        )


def combined(loads: list[Load]) -> Load:
    samples = [took for load in loads for took in load.samples]
    return Load(samples, sum(load.seconds for load in loads), sum(load.errors for load in loads))


def answered(answer: httpx.Response) -> bool:
    return answer.status_code == 200


@dataclass
class Tally:
    """What a window's answers add up to: the accepted ones' times (ms), the others counted."""

    accept: Callable[[httpx.Response], bool]
    samples: list[float] = field(default_factory=list)
    errors: int = 0

    async def ask(self, client: httpx.AsyncClient, path: str) -> None:
        started = time.perf_counter()
        try:
            answer = await client.get(path)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            # The server closed a connection idle since the other side's turn just as it was reused
            # (as a browser does, ask again on a new one).
            started = time.perf_counter()
            answer = await client.get(path)
        if self.accept(answer):
            self.samples.append((time.perf_counter() - started) * 1000)
        else:
            self.errors += 1

    def load(self, began: float) -> Load:
        return Load(self.samples, time.perf_counter() - began, self.errors)


async def hammer(
    clients: list[httpx.AsyncClient],
    path_for: Callable[[int], str],
    seconds: float,
    accept: Callable[[httpx.Response], bool] = answered,
) -> Load:
    """Every client asks for `path_for(turn)` (its turns numbered from its own place in the list),
    one after another without pause, until the window closes; an answer `accept` refuses counts
    as an error."""
    tally = Tally(accept)
    began = time.perf_counter()
    deadline = began + seconds

    async def client_loop(client: httpx.AsyncClient, turn: int) -> None:
        while time.perf_counter() < deadline:
            await tally.ask(client, path_for(turn))
            turn += 1

    await asyncio.gather(*(client_loop(client, i) for i, client in enumerate(clients)))
    return tally.load(began)


async def paced(
    clients: list[httpx.AsyncClient],
    path_for: Callable[[int], str],
    rate: float,
    seconds: float,
    accept: Callable[[httpx.Response], bool] = answered,
) -> Load:
    """Open-loop load: together the clients ask `rate` times a second, each on a schedule of its
    own (staggered, so they do not all ask at the same instant), whatever the answers take; a
    client whose answer comes late asks again at once, until it is back on its schedule."""
    tally = Tally(accept)
    interval = len(clients) / rate
    began = time.perf_counter()
    deadline = began + seconds

    async def client_loop(client: httpx.AsyncClient, turn: int) -> None:
        due = began + interval * turn / len(clients)
        while due < deadline:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await tally.ask(client, path_for(turn))
            turn += 1
            due += interval

    await asyncio.gather(*(client_loop(client, i) for i, client in enumerate(clients)))
    return tally.load(began)


def line_count(log: Path) -> int:
    return len(log.read_text(errors="replace").splitlines())


def server_times(log: Path, since_line: int, request: re.Pattern[str]) -> list[float]:
    """The service's own time (ms) for each request line after `since_line` that `request` matches
    whole; the pattern's group `ms` is the time."""
    times = []
    for line in log.read_text(errors="replace").splitlines()[since_line:]:
        try:
            message = json.loads(line).get("message", "")
        except ValueError:
            continue
        if match := request.fullmatch(message):
            times.append(float(match.group("ms")))
    return times


def serve_bare(port: int) -> None:
    """One FastAPI route, served by uvicorn as `mumaris run` serves the services (uvloop, httptools,
    no access log)."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    @app.get(BARE_PATH)
    async def bare() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>bare</title><p>bare</p>")

    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False, loop="uvloop", http="httptools")


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks.http_load", "--serve-bare", str(port)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(url + BARE_PATH, timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the bare FastAPI route did not start")
        time.sleep(0.2)


def stop_bare(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", required=True)
    serve_bare(parser.parse_args().serve_bare)
