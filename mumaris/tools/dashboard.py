"""The Grafana dashboard compose.yaml provisions, generated so it stays in step with the metrics.

    python -m mumaris.tools.dashboard > localstack/compose/grafana/provisioning/dashboards/json/mumaris-overview.json

One row per pipeline stage (intake, validation, review, notifications), then the transport.
A unit test regenerates it and fails when the checked-in file is stale, and checks that every
series it plots is one the services export.
"""

import json
from dataclasses import dataclass
from typing import Any

DASHBOARD_UID = "mumaris-overview"
RATE = "[$__rate_interval]"


@dataclass(frozen=True)
class Panel:
    title: str
    exprs: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    kind: str = "timeseries"


def lag(group: str, topic_pattern: str) -> tuple[str, str]:
    return (f'sum by (topic) (mumaris_consumer_lag{{group="{group}",topic=~"{topic_pattern}"}})', "{{topic}}")


def handled(handler_pattern: str) -> tuple[str, str]:
    return (
        f'sum by (handler) (rate(faststream_received_messages_total{{handler=~"{handler_pattern}"}}{RATE}))',
        "{{handler}}",
    )


def failures(handler_pattern: str) -> tuple[str, str]:
    return (
        f"sum by (handler, exception_type) (rate(faststream_received_processed_messages_exceptions_total"
        f'{{handler=~"{handler_pattern}"}}{RATE}))',
        "{{handler}} {{exception_type}}",
    )


def p95(handler_pattern: str) -> tuple[str, str]:
    return (
        f"histogram_quantile(0.95, sum by (le, handler) (rate(faststream_received_processed_messages_duration_"
        f'seconds_bucket{{handler=~"{handler_pattern}"}}{RATE})))',
        "{{handler}}",
    )


def dead_letters(topic_pattern: str) -> tuple[str, str]:
    return (f'max by (topic) (mumaris_dlq_messages{{topic=~"{topic_pattern}"}})', "{{topic}}")


ROWS: tuple[tuple[str, tuple[Panel, ...]], ...] = (
    (
        "Intake — uploads, accounts, status",
        (
            Panel(
                "HTTP requests / s by route",
                (
                    (
                        f'sum by (route, status) (rate(mumaris_http_requests_total{{service="intake"}}{RATE}))',
                        "{{route}} {{status}}",
                    ),
                ),
                "reqps",
            ),
            Panel(
                "HTTP p95 by route",
                (
                    (
                        "histogram_quantile(0.95, sum by (le, route) (rate("
                        f'mumaris_http_request_duration_seconds_bucket{{service="intake"}}{RATE})))',
                        "{{route}}",
                    ),
                ),
                "s",
            ),
            Panel("Outbox waiting to publish", (("max by (service) (mumaris_outbox_pending)", "{{service}}"),)),
            Panel("Status events: lag", (lag("intake", ".*"),)),
        ),
    ),
    (
        "Validation — automated document checks",
        (
            Panel("Documents checked / s", (handled("submission.received"),), "ops"),
            Panel("Check time p95", (p95("submission.received"),), "s"),
            Panel("Waiting to be checked (lag)", (lag("validator", "submission.received"),)),
            Panel("Dead letters", (dead_letters("submission.received|review.decided"),)),
        ),
    ),
    (
        "Review — queue, decisions, fees",
        (
            Panel("Queue by state", (("max by (state) (mumaris_review_queue_items)", "{{state}}"),)),
            Panel("Oldest waiting item", (("max(mumaris_review_oldest_waiting_seconds)", "age"),), "s"),
            Panel("Past SLA", (("max(mumaris_review_past_sla_items)", "items"),)),
            Panel(
                "Invoices awaiting payment / next deadline",
                (
                    ("max(mumaris_fee_invoices_awaiting_payment)", "awaiting payment"),
                    ("min(mumaris_fee_next_deadline_seconds)", "seconds to next deadline"),
                ),
            ),
            Panel(
                "Payment issues / s by kind",
                ((f"sum by (kind) (rate(mumaris_fee_payment_issues_total{RATE}))", "{{kind}}"),),
                "ops",
            ),
            Panel("Registrations by status", (("max by (status) (mumaris_registrations)", "{{status}}"),)),
            Panel(
                "Registrations: due in 30 days, lapsed this month, renewals awaiting payment",
                (
                    ("max(mumaris_registrations_due_soon)", "due in 30 days"),
                    ("max(mumaris_registrations_lapsed_this_month)", "lapsed this month"),
                    ("max(mumaris_registration_renewals_awaiting_payment)", "renewals awaiting payment"),
                ),
            ),
            Panel("Review consumers: lag", (lag("review", ".*"),)),
        ),
    ),
    (
        "Notifications — inbox, e-mail, SMS",
        (
            Panel(
                "Events turned into messages / s",
                (handled("submission.*|review.*|fee.*|classification.*|account.*"),),
                "ops",
            ),
            Panel("Deliveries / s", (handled("notification.*"),), "ops"),
            Panel("Delivery failures / s", (failures("notification.*"),), "ops"),
            Panel("Deliveries waiting (lag)", (lag("notifier", "notification.*"),)),
            Panel("Dead letters", (dead_letters("notification.*|account.*"),)),
        ),
    ),
    (
        "Webhooks — facilities' endpoints",
        (
            Panel(
                "Tries / s by outcome",
                ((f"sum by (outcome) (rate(mumaris_webhook_attempts_total{RATE}))", "{{outcome}}"),),
                "ops",
            ),
            Panel(
                "Deliveries settled / s (delivered, parked)",
                ((f"sum by (outcome) (rate(mumaris_webhook_deliveries_total{RATE}))", "{{outcome}}"),),
                "ops",
            ),
            Panel(
                "Delivery latency p50 / p95 (change recorded → 2xx)",
                (
                    (
                        f"histogram_quantile(0.5, sum by (le) (rate(mumaris_webhook_delivery_latency_seconds_bucket"
                        f"{RATE})))",
                        "p50",
                    ),
                    (
                        f"histogram_quantile(0.95, sum by (le) (rate(mumaris_webhook_delivery_latency_seconds_bucket"
                        f"{RATE})))",
                        "p95",
                    ),
                ),
                "s",
            ),
            Panel("Oldest pending delivery", (("max(mumaris_webhook_oldest_pending_seconds)", "age"),), "s"),
            Panel("Parked (dead-letter list)", (("max(mumaris_webhook_parked)", "parked"),)),
        ),
    ),
    (
        "Transport — every service",
        (
            Panel("Handler exceptions / s", (failures(".*"),), "ops"),
            Panel(
                "Outbox relays: oldest unpublished event",
                (("max by (service) (mumaris_outbox_oldest_pending_seconds)", "{{service}}"),),
                "s",
            ),
            Panel(
                "Outbox relays publishing (1) or not (0)",
                (("min by (service) (mumaris_outbox_relay_healthy)", "{{service}}"),),
            ),
            Panel(
                "Published / s by topic",
                ((f"sum by (topic) (rate(mumaris_outbox_published_total{RATE}))", "{{topic}}"),),
                "ops",
            ),
            Panel("Consumer lag by group", (("sum by (group) (mumaris_consumer_lag)", "{{group}}"),)),
            Panel("Dead letters by topic", (dead_letters(".*"),)),
        ),
    ),
)

