"""What every service means by a call's and an agent's states, declared once.

The state names come from the contract (callcenter.common.v1 CallState / AgentState, without
their prefix and in lower case), so Python, the Lua scripts (given these as constants) and the
wire always agree.
"""

from __future__ import annotations

from callcenter.api.common.v1 import states_pb2


def _names(enum: object, prefix: str) -> tuple[str, ...]:
    keys: list[str] = enum.keys()  # type: ignore[attr-defined]
    return tuple(k.removeprefix(prefix).lower() for k in keys if not k.endswith("_UNSPECIFIED"))


CALL_STATES: tuple[str, ...] = _names(states_pb2.CallState, "CALL_STATE_")
AGENT_STATES: tuple[str, ...] = _names(states_pb2.AgentState, "AGENT_STATE_")
#: A call in one of these is in progress: waiting in a queue, ringing an agent, dialling the
#: customer (outbound), or talking.
LIVE_CALL_STATES: tuple[str, ...] = ("waiting", "ringing", "dialing", "connected")
#: A call in one of these is over for good; no transition leaves them.
FINAL_CALL_STATES: frozenset[str] = frozenset(CALL_STATES) - frozenset(LIVE_CALL_STATES)
#: OFFER_MISSED reasons that are not the agent's miss: the offer was taken back (another agent
#: answered, the agent took another call, the PBX went away, the call outlived its lifetime, a
#: supervisor ended the call or gave it to someone else).
CANCELLED_OFFER_REASONS: frozenset[str] = frozenset(
    {
        "answered_elsewhere",
        "agent_took_other_call",
        "pbx_lost",
        "pbx_restarted",
        "max_lifetime",
        "ended_by_supervisor",
        "reassigned_by_supervisor",
        "cancelled",
    }
)
#: FINAL_CALL_STATES as the contract's enum values (for clients reading Call.state).
FINAL_CALL_STATE_ENUMS: frozenset[int] = frozenset(
    states_pb2.CallState.Value(f"CALL_STATE_{state.upper()}") for state in FINAL_CALL_STATES
)
