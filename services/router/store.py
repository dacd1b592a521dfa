"""The router's state in Redis: every transition is one Lua script (scripts/), run atomically.

This module loads the scripts, calls them with the common arguments and turns their JSON
replies into domain objects or domain errors. Reads that need no atomicity are plain commands.
"""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
from typing import Any

import redis.asyncio as aioredis

from callcenter.core import agent_settings, event_stream, queue_settings
from callcenter.core.audit import current_actor
from callcenter.core.auth import current_caller
from callcenter.core.errors import AlreadyExists, PermissionDenied
from callcenter.services.router import metrics as router_metrics
from callcenter.services.router.config import OutboundSettings, PbxSettings, QueueDefaults
from callcenter.services.router.keys import RouterKeys, lua_preamble
from callcenter.services.router.model import (
    FINAL_CALL_STATES,
    AgentProfile,
    AgentStatus,
    Callback,
    CallView,
    Client,
    IllegalState,
    InvalidArgument,
    LeaseLapsed,
    NotAllowed,
    NotFound,
    Offer,
    OutOfRange,
    PauseReason,
    PbxSession,
    QueueCalls,
    QueueConfig,
    QueueCounts,
    StaleOffer,
    Team,
    TimerRound,
)

TRANSITIONS = (
    "login",
    "logout",
    "pause",
    "resume",
    "end_wrap_up",
    "route_call",
    "report_outcome",
    "hangup",
    "fire_timers",
    "pbx_open",
    "pbx_renew",
    "get_call",
    "upsert_client",
    "reassign_clients",
    "delete_agent",
    "extend_wrap_up",
    "reconfigure_queue",
    "move_call_to_agent",
    "move_call_to_queue",
    "end_call",
    "reassign_call",
    "set_pause_reasons",
    "list_queue_calls",
    "upsert_team",
    "delete_team",
    "create_outbound",
    "accept_outbound",
    "decline_outbound",
    "report_dial_outcome",
    "schedule_callback",
    "cancel_callback",
    "upsert_campaign",
    "add_campaign_contacts",
    "campaign_state",
    "campaign_dial",
    "upsert_segment",
    "delete_segment",
    "segment_clients",
    "add_do_not_call",
    "remove_do_not_call",
    "post_customer_message",
    "reply_conversation",
    "close_conversation",
    "transfer_conversation",
    "post_supervisor_message",
    "update_agent",
)
_ERRORS = {
    "illegal_state": IllegalState,
    "stale_offer": StaleOffer,
    "not_allowed": NotAllowed,
    "lease_lapsed": LeaseLapsed,
    "out_of_range": OutOfRange,
    "permission_denied": PermissionDenied,
}


def _script_source(name: str) -> str:
    """The key model (keys.py), lib.lua, then the entry script's body as a function, then the PBX
    stream writes the transition noted (lib.lua's header explains the convention)."""
    folder = importlib.resources.files("callcenter.services.router") / "scripts"
    return (
        lua_preamble()
        + (folder / "lib.lua").read_text()
        + "\nlocal function __entry()\n"
        + (folder / f"{name}.lua").read_text()
        + "\nend\nlocal __reply = __entry()\npbx_flush()\n"
        + "return {__reply, cjson.encode({e = MET_EVENTS, l = MET_LATE})}\n"
    )


def _opt_int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _split(csv: str | None) -> tuple[str, ...]:
    return tuple(x for x in (csv or "").split(",") if x)


class RouterStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        tenant: str,
        *,
        event_stream_maxlen: int,
        call_retention_s: int,
        pbx: PbxSettings | None = None,
        defaults: QueueDefaults | None = None,
        reader: aioredis.Redis | None = None,
        outbound: OutboundSettings | None = None,
    ) -> None:
        self.redis = redis
        # Blocking reads of PBX streams go to `reader` (a pool of their own in a replica, so
        # that open sessions never hold the connections RPCs and timers need).
        self.reader = reader or redis
        self.keys = RouterKeys(tenant)
        self.pbx = pbx = pbx or PbxSettings()
        self.defaults = defaults = defaults or QueueDefaults()
        self._common = (
            event_stream_maxlen,
            call_retention_s,
            pbx.ring_grace_ms,
            pbx.position_interval_ms,
            defaults.max_call_lifetime_ms,
            pbx.stream_maxlen,
        )
        self.outbound = outbound = outbound or OutboundSettings()
        self._after_caller = (outbound.callback_attempts, outbound.callback_retry_ms)
        self._scripts = {name: redis.register_script(_script_source(name)) for name in TRANSITIONS}

    async def _run(self, name: str, now_ms: int | str, *args: Any) -> dict[str, Any]:
        """Runs a transition. now_ms is "" (the Redis server's clock, always outside tests) or
        a hand-driven test clock's time. Its events record the RPC's actor (audit.py), if any."""
        actor = current_actor.get()
        who = (actor.name, actor.via) if actor is not None else ("", "")
        caller = current_caller.get()
        pbx_caller = caller.name if caller is not None and caller.role == "pbx" else ""  # its own calls only
        raw, reported = await self._scripts[name](
            keys=[self.keys.prefix], args=[now_ms, *self._common, *who, pbx_caller, *self._after_caller, *args]
        )
        router_metrics.count(reported)
        reply = json.loads(raw)
        if "err" in reply:
            if reply["err"] == "not_found":
                raise NotFound(reply["msg"])
            if reply["err"] == "already_exists":
                raise AlreadyExists(reply["msg"])
            if reply["err"] == "invalid_argument":  # a field only the script can judge (state: its name)
                raise InvalidArgument(reply["state"], reply["msg"])
            raise _ERRORS[reply["err"]](reply["msg"], reply["state"])
        return reply

    async def run(self, name: str, now_ms: int | str, *args: Any) -> dict[str, Any]:
        """A transition's JSON reply (for the domain modules with replies of their own: campaigns)."""
        return await self._run(name, now_ms, *args)

    # Transitions ----------------------------------------------------------------------

    async def agent_transition(self, name: str, now_ms: int, agent_id: str, *args: str) -> AgentStatus:
        reply = await self._run(name, now_ms, agent_id, *args)
        return agent_status(agent_id, reply["agent"])

    async def route_call(
        self,
        now_ms: int,
        call_id: str,
        caller: str,
        queue: str,
        attributes: dict[str, str],
        priority: int = 0,
        personal_manager_id: str = "",
        pbx_id: str = "",
        deal_id: str = "",
    ) -> CallView:
        reply = await self._run(
            "route_call",
            now_ms,
            call_id,
            caller,
            queue,
            json.dumps(attributes),
            priority,
            personal_manager_id,
            pbx_id,
            deal_id,
        )
        return call_view(reply["call"])

    async def report_outcome(self, now_ms: int, call_id: str, offer_id: str, outcome: str) -> CallView:
        return call_view((await self._run("report_outcome", now_ms, call_id, offer_id, outcome))["call"])

    async def hangup(self, now_ms: int, call_id: str) -> CallView:
        return call_view((await self._run("hangup", now_ms, call_id))["call"])

    async def call_control(self, name: str, now_ms: int | str, call_id: str, *args: str) -> CallView:
        """A supervisor's live call control (move_call_to_agent, move_call_to_queue, end_call,
        reassign_call): one transition each, returning the call after it."""
        return call_view((await self._run(name, now_ms, call_id, *args))["call"])

    async def call_transition(self, name: str, now_ms: int | str, *args: Any) -> CallView:
        """A transition of one call (create_outbound, accept_outbound, …) returning the call."""
        return call_view((await self._run(name, now_ms, *args))["call"])

    async def callback_transition(self, name: str, now_ms: int | str, *args: Any) -> Callback:
        """schedule_callback or cancel_callback, returning the callback after it."""
        return callback_from_hash((await self._run(name, now_ms, *args))["callback"])

    async def redis_now_ms(self) -> int:
        """The Redis server's clock (the one clock of every transition), in ms."""
        seconds, micros = await self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    async def get_callback(self, callback_id: str) -> Callback | None:
        h = await self.redis.hgetall(self.keys.callback(callback_id))
        return callback_from_hash(h) if h.get("id") else None

    async def list_callbacks(self, agent_id: str, queue: str, include_ended: bool, limit: int) -> list[Callback]:
        """Live callbacks (of an agent, a queue, or all) soonest first; then, if asked, the
        newest ended ones."""
        if agent_id:
            index = self.keys.agent_callbacks(agent_id)
        elif queue:
            index = self.keys.queue_callbacks(queue)
        else:
            index = self.keys.callbacks
        ids = list(await self.redis.zrange(index, 0, limit - 1))
        if include_ended and len(ids) < limit:
            ids += await self.redis.zrevrange(self.keys.callbacks_ended, 0, -1)
        async with self.redis.pipeline(transaction=False) as pipe:
            for callback_id in ids:
                pipe.hgetall(self.keys.callback(callback_id))
            found = [callback_from_hash(h) for h in await pipe.execute() if h.get("id")]
        if agent_id or queue:
            found = [
                cb for cb in found if (not agent_id or cb.agent_id == agent_id) and (not queue or cb.queue == queue)
            ]
        return found[:limit]

    async def get_call(self, now_ms: int, call_id: str) -> CallView:
        return call_view((await self._run("get_call", now_ms, call_id))["call"])

    async def queue_calls(self, now_ms: int | str, queue: str, limit: int) -> QueueCalls:
        """A queue's live calls, read in one script run (list_queue_calls.lua; no writes)."""
        reply = await self._run("list_queue_calls", now_ms, queue, limit)
        return QueueCalls(
            waiting=sorted((call_view(c) for c in reply["waiting"] or ()), key=lambda c: c.queue_position),
            active=sorted((call_view(c) for c in reply["active"] or ()), key=lambda c: c.received_ms),
            waiting_total=int(reply["waiting_total"]),
            active_total=int(reply["active_total"]),
        )

    async def upsert_client(self, now_ms: int, client: Client) -> Client:
        reply = await self._run(
            "upsert_client",
            now_ms,
            client.number,
            client.name,
            client.priority,
            client.manager_id,
            client.time_zone,
            json.dumps(client.attributes, sort_keys=True),
        )
        return client_from_hash(reply["client"])

    async def reassign_clients(self, now_ms: int, from_agent: str, to_agent: str, numbers: tuple[str, ...] = ()) -> int:
        return (await self._run("reassign_clients", now_ms, from_agent, to_agent, ",".join(numbers)))["moved"]

    async def delete_agent(self, now_ms: int, agent_id: str, clients_to: str, release_clients: bool) -> int:
        return (await self._run("delete_agent", now_ms, agent_id, clients_to, "1" if release_clients else "0"))["moved"]

    async def get_client(self, number: str) -> Client | None:
        h = await self.redis.hgetall(self.keys.client(number))
        return client_from_hash(h) if h else None

    async def list_clients(self, manager_id: str) -> list[Client]:
        numbers = sorted(await self.redis.smembers(self.keys.agent_clients(manager_id)))
        async with self.redis.pipeline(transaction=False) as p:
            for number in numbers:
                p.hgetall(self.keys.client(number))
            found = await p.execute()
        return [client_from_hash(h) for h in found if h]

    async def upsert_team(self, now_ms: int, team: Team, most: int) -> Team:
        reply = await self._run(
            "upsert_team",
            now_ms,
            team.team_id,
            team.name,
            ",".join(team.member_agent_ids),
            ",".join(team.supervisor_usernames),
            most,
        )
        return team_from_hash(reply["team"])

    async def delete_team(self, now_ms: int, team_id: str) -> None:
        await self._run("delete_team", now_ms, team_id)

    async def get_team(self, team_id: str) -> Team | None:
        h = await self.redis.hgetall(self.keys.team(team_id))
        return team_from_hash(h) if h else None

    async def list_teams(self, supervisor: str = "", member: str = "") -> list[Team]:
        """Every team, or those of one supervisor (a gateway user) or one member agent."""
        if supervisor:
            index = self.keys.supervisor_teams(supervisor)
        elif member:
            index = self.keys.agent_teams(member)
        else:
            index = self.keys.teams
        ids = sorted(await self.redis.smembers(index))
        async with self.redis.pipeline(transaction=False) as p:
            for team_id in ids:
                p.hgetall(self.keys.team(team_id))
            found = await p.execute()
        return [team_from_hash(h) for h in found if h]

    async def fire_due_timers(self, now_ms: int | str, limit: int) -> TimerRound:
        """Fires up to limit due timers (by the Redis clock) in one script run."""
        reply = await self._run("fire_timers", now_ms, limit)
        return TimerRound(fired=reply["fired"], late_ms=reply["late_ms"], now_ms=reply["now"], next_ms=reply["next"])

    async def next_deadline_ms(self) -> int | None:
        first = await self.redis.zrange(self.keys.timers, 0, 0, withscores=True)
        return int(first[0][1]) if first else None

    # PBX sessions ---------------------------------------------------------------------

    async def pbx_open(
        self, now_ms: int | str, pbx_id: str, lease_ms: int, ring_timer: str, resume_after: int, end_open_calls: bool
    ) -> PbxSession:
        reply = await self._run(
            "pbx_open", now_ms, pbx_id, lease_ms, ring_timer, resume_after, "1" if end_open_calls else "0"
        )
        return PbxSession(
            pbx_id=pbx_id,
            sequence=int(reply["seq"]),
            lease_ms=lease_ms,
            lease_until_ms=int(reply["lease_until"]),
            ring_timer=ring_timer,
            open_calls=int(reply["open_calls"]),
        )

    async def pbx_renew(self, now_ms: int | str, pbx_id: str, handled: int) -> int:
        """Renews a PBX's lease; returns when it lapses now."""
        return int((await self._run("pbx_renew", now_ms, pbx_id, handled))["lease_until"])

    async def pbx_messages(
        self, pbx_id: str, after: int, block_ms: int, count: int = 500
    ) -> list[tuple[int, dict[str, str]]]:
        """The PBX's stream messages after sequence `after` (waiting up to block_ms for one),
        read on `reader`."""
        reply = await self.reader.xread({self.keys.pbx_events(pbx_id): f"0-{after}"}, block=block_ms, count=count)
        return [(int(i.split("-", 1)[1]), fields) for _key, entries in reply or () for i, fields in entries]

    # Configuration --------------------------------------------------------------------

    async def get_pause_reasons(self) -> tuple[PauseReason, ...] | None:
        """The configured pause reasons, None when no list was ever set."""
        raw = await self.redis.get(self.keys.pause_reasons)
        if raw is None:
            return None
        return tuple(PauseReason(code=r["code"], label=r["label"]) for r in json.loads(raw))

    async def set_pause_reasons(self, now_ms: int | str, reasons: tuple[PauseReason, ...]) -> None:
        listed = json.dumps([{"code": r.code, "label": r.label} for r in reasons])
        await self._run("set_pause_reasons", now_ms, listed, ",".join(r.code for r in reasons))

    async def put_queue(self, queue: QueueConfig) -> None:
        key = self.keys.queue(queue.name)
        old = await self.redis.hgetall(key)
        old_numbers = _split(old.get("dialed_numbers"))
        new = queue_settings.to_redis(queue)
        audit = await self._profile_event("QUEUE_UPDATED", old, new, queue=queue.name)
        async with self.redis.pipeline(transaction=True) as tx:
            if audit:
                tx.xadd(self.keys.events, audit, maxlen=self._common[0], approximate=True)
            tx.hset(key, mapping=new)
            tx.sadd(self.keys.queues, queue.name)
            stale = [n for n in old_numbers if n not in queue.dialed_numbers]
            if stale:
                tx.hdel(self.keys.dialed_numbers, *stale)
            for number in queue.dialed_numbers:
                tx.hset(self.keys.dialed_numbers, number, queue.name)
            await tx.execute()

    async def reconfigure_queue(self, now_ms: int, name: str) -> None:
        """Applies a queue's changed rules to its free agents and waiting calls."""
        await self._run("reconfigure_queue", now_ms, name)

    async def queue_for_number(self, number: str) -> str | None:
        return await self.redis.hget(self.keys.dialed_numbers, number)

    async def get_queue(self, name: str) -> QueueConfig | None:
        h = await self.redis.hgetall(self.keys.queue(name))
        return queue_settings.from_redis(h, self.defaults) if h else None

    async def queue_names(self) -> list[str]:
        return sorted(await self.redis.smembers(self.keys.queues))

    async def queue_counts(self, name: str) -> QueueCounts:
        async with self.redis.pipeline(transaction=False) as p:
            p.zcard(self.keys.waiting_all(name))
            p.zrange(self.keys.waiting_all(name), 0, 0, withscores=True)
            p.zcard(self.keys.available(name))
            waiting, oldest, available = await p.execute()
        return QueueCounts(
            waiting=waiting, available_agents=available, oldest_waiting_since_ms=int(oldest[0][1]) if oldest else None
        )

    async def put_agent(self, now_ms: int | str, profile: AgentProfile) -> None:
        """Stores an agent's profile; a logged-in agent's change applies at once (update_agent.lua:
        their queues, rotation and what they now may take), in the same transition as its
        AGENT_UPDATED audit event."""
        fields = agent_settings.to_redis(dataclasses.asdict(profile))
        await self._run("update_agent", now_ms, profile.id, *(x for pair in fields.items() for x in pair))

    async def _profile_event(self, kind: str, old: dict[str, str], new: dict[str, Any], **ids: str) -> dict[str, str]:
        """The audit event of a profile change made on someone's behalf (docs/security.md): the
        fields that change, written in the change's transaction and stamped by the Redis clock.
        Empty (no event) without an actor or without a change."""
        changed = [name for name, value in new.items() if old.get(name, "") != str(value)]
        if current_actor.get() is None or not changed:
            return {}
        seconds, micros = await self.redis.time()
        return event_stream.entry(
            kind, seconds * 1000 + micros // 1000, **ids,
            reason="updated" if old else "created", attributes={"changed": ",".join(changed)},
        )  # fmt: skip

    async def get_agent(self, agent_id: str) -> tuple[AgentProfile, AgentStatus] | None:
        h = await self.redis.hgetall(self.keys.agent(agent_id))
        if not h:
            return None
        return agent_profile(h), agent_status(agent_id, h)

    async def agent_ids(self) -> list[str]:
        return sorted(await self.redis.smembers(self.keys.agents))

    async def all_agents(self) -> list[tuple[AgentProfile, AgentStatus]]:
        """Every agent, read in one pipelined round trip (the dashboard asks often)."""
        ids = await self.agent_ids()
        async with self.redis.pipeline(transaction=False) as p:
            for agent_id in ids:
                p.hgetall(self.keys.agent(agent_id))
            hashes = await p.execute()
        return [(agent_profile(h), agent_status(agent_id, h)) for agent_id, h in zip(ids, hashes, strict=True) if h]