# Every series the panels read, as exported (counters carry _total, histograms _bucket).
SERIES = frozenset(
    {
        "mumaris_consumer_lag",
        "mumaris_dlq_messages",
        "mumaris_outbox_pending",
        "mumaris_outbox_oldest_pending_seconds",
        "mumaris_outbox_relay_healthy",
        "mumaris_http_requests_total",
        "mumaris_http_request_duration_seconds_bucket",
        "mumaris_review_queue_items",
        "mumaris_review_oldest_waiting_seconds",
        "mumaris_review_past_sla_items",
        "mumaris_fee_invoices_awaiting_payment",
        "mumaris_fee_next_deadline_seconds",
        "mumaris_fee_payment_issues_total",
        "mumaris_registrations",
        "mumaris_registrations_due_soon",
        "mumaris_registrations_lapsed_this_month",
        "mumaris_registration_renewals_awaiting_payment",
        "faststream_received_messages_total",
        "faststream_received_processed_messages_exceptions_total",
        "faststream_received_processed_messages_duration_seconds_bucket",
        "mumaris_outbox_published_total",
        "mumaris_webhook_attempts_total",
        "mumaris_webhook_deliveries_total",
        "mumaris_webhook_delivery_latency_seconds_bucket",
        "mumaris_webhook_oldest_pending_seconds",
        "mumaris_webhook_parked",
    }
)


# Series that exist only once there is something to count (FastStream creates an exception's
# series the first time a handler raises it).
ON_FIRST_FAILURE = frozenset({"faststream_received_processed_messages_exceptions_total"})


def _panel(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"h": 8, "w": 6, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [
            {
                "refId": chr(ord("A") + n),
                "expr": expr,
                "legendFormat": legend,
                "datasource": {"type": "prometheus", "uid": "prometheus"},
            }
            for n, (expr, legend) in enumerate(panel.exprs)
        ],
    }


def dashboard() -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    next_id, y = 1, 0
    for title, row in ROWS:
        panels.append(
            {
                "id": next_id,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        next_id, y = next_id + 1, y + 1
        for n, panel in enumerate(row):
            panels.append(_panel(panel, next_id, (n % 4) * 6, y + (n // 4) * 8))
            next_id += 1
        y += 8 * ((len(row) + 3) // 4)
    return {
        "uid": DASHBOARD_UID,
        "title": "Mumaris — pipeline by stage",
        "tags": ["mumaris"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-30m", "to": "now"},
        "panels": panels,
    }


def rendered() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(rendered(), end="")
