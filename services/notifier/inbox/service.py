"""The inbox's use cases: a practitioner's page of messages, and marking one read."""

from dataclasses import dataclass
from typing import Any

from mumaris.clock import now
from services.notifier.inbox.rules import InboxRefused
from services.notifier.inbox.store import InboxStore


@dataclass(frozen=True)
class InboxPage:
    messages: list[dict[str, Any]]  # newest first
    total: int
    unread: int


@dataclass(frozen=True)
class Inbox:
    store: InboxStore

    async def page(self, reader_id: str, *, page: int, size: int) -> InboxPage:
        """The reader's own messages, newest first, with the total and unread counts."""
        messages, total, unread = await self.store.page(reader_id, page=page, size=size)
        return InboxPage(messages, total, unread)

    async def mark_read(self, reader_id: str, message_id: str) -> None:
        """Marking a message read twice is fine; one that is not the reader's is refused."""
        if not await self.store.mark_read(reader_id, message_id, now()):
            raise InboxRefused("not_found")
