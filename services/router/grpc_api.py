"""The router's gRPC servicer: each handler reads the request, calls one domain method and
converts the answer. Domain errors become gRPC status codes in one place
(`callcenter.core.grpc_server.domain_errors`), streaming RPCs included."""

from __future__ import annotations

import structlog

from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.core import errors, time_bounds
from callcenter.core.auth import check_pbx_identity
from callcenter.core.grpc_server import domain_errors
from callcenter.services.router import convert
from callcenter.services.router.model import Callback, InvalidArgument, PbxSession
from callcenter.services.router.outbound import Outbound
from callcenter.services.router.pbx_sessions import Hello, serve_session
from callcenter.services.router.router import Router
from callcenter.services.router.watch import CallWatchHub, watch_call

log = structlog.get_logger(__name__)


_domain_errors = domain_errors("the router's store")


class RouterServicer(router_pb2_grpc.RouterServiceServicer):
    def __init__(self, router: Router, hub: CallWatchHub) -> None:
        self.router = router
        self.outbound = Outbound(router)
        self.hub = hub
        self.sessions = 0  # PBX sessions this replica serves now

    @_domain_errors
    async def UpsertQueue(self, request, context):
        q = request.queue
        queue = await self.router.upsert_queue(q.name, **convert.queue_settings_from_pb(q))
        return router_pb2.UpsertQueueResponse(queue=convert.queue_to_pb(queue))

    @_domain_errors
    async def GetQueue(self, request, context):
        queue, counts = await self.router.get_queue(request.name)
        return router_pb2.GetQueueResponse(queue=convert.queue_to_pb(queue, counts))

    @_domain_errors
    async def ListQueues(self, request, context):
        return router_pb2.ListQueuesResponse(
            queues=[convert.queue_to_pb(q, c) for q, c in await self.router.list_queues()]
        )

    @_domain_errors
    async def UpsertAgent(self, request, context):
        profile, status = await self.router.upsert_agent(convert.profile_from_pb(request.agent))
        return router_pb2.UpsertAgentResponse(agent=convert.agent_to_pb(profile, status))

    @_domain_errors
    async def GetAgent(self, request, context):
        profile, status = await self.router.get_agent(request.agent_id)
        return router_pb2.GetAgentResponse(agent=convert.agent_to_pb(profile, status))

    @_domain_errors
    async def ListAgents(self, request, context):
        return router_pb2.ListAgentsResponse(
            agents=[convert.agent_to_pb(p, s) for p, s in await self.router.list_agents()]
        )

    @_domain_errors
    async def LoginAgent(self, request, context):
        status = await self.router.login(request.agent_id, request.pause_reason)
        return router_pb2.LoginAgentResponse(status=convert.status_to_pb(status))

    @_domain_errors
    async def LogoutAgent(self, request, context):
        status = await self.router.logout(request.agent_id)
        return router_pb2.LogoutAgentResponse(status=convert.status_to_pb(status))

    @_domain_errors
    async def PauseAgent(self, request, context):
        status = await self.router.pause(request.agent_id, request.reason, request.after_current_call)
        return router_pb2.PauseAgentResponse(status=convert.status_to_pb(status))

    @_domain_errors
    async def ListPauseReasons(self, request, context):
        reasons = await self.router.pause_reasons()
        return router_pb2.ListPauseReasonsResponse(reasons=[convert.pause_reason_to_pb(r) for r in reasons])

    @_domain_errors
    async def SetPauseReasons(self, request, context):
        reasons = await self.router.set_pause_reasons([convert.pause_reason_from_pb(r) for r in request.reasons])
        return router_pb2.SetPauseReasonsResponse(reasons=[convert.pause_reason_to_pb(r) for r in reasons])

    @_domain_errors
    async def ResumeAgent(self, request, context):
        status = await self.router.resume(request.agent_id)
        return router_pb2.ResumeAgentResponse(status=convert.status_to_pb(status))

    @_domain_errors
    async def EndWrapUp(self, request, context):
        status = await self.router.end_wrap_up(request.agent_id, force=request.force)
        return router_pb2.EndWrapUpResponse(status=convert.status_to_pb(status))

    @_domain_errors
    async def ExtendWrapUp(self, request, context):
        extra_ms = time_bounds.duration_ms(request.extra, "extra", negative=True)  # Router checks the range
        status = await self.router.extend_wrap_up(request.agent_id, extra_ms)
        return router_pb2.ExtendWrapUpResponse(status=convert.status_to_pb(status))

    @_domain_errors
    async def RouteCall(self, request, context):
        check_pbx_identity(request.pbx_id, "pbx_id")
        call = await self.router.route_call(
            request.call_id,
            request.caller,
            request.queue,
            request.dialed_number,
            dict(request.attributes),
            priority=request.priority,
            personal_manager_id=request.personal_manager_id,
            pbx_id=request.pbx_id,
            deal_id=request.deal_id,
        )
        return router_pb2.RouteCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def ReportOfferOutcome(self, request, context):
        outcome = convert.OUTCOME_FROM_PB.get(request.outcome)
        if outcome is None:
            raise InvalidArgument("outcome", "must be ANSWERED, NO_ANSWER, REJECTED or BUSY")
        call = await self.router.report_offer_outcome(request.call_id, request.offer_id, outcome)
        return router_pb2.ReportOfferOutcomeResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def HangupCall(self, request, context):
        call = await self.router.hangup(request.call_id)
        return router_pb2.HangupCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def GetCall(self, request, context):
        call = await self.router.get_call(request.call_id)
        return router_pb2.GetCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def MoveCallToAgent(self, request, context):
        call = await self.router.move_call_to_agent(request.call_id, request.agent_id)
        return router_pb2.MoveCallToAgentResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def MoveCallToQueue(self, request, context):
        call = await self.router.move_call_to_queue(request.call_id, request.queue)
        return router_pb2.MoveCallToQueueResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def EndCall(self, request, context):
        call = await self.router.end_call(request.call_id)
        return router_pb2.EndCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def ReassignCall(self, request, context):
        call = await self.router.reassign_call(request.call_id, request.agent_id)
        return router_pb2.ReassignCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def ListQueueCalls(self, request, context):
        found = await self.router.queue_calls(request.queue, request.page_size)
        return router_pb2.ListQueueCallsResponse(
            waiting_calls=[convert.call_to_pb(c) for c in found.waiting],
            active_calls=[convert.call_to_pb(c) for c in found.active],
            waiting_total=found.waiting_total,
            active_total=found.active_total,
        )

    @_domain_errors
    async def DeleteAgent(self, request, context):
        moved = await self.router.delete_agent(request.agent_id, request.clients_to_agent_id, request.release_clients)
        return router_pb2.DeleteAgentResponse(clients_moved=moved)

    @_domain_errors
    async def UpsertClient(self, request, context):
        client = await self.router.upsert_client(convert.client_from_pb(request.client))
        return router_pb2.UpsertClientResponse(client=convert.client_to_pb(client))

    @_domain_errors
    async def GetClient(self, request, context):
        client = await self.router.get_client(request.number)
        return router_pb2.GetClientResponse(client=convert.client_to_pb(client))

    @_domain_errors
    async def ListClients(self, request, context):
        clients = await self.router.list_clients(request.manager_id)
        return router_pb2.ListClientsResponse(clients=[convert.client_to_pb(c) for c in clients])

    @_domain_errors
    async def ReassignClients(self, request, context):
        moved = await self.router.reassign_clients(request.from_agent_id, request.to_agent_id, tuple(request.numbers))
        return router_pb2.ReassignClientsResponse(clients_moved=moved)

    @_domain_errors
    async def UpsertTeam(self, request, context):
        team = await self.router.upsert_team(convert.team_from_pb(request.team))
        return router_pb2.UpsertTeamResponse(team=convert.team_to_pb(team))

    @_domain_errors
    async def GetTeam(self, request, context):
        team = await self.router.get_team(request.team_id)
        return router_pb2.GetTeamResponse(team=convert.team_to_pb(team))

    @_domain_errors
    async def ListTeams(self, request, context):
        teams = await self.router.list_teams(request.supervisor_username, request.member_agent_id)
        return router_pb2.ListTeamsResponse(teams=[convert.team_to_pb(t) for t in teams])

    @_domain_errors
    async def DeleteTeam(self, request, context):
        await self.router.delete_team(request.team_id)
        return router_pb2.DeleteTeamResponse()

    # Outbound work ------------------------------------------------------------------

    @_domain_errors
    async def CreateOutboundCall(self, request, context):
        mode = convert.MODE_FROM_PB.get(request.mode)
        if mode is None:
            raise InvalidArgument("mode", f"{request.mode} is not an OutboundMode value")
        call = await self.outbound.create_call(
            request.call_id,
            request.number,
            request.queue,
            mode,
            request.pbx_id,
            request.agent_id,
            request.deal_id,
            dict(request.attributes),
            request.priority,
        )
        return router_pb2.CreateOutboundCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def AcceptOutboundCall(self, request, context):
        call = await self.outbound.accept(request.call_id, request.offer_id)
        return router_pb2.AcceptOutboundCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def DeclineOutboundCall(self, request, context):
        call = await self.outbound.decline(request.call_id, request.offer_id)
        return router_pb2.DeclineOutboundCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def ReportDialOutcome(self, request, context):
        outcome = convert.DIAL_OUTCOME_FROM_PB.get(request.outcome)
        if outcome is None:
            raise InvalidArgument("outcome", "must be ANSWERED, NO_ANSWER, BUSY, FAILED or AGENT_NO_ANSWER")
        call = await self.outbound.report_dial_outcome(request.call_id, request.offer_id, outcome)
        return router_pb2.ReportDialOutcomeResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def ScheduleCallback(self, request, context):
        cb = request.callback
        if cb.state not in router_pb2.CallbackState.values():  # filled by the router, yet never unknown
            raise InvalidArgument("callback.state", f"{cb.state} is not a CallbackState value")
        due = time_bounds.timestamp_ms(cb.due_at, "callback.due_at")
        stored = await self.outbound.schedule_callback(
            Callback(
                callback_id=cb.callback_id,
                number=cb.number,
                queue=cb.queue,
                due_ms=due,
                agent_id=cb.agent_id,
                deal_id=cb.deal_id,
                note=cb.note,
            ),
            origin=cb.origin or "api",
        )
        return router_pb2.ScheduleCallbackResponse(callback=convert.callback_to_pb(stored))

    @_domain_errors
    async def CancelCallback(self, request, context):
        cb = await self.outbound.cancel_callback(request.callback_id)
        return router_pb2.CancelCallbackResponse(callback=convert.callback_to_pb(cb))

    @_domain_errors
    async def GetCallback(self, request, context):
        cb = await self.outbound.get_callback(request.callback_id)
        return router_pb2.GetCallbackResponse(callback=convert.callback_to_pb(cb))

    @_domain_errors
    async def ListCallbacks(self, request, context):
        found = await self.outbound.list_callbacks(
            request.agent_id, request.queue, request.include_ended, request.page_size
        )
        return router_pb2.ListCallbacksResponse(callbacks=[convert.callback_to_pb(cb) for cb in found])

    @_domain_errors
    async def WatchCall(self, request, context):
        async for call in watch_call(self.router, self.hub, request.call_id):
            yield router_pb2.WatchCallResponse(call=convert.call_to_pb(call))

    @_domain_errors
    async def PbxSession(self, request_iterator, context):
        try:
            first = await anext(request_iterator)
        except StopAsyncIteration:
            return
        hello = _hello_from_pb(first)
        structlog.contextvars.bind_contextvars(pbx_id=hello.pbx_id)
        check_pbx_identity(hello.pbx_id, "hello.pbx_id")
        limit = self.router.store.pbx.max_sessions
        if self.sessions >= limit:
            raise errors.ResourceExhausted(f"this replica serves {limit} PBX sessions already: open it on another")
        self.sessions += 1
        try:
            async for response in self._session(hello, request_iterator):
                yield response
        finally:
            self.sessions -= 1

    async def _session(self, hello: Hello, request_iterator):

        async def heartbeats():
            async for request in request_iterator:
                if request.WhichOneof("message") != "heartbeat":
                    raise InvalidArgument("message", "after the hello a PBX sends only heartbeats")
                yield request.heartbeat.handled_sequence

        grace = self.router.store.pbx.ring_grace_ms
        async for item in serve_session(self.router, hello, heartbeats()):
            if isinstance(item, PbxSession):
                yield convert.pbx_opened_to_pb(item, grace)
            else:
                yield convert.pbx_messages_to_pb(item)


def _hello_from_pb(request: router_pb2.PbxSessionRequest) -> Hello:
    if request.WhichOneof("message") != "hello":
        raise InvalidArgument("hello", "the first message of a PBX session must be a hello")
    h = request.hello
    ring_timer = convert.RING_TIMER_FROM_PB.get(h.ring_timer)
    if ring_timer is None:
        raise InvalidArgument("hello.ring_timer", f"{h.ring_timer} is not a RingTimer value")
    if h.lease.nanos % 1_000_000:
        raise InvalidArgument("hello.lease", "must be whole milliseconds")  # its range: Router.open_pbx_session
    return Hello(
        pbx_id=h.pbx_id,
        lease_ms=time_bounds.duration_ms(h.lease, "hello.lease", negative=True),
        ring_timer=ring_timer,
        resume_after=h.resume_after_sequence,
        end_open_calls=h.end_open_calls,
    )
