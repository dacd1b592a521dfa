"""Alerts on the board: the thresholds (thresholds.py) that the board's figures pass.

A queue's service level today below its minimum, its abandonment rate today above its
maximum, its longest waiting call past its maximum wait; an agent ringing, in wrap-up or
paused longer than the agents' limits ("stuck"). Each alert says since when: a figure's
breach (service level, abandonment) since the first board read that saw it, a time's breach
(longest wait, stuck) since the moment the limit was passed. The first sightings of a
queue's alerts are kept in Redis (SET NX, forgotten once back within the limit), so every
replica and every browser shows one time.
"""

from __future__ import annotations

from typing import Any

from ..users import User
from .thresholds import Limits, ThresholdStore, queue_entry

# The agent states an agent can be stuck in, each with its limit and readable name.
STUCK_STATES = {
    "AGENT_STATE_RESERVED": ("ringing_max_s", "Ringing"),
    "AGENT_STATE_WRAP_UP": ("wrap_up_max_s", "Wrap-up"),
    "AGENT_STATE_PAUSED": ("paused_max_s", "Paused"),
}


def clock(seconds: float) -> str:
    """Seconds as the board shows a duration: 1:05, 1:02:03 (dashboard.js's duration)."""
    s = max(0, round(seconds))
    h, m = s // 3600, s % 3600 // 60
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


def _percent(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def queue_breaches(
    queue: dict[str, Any], limits: Limits, now_ms: int, figures: bool
) -> dict[str, dict[str, Any] | None]:
    """The queue's alerts by kind, each with the time to record as its first sighting
    (`since_ms`), and the kinds within their limits as None. Without figures (stats down)
    only the longest wait is judged."""
    found: dict[str, dict[str, Any] | None] = {}
    name = queue["name"]
    oldest = queue.get("oldest_waiting_since_ms")
    wait_limit = limits["longest_wait_max_s"]
    if oldest and now_ms - oldest > wait_limit * 1000:
        waited = (now_ms - oldest) / 1000
        found["longest_wait"] = {
            "since_ms": int(oldest + wait_limit * 1000),
            "value": round(waited),
            "limit": wait_limit,
            "cause": f"Longest wait {clock(waited)} in {name} is over the {clock(wait_limit)} limit",
        }
    else:
        found["longest_wait"] = None
    if figures:
        level, minimum = queue.get("service_level"), limits["service_level_min_percent"]
        if level is not None and level * 100 < minimum:
            found["service_level"] = {
                "since_ms": now_ms,
                "value": round(level * 100, 1),
                "limit": minimum,
                "cause": f"Service level {_percent(level * 100)} % in {name} is below {_percent(minimum)} %",
            }
        else:
            found["service_level"] = None
        rate, maximum = queue.get("abandonment_rate"), limits["abandoned_max_percent"]
        if rate is not None and rate * 100 > maximum:
            found["abandonment"] = {
                "since_ms": now_ms,
                "value": round(rate * 100, 1),
                "limit": maximum,
                "cause": f"Abandonment {_percent(rate * 100)} % in {name} is above {_percent(maximum)} %",
            }
        else:
            found["abandonment"] = None
    return {kind: ({"kind": kind, "queue": name, **alert} if alert else None) for kind, alert in found.items()}


def stuck_alert(agent: dict[str, Any], limits: Limits, now_ms: int) -> dict[str, Any] | None:
    """The agent's alert when ringing, in wrap-up or paused longer than the limit; else None."""
    stuck = STUCK_STATES.get(agent["state"])
    since = agent.get("since_ms")
    if stuck is None or not since:
        return None
    limit_name, label = stuck
    limit = limits[limit_name]
    if now_ms - since <= limit * 1000:
        return None
    spent = (now_ms - since) / 1000
    name = agent.get("name") or agent["id"]
    return {
        "kind": "agent_stuck",
        "agent_id": agent["id"],
        "agent_name": name,
        "state": agent["state"],
        "since_ms": int(since + limit * 1000),
        "value": round(spent),
        "limit": limit,
        "cause": f"{name}: {label} for {clock(spent)}, over the {clock(limit)} limit",
    }


async def apply(user: User, store: ThresholdStore, board: dict[str, Any], now_ms: int) -> None:
    """Adds to the board what applies to the user's queues (`thresholds`), the alerts, newest
    first, each queue's `breaches` (kinds) and each agent's `stuck` flag. Agents get none:
    thresholds are their supervisors' business."""
    for agent in board["agents"]:
        agent["stuck"] = False
    for queue in board["queues"]:
        queue["breaches"] = []
    if user.role == "agent":
        board["thresholds"], board["alerts"] = None, []
        return
    agent_limits, by_queue = await store.load([q["name"] for q in board["queues"]])
    board["thresholds"] = {
        "agents": agent_limits,
        "queues": [queue_entry(name, limits, custom) for name, (limits, custom) in by_queue.items()],
    }
    figures = not board.get("stats_unavailable")
    seen: dict[str, dict[str, Any]] = {}  # a sighting's key -> its alert
    cleared = []
    for queue in board["queues"]:
        for kind, alert in queue_breaches(queue, by_queue[queue["name"]][0], now_ms, figures).items():
            key = store.sighting_key(kind, queue["name"])
            if alert is not None:
                seen[key] = alert
                queue["breaches"].append(kind)
            else:
                cleared.append(key)
    first = await store.first_seen({key: alert["since_ms"] for key, alert in seen.items()}, cleared)
    alerts = [{**alert, "since_ms": first.get(key, alert["since_ms"])} for key, alert in seen.items()]
    for agent in board["agents"]:
        stuck = stuck_alert(agent, agent_limits, now_ms)
        if stuck is not None:
            agent["stuck"] = True
            alerts.append(stuck)
    board["alerts"] = sorted(alerts, key=lambda alert: -alert["since_ms"])
