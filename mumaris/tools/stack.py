"""The embedded local stack: a real Kafka broker (one KRaft node on the machine's JDK) and a
MongoDB-wire server (SecantusDB), both on free loopback ports, without Docker.

Layout of a stack directory:

    stack.json            ports and pids, so another process can `attach` (CLI `down`/`status`)
    stack.env             MUMARIS_KAFKA_BOOTSTRAP / MUMARIS_MONGO_URI, read by `mumaris.settings`
    kafka/server.properties, kafka/data/, kafka/kafka.log
    mongo/data/, mongo/mongo.log

The API is synchronous on purpose: the CLI is sync and the pytest fixtures call it from the main
thread. Readiness checks use aiokafka/pymongo internally.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import ctypes
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pymongo
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from mumaris.settings import PROJECT_ROOT

LOCALSTACK_DIR = PROJECT_ROOT / "localstack"
KAFKA_POM = LOCALSTACK_DIR / "pom.xml"
KAFKA_LIBS = LOCALSTACK_DIR / "kafka-libs"
KAFKA_LOG4J_CONFIG = LOCALSTACK_DIR / "log4j2.yaml"

LOOPBACK = "127.0.0.1"
STACK_JSON = "stack.json"
STACK_ENV = "stack.env"
STOP_GRACE_S = 10.0
LOG_TAIL_LINES = 40
TOPIC_ALREADY_EXISTS = 36  # Kafka protocol error code

_PR_SET_PDEATHSIG = 1

T = TypeVar("T")


class StackError(RuntimeError):
    """The local stack could not be prepared, started or reached."""


@dataclass
class StackInfo:
    kafka_bootstrap: str
    mongo_uri: str
    base_dir: Path
    kafka_pid: int | None
    mongo_pid: int | None

    def env(self) -> dict[str, str]:
        return {"MUMARIS_KAFKA_BOOTSTRAP": self.kafka_bootstrap, "MUMARIS_MONGO_URI": self.mongo_uri}


@dataclass
class _Ports:
    kafka: int
    controller: int
    mongo: int


# ---------------------------------------------------------------------------------------------
# Small helpers


def free_port() -> int:
    """A loopback port that was free a moment ago (the kernel picks it for a port-0 bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _distinct_free_ports(count: int) -> list[int]:
    # Hold every socket until all are bound, or the kernel may hand out the same port twice.
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((LOOPBACK, 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option Kafka sets: a port in TIME_WAIT after our own stop counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def _ports_from(record: dict[str, Any]) -> _Ports:
    return _Ports(
        kafka=int(record["kafka_port"]), controller=int(record["controller_port"]), mongo=int(record["mongo_port"])
    )


def _mongo_uri(port: int) -> str:
    # SecantusDB is a single node: retryable writes only add round trips, and directConnection
    # stops the driver from waiting for a replica-set topology that never comes.
    return f"mongodb://{LOOPBACK}:{port}/?retryWrites=false&directConnection=true"


def _new_cluster_id() -> str:
    # Base64url can start with "-", which the storage tool's argument parser reads as an option
    # (about one start in 64 failed that way); Kafka's own Uuid.randomUuid() avoids it too.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(log is empty)"


def _run_blocking(make_coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when the caller is inside an event
    loop (an async pytest fixture): asyncio.run refuses to nest, so use a helper thread then."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


# ---------------------------------------------------------------------------------------------
# Processes


def _die_with_parent() -> None:
    """preexec_fn: have the kernel SIGKILL the child when the thread that started it dies, so a
    killed pytest or CLI leaves no broker behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def _spawn(command: list[str], log_path: Path, cwd: Path, die_with_parent: bool) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: stop() signals the whole group, and Ctrl-C in the CLI's
            # terminal does not reach the servers before we decide to stop them.
            start_new_session=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )


def _process_cmdline(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(pid, 0); it has no command line any more.
    return bool(_process_cmdline(pid))


def _is_our_process(pid: int | None, marker: str) -> bool:
    """The pid is alive and its command line names our stack directory: pids from stack.json
    can be recycled by unrelated processes after a reboot or a crash."""
    if pid is None or not _is_alive(pid):
        return False
    cmdline = _process_cmdline(pid)
    return cmdline is not None and marker in cmdline


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _has_exited(pid: int, process: subprocess.Popen[bytes] | None) -> bool:
    # Our own child must be reaped through Popen, or it lingers as a zombie.
    if process is not None:
        return process.poll() is not None
    return not _is_alive(pid)


def _wait_all_exited(targets: list[tuple[int, subprocess.Popen[bytes] | None]], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not all(_has_exited(pid, process) for pid, process in targets):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _terminate(targets: list[tuple[int, subprocess.Popen[bytes] | None]], grace: float = STOP_GRACE_S) -> None:
    """SIGTERM every process group at once (shutdowns overlap), SIGKILL what is left after the
    grace period."""
    for pid, _ in targets:
        _signal_group(pid, signal.SIGTERM)
    if not _wait_all_exited(targets, grace):
        for pid, _ in targets:
            _signal_group(pid, signal.SIGKILL)
        _wait_all_exited(targets, 5.0)
    # Children in a group may outlive a leader that exited on SIGTERM.
    for pid, _ in targets:
        _signal_group(pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# Kafka jars, configuration and readiness


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _kafka_jars_present() -> bool:
    return any(KAFKA_LIBS.glob("kafka_2.13-*.jar"))


def _require_executable(name: str, hint: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StackError(f"`{name}` was not found on PATH; {hint}")
    return found


def ensure_kafka_jars() -> Path:
    """Resolve the Kafka broker jars from Maven Central into localstack/kafka-libs (once; the
    folder and ~/.m2 are caches) and return that folder."""
    _require_executable(
        "java", "the local Kafka broker needs a JDK 17 or newer (e.g. apt-get install openjdk-17-jdk-headless)."
    )
    if _kafka_jars_present():
        return KAFKA_LIBS
    mvn = _require_executable("mvn", "install Maven to fetch the Kafka jars (e.g. apt-get install maven).")
    # Parallel test runs would otherwise both write the same jars at once.
    with _exclusive_lock(LOCALSTACK_DIR / ".kafka-libs.lock"):
        if _kafka_jars_present():
            return KAFKA_LIBS
        result = subprocess.run(
            [mvn, "-q", "-B", "-f", str(KAFKA_POM), "dependency:copy-dependencies"],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise StackError(f"Maven could not fetch the Kafka jars (exit {result.returncode}):\n{output}")
        if not _kafka_jars_present():
            raise StackError(f"Maven succeeded but put no kafka_2.13-*.jar in {KAFKA_LIBS}; check {KAFKA_POM}.")
    return KAFKA_LIBS


def _kafka_properties(ports: _Ports, data_dir: Path) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOOPBACK}:{ports.controller}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{ports.kafka},CONTROLLER://{LOOPBACK}:{ports.controller}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{ports.kafka}",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(data_dir),
        # One node: every internal topic must fit on it.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        # Fewer __consumer_offsets partitions load faster, so the first consumer group joins sooner.
        "offsets.topic.num.partitions": "3",
        "group.initial.rebalance.delay.ms": "0",
        # Topics are declared by the services; a typo must fail instead of creating a new topic.
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


async def _kafka_broker_count(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2_000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return len(cluster.get("brokers", []))
    finally:
        await admin.close()


async def create_topics(bootstrap: str, topics: list[str], partitions: int, replication_factor: int = 1) -> list[str]:
    """Create the topics that do not exist yet (used by the launcher and `mumaris topics create`);
    returns the names created. Existing topics are left as they are."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15_000)
    try:
        await admin.start()
        missing = sorted(set(topics) - set(await admin.list_topics()))
        if missing:
            response = await admin.create_topics(
                [NewTopic(name, num_partitions=partitions, replication_factor=replication_factor) for name in missing]
            )
            failures = [
                f"{topic}: error {code} {message or ''}".strip()
                for topic, code, message, *_ in response.topic_errors
                if code not in (0, TOPIC_ALREADY_EXISTS)
            ]
            if failures:
                raise StackError("Kafka refused to create topics: " + "; ".join(failures))
        await _wait_for_leaders(admin, topics)
        return missing
    finally:
        await admin.close()


async def _wait_for_leaders(admin: AIOKafkaAdminClient, topics: list[str], timeout: float = 15.0) -> None:
    # CreateTopics returns before every partition has a leader; producers that start right
    # after would log NOT_LEADER retries.
    deadline = time.monotonic() + timeout
    while True:
        described = await admin.describe_topics(topics) if topics else []
        ready = all(
            topic["error_code"] == 0
            and topic["partitions"]
            and all(partition["leader"] >= 0 for partition in topic["partitions"])
            for topic in described
        )
        if ready:
            return
        if time.monotonic() > deadline:
            raise StackError(f"Kafka topics have no leaders after {timeout:.0f} s: {described}")
        await asyncio.sleep(0.1)


def _port_accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((LOOPBACK, port)) == 0


@contextlib.contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    # A broker that is still starting makes aiokafka log connection errors; while probing they
    # are expected, and would otherwise land on the CLI's stderr.
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _mongo_answers(uri: str) -> bool:
    client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
        return True
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


# The embedded database. SecantusDB's Rust server (crate secantus-mdb, daemon secantusd-rs) is the
# default: one native process, several times faster than its Python server and steady under
# concurrent claims (the Python one crashed there). It is built once from crates.io by `make
# install` (`mumaris stack build`, ~5 minutes on 2 cores) into a cache shared by every checkout; the
# crate declares rust-version 1.98 and builds with the machine's 1.95, hence --ignore-rust-version.
# MUMARIS_EMBEDDED_DB=python selects the Python server (from PyPI) on machines without cargo.
SECANTUS_MDB_VERSION = "0.5.3-beta.196"


def secantusd_rs_path() -> Path:
    """Where the Rust server lives: MUMARIS_SECANTUSD_RS, or the per-version build cache."""
    if configured := os.environ.get("MUMARIS_SECANTUSD_RS"):
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "mumaris" / f"secantus-mdb-{SECANTUS_MDB_VERSION}" / "bin" / "secantusd-rs"


def _built_version(executable: Path) -> str | None:
    try:
        answer = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    words = answer.stdout.split()
    return words[1] if len(words) >= 2 and words[0] == "secantusd-rs" else None


def build_secantusd_rs() -> Path:
    """Build the pinned Rust server once (cargo install into the cache); checked by its --version."""
    executable = secantusd_rs_path()
    if _built_version(executable) == SECANTUS_MDB_VERSION:
        return executable
    rustup_cargo = Path.home() / ".cargo" / "bin" / "cargo"  # where rustup puts it, on PATH or not
    cargo = (
        str(rustup_cargo)
        if rustup_cargo.exists()
        else _require_executable("cargo", "install Rust (rustup) or set MUMARIS_EMBEDDED_DB=python")
    )
    root = executable.parent.parent
    with _exclusive_lock(root.parent / f".secantus-mdb-{SECANTUS_MDB_VERSION}.lock"):
        if _built_version(executable) != SECANTUS_MDB_VERSION:
            result = subprocess.run(
                [cargo, "install", "secantus-mdb", "--version", SECANTUS_MDB_VERSION, "--ignore-rust-version",
                 "--root", str(root), "--force"],
                check=False,
            )  # fmt: skip
            if result.returncode != 0:
                raise StackError(
                    f"Building secantusd-rs {SECANTUS_MDB_VERSION} failed (cargo exit {result.returncode})."
                )
    built = _built_version(executable)
    if built != SECANTUS_MDB_VERSION:
        raise StackError(f"{executable} reports version {built!r}, not {SECANTUS_MDB_VERSION}.")
    return executable


def embedded_db() -> str:
    engine = os.environ.get("MUMARIS_EMBEDDED_DB", "rust")
    if engine not in ("rust", "python"):
        raise StackError(f"MUMARIS_EMBEDDED_DB must be 'rust' or 'python', not {engine!r}.")
    return engine


def _database_command(port: int, data_dir: Path) -> list[str]:
    if embedded_db() == "python":
        # The Python server ships as a console script of the secantusdb package in this environment.
        executable = Path(sys.executable).parent / "secantusd-py"
        if not executable.exists():
            raise StackError(f"{executable} not found; install the project with `pip install -e .[dev]`.")
        return [str(executable), "--host", LOOPBACK, "--port", str(port), "--storage-path", str(data_dir),
                "--cache-size", "256M"]  # fmt: skip
    executable = secantusd_rs_path()
    if _built_version(executable) != SECANTUS_MDB_VERSION:
        raise StackError(
            f"secantusd-rs {SECANTUS_MDB_VERSION} is not built at {executable}: run `make install` "
            "(or `mumaris stack build`; needs cargo), or set MUMARIS_EMBEDDED_DB=python."
        )
    # Its defaults suit a server, not a test stack: a 4 GB cache and a 128 MB log file allocated in
    # full per store. A test stack holds a few hundred MB at most.
    return [str(executable), "--host", LOOPBACK, "--port", str(port), "--storage-path", str(data_dir),
            "--cache-size", "256M", "--log-file-max", "16MB", "--log-level", "WARNING"]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The stack


# Where `mumaris stack up` keeps the developer's stack (the CLI and the demo share it).
STACK_DIR = Path(os.environ.get("MUMARIS_STACK_DIR", PROJECT_ROOT / ".mumaris" / "stack"))


def stack_is_running(stack: LocalStack) -> bool:
    status = stack.status()
    return bool(status["kafka"]["alive"] and status["mongo"]["alive"])


class LocalStack:
    """One Kafka broker and one MongoDB-wire server living under `base_dir`.

    With `die_with_parent=True` the servers are SIGKILLed by the kernel when the *thread* that
    started them exits (that is how PR_SET_PDEATHSIG works): call `start`/`start_kafka` from
    the main thread, not from `asyncio.to_thread`.
    """

    def __init__(self, base_dir: Path, *, die_with_parent: bool = False, kafka_heap: str = "512m") -> None:
        self.base_dir = Path(base_dir).resolve()
        self.die_with_parent = die_with_parent
        self.kafka_heap = kafka_heap
        self._ports: _Ports | None = None
        self._kafka: subprocess.Popen[bytes] | None = None
        self._mongo: subprocess.Popen[bytes] | None = None
        self._kafka_pid: int | None = None
        self._mongo_pid: int | None = None

    # -- paths ---------------------------------------------------------------------------------

    @property
    def kafka_dir(self) -> Path:
        return self.base_dir / "kafka"

    @property
    def kafka_data_dir(self) -> Path:
        return self.kafka_dir / "data"

    @property
    def kafka_log(self) -> Path:
        return self.kafka_dir / "kafka.log"

    @property
    def mongo_dir(self) -> Path:
        return self.base_dir / "mongo"

    @property
    def mongo_log(self) -> Path:
        return self.mongo_dir / "mongo.log"

    @property
    def _marker(self) -> str:
        # Both command lines contain the stack directory (config file / storage path).
        return str(self.base_dir)

    # -- public API ----------------------------------------------------------------------------

    @classmethod
    def attach(cls, base_dir: Path) -> LocalStack:
        """Re-open a stack started by another process, from its stack.json."""
        stack = cls(base_dir)
        record = stack._read_record()
        if record is None:
            raise StackError(f"No local stack recorded in {stack.base_dir} (missing or unreadable {STACK_JSON}).")
        stack._ports = _ports_from(record)
        stack._kafka_pid = record.get("kafka_pid")
        stack._mongo_pid = record.get("mongo_pid")
        return stack

    @property
    def info(self) -> StackInfo:
        ports = self._require_ports()
        return StackInfo(
            kafka_bootstrap=f"{LOOPBACK}:{ports.kafka}",
            mongo_uri=_mongo_uri(ports.mongo),
            base_dir=self.base_dir,
            kafka_pid=self._kafka_pid if self._kafka_alive() else None,
            mongo_pid=self._mongo_pid if self._mongo_alive() else None,
        )

    def start(self, topics: list[str], partitions: int = 3, timeout: float = 60) -> StackInfo:
        """Start both servers, wait until they answer, create the topics, record the stack."""
        if self._kafka_alive() or self._mongo_alive():
            raise StackError(f"A local stack is already running in {self.base_dir}; stop it first.")
        deadline = time.monotonic() + timeout
        ensure_kafka_jars()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._ports = self._choose_ports()
        try:
            self._launch_mongo()
            self._prepare_kafka()
            self._launch_kafka()
            self._write_record()
            self._wait_for_mongo(deadline)
            self._wait_for_kafka(deadline)
            _run_blocking(lambda: create_topics(self.info.kafka_bootstrap, topics, partitions))
        except BaseException:
            self.stop()
            raise
        self._write_record()
        return self.info

    def stop(self) -> None:
        """Stop both servers (SIGTERM, then SIGKILL after ~10 s). Safe to call repeatedly."""
        self._stop(kafka=True, mongo=True)

    def stop_kafka(self) -> None:
        """Stop only the broker; the data directory and ports stay for `start_kafka`."""
        self._stop(kafka=True, mongo=False)

    def start_kafka(self, timeout: float = 60) -> None:
        """Restart the broker on the same ports and data directory and wait until it answers."""
        if self._kafka_alive():
            return
        deadline = time.monotonic() + timeout
        self._require_ports()
        try:
            self._prepare_kafka()
            self._launch_kafka()
            self._write_record()
            self._wait_for_kafka(deadline)
        except BaseException:
            self.stop_kafka()
            raise

    def kill_kafka(self) -> None:
        """SIGKILL the broker (a crash, not a shutdown): nothing is flushed, no client is told."""
        if self._kafka_alive():
            assert self._kafka_pid is not None
            _signal_group(self._kafka_pid, signal.SIGKILL)
        self.stop_kafka()

    def stop_mongo(self) -> None:
        """Stop only the database server; its data directory and port stay for `start_mongo`."""
        self._stop(kafka=False, mongo=True)

    def start_mongo(self, timeout: float = 60) -> None:
        """Restart the database server on the same port and data directory and wait until it answers."""
        if self._mongo_alive():
            return
        deadline = time.monotonic() + timeout
        self._require_ports()
        try:
            self._launch_mongo()
            self._write_record()
            self._wait_for_mongo(deadline)
        except BaseException:
            self.stop_mongo()
            raise

    def status(self) -> dict[str, Any]:
        info = self.info if self._ports else None
        return {
            "base_dir": str(self.base_dir),
            "kafka": {
                "alive": self._kafka_alive(),
                "pid": self._kafka_pid if self._kafka_alive() else None,
                "bootstrap": info.kafka_bootstrap if info else None,
                "log": str(self.kafka_log),
            },
            "mongo": {
                "alive": self._mongo_alive(),
                "pid": self._mongo_pid if self._mongo_alive() else None,
                "uri": info.mongo_uri if info else None,
                "log": str(self.mongo_log),
            },
        }

    def _stop(self, *, kafka: bool, mongo: bool) -> None:
        targets: list[tuple[int, subprocess.Popen[bytes] | None]] = []
        if kafka and self._kafka_alive():
            assert self._kafka_pid is not None
            targets.append((self._kafka_pid, self._kafka))
        if mongo and self._mongo_alive():
            assert self._mongo_pid is not None
            targets.append((self._mongo_pid, self._mongo))
        _terminate(targets)
        # Reap children another process (`mumaris stack down`) may already have killed.
        for process in (self._kafka if kafka else None, self._mongo if mongo else None):
            if process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=1.0)
        if kafka:
            self._kafka, self._kafka_pid = None, None
        if mongo:
            self._mongo, self._mongo_pid = None, None
        self._write_record_if_known()

    # -- ports and records ---------------------------------------------------------------------

    def _require_ports(self) -> _Ports:
        if self._ports is None:
            raise StackError("The local stack has not been started (no ports assigned yet).")
        return self._ports

    def _choose_ports(self) -> _Ports:
        """Reuse the ports of a previous run in this directory when they are still free, so the
        addresses in stack.env stay valid across `down`/`up`; otherwise take new ones."""
        previous = self._recorded_ports()
        if previous and all(_port_is_free(port) for port in (previous.kafka, previous.controller, previous.mongo)):
            return previous
        kafka, controller, mongo = _distinct_free_ports(3)
        return _Ports(kafka=kafka, controller=controller, mongo=mongo)

    def _recorded_ports(self) -> _Ports | None:
        record = self._read_record()
        return _ports_from(record) if record is not None else None

    def _read_record(self) -> dict[str, Any] | None:
        try:
            record = json.loads((self.base_dir / STACK_JSON).read_text())
            _ports_from(record)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return record if isinstance(record, dict) else None

    def _write_record_if_known(self) -> None:
        if self._ports is not None and self.base_dir.exists():
            self._write_record()

    def _write_record(self) -> None:
        ports = self._require_ports()
        info = self.info
        record = {
            "base_dir": str(self.base_dir),
            "kafka_bootstrap": info.kafka_bootstrap,
            "mongo_uri": info.mongo_uri,
            "kafka_port": ports.kafka,
            "controller_port": ports.controller,
            "mongo_port": ports.mongo,
            "kafka_pid": info.kafka_pid,
            "mongo_pid": info.mongo_pid,
        }
        _write_atomically(self.base_dir / STACK_JSON, json.dumps(record, indent=2) + "\n")
        env_lines = "".join(f"{key}={value}\n" for key, value in info.env().items())
        _write_atomically(self.base_dir / STACK_ENV, env_lines)

    # -- liveness ------------------------------------------------------------------------------

    def _kafka_alive(self) -> bool:
        return _is_our_process(self._kafka_pid, self._marker)

    def _mongo_alive(self) -> bool:
        return _is_our_process(self._mongo_pid, self._marker)

    # -- MongoDB -------------------------------------------------------------------------------

    def _launch_mongo(self) -> None:
        ports = self._require_ports()
        data_dir = self.mongo_dir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        command = _database_command(ports.mongo, data_dir)
        # cwd is the stack's own folder so the server does not pick up a ./secantusd.toml.
        self._mongo = _spawn(command, self.mongo_log, self.mongo_dir, self.die_with_parent)
        self._mongo_pid = self._mongo.pid

    def _wait_for_mongo(self, deadline: float) -> None:
        uri = _mongo_uri(self._require_ports().mongo)
        while not _mongo_answers(uri):
            self._fail_if_exited(self._mongo, "MongoDB-wire server (SecantusDB)", self.mongo_log)
            self._fail_if_late(deadline, "MongoDB-wire server (SecantusDB)", self.mongo_log)
            time.sleep(0.1)

    # -- Kafka ---------------------------------------------------------------------------------

    def _prepare_kafka(self) -> None:
        """Write server.properties for the current ports; format the storage on first start."""
        ports = self._require_ports()
        self.kafka_dir.mkdir(parents=True, exist_ok=True)
        properties = self.kafka_dir / "server.properties"
        properties.write_text(_kafka_properties(ports, self.kafka_data_dir))
        if (self.kafka_data_dir / "meta.properties").exists():
            return
        # No --standalone: with controller.quorum.voters set, the tool refuses it.
        result = subprocess.run(
            [*self._java_command(heap="256m"), "kafka.tools.StorageTool", "format",
             f"--cluster-id={_new_cluster_id()}", "-c", str(properties)],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()[-4000:]
            raise StackError(f"Formatting the Kafka storage failed (exit {result.returncode}):\n{output}")

    def _java_command(self, heap: str) -> list[str]:
        return [
            "java",
            f"-Xmx{heap}",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_LOG4J_CONFIG}",
            "-cp", str(ensure_kafka_jars() / "*"),
        ]  # fmt: skip

    def _launch_kafka(self) -> None:
        command = [*self._java_command(self.kafka_heap), "kafka.Kafka", str(self.kafka_dir / "server.properties")]
        self._kafka = _spawn(command, self.kafka_log, self.kafka_dir, self.die_with_parent)
        self._kafka_pid = self._kafka.pid

    def _wait_for_kafka(self, deadline: float) -> None:
        port = self._require_ports().kafka
        bootstrap = f"{LOOPBACK}:{port}"
        while True:
            self._fail_if_exited(self._kafka, "Kafka broker", self.kafka_log)
            if _port_accepts(port):
                try:
                    with _quiet_aiokafka():
                        if _run_blocking(lambda: _kafka_broker_count(bootstrap)) > 0:
                            return
                except (TimeoutError, KafkaError, OSError):
                    pass  # listening, but not serving metadata yet
            self._fail_if_late(deadline, "Kafka broker", self.kafka_log)
            time.sleep(0.2)

    # -- failures ------------------------------------------------------------------------------

    @staticmethod
    def _fail_if_exited(process: subprocess.Popen[bytes] | None, name: str, log_path: Path) -> None:
        if process is not None and process.poll() is not None:
            raise StackError(
                f"The {name} exited during start-up (exit {process.returncode}). "
                f"Last lines of {log_path}:\n{_log_tail(log_path)}"
            )

    @staticmethod
    def _fail_if_late(deadline: float, name: str, log_path: Path) -> None:
        if time.monotonic() > deadline:
            raise StackError(
                f"The {name} did not become ready in time. Last lines of {log_path}:\n{_log_tail(log_path)}"
            )


def _write_atomically(path: Path, text: str) -> None:
    # Readers (the CLI, settings) never see a half-written file.
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)
