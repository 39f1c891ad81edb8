"""The local stack launcher against the real servers: a KRaft Kafka broker and SecantusDB."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import UnknownTopicOrPartitionError
from pymongo import AsyncMongoClient

from mumaris.tools.stack import PROJECT_ROOT, LocalStack, StackError, StackInfo

pytestmark = pytest.mark.integration

TOPICS = ["stack-test.events", "stack-test.restart"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    local_stack = LocalStack(tmp_path_factory.mktemp("stack"), die_with_parent=True)
    local_stack.start(TOPICS, partitions=3)
    yield local_stack
    local_stack.stop()


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _is_zombie(pid: int) -> bool:
    # Orphans are reaped by whatever PID 1 the machine has; until then they are zombies.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _wait_until_gone(pids: list[int], timeout: float, *, zombies_count_as_gone: bool = False) -> list[int]:
    def alive(pid: int) -> bool:
        return _pid_exists(pid) and not (zombies_count_as_gone and _is_zombie(pid))

    deadline = time.monotonic() + timeout
    while (still_alive := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return still_alive


async def _produce(bootstrap: str, topic: str, value: bytes, **overrides: object) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", **overrides)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"key")
    finally:
        await producer.stop()


async def _read_partition_from_start(bootstrap: str, topic: str, wanted: bytes) -> bool:
    """Read every partition of `topic` from offset 0 (no group) until `wanted` shows up."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        if not partitions:
            await consumer._client.force_metadata_update()  # first metadata fetch may be empty
            partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            if any(record.value == wanted for records in batches.values() for record in records):
                return True
        return False
    finally:
        await consumer.stop()


def test_start_records_addresses_and_pids(stack: LocalStack) -> None:
    info = stack.info
    assert info.kafka_bootstrap.startswith("127.0.0.1:")
    assert info.mongo_uri.startswith("mongodb://127.0.0.1:") and "retryWrites=false" in info.mongo_uri
    assert info.kafka_pid and _pid_exists(info.kafka_pid)
    assert info.mongo_pid and _pid_exists(info.mongo_pid)

    record = json.loads((stack.base_dir / "stack.json").read_text())
    assert record["kafka_bootstrap"] == info.kafka_bootstrap
    assert (record["kafka_pid"], record["mongo_pid"]) == (info.kafka_pid, info.mongo_pid)
    env_lines = (stack.base_dir / "stack.env").read_text().splitlines()
    assert env_lines == [f"{key}={value}" for key, value in info.env().items()]

    status = stack.status()
    assert status["kafka"]["alive"] and status["mongo"]["alive"]


async def test_idempotent_producer_round_trip(stack: LocalStack) -> None:
    bootstrap = stack.info.kafka_bootstrap
    value = f"hello-{uuid.uuid4()}".encode()
    await _produce(bootstrap, TOPICS[0], value)

    consumer = AIOKafkaConsumer(
        TOPICS[0], bootstrap_servers=bootstrap, group_id=f"stack-test-{uuid.uuid4()}", auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=20)
    finally:
        await consumer.stop()
    assert record.value == value


async def test_mongo_insert_and_find(stack: LocalStack) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.info.mongo_uri, serverSelectionTimeoutMS=5_000)
    try:
        collection = client["stack_test"]["things"]
        await collection.insert_one({"_id": "a", "name": "أحمد"})
        assert await collection.find_one({"_id": "a"}) == {"_id": "a", "name": "أحمد"}
    finally:
        await client.close()


async def test_topics_are_not_auto_created(stack: LocalStack) -> None:
    bootstrap = stack.info.kafka_bootstrap
    with pytest.raises(UnknownTopicOrPartitionError):
        await _produce(bootstrap, "stack-test.unknown", b"x", request_timeout_ms=1_000)

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = set(await admin.list_topics())
        described = {topic["topic"]: topic for topic in await admin.describe_topics(TOPICS)}
    finally:
        await admin.close()
    assert "stack-test.unknown" not in topics
    assert set(TOPICS) <= topics
    assert all(len(described[name]["partitions"]) == 3 for name in TOPICS)


async def test_broker_restart_keeps_records(stack: LocalStack) -> None:
    bootstrap = stack.info.kafka_bootstrap
    old_pid = stack.info.kafka_pid
    assert old_pid is not None
    value = f"survives-{uuid.uuid4()}".encode()
    await _produce(bootstrap, TOPICS[1], value)

    stack.stop_kafka()
    assert not _pid_exists(old_pid)
    assert not stack.status()["kafka"]["alive"] and stack.status()["mongo"]["alive"]

    stack.start_kafka(timeout=60)
    assert stack.info.kafka_bootstrap == bootstrap  # same port: clients reconnect on their own
    assert stack.info.kafka_pid not in (None, old_pid)
    assert await _read_partition_from_start(bootstrap, TOPICS[1], value)


