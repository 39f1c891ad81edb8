"""What an operator wants to know about the topics, read from the broker itself: partitions, end
offsets, messages per second over the last minute, and each consumer group's lag.

Used by `mumaris topics` and by the consumer-lag metrics.
"""

import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

RATE_WINDOW_S = 60


@dataclass
class TopicStatus:
    name: str
    partitions: int
    end_offsets: dict[int, int]
    messages_per_s: float  # over the last RATE_WINDOW_S seconds
    lag: dict[str, dict[int, int]] = field(default_factory=dict)  # group → partition → records behind

    @property
    def end_offset_total(self) -> int:
        return sum(self.end_offsets.values())

    def total_lag(self, group: str) -> int:
        return sum(self.lag.get(group, {}).values())


async def topic_status(bootstrap: str, topics: list[str]) -> list[TopicStatus]:
    """One status per topic that exists (missing ones are left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="mumaris-topic-status")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, client_id="mumaris-topic-status")
    await admin.start()
    await consumer.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [name for name in topics if name in existing]
        partitions = {name: sorted(consumer.partitions_for_topic(name) or ()) for name in wanted}
        if any(not p for p in partitions.values()):  # metadata not loaded yet for some topic
            await consumer._client.force_metadata_update()
            partitions = {name: sorted(consumer.partitions_for_topic(name) or ()) for name in wanted}
        all_partitions = [TopicPartition(name, p) for name, ps in partitions.items() for p in ps]
        ends = await consumer.end_offsets(all_partitions) if all_partitions else {}
        starts = await consumer.beginning_offsets(all_partitions) if all_partitions else {}
        since = int((time.time() - RATE_WINDOW_S) * 1000)
        at_window_start = (
            await consumer.offsets_for_times({tp: since for tp in all_partitions}) if all_partitions else {}
        )

        statuses: dict[str, TopicStatus] = {}
        for name, ps in partitions.items():
            end_offsets = {p: ends[TopicPartition(name, p)] for p in ps}
            recent = 0
            for p in ps:
                start = at_window_start.get(TopicPartition(name, p))
                # No record since the window began: nothing arrived in the last minute.
                recent += end_offsets[p] - (start.offset if start is not None else end_offsets[p])
            statuses[name] = TopicStatus(name, len(ps), end_offsets, recent / RATE_WINDOW_S)

        groups = [g[0] if isinstance(g, tuple) else g.get("group_id") for g in await admin.list_consumer_groups()]
        for group in sorted(g for g in groups if g):
            committed = await admin.list_consumer_group_offsets(group)
            for tp, meta in committed.items():
                status = statuses.get(tp.topic)
                if status is None or meta.offset < 0:
                    continue
                behind = max(0, status.end_offsets.get(tp.partition, 0) - meta.offset)
                status.lag.setdefault(group, {})[tp.partition] = behind
        for status in statuses.values():
            for partitions_seen in status.lag.values():
                # A partition the group never committed on: everything still in it is unread.
                for p, end in status.end_offsets.items():
                    partitions_seen.setdefault(p, end - starts[TopicPartition(status.name, p)])
        return [statuses[name] for name in wanted]
    finally:
        await consumer.stop()
        await admin.close()


def render(statuses: list[TopicStatus]) -> str:
    """The terminal view: one line per topic, then one indented line per consumer group."""
    lines = [f"{'topic':<32} {'parts':>5} {'end offsets':>12} {'msg/s (1 min)':>14}"]
    for status in statuses:
        lines.append(
            f"{status.name:<32} {status.partitions:>5} {status.end_offset_total:>12} {status.messages_per_s:>14.2f}"
        )
        for group in sorted(status.lag):
            per_partition = " ".join(f"p{p}={lag}" for p, lag in sorted(status.lag[group].items()))
            lines.append(f"    lag {group:<22} {status.total_lag(group):>8}   ({per_partition})")
    return "\n".join(lines)
