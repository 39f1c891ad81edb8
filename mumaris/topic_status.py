"""What an operator wants to know about the topics, read from the broker itself: partitions, end
offsets, messages per second over the last minute, and each consumer group's lag.

Used by `mumaris topics` and by the consumer-lag metrics.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocol, ConsumerProtocolMemberMetadata
from aiokafka.protocol.admin import DescribeGroupsRequest_v0, DescribeGroupsRequest_v1, DescribeGroupsRequest_v2
from aiokafka.protocol.api import Request

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

        groups = sorted(g for g in (_group_id(g) for g in await admin.list_consumer_groups()) if g)
        for group in groups:
            committed = await admin.list_consumer_group_offsets(group)
            for tp, meta in committed.items():
                status = statuses.get(tp.topic)
                if status is None or meta.offset < 0:
                    continue
                behind = max(0, status.end_offsets.get(tp.partition, 0) - meta.offset)
                status.lag.setdefault(group, {})[tp.partition] = behind
        # A running group that has not committed on a topic yet (nothing read, or its first batch in
        # hand) would otherwise not show: its members' subscriptions name the topics it reads.
        for group, subscribed in (await subscriptions(admin, groups)).items():
            for name in subscribed:
                if name in statuses:
                    statuses[name].lag.setdefault(group, {})
        for status in statuses.values():
            for partitions_seen in status.lag.values():
                # A partition the group never committed on: it starts from the earliest record
                # (kafka_auto_offset_reset), so everything still in it is unread.
                for p, end in status.end_offsets.items():
                    partitions_seen.setdefault(p, end - starts[TopicPartition(status.name, p)])
        return [statuses[name] for name in wanted]
    finally:
        await consumer.stop()
        await admin.close()


def _group_id(listed: Any) -> str | None:
    group: str | None = listed[0] if isinstance(listed, tuple) else listed.get("group_id")
    return group


class DescribeGroupsBeforeV3(
    Request[DescribeGroupsRequest_v0 | DescribeGroupsRequest_v1 | DescribeGroupsRequest_v2]  # type: ignore[misc]
):
    """DescribeGroups in a version whose answer aiokafka 0.14 reads right: its v3 request names
    the v2 answer as its response type, so the v3 answer's extra field fails the decoding
    ("Buffer underrun decoding string"); the subscriptions are the same in every version."""

    API_KEY = 15

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups

    def build(self, request_struct_class: Any) -> Any:
        return request_struct_class(self.groups)


async def subscriptions(admin: AIOKafkaAdminClient, groups: list[str]) -> dict[str, set[str]]:
    """Group → the topics its live members subscribe to (DescribeGroups: each member's consumer
    protocol metadata). An empty group (every member stopped) has none to tell."""
    subscribed: dict[str, set[str]] = {}
    for group in groups:
        node = await admin.find_coordinator(group)
        response = await admin._client.send(node, DescribeGroupsBeforeV3([group]))
        for described in response.groups:
            # (error_code, group, state, protocol_type, protocol, members) in v0-v2; a member is
            # (member_id, client_id, client_host, metadata, assignment).
            group, protocol_type, members = described[1], described[3], described[5]
            if protocol_type != ConsumerProtocol.PROTOCOL_TYPE:
                continue
            for member in members:
                try:
                    metadata = ConsumerProtocolMemberMetadata.decode(member[-2])
                except ValueError:  # a member still joining, or another client's own encoding
                    continue
                subscribed.setdefault(group, set()).update(metadata.subscription)
    return subscribed


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
