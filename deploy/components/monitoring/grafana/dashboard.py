"""Writes callcenter.json beside this file: the platform's Grafana dashboard (docs/deploy.md,
"Monitoring"). Edit the panels here, then run

    python deploy/components/monitoring/grafana/dashboard.py

tests/test_deploy_monitoring.py fails when the JSON is not what this writes, when a query names
a metric or label the services do not declare, and when two panels share an id.

The data source is the variable `datasource` (any Prometheus the Grafana knows), the namespace
the variable `namespace`. Figures every router replica reads from Redis (calls and conversations
waiting, agents, PBX sessions) and the stats gauges are the same in every replica's scrape: they are shown with
`max`, never summed over pods. Counters are shown as rates over `$__rate_interval`.
"""

from __future__ import annotations

import json
import pathlib
import sys

OUT = pathlib.Path(__file__).with_name("callcenter.json")
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
NS = 'namespace="$namespace"'
RATE = "[$__rate_interval]"
SERVER_ERRORS = 'grpc_code=~"UNKNOWN|INTERNAL|UNAVAILABLE|DATA_LOSS|DEADLINE_EXCEEDED"'
OURS = 'grpc_service=~"callcenter\\\\..+"'  # PromQL "callcenter\\..+": the platform's services


def timeseries(title, description, targets, unit="short", *, width=8, stack=False, thresholds=None, minimum=0):
    """A time series panel; `targets` are (PromQL, legend) pairs."""
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": False}
    if stack:
        custom |= {"stacking": {"mode": "normal", "group": "A"}, "fillOpacity": 40}
    defaults = {"unit": unit, "custom": custom}
    if minimum is not None:
        defaults["min"] = minimum
    if thresholds:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [{"color": "green", "value": None}, *({"color": "red", "value": v} for v in thresholds)],
        }
        custom["thresholdsStyle"] = {"mode": "line"}
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
        "targets": _targets(targets),
        "_width": width,
        "_height": 8,
    }


def stat(title, description, expr, unit="short", *, red_above=None, red_below=None):
    """A single figure, red past a threshold."""
    if red_below is not None:
        steps = [{"color": "red", "value": None}, {"color": "green", "value": red_below}]
    elif red_above is not None:
        steps = [{"color": "green", "value": None}, {"color": "red", "value": red_above}]
    else:
        steps = [{"color": "blue", "value": None}]
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "area",
            "textMode": "value",
        },
        "targets": _targets([(expr, title)]),
        "_width": 4,
        "_height": 4,
    }


def _targets(pairs):
    return [
        {"datasource": DATASOURCE, "expr": expr, "legendFormat": legend, "range": True, "refId": chr(ord("A") + i)}
        for i, (expr, legend) in enumerate(pairs)
    ]


def quantiles(metric, by, legend, qs=(0.5, 0.99), extra=""):
    """histogram_quantile of a histogram's buckets, one series per quantile and `by` label set."""
    selector = f"{metric}_bucket{{{NS}{extra}}}"
    return [
        (
            f"histogram_quantile({q}, sum by ({by}, le) (rate({selector}{RATE})))",
            f"p{round(q * 100)} {legend}",
        )
        for q in qs
    ]


