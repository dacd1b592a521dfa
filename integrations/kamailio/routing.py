"""The KEMI routing logic (docs/kamailio.md): every INVITE to a queue's number is routed by the
router; the offered agent's endpoint rings for the offer's ring timeout; each branch's end is
reported; a call nobody can take is answered 182 and held (t_suspend) until the router offers it
(t_continue from the session process); the router's stream cancels branches; a BYE or CANCEL
hangs the call up.

Processes: SIP workers run the request, reply, branch and failure routes and call the router's
unary RPCs (a channel each, made after Kamailio forked them); one rtimer process runs
`ksr_session_loop`, which never returns: it holds the PBX session and continues or cancels
transactions for the router's messages. They share each call's state in the htable `cc`.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import grpc
import KSR  # provided by Kamailio's app_python3

from callcenter.api.common.v1 import states_pb2
from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.core.call_states import FINAL_CALL_STATE_ENUMS
from callcenter.core.grpc_security import sync_channel
from callcenter.integrations.kamailio import counters
from callcenter.integrations.kamailio.config import KamailioSettings, settings
from callcenter.integrations.kamailio.counters import count
from callcenter.integrations.kamailio.session import Session, Status
from callcenter.integrations.kamailio.sip_mapping import (
    DEAL_HEADER,
    MAX_OFFERS,
    OFFER_HEADER,
    deal_id_of,
    final_reply,
    outcome_for,
)

EXIT = -255  # a KEMI route's "exit"
TABLE = "cc"  # htable: call id -> the call's state here (JSON)
FINAL = FINAL_CALL_STATE_ENUMS
K = router_pb2
DEFER_S = 5.0  # how long the session process keeps an offer it cannot place yet
METRICS_SOCKET = "metrics"  # the name of kamailio.cfg's listen socket for /metrics


def _log(level: str, event: str, **fields: Any) -> None:
    line = json.dumps({"event": event, **fields}, default=str) + "\n"
    (KSR.err if level == "error" else KSR.info)(line)


class State:
    """A call's state in the shared htable: held (suspended, with its transaction's ids),
    ringing an offer, or connected."""

    @staticmethod
    def get(call_id: str) -> dict[str, Any]:
        raw = KSR.htable.sht_get(TABLE, call_id)
        return json.loads(raw) if raw else {}

    @staticmethod
    def put(call_id: str, **fields: Any) -> None:
        current = State.get(call_id)
        current.update(fields)
        KSR.htable.sht_sets(TABLE, call_id, json.dumps(current))

    @staticmethod
    def drop(call_id: str) -> None:
        KSR.htable.sht_rm(TABLE, call_id)


class Handler:
    def __init__(self, config: KamailioSettings) -> None:
        self.config = config
        self.pbx_id = config.effective_pbx_id()
        self._pid = 0
        self._stub: router_pb2_grpc.RouterServiceStub | None = None
        self._channel: grpc.Channel | None = None
        self.pending: router_pb2.Call | None = None  # the call a t_continue route acts on
        self.failed_events = 0  # the router's messages the session loop could not act on

    # Kamailio's hooks ------------------------------------------------------------------------

    def child_init(self, rank: int) -> int:
        return 0

    def router(self) -> router_pb2_grpc.RouterServiceStub:
        """This process's channel to the router, made after Kamailio forked it."""
        if self._stub is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._channel = sync_channel(self.config.router_addr, self.config.grpc)
            self._stub = router_pb2_grpc.RouterServiceStub(self._channel)
        return self._stub

    @property
    def _timeout(self) -> float:
        return self.config.rpc_timeout_ms / 1000

    # Requests --------------------------------------------------------------------------------

    def ksr_request_route(self, msg: Any) -> int:
        if KSR.pv.get("$Rn") == METRICS_SOCKET:  # SIP over TCP on the metrics socket: not here
            KSR.sl.sl_send_reply(403, "Metrics Only")
            return EXIT
        call_id = KSR.pv.get("$ci")
        if KSR.siputils.has_totag() > 0:
            return self._in_dialog(call_id)
        if KSR.is_CANCEL():
            if KSR.tm.t_check_trans() > 0:
                count(counters.CANCELS, "caller")
                self._hangup(call_id, "caller_cancelled")
                KSR.tm.t_relay()
            return EXIT
        if KSR.is_ACK():
            return self._relay_ack()
        if KSR.is_OPTIONS():
            KSR.sl.sl_send_reply(200, "OK")
            return EXIT
        if not KSR.is_INVITE():
            KSR.sl.sl_send_reply(405, "Method Not Allowed")
            return EXIT
        if KSR.tm.t_check_trans() == 0:  # a retransmission of a transaction being handled
            return EXIT
        KSR.rr.record_route()
        KSR.tm.t_newtran()
        request = K.RouteCallRequest(
            call_id=call_id,
            caller=KSR.pv.get("$fU") or "",
            dialed_number=KSR.pv.get("$rU") or "",
            pbx_id=self.pbx_id,
            deal_id=deal_id_of(KSR.hdr.get(DEAL_HEADER)),
        )
        try:
            call = self.router().RouteCall(request, timeout=self._timeout).call
        except grpc.RpcError as exc:
            code, reason, result = _refusal(exc)
            count(counters.INVITES, result)
            if code == 503:  # not an answer of the router's: it could not give one
                count(counters.ROUTER_ERRORS, "RouteCall", _code_name(exc))
            _log("info", "kamailio.route_refused", call_id=call_id, code=str(exc.code()), reply=code)
            KSR.tm.t_reply(code, reason)
            return EXIT
        count(counters.INVITES, "routed")
        State.put(call_id, cseq=KSR.pv.get("$cs"))
        self._act(call, first=True)
        return EXIT

    def _in_dialog(self, call_id: str) -> int:
        if KSR.rr.loose_route() > 0:
            if KSR.is_BYE():
                self._hangup(call_id, "bye")
            KSR.tm.t_relay()
            return EXIT
        if KSR.is_ACK():
            return self._relay_ack()
        KSR.sl.sl_send_reply(404, "Not Here")
        return EXIT

    def _relay_ack(self) -> int:
        """An ACK belonging to a transaction goes on; a stray one is dropped."""
        if KSR.tm.t_check_trans() > 0:
            KSR.tm.t_relay()
        return EXIT

    def _hangup(self, call_id: str, why: str) -> None:
        State.drop(call_id)
        try:
            self.router().HangupCall(K.HangupCallRequest(call_id=call_id), timeout=self._timeout)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:
                count(counters.ROUTER_ERRORS, "HangupCall", _code_name(exc))
                _log("error", "kamailio.hangup_failed", call_id=call_id, why=why, code=str(exc.code()))

    # What the router says a call does next ------------------------------------------------------

    def _act(self, call: router_pb2.Call, first: bool = False) -> None:
        """Rings the call's offer, holds it while it waits, or answers the caller its end."""
        if call.state == states_pb2.CALL_STATE_RINGING and call.offer.offer_id:
            self._ring(call)
        elif call.state == states_pb2.CALL_STATE_WAITING:
            self._hold(call.call_id, first)
        elif call.state in FINAL:
            reply = final_reply(call)
            if reply.contact:
                KSR.hdr.append_to_reply(f"Contact: <{reply.contact}>\r\n")
            KSR.tm.t_reply(reply.code, reply.reason)
            State.drop(call.call_id)

    def _ring(self, call: router_pb2.Call, retries: int = 3) -> None:
        offer = call.offer
        if call.offers > MAX_OFFERS:
            # tm cannot add another branch to the transaction: the call ends here
            _log("error", "kamailio.branches_exhausted", call_id=call.call_id, offers=call.offers)
            self._hangup(call.call_id, "branches_exhausted")
            KSR.tm.t_reply(480, "Temporarily Unavailable")
            return
        ring_ms = offer.ring_timeout.ToMilliseconds()
        KSR.pv.sets("$ru", offer.endpoint)
        State.put(call.call_id, s="ringing", offer=offer.offer_id)
        KSR.tm.t_set_fr(ring_ms + self.config.ring_compensation_ms, ring_ms + self.config.ring_compensation_ms)
        KSR.tm.t_on_branch("ksr_branch_route")
        KSR.tm.t_on_reply("ksr_branch_reply")
        KSR.tm.t_on_failure("ksr_failure_route")
        if KSR.tm.t_relay() > 0:
            count(counters.OFFERS_RELAYED)
            return
        count(counters.RELAY_FAILURES)
        # The endpoint cannot be reached (a bad URI, no route): not the agent's miss; the router
        # offers the call on, a few times, then the call's state decides.
        _log("error", "kamailio.relay_failed", call_id=call.call_id, endpoint=offer.endpoint)
        after = self._report(call.call_id, offer.offer_id, K.OFFER_OUTCOME_BUSY)
        if after is not None and after.state == states_pb2.CALL_STATE_RINGING and retries > 0:
            self._ring(after, retries - 1)
        elif after is not None and after.state != states_pb2.CALL_STATE_RINGING:
            self._act(after)
        else:
            self._hangup(call.call_id, "relay_failed")
            KSR.tm.t_reply(480, "Temporarily Unavailable")

    def _hold(self, call_id: str, first: bool) -> None:
        if first:
            KSR.tm.t_reply(182, "Queued")
        hold_ms = self.config.max_wait_ms
        KSR.tm.t_set_max_lifetime(hold_ms, 0)
        KSR.tm.t_set_fr(hold_ms, hold_ms)
        KSR.tm.t_on_failure("ksr_failure_route")
        if KSR.tmx.t_suspend() > 0:
            count(counters.HOLDS, "held")
            State.put(call_id, s="held", i=KSR.pv.get("$T(id_index)"), l=KSR.pv.get("$T(id_label)"), offer="")
        else:
            count(counters.HOLDS, "failed")
            _log("error", "kamailio.hold_failed", call_id=call_id)
            KSR.tm.t_reply(500, "Cannot Hold")

    # Branches ---------------------------------------------------------------------------------

    def ksr_branch_route(self, msg: Any) -> int:
        offer_id = State.get(KSR.pv.get("$ci")).get("offer", "")
        KSR.hdr.remove(OFFER_HEADER)
        if offer_id:
            KSR.hdr.append(f"{OFFER_HEADER}: {offer_id}\r\n")
        return 1

    def ksr_reply_route(self, msg: Any) -> int:
        return 1  # every reply: nothing to do outside a transaction's own reply route

    def ksr_onsend_route(self, msg: Any) -> int:
        return 1

    def ksr_branch_reply(self, msg: Any) -> int:
        status = int(KSR.pv.get("$rs") or 0)
        if 200 <= status < 300 and KSR.is_method("INVITE"):
            call_id = KSR.pv.get("$ci")
            state = State.get(call_id)
            if state.get("s") == "ringing":
                State.put(call_id, s="connected")
                self._report(call_id, state["offer"], K.OFFER_OUTCOME_ANSWERED)
        return 1

    def ksr_failure_route(self, msg: Any) -> int:
        call_id = KSR.pv.get("$ci")
        if KSR.tm.t_is_canceled() > 0:
            return EXIT  # the caller's CANCEL hung the call up already
        state = State.get(call_id)
        code = int(KSR.pv.get("$T_reply_code") or 0)
        outcome = outcome_for(code) if state.get("s") == "ringing" else None
        call = None
        if outcome is not None:
            call = self._report(call_id, state["offer"], outcome)
        if call is None:  # cancelled by the router, or held too long: what is the call now?
            try:
                call = self.router().GetCall(K.GetCallRequest(call_id=call_id), timeout=self._timeout).call
            except grpc.RpcError as exc:
                count(counters.ROUTER_ERRORS, "GetCall", _code_name(exc))
                KSR.tm.t_reply(500, "Router Unavailable")
                State.drop(call_id)
                return EXIT
        self._act(call)
        return EXIT

    def _report(self, call_id: str, offer_id: str, outcome: int) -> router_pb2.Call | None:
        request = K.ReportOfferOutcomeRequest(call_id=call_id, offer_id=offer_id, outcome=outcome)
        try:
            return self.router().ReportOfferOutcome(request, timeout=self._timeout).call
        except grpc.RpcError as exc:
            count(counters.ROUTER_ERRORS, "ReportOfferOutcome", _code_name(exc))
            _log("info", "kamailio.report_refused", call_id=call_id, offer_id=offer_id, code=str(exc.code()))
            return None

    # Metrics (xhttp's event route: HTTP on the metrics socket, docs/kamailio.md#metrics) --------

    def ksr_xhttp_event(self, msg: Any, evname: str = "") -> int:
        """GET /metrics: the counters (counters.py) and Kamailio's own statistics; else 404."""
        if KSR.xhttp_prom.check_uri() > 0:
            KSR.xhttp_prom.dispatch()
        else:
            KSR.xhttp.xhttp_reply(404, "Not Found", "text/plain", "only /metrics is served here\n")
        return EXIT

    # Continued transactions (run in the session process, in a failure-route context) ------------

    def ksr_continue_route(self, msg: Any) -> int:
        call, self.pending = self.pending, None
        if call is not None:
            self._act(call)
        return EXIT

    # The session process ------------------------------------------------------------------------

    def ksr_session_loop(self, msg: Any, evname: str = "") -> int:
        session = Session(self.config.router_addr, self.pbx_id, self.config.lease_ms, self.config.grpc)
        session.start()
        deferred: dict[str, tuple[float, router_pb2.PbxCallEvent]] = {}
        while True:
            for event in session.events(timeout_s=0.01 if deferred else 0.5):
                if isinstance(event, Status):
                    count(counters.SESSION, event.what)
                    _log("info", f"kamailio.session_{event.what}", pbx_id=self.pbx_id, detail=event.detail)
                    continue
                if not self._on_event_safely(event):
                    deferred[event.call.call_id] = (time.monotonic() + DEFER_S, event)
                else:
                    deferred.pop(event.call.call_id, None)
                session.mark_handled(event.sequence)
            for call_id, (until, event) in list(deferred.items()):
                if self._on_event_safely(event):
                    del deferred[call_id]
                elif time.monotonic() > until:
                    count(counters.EVENTS_DROPPED, "expired")
                    _log("info", "kamailio.event_expired", call_id=call_id, kind=event.kind)
                    del deferred[call_id]

    def _on_event_safely(self, event: router_pb2.PbxCallEvent) -> bool:
        """_on_event, but a message it cannot act on is logged, counted and dropped: the session
        loop never dies (a new loop would start a new session and end every open call)."""
        try:
            return self._on_event(event)
        except Exception as exc:  # noqa: BLE001 - Kamailio's functions raise SystemError and more
            self.failed_events += 1
            count(counters.EVENTS_DROPPED, "failed")
            _log("error", "kamailio.event_failed", call_id=event.call.call_id, kind=event.kind, error=repr(exc))
            return True

    def _cancel_ringing(self, call_id: str, state: dict[str, Any]) -> None:
        """Cancels the call's ringing branch (CANCEL to the agent; the failure route follows)."""
        if KSR.tmx.t_cancel_callid(call_id, state.get("cseq", "1"), 0) < 0:
            _log("info", "kamailio.cancel_failed", call_id=call_id)  # the branch ended meanwhile
        else:
            count(counters.CANCELS, "router")

    def _on_event(self, event: router_pb2.PbxCallEvent) -> bool:
        """Acts on one message of the router; False when the call is not ready for it yet (an
        offer for a call a worker is still reporting on): the loop tries again shortly."""
        call = event.call
        state = State.get(call.call_id)
        held = state.get("s") == "held"
        if event.kind == K.PBX_CALL_EVENT_KIND_OFFERED:
            if held:
                return self._continue(state, call)
            if state.get("s") == "ringing" and state.get("offer") == event.offer_id:
                return True  # a worker rang it already
            return False  # a worker has not placed the call yet: try again shortly
        if event.kind == K.PBX_CALL_EVENT_KIND_OFFER_CANCELLED:
            if state.get("s") == "ringing" and state.get("offer") == event.offer_id:
                self._cancel_ringing(call.call_id, state)
            return True
        if event.kind == K.PBX_CALL_EVENT_KIND_ENDED:
            if held:
                return self._continue(state, call)
            if state.get("s") == "ringing":
                self._cancel_ringing(call.call_id, state)
            return True
        return True

    def _continue(self, state: dict[str, Any], call: router_pb2.Call) -> bool:
        self.pending = call
        State.put(call.call_id, s="continuing")
        if KSR.tmx.t_continue(int(state["i"]), int(state["l"]), "ksr_continue_route") < 0:
            _log("info", "kamailio.continue_failed", call_id=call.call_id)  # the caller left meanwhile
            State.drop(call.call_id)
        self.pending = None
        return True


def _refusal(exc: grpc.RpcError) -> tuple[int, str, str]:
    """The SIP reply to a refused RouteCall, and its `result` on the INVITE counter."""
    code = exc.code() if isinstance(exc, grpc.Call) else None
    if code == grpc.StatusCode.NOT_FOUND:
        return 404, "No Such Queue", "not_found"
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return 400, "Bad Request", "bad_request"
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return 486, "Busy Here", "busy"
    return 503, "Service Unavailable", "unavailable"


def _code_name(exc: grpc.RpcError) -> str:
    """A failed call's gRPC code as a label value (a bounded set: the codes' names)."""
    code = exc.code() if isinstance(exc, grpc.Call) else None
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"


def mod_init() -> Handler:
    counters.start_at_zero()
    return Handler(settings())
