"""Fixtures shared by every test layer. The stack is started only when a test asks for it."""

from collections.abc import Iterator

import pytest

from mumaris.tools.stack import LocalStack, StackInfo
from schemas.topics import all_topic_names


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A real Kafka broker and a MongoDB-wire server for the whole session, stopped afterwards
    (and killed with the test process if it dies)."""
    stack = LocalStack(tmp_path_factory.mktemp("stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def stack(local_stack: LocalStack) -> StackInfo:
    return local_stack.info


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    """A broker and database for one module alone. For tests that run a service in-process under
    its real consumer-group name and feed it made-up events: on the shared stack, the end-to-end
    suite's service processes are members of the same groups and would answer those events too."""
    stack = LocalStack(tmp_path_factory.mktemp("own-stack"), die_with_parent=True)
    try:
        stack.start(all_topic_names())
        yield stack.info
    finally:
        stack.stop()