ROWS = [
    (
        "Overview",
        [
            stat(
                "Calls waiting",
                "Calls waiting for an agent, all queues.",
                f"sum(max by (queue) (callcenter_router_calls_waiting{{{NS}}}))",
            ),
            stat(
                "PBX sessions open",
                "PBX sessions (contract v2) open now; 0 after a PBX had one: no call comes in.",
                f'max(callcenter_router_pbx_sessions{{{NS}, state="open"}})',
            ),
            stat(
                "Redis reachable",
                "The lowest of every pod's last ping to Redis (1: all reach it).",
                f"min(callcenter_redis_up{{{NS}}})",
                red_below=1,
            ),
            stat(
                "Stats lag",
                "Age of the oldest event the stats consumer group has not applied.",
                f"max(callcenter_stats_consumer_lag_seconds{{{NS}}})",
                "s",
                red_above=10,
            ),
            stat(
                "Dead letters",
                "Events in the stats dead-letter stream (docs/operations.md, CallcenterStatsDeadLetters).",
                f"max(callcenter_stats_dead_letters{{{NS}}})",
                red_above=1,
            ),
            stat(
                "Timer lateness p99",
                "99th percentile of how late timers fired over 5 minutes, all kinds (target: 50 ms).",
                "histogram_quantile(0.99, sum by (le) "
                f"(rate(callcenter_router_timer_lateness_seconds_bucket{{{NS}}}[5m])))",
                "s",
                red_above=0.05,
            ),
        ],
    ),
    (
        "Calls and agents",
        [
            timeseries(
                "Calls waiting per queue",
                "Calls waiting for an agent, by queue (read from Redis at each scrape).",
                [(f'max by (queue) (callcenter_router_calls_waiting{{{NS}, queue=~"$queue"}})', "{{queue}}")],
                stack=True,
            ),
            timeseries(
                "Agents by state",
                "Logged-in agents of each queue by state (an agent of several queues counts in each).",
                [
                    (
                        f'max by (queue, state) (callcenter_router_agents{{{NS}, queue=~"$queue"}})',
                        "{{queue}} {{state}}",
                    )
                ],
                stack=True,
            ),
            timeseries(
                "Offers, answers, misses",
                "Offers to agents (each ring), answered offers, and offers that ended unanswered by reason.",
                [
                    (f"sum(rate(callcenter_router_offers_total{{{NS}}}{RATE}))", "offers"),
                    (f"sum(rate(callcenter_router_answers_total{{{NS}}}{RATE}))", "answers"),
                    (f"sum by (reason) (rate(callcenter_router_misses_total{{{NS}}}{RATE}))", "missed {{reason}}"),
                ],
                "ops",
            ),
        ],
    ),
    (
        "Conversations",
        [
            timeseries(
                "Open conversations by state",
                "Open conversations (chats) of each queue by state, as the conversations' board counts them"
                " (the stats read them at each scrape).",
                [
                    (
                        f'max by (queue, state) (callcenter_stats_conversations_open{{{NS}, queue=~"$queue"}})',
                        "{{queue}} {{state}}",
                    )
                ],
                stack=True,
            ),
            timeseries(
                "Overdue conversations per queue",
                "Open conversations past their reply deadline (first_response or reply) and not replied to since.",
                [(f'max by (queue) (callcenter_stats_conversations_overdue{{{NS}, queue=~"$queue"}})', "{{queue}}")],
            ),
            timeseries(
                "Conversations in the line",
                "Conversations no logged-in agent of the queue has room for (chat_capacity), by queue.",
                [(f'max by (queue) (callcenter_router_conversations_waiting{{{NS}, queue=~"$queue"}})', "{{queue}}")],
                stack=True,
            ),
            timeseries(
                "Overdue share per queue",
                "Overdue over open conversations of each queue (the alert: above 25 %, at least 3, for 10 minutes).",
                [
                    (
                        f'max by (queue) (callcenter_stats_conversations_overdue{{{NS}, queue=~"$queue"}})'
                        " / (sum by (queue) (max by (queue, state) "
                        f'(callcenter_stats_conversations_open{{{NS}, queue=~"$queue"}})) > 0)',
                        "{{queue}}",
                    )
                ],
                "percentunit",
                thresholds=[0.25],
                width=12,
            ),
            timeseries(
                "Conversation events",
                "Conversation events the router wrote, by type (created, assigned, replied, overdue, closed, …).",
                [
                    (
                        f'sum by (type) (rate(callcenter_router_events_total{{{NS}, type=~"CONVERSATION_.*"}}{RATE}))',
                        "{{type}}",
                    )
                ],
                "ops",
                width=12,
            ),
        ],
    ),
    (
        "Router",
        [
            timeseries(
                "Timer lateness per kind",
                "How long after its deadline (by the Redis clock) a timer fired: p50 and p99 per kind."
                " The alert fires at a p99 above 50 ms for 5 minutes.",
                quantiles("callcenter_router_timer_lateness_seconds", "kind", "{{kind}}"),
                "s",
                thresholds=[0.05],
            ),
            timeseries(
                "PBX sessions",
                "PBX sessions by state: open, lost (no heartbeat within the lease), closed.",
                [(f"max by (state) (callcenter_router_pbx_sessions{{{NS}}})", "{{state}}")],
            ),
            timeseries(
                "Router events by type",
                "Events the router's transitions wrote to the event stream, by type.",
                [(f"sum by (type) (rate(callcenter_router_events_total{{{NS}}}{RATE}))", "{{type}}")],
                "ops",
            ),
        ],
    ),
    (
        "RPCs",
        [
            timeseries(
                "RPC rate per method",
                "RPCs completed by the platform's gRPC services, by service and method.",
                [
                    (
                        f"sum by (job, grpc_method) (rate(grpc_server_handled_total{{{NS}, {OURS}}}{RATE}))",
                        "{{job}} {{grpc_method}}",
                    )
                ],
                "reqps",
            ),
            timeseries(
                "RPC error rate per method",
                "Share of RPCs that ended UNKNOWN, INTERNAL, UNAVAILABLE, DATA_LOSS or DEADLINE_EXCEEDED"
                " (the alert: above 5 % for 5 minutes).",
                [
                    (
                        "sum by (job, grpc_method) (rate(grpc_server_handled_total"
                        f"{{{NS}, {OURS}, {SERVER_ERRORS}}}{RATE}))"
                        " / sum by (job, grpc_method) (rate(grpc_server_handled_total"
                        f"{{{NS}, {OURS}}}{RATE}))",
                        "{{job}} {{grpc_method}}",
                    )
                ],
                "percentunit",
                thresholds=[0.05],
            ),
            timeseries(
                "RPC latency p99 per method",
                "99th percentile of the time an RPC took (a stream: until it ended).",
                quantiles(
                    "grpc_server_handling_seconds", "job, grpc_method", "{{job}} {{grpc_method}}", (0.99,), f", {OURS}"
                ),
                "s",
            ),
            timeseries(
                "RPCs by status code",
                "RPCs completed, by gRPC status code.",
                [
                    (
                        f"sum by (grpc_code) (rate(grpc_server_handled_total{{{NS}, {OURS}}}{RATE}))",
                        "{{grpc_code}}",
                    )
                ],
                "reqps",
                width=24,
            ),
        ],
    ),
    (
        "Stats",
        [
            timeseries(
                "Stats consumer lag",
                "Age of the oldest event the stats consumer group has not applied (the alert: above 10 s).",
                [(f"max(callcenter_stats_consumer_lag_seconds{{{NS}}})", "lag")],
                "s",
                thresholds=[10],
            ),
            timeseries(
                "Pending events and stream length",
                "Events delivered to a stats consumer and not yet acknowledged; entries in the event stream.",
                [
                    (f"max(callcenter_stats_consumer_pending{{{NS}}})", "pending"),
                    (f"max(callcenter_event_stream_length{{{NS}}})", "stream length"),
                ],
            ),
            timeseries(
                "Dead letters",
                "Events in the stats dead-letter stream, and how fast replicas dead-letter events.",
                [
                    (f"max(callcenter_stats_dead_letters{{{NS}}})", "in the dead-letter stream"),
                    (f"sum(rate(callcenter_stats_dead_letters_total{{{NS}}}{RATE})) * 60", "dead-lettered per minute"),
                ],
                thresholds=[1],
            ),
            timeseries(
                "Events applied",
                "Events the stats replicas applied, per second.",
                [(f"sum(rate(callcenter_stats_events_applied_total{{{NS}}}{RATE}))", "applied")],
                "ops",
                width=12,
            ),
            timeseries(
                "Board watchers",
                "Open board watches (the gateway's live board streams), all stats replicas.",
                [(f"sum(callcenter_stats_board_watchers{{{NS}}})", "watchers")],
                width=12,
            ),
        ],
    ),
    (
        "Webhooks",
        [
            timeseries(
                "Webhooks consumer lag",
                "Age of the oldest event the webhooks consumer group has not queued deliveries for"
                " (the alert: above 60 s for 5 minutes).",
                [(f"max(callcenter_webhooks_consumer_lag_seconds{{{NS}}})", "lag")],
                "s",
                thresholds=[60],
            ),
            timeseries(
                "Queued deliveries and dead letters",
                "Deliveries queued and not yet delivered, and dead letters kept, all subscriptions"
                " (read from Redis at each scrape; the alert: any dead letter for 5 minutes).",
                [
                    (f"max(callcenter_webhooks_queued_deliveries{{{NS}}})", "queued"),
                    (f"max(callcenter_webhooks_dead_letter_deliveries{{{NS}}})", "dead letters"),
                    (f"max(callcenter_webhooks_subscriptions{{{NS}}})", "subscriptions"),
                ],
            ),
            timeseries(
                "Failed attempt share",
                "Share of the delivery attempts that got no 2xx answer (retrying or dead)"
                " (the alert: above 50 % for 15 minutes).",
                [
                    (
                        f'sum(rate(callcenter_webhooks_deliveries_total{{{NS}, outcome=~"retrying|dead"}}{RATE}))'
                        f" / sum(rate(callcenter_webhooks_attempts_total{{{NS}}}{RATE}))",
                        "failing",
                    )
                ],
                "percentunit",
                thresholds=[0.5],
            ),
            timeseries(
                "Delivery outcomes",
                "Attempts' outcomes per second: delivered, retrying, dead; overflowed (queue full), stale.",
                [
                    (
                        f"sum by (outcome) (rate(callcenter_webhooks_deliveries_total{{{NS}}}{RATE}))",
                        "{{outcome}}",
                    )
                ],
                "ops",
                width=12,
            ),
            timeseries(
                "Attempt latency",
                "p50 and p99 of the time a delivery attempt took, until the answer or the error.",
                quantiles("callcenter_webhooks_attempt_seconds", "job", "{{job}}"),
                "s",
                width=12,
            ),
        ],
    ),
    (
        "Redis",
        [
            timeseries(
                "Redis reachable per pod",
                "1 when the pod's last ping (at its scrape) reached Redis, else 0.",
                [(f"callcenter_redis_up{{{NS}}}", "{{pod}}")],
            ),
            timeseries(
                "Redis pool use",
                "Connections taken by a request over the pool's maximum, per service and pool (the alert: above 90 %).",
                [
                    (
                        f"max by (job, pool) (callcenter_redis_pool_connections_in_use{{{NS}}}"
                        f" / (callcenter_redis_pool_max_connections{{{NS}}} > 0))",
                        "{{job}} {{pool}}",
                    )
                ],
                "percentunit",
                thresholds=[0.9],
            ),
            timeseries(
                "Redis connections",
                "Connections in use and open, per service and pool (all pods).",
                [
                    (
                        f"sum by (job, pool) (callcenter_redis_pool_connections_in_use{{{NS}}})",
                        "in use {{job}} {{pool}}",
                    ),
                    (f"sum by (job, pool) (callcenter_redis_pool_connections{{{NS}}})", "open {{job}} {{pool}}"),
                ],
            ),
            timeseries(
                "Stream entries skipped",
                "Stream entries a reader could not read and skipped (never fatal; each one is logged).",
                [
                    (
                        f"sum by (reader) (rate(callcenter_stream_entries_skipped_total{{{NS}}}{RATE}))",
                        "{{reader}}",
                    )
                ],
                "ops",
                width=24,
            ),
        ],
    ),
    (
        "Recorder",
        [
            timeseries(
                "Uploads in progress",
                "Recording uploads streaming now.",
                [(f"sum(callcenter_recorder_uploads_in_progress{{{NS}}})", "in progress")],
                width=6,
            ),
            timeseries(
                "Uploads by result",
                "Recording uploads that ended, by result.",
                [(f"sum by (result) (rate(callcenter_recorder_uploads_total{{{NS}}}{RATE}))", "{{result}}")],
                "ops",
                width=6,
            ),
            timeseries(
                "Bytes stored",
                "Audio bytes the recorder stored, per second.",
                [(f"sum(rate(callcenter_recorder_stored_bytes_total{{{NS}}}{RATE}))", "stored")],
                "Bps",
                width=6,
            ),
            timeseries(
                "Recordings deleted",
                "Recordings deleted, by reason (retention, ...).",
                [(f"sum by (reason) (rate(callcenter_recorder_deleted_total{{{NS}}}{RATE}))", "{{reason}}")],
                "ops",
                width=6,
            ),
        ],
    ),
    (
        "Gateway",
        [
            timeseries(
                "Requests by status",
                "The gateway's HTTP requests by status code.",
                [(f"sum by (status) (rate(callcenter_gateway_requests_total{{{NS}}}{RATE}))", "{{status}}")],
                "reqps",
                width=6,
            ),
            timeseries(
                "Request latency per route",
                "p50 and p99 of the time a request took, per route pattern"
                " (a streamed response: until its headers went out).",
                quantiles("callcenter_gateway_request_seconds", "route", "{{route}}"),
                "s",
                width=6,
            ),
            timeseries(
                "Live event streams",
                "Server-sent-event clients connected (dashboard tabs), all gateway pods.",
                [(f"sum(callcenter_gateway_sse_clients{{{NS}}})", "clients")],
                width=6,
            ),
            timeseries(
                "Login failures",
                "Failed logins per minute, by reason.",
                [(f"sum by (reason) (rate(callcenter_gateway_login_failures_total{{{NS}}}{RATE})) * 60", "{{reason}}")],
                width=6,
            ),
        ],
    ),
]


