"""`mumaris stack up|status|down` and `mumaris topics list`, run as a developer would run them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schemas.topics import CATALOGUE

pytestmark = pytest.mark.integration


def mumaris(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mumaris.tools.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stack_up_status_down_round_trip(tmp_path: Path) -> None:
    env = {"MUMARIS_STACK_DIR": str(tmp_path / "stack"), "MUMARIS_STACK_ENV": str(tmp_path / "stack.env")}
    try:
        up = mumaris("stack", "up", env=env)
        assert up.returncode == 0, up.stderr
        written = dict(line.split("=", 1) for line in (tmp_path / "stack.env").read_text().splitlines())
        assert written["MUMARIS_KAFKA_BOOTSTRAP"].startswith("127.0.0.1:")
        assert "retryWrites=false" in written["MUMARIS_MONGO_URI"]

        status = mumaris("stack", "status", env=env)
        report = json.loads(status.stdout)
        assert report["kafka"]["alive"] and report["mongo"]["alive"]
        pids = [report["kafka"]["pid"], report["mongo"]["pid"]]

        again = mumaris("stack", "up", env=env)
        assert "already running" in again.stdout
    finally:
        down = mumaris("stack", "down", env=env)
    assert down.returncode == 0 and "stopped" in down.stdout
    assert not (tmp_path / "stack.env").exists()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split(")")[-1][:3]


def test_topics_list_prints_the_catalogue() -> None:
    listed = mumaris("topics", "list", env={}).stdout
    for topic in CATALOGUE:
        assert topic.name in listed and topic.ce_type in listed and topic.dlq in listed