def test_stop_leaves_no_processes_and_restart_reuses_data(tmp_path: Path) -> None:
    first = LocalStack(tmp_path, die_with_parent=True)
    info = first.start(["stack-test.once"], partitions=1)
    pids = [info.kafka_pid, info.mongo_pid]
    assert all(pids)
    assert LocalStack.attach(tmp_path).status()["kafka"]["alive"]

    first.stop()
    assert _wait_until_gone([pid for pid in pids if pid], timeout=1) == []
    first.stop()  # idempotent
    assert json.loads((tmp_path / "stack.json").read_text())["kafka_pid"] is None
    assert not LocalStack.attach(tmp_path).status()["kafka"]["alive"]

    # Second start on the same folder: storage already formatted, topic creation is idempotent.
    second = LocalStack(tmp_path, die_with_parent=True)
    try:
        again = second.start(["stack-test.once", "stack-test.twice"], partitions=1)
        assert again.kafka_bootstrap == info.kafka_bootstrap  # ports reused while free
    finally:
        second.stop()
    assert _wait_until_gone([pid for pid in (again.kafka_pid, again.mongo_pid) if pid], timeout=1) == []


def test_broker_that_dies_at_start_up_reports_its_log(tmp_path: Path) -> None:
    # A heap far too small makes the JVM exit at once, after Mongo already started.
    broken = LocalStack(tmp_path, kafka_heap="1k")
    with pytest.raises(StackError, match=r"(?s)Kafka broker exited.*heap"):
        broken.start(["stack-test.never"])
    status = broken.status()
    assert not status["kafka"]["alive"] and not status["mongo"]["alive"]


def test_servers_die_with_a_killed_parent(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from mumaris.tools.stack import LocalStack\n"
        "LocalStack(Path(sys.argv[1]), die_with_parent=True).start([])\n"
        "print('ready', flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        record = json.loads((tmp_path / "stack.json").read_text())
        pids = [record["kafka_pid"], record["mongo_pid"]]
        assert all(_pid_exists(pid) for pid in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        assert _wait_until_gone(pids, timeout=5, zombies_count_as_gone=True) == []
    finally:
        parent.kill()
        LocalStack.attach(tmp_path).stop()


def test_stack_info_env_names() -> None:
    info = StackInfo("127.0.0.1:1", "mongodb://127.0.0.1:2/", Path("/tmp"), None, None)
    assert info.env() == {"MUMARIS_KAFKA_BOOTSTRAP": "127.0.0.1:1", "MUMARIS_MONGO_URI": "mongodb://127.0.0.1:2/"}


def test_the_rust_server_is_the_embedded_default_and_answers_transactions(stack: LocalStack) -> None:
    from mumaris.tools.stack import SECANTUS_MDB_VERSION, secantusd_rs_path

    command_line = Path(f"/proc/{stack.info.mongo_pid}/cmdline").read_bytes().split(b"\0")
    assert command_line[0].decode() == str(secantusd_rs_path())
    assert b"--log-file-max" in command_line  # not its 128 MB default per store
    assert SECANTUS_MDB_VERSION in subprocess.run([command_line[0], "--version"], capture_output=True, text=True).stdout

    async def transaction() -> list[str]:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.info.mongo_uri)
        try:
            things = client["stack_test"]["tx"]
            async with client.start_session() as session, await session.start_transaction():
                await things.insert_one({"_id": "t1"}, session=session)
                await things.insert_one({"_id": "t2"}, session=session)
            return sorted(str(d["_id"]) for d in await things.find({}).to_list())
        finally:
            await client.close()

    assert asyncio.run(transaction()) == ["t1", "t2"]


def test_the_python_server_remains_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUMARIS_EMBEDDED_DB", "python")
    local = LocalStack(tmp_path / "py-stack", die_with_parent=True)
    local.start(["stack-test.python"], partitions=1)
    try:
        command_line = Path(f"/proc/{local.info.mongo_pid}/cmdline").read_text()
        assert "secantusd-py" in command_line
    finally:
        local.stop()


def test_a_missing_rust_server_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUMARIS_SECANTUSD_RS", str(tmp_path / "nowhere" / "secantusd-rs"))
    with pytest.raises(StackError, match=r"make install.*MUMARIS_EMBEDDED_DB=python"):
        LocalStack(tmp_path / "no-db").start(["stack-test.none"], partitions=1)