def agent_profile(h: dict[str, str]) -> AgentProfile:
    return AgentProfile(**agent_settings.from_redis(h))


def agent_status(agent_id: str, h: dict[str, Any]) -> AgentStatus:
    state = h.get("state") or "logged_out"
    return AgentStatus(
        agent_id=agent_id,
        state=state,
        since_ms=_opt_int(h.get("since")),
        pause_reason=h.get("reason", "") if state == "paused" else "",
        call_id=h.get("call", "") if state in ("reserved", "on_call", "wrap_up") else "",
        wrap_up_ends_ms=_opt_int(h.get("wrap_ends")) if state == "wrap_up" else None,
        queues=_split(h.get("session_queues")) if state != "logged_out" else (),
        calls_answered=int(h.get("calls") or 0) if state != "logged_out" else 0,
        pending_pause_reason=h.get("pause_after", "") if state in ("reserved", "on_call", "wrap_up") else "",
        pending_pause_by=h.get("pause_after_by", "") if state in ("reserved", "on_call", "wrap_up") else "",
    )


def call_view(c: dict[str, Any]) -> CallView:
    state = c["state"]
    offer = None
    if state in ("ringing", "dialing"):
        deadline, offered_at = int(c["ring_deadline"]), int(c["offered_at"])
        offer = Offer(
            offer_id=c["offer"],
            agent_id=c["agent"],
            endpoint=c.get("endpoint", ""),
            ring_timeout_ms=int(c.get("ring_ms") or deadline - offered_at),
            expires_at_ms=deadline,
            attempt=int(c["offers"]),
        )
    answered = _opt_int(c.get("answered"))
    return CallView(
        call_id=c["id"],
        caller=c.get("caller", ""),
        queue=c["queue"],
        state=state,
        version=int(c["version"]),
        offers=int(c.get("offers") or 0),
        received_ms=int(c["received"]),
        offer=offer,
        queue_position=int(c.get("queue_position") or 0),
        agent_id=c.get("agent", "") if answered is not None else "",
        answered_ms=answered,
        ended_ms=_opt_int(c.get("ended")),
        attributes=json.loads(c.get("attrs") or "{}"),
        priority=int(c.get("priority") or 0),
        personal_manager_id=c.get("manager", ""),
        stage=c.get("stage", "") if state not in FINAL_CALL_STATES else "",
        estimated_wait_ms=_opt_int(c.get("estimated_wait_ms")),
        redirect_to=c.get("redirect_to", ""),
        pbx_id=c.get("pbx", ""),
        end_reason=c.get("end_reason", ""),
        direction=c.get("direction") or "inbound",
        outbound_mode=c.get("mode", ""),
        campaign_id=c.get("campaign", ""),
        callback_id=c.get("callback", ""),
        deal_id=c.get("deal", ""),
    )


def callback_from_hash(h: dict[str, Any]) -> Callback:
    return Callback(
        callback_id=h["id"],
        number=h.get("number", ""),
        queue=h.get("queue", ""),
        due_ms=int(h.get("due") or 0),
        agent_id=h.get("agent", ""),
        deal_id=h.get("deal", ""),
        note=h.get("note", ""),
        state=h.get("state", "scheduled"),
        origin=h.get("origin", ""),
        attempts=int(h.get("attempts") or 0),
        call_id=h.get("call", ""),
        ended_reason=h.get("ended_reason", ""),
        created_by=h.get("created_by", ""),
    )


def client_from_hash(h: dict[str, Any]) -> Client:
    return Client(
        number=h["number"],
        name=h.get("name", ""),
        priority=int(h.get("priority") or 0),
        manager_id=h.get("manager", ""),
        time_zone=h.get("time_zone", ""),
        attributes=json.loads(h.get("attributes") or "{}"),
    )


def team_from_hash(h: dict[str, Any]) -> Team:
    return Team(
        team_id=h["team_id"],
        name=h.get("name", ""),
        member_agent_ids=_split(h.get("members")),
        supervisor_usernames=_split(h.get("supervisors")),
    )
