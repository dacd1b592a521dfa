"""How SIP maps onto the PBX contract (docs/pbx-integration.md, "SIP: ids, headers and final
responses"): a branch's final response to an offer outcome, and a call's end to the caller's
final response. Pure functions: no Kamailio, no gRPC."""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2
from callcenter.core import ids

#: The header on the agent leg that names the offer (a softphone or B2BUA may correlate by it).
OFFER_HEADER = "X-Callcenter-Offer-Id"
#: The caller's INVITE header naming the deal (a stats lead id) the call is about: RouteCall's
#: deal_id, so the deal's owner is offered the call first (docs/routing-rules.md).
DEAL_HEADER = "X-Deal-Id"
#: The offers one call can ring: each is a branch of its INVITE transaction, tm holds at most
#: kamailio.cfg's max_branches (30, its ceiling), and each offer after a failure takes two
#: branch slots (measured on Kamailio 5.6: the branch indexes go 0, 2, 4, ...; the 16th relay
#: fails). The offer after the last ends the call: 480 to the caller.
MAX_OFFERS = 15


def deal_id_of(header: str | None) -> str:
    """RouteCall's deal_id from the X-Deal-Id header: '' when absent or no valid lead id (a
    bad header never costs the caller the call: it is routed as without a deal)."""
    value = (header or "").strip()
    return value if value and ids.lead_id_problem(value) is None else ""


def outcome_for(code: int) -> int | None:
    """The outcome to report for an agent leg's final response; None when there is nothing to
    report (487: the branch was cancelled by us, for the caller or for the router)."""
    if 200 <= code < 300:
        return router_pb2.OFFER_OUTCOME_ANSWERED
    if code == 487:
        return None
    if code == 603:
        return router_pb2.OFFER_OUTCOME_REJECTED
    if code == 408:  # the ring timer (tm's local timeout) or the agent's own
        return router_pb2.OFFER_OUTCOME_NO_ANSWER
    # 486/600 busy; 480, 404, 5xx, 6xx: the endpoint is unreachable - not the agent's miss
    return router_pb2.OFFER_OUTCOME_BUSY


@dataclass(frozen=True)
class FinalReply:
    """What the caller is answered when their call ends without an agent."""

    code: int
    reason: str
    contact: str = ""


def final_reply(call: router_pb2.Call) -> FinalReply:
    """The caller's final response for a call that ended while ringing or waiting."""
    if call.redirect_to:
        return FinalReply(302, "Moved Temporarily", call.redirect_to)
    if call.state == states_pb2.CALL_STATE_TIMED_OUT:
        return FinalReply(480, "Temporarily Unavailable")
    if call.end_reason in ("queue_full",):
        return FinalReply(486, "Busy Here")
    if call.end_reason in ("pbx_lost", "pbx_restarted", "max_lifetime"):
        return FinalReply(503, "Service Unavailable")
    return FinalReply(480, "Temporarily Unavailable")