def variable(name, label, query, *, multi=False):
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"query": query, "refId": f"{name}-query"},
        "refresh": 2,
        "sort": 1,
        "multi": multi,
        "includeAll": multi,
        **({"allValue": ".*", "current": {"text": "All", "value": "$__all"}} if multi else {}),
    }


def dashboard() -> dict:
    panels, y, next_id = [], 0, 1
    for title, row_panels in ROWS:
        panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False, "panels": []})
        panels[-1]["gridPos"] = {"h": 1, "w": 24, "x": 0, "y": y}
        next_id, y, x, row_height = next_id + 1, y + 1, 0, 0
        for panel in row_panels:
            width, height = panel.pop("_width"), panel.pop("_height")
            if x + width > 24:
                x, y, row_height = 0, y + row_height, 0
            panel["id"] = next_id
            panel["gridPos"] = {"h": height, "w": width, "x": x, "y": y}
            panels.append(panel)
            next_id, x, row_height = next_id + 1, x + width, max(row_height, height)
        y += row_height
    return {
        "uid": "callcenter",
        "title": "Call centre",
        "description": "The call-centre platform: calls and agents, router timers and PBX sessions, RPCs, stats,"
        " webhooks, Redis, recorder, gateway. Alerts: docs/operations.md, Alerts.",
        "tags": ["callcenter"],
        "editable": True,
        "graphTooltip": 1,
        "refresh": "30s",
        "schemaVersion": 39,
        "time": {"from": "now-3h", "to": "now"},
        "timezone": "browser",
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "links": [],
        "annotations": {"list": []},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Data source",
                    "type": "datasource",
                    "query": "prometheus",
                    "refresh": 1,
                    "current": {},
                },
                variable("namespace", "Namespace", "label_values(callcenter_redis_up, namespace)"),
                variable(
                    "queue",
                    "Queue",
                    'label_values(callcenter_router_calls_waiting{namespace="$namespace"}, queue)',
                    multi=True,
                ),
            ]
        },
        "panels": panels,
        "version": 1,
    }


def text() -> str:
    return json.dumps(dashboard(), indent=2, ensure_ascii=True) + "\n"


if __name__ == "__main__":
    OUT.write_text(text())
    sys.stdout.write(f"wrote {OUT}\n")
