"""What the router promises, read from its event stream (the whole-system and failover tests)."""

from __future__ import annotations

from collections import Counter, defaultdict

FINAL = {"CALL_COMPLETED", "CALL_ABANDONED", "CALL_TIMED_OUT"}
LATE = ["CALL_OFFERED", "OFFER_MISSED", "LATE", "CALL_ANSWERED"]


def stream_invariants(events, kinds, calls=None) -> tuple[list[str], dict[str, str]]:
    """The problems found, and the agents still reserved at the end (agent -> call): no agent
    offered a call while reserved for another (no double offer); every offer ends in exactly
    one answer or miss (or a ring timeout the agent's late answer then overrules); every call
    (`calls`, or every call received) reaches exactly one final event."""
    problems, reserved, by_offer, finals = [], {}, defaultdict(list), Counter()
    received = set()
    for e, k in zip(events, kinds, strict=True):
        if k == "CALL_RECEIVED":
            received.add(e.call_id)
        if k == "CALL_ANSWERED" and e.attributes.get("late_answer") == "1":
            if e.agent_id in reserved:
                problems.append(f"{e.agent_id} answered {e.call_id} late while reserved for {reserved[e.agent_id]}")
            by_offer[e.offer_id].append("LATE")
        if k == "CALL_OFFERED":
            if e.agent_id in reserved:
                problems.append(f"{e.agent_id} offered {e.call_id} while reserved for {reserved[e.agent_id]}")
            reserved[e.agent_id] = e.call_id
        if k in ("CALL_OFFERED", "CALL_ANSWERED", "OFFER_MISSED"):
            by_offer[e.offer_id].append(k)
        if k in ("OFFER_MISSED", "CALL_ANSWERED", "AGENT_LOGGED_OUT"):
            reserved.pop(e.agent_id, None)
        if k in FINAL or (k == "CALL_OVERFLOWED" and "overflow_queue" not in e.attributes):
            finals[e.call_id] += 1
    problems += [
        f"offer {o}: {ks}" for o, ks in by_offer.items() if ks[0] != "CALL_OFFERED" or (len(ks) != 2 and ks != LATE)
    ]
    problems += [f"{c}: {finals[c]} final events" for c in (received if calls is None else calls) if finals[c] != 1]
    return problems, reserved
