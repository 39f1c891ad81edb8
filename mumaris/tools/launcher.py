"""Runs services as separate processes (`mumaris run <name>`), for the demo, the end-to-end tests
and the benchmark: each one a real FastStream application with its own consumer group."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mumaris.settings import PROJECT_ROOT

SERVICES = ("intake", "validator", "review", "notifier")


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class ServiceGroup:
    """Starts the named services with `env` on top of this process's environment."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, name: str, port: int, replica: int = 0) -> ServiceProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        key = name if replica == 0 else f"{name}-{replica}"
        log_path = self.log_dir / f"{key}.log"
        env = {**os.environ, **self.env, f"MUMARIS_{name.upper()}_PORT": str(port), "PYTHONUNBUFFERED": "1"}
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "mumaris.tools.cli", "run", name],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = ServiceProcess(name, port, process, log_path)
        self.processes[key] = started
        return started

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for service in self.processes.values():
            while True:
                if service.process.poll() is not None:
                    raise RuntimeError(f"{service.name} exited during start-up:\n{service.log_tail()}")
                try:
                    if httpx.get(service.url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{service.name} not healthy after {timeout}s:\n{service.log_tail()}")
                time.sleep(0.2)

    def stop(self, key: str, kill: bool = False) -> None:
        service = self.processes.pop(key, None)
        if service is None or service.process.poll() is not None:
            return
        service.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            service.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait(timeout=5)

    def stop_all(self) -> None:
        for key in list(self.processes):
            self.stop(key)
