"""The router's domain layer: validates requests, runs the transition, logs what happened.

It knows nothing of gRPC: the gRPC servicer (grpc_api.py) and the config-file loader call it,
and it raises the errors of model.py.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import structlog

from callcenter.core import agent_settings, ids, queue_settings
from callcenter.core.call_ids import call_id_problem
from callcenter.core.clock import Clock
from callcenter.core.phone_numbers import phone_problem
from callcenter.core.queue_settings import QueueConfig
from callcenter.services.router.calling_hours import zone
from callcenter.services.router.config import QueueDefaults
from callcenter.services.router.model import (
    AUTOMATIC_PAUSE_REASONS,
    DEFAULT_PAUSE_REASONS,
    MAX_ATTRIBUTE_LENGTH,
    MAX_ATTRIBUTES,
    MAX_LEASE_MS,
    MAX_PAUSE_REASONS,
    MAX_PRIORITY,
    MAX_QUEUE_CALLS,
    MAX_TEAM_MEMBERS,
    MAX_TEAM_SUPERVISORS,
    MAX_TEAMS,
    MAX_TEXT,
    MIN_LEASE_MS,
    OFFER_OUTCOMES,
    RING_TIMERS,
    AgentProfile,
    AgentStatus,
    CallView,
    Client,
    IllegalState,
    InvalidArgument,
    NotFound,
    PauseReason,
    PbxSession,
    QueueCalls,
    QueueCounts,
    Team,
    TimerRound,
)
from callcenter.services.router.store import RouterStore

log = structlog.get_logger(__name__)


def _check_name(field_name: str, value: str) -> None:
    ids.check_name(value, field_name)  # the one rule of every service (callcenter/core/ids.py)


def _check_call_id(value: str, field_name: str = "call_id") -> None:
    problem = call_id_problem(value)
    if problem:
        raise InvalidArgument(field_name, problem)


def _check_offer_id(call_id: str, offer_id: str) -> None:
    """An offer id is "<call id>#<attempt>", as the router made it."""
    call_part, _, attempt = offer_id.rpartition("#")
    if not offer_id:
        raise InvalidArgument("offer_id", "is required")
    if call_part != call_id or not attempt.isdigit() or len(attempt) > 9:
        raise InvalidArgument("offer_id", f"{offer_id[:80]!r} is not an offer of call {call_id[:80]!r}")


#: A gateway user name (services/gateway/users.py): a team's supervisors.
_USERNAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}\Z")


def _check_username(field_name: str, value: str) -> None:
    if not _USERNAME.match(value):
        raise InvalidArgument(field_name, f"{value[:80]!r} must be 1-64 letters, digits or _.@-")


def _check_names(
    field_name: str, values: tuple[str, ...] | list[str], most: int, usernames: bool = False
) -> tuple[str, ...]:
    """Distinct names (agent ids, or gateway user names), at most `most`, sorted."""
    if len(values) > most:
        raise InvalidArgument(field_name, f"has {len(values)} entries; at most {most}")
    for i, value in enumerate(values):
        if not usernames:
            _check_name(f"{field_name}[{i}]", value)
        else:
            _check_username(f"{field_name}[{i}]", value)
    if len(set(values)) != len(values):
        raise InvalidArgument(field_name, "names an entry twice")
    return tuple(sorted(values))


def _check_text(field_name: str, value: str, limit: int = MAX_TEXT) -> None:
    if len(value) > limit:
        raise InvalidArgument(field_name, f"is longer than {limit} characters")
    if any(ch in value for ch in "\r\n\0"):
        raise InvalidArgument(field_name, "must not contain line breaks or NUL")


def _check_phone(field_name: str, value: str) -> None:
    problem = phone_problem(value)
    if problem:
        raise InvalidArgument(field_name, problem)


#: A client attribute's key (what segments select by): no ':' (attribute:<key>:<value> keys).
_ATTRIBUTE_KEY = re.compile(r"\A[a-z0-9_]{1,64}\Z")
MAX_CLIENT_ATTRIBUTES = 32


def _check_attribute_key(field_name: str, key: str) -> None:
    if not _ATTRIBUTE_KEY.match(key):
        raise InvalidArgument(field_name, f"{key[:64]!r} is not an attribute key: 1-64 of a-z, 0-9 and '_'")


def _check_attribute_value(field_name: str, value: str) -> None:
    if not value:
        raise InvalidArgument(field_name, "is empty")
    _check_text(field_name, value, MAX_ATTRIBUTE_LENGTH)


def _check_client_attributes(attributes: dict[str, str], field_name: str = "client.attributes") -> None:
    if len(attributes) > MAX_CLIENT_ATTRIBUTES:
        raise InvalidArgument(field_name, f"at most {MAX_CLIENT_ATTRIBUTES} attributes")
    for key, value in sorted(attributes.items()):
        _check_attribute_key(field_name, key)
        _check_attribute_value(f"{field_name}[{key}]", value)


# What the router's other domain modules (outbound.py) check requests with.
check_call_id, check_offer_id, check_phone, check_text = _check_call_id, _check_offer_id, _check_phone, _check_text
check_attribute_key, check_attribute_value = _check_attribute_key, _check_attribute_value


class Router:
    """clock: None (always, outside tests): every transition takes its time from the Redis
    server's clock inside its script. A test passes a hand-driven clock instead."""

    def __init__(self, store: RouterStore, clock: Clock | None = None, defaults: QueueDefaults | None = None) -> None:
        self.store = store
        self.clock = clock
        self.defaults = defaults or QueueDefaults()
        self.last_round: TimerRound | None = None  # the timer script's last reply

    def _now(self) -> int | str:
        return "" if self.clock is None else self.clock.now_ms()

    def now(self) -> int | str:
        """What a transition is given as its time: "" (the Redis clock) or the test clock's."""
        return self._now()

    async def redis_now_ms(self) -> int:
        """Now, in ms, by the clock the transitions use (for bounds checked before one)."""
        return self.clock.now_ms() if self.clock is not None else await self.store.redis_now_ms()

    # Queues ---------------------------------------------------------------------------

    async def upsert_queue(self, name: str, **settings: Any) -> QueueConfig:
        """Creates or replaces a queue. `settings` are callcenter.core.queue_settings attributes
        (ring_timeout_ms=…); one left out, or None, is unset: it takes its default (see
        QUEUE_SETTINGS for what unset and zero mean per setting)."""
        _check_name("queue.name", name)
        try:
            resolved = queue_settings.resolve(settings, self.defaults, lambda s: f"queue.{s.name}")
        except queue_settings.SettingError as exc:
            raise InvalidArgument(exc.field, exc.problem) from exc
        queue = QueueConfig(name=name, **resolved)
        if queue.overflow_queue:
            if queue.overflow_queue == name:
                raise InvalidArgument("queue.overflow_queue", "must be another queue")
            if await self.store.get_queue(queue.overflow_queue) is None:
                raise InvalidArgument("queue.overflow_queue", f"queue {queue.overflow_queue} does not exist")
        for number in queue.dialed_numbers:
            owner = await self.store.queue_for_number(number)
            if owner not in (None, name):
                raise InvalidArgument("queue.dialed_numbers", f"{number} already belongs to queue {owner}")
        await self.store.put_queue(queue)
        await self.store.reconfigure_queue(self._now(), name)
        log.info(
            "queue.saved",
            queue=name,
            strategy=queue.strategy,
            ring_timeout_ms=queue.ring_timeout_ms,
            wrap_up_ms=queue.wrap_up_ms,
        )
        return queue

    async def get_queue(self, name: str) -> tuple[QueueConfig, QueueCounts]:
        _check_name("name", name)
        queue = await self.store.get_queue(name)
        if queue is None:
            raise NotFound(f"queue {name} does not exist")
        return queue, await self.store.queue_counts(name)

    async def list_queues(self) -> list[tuple[QueueConfig, QueueCounts]]:
        return [await self.get_queue(name) for name in await self.store.queue_names()]

    # Agents ---------------------------------------------------------------------------

    async def upsert_agent(self, profile: AgentProfile) -> tuple[AgentProfile, AgentStatus]:
        try:
            profile = AgentProfile(**agent_settings.validate(dataclasses.asdict(profile)))
        except agent_settings.SettingError as exc:
            raise InvalidArgument(exc.field, exc.problem) from exc
        for i, queue in enumerate(profile.queues):
            if await self.store.get_queue(queue) is None:
                raise InvalidArgument(f"agent.queues[{i}]", f"queue {queue} does not exist")
        await self.store.put_agent(self._now(), profile)
        log.info("agent.saved", agent_id=profile.id, queues=list(profile.queues))
        return await self.get_agent(profile.id)

    async def get_agent(self, agent_id: str) -> tuple[AgentProfile, AgentStatus]:
        _check_name("agent_id", agent_id)
        found = await self.store.get_agent(agent_id)
        if found is None:
            raise NotFound(f"agent {agent_id} does not exist")
        return found

    async def list_agents(self) -> list[tuple[AgentProfile, AgentStatus]]:
        return await self.store.all_agents()

    async def _agent_transition(self, name: str, agent_id: str, *args: str) -> AgentStatus:
        _check_name("agent_id", agent_id)
        status = await self.store.agent_transition(name, self._now(), agent_id, *args)
        log.info(f"agent.{name}", agent_id=agent_id, state=status.state, call_id=status.call_id or None)
        return status

    async def login(self, agent_id: str, pause_reason: str = "") -> AgentStatus:
        """Logs an agent in: available, or paused for one of the site's pause reasons."""
        if pause_reason:
            await self._check_pause_reason("pause_reason", pause_reason)
        return await self._agent_transition("login", agent_id, pause_reason)

    async def logout(self, agent_id: str) -> AgentStatus:
        return await self._agent_transition("logout", agent_id)

    async def pause(self, agent_id: str, reason: str, after_current_call: bool = False) -> AgentStatus:
        """Pauses an agent for one of the site's pause reasons; after_current_call: a busy
        agent (reserved, on a call, in wrap-up) is paused when they leave the call or its
        wrap-up (a pending pause, shown in their status), an idle one at once."""
        if not reason:
            raise InvalidArgument("reason", "is required")
        await self._check_pause_reason("reason", reason)
        return await self._agent_transition("pause", agent_id, reason, "1" if after_current_call else "0")

    async def _check_pause_reason(self, field: str, reason: str) -> None:
        """InvalidArgument naming `field` unless reason is one of the site's pause reasons."""
        _check_text(field, reason, 64)
        codes = [r.code for r in await self.pause_reasons()]
        if reason not in codes:
            raise InvalidArgument(field, f"{reason[:64]!r} is not a pause reason: one of {', '.join(codes)}")

    async def pause_reasons(self) -> tuple[PauseReason, ...]:
        """The site's pause reasons: the configured ones (the defaults until a list is set),
        then the router's automatic ones."""
        configured = await self.store.get_pause_reasons()
        return (DEFAULT_PAUSE_REASONS if configured is None else configured) + AUTOMATIC_PAUSE_REASONS

    async def set_pause_reasons(self, reasons: list[PauseReason]) -> tuple[PauseReason, ...]:
        """Replaces the configured pause reasons (1 to MAX_PAUSE_REASONS, distinct codes)."""
        if not 1 <= len(reasons) <= MAX_PAUSE_REASONS:
            raise InvalidArgument("reasons", f"must list 1 to {MAX_PAUSE_REASONS} reasons")
        automatic = {r.code for r in AUTOMATIC_PAUSE_REASONS}
        seen: set[str] = set()
        for i, r in enumerate(reasons):
            _check_name(f"reasons[{i}].code", r.code)
            if r.code in automatic:
                raise InvalidArgument(f"reasons[{i}].code", f"{r.code} is the router's own automatic reason")
            if r.code in seen:
                raise InvalidArgument(f"reasons[{i}].code", f"{r.code} is listed twice")
            seen.add(r.code)
            if not r.label.strip():
                raise InvalidArgument(f"reasons[{i}].label", "is required")
            _check_text(f"reasons[{i}].label", r.label, 64)
        listed = tuple(PauseReason(code=r.code, label=r.label) for r in reasons)
        await self.store.set_pause_reasons(self._now(), listed)
        log.info("pause_reasons.saved", codes=[r.code for r in listed])
        return await self.pause_reasons()

    async def resume(self, agent_id: str) -> AgentStatus:
        return await self._agent_transition("resume", agent_id)

    async def end_wrap_up(self, agent_id: str, force: bool = False) -> AgentStatus:
        """Ends a wrap-up early: where the queue allows it, or always when forced (supervisor)."""
        return await self._agent_transition("end_wrap_up", agent_id, "1" if force else "0")

    async def extend_wrap_up(self, agent_id: str, extra_ms: int) -> AgentStatus:
        if not 0 < extra_ms <= 3_600_000:
            raise InvalidArgument("extra", "must be more than 0 and at most 1 hour")
        return await self._agent_transition("extend_wrap_up", agent_id, str(extra_ms))

    # Calls ----------------------------------------------------------------------------

    async def route_call(
        self,
        call_id: str,
        caller: str,
        queue: str = "",
        dialed_number: str = "",
        attributes: dict[str, str] | None = None,
        priority: int = 0,
        personal_manager_id: str = "",
        pbx_id: str = "",
        deal_id: str = "",
    ) -> CallView:
        """deal_id: the deal (stats lead) the call is about; its owner is offered it first."""
        _check_call_id(call_id)
        if pbx_id:
            _check_name("pbx_id", pbx_id)
        _check_text("caller", caller, 64)
        if not 0 <= priority <= MAX_PRIORITY:
            raise InvalidArgument("priority", f"must be 0-{MAX_PRIORITY}")
        if personal_manager_id:
            _check_name("personal_manager_id", personal_manager_id)
        if deal_id:
            ids.check_lead_id(deal_id, "deal_id")
        attributes = attributes or {}
        if len(attributes) > MAX_ATTRIBUTES:
            raise InvalidArgument("attributes", f"at most {MAX_ATTRIBUTES} entries")
        for key, value in attributes.items():
            if not key or len(key) > MAX_ATTRIBUTE_LENGTH or len(value) > MAX_ATTRIBUTE_LENGTH:
                raise InvalidArgument(f"attributes[{key}]", f"keys and values are 1-{MAX_ATTRIBUTE_LENGTH} characters")
        if not queue:
            if not dialed_number:
                raise InvalidArgument("queue", "queue or dialed_number is required")
            _check_text("dialed_number", dialed_number, 32)
            found = await self.store.queue_for_number(dialed_number)
            if found is None:
                raise NotFound(f"no queue answers dialled number {dialed_number}")
            queue = found
        _check_name("queue", queue)
        call = await self.store.route_call(
            self._now(), call_id, caller, queue, attributes, priority, personal_manager_id, pbx_id, deal_id
        )
        log.info(
            "call.routed",
            call_id=call_id,
            pbx_id=pbx_id or None,
            deal_id=deal_id or None,
            queue=queue,
            state=call.state,
            agent_id=call.offer.agent_id if call.offer else None,
        )
        return call

    async def report_offer_outcome(self, call_id: str, offer_id: str, outcome: str) -> CallView:
        _check_call_id(call_id)
        _check_offer_id(call_id, offer_id)
        if outcome not in OFFER_OUTCOMES:
            raise InvalidArgument("outcome", f"must be one of {', '.join(OFFER_OUTCOMES)}")
        call = await self.store.report_outcome(self._now(), call_id, offer_id, outcome)
        log.info(
            "call.offer_reported",
            call_id=call_id,
            offer_id=offer_id,
            outcome=outcome,
            state=call.state,
            agent_id=call.offer.agent_id if call.offer else call.agent_id or None,
        )
        return call

    async def hangup(self, call_id: str) -> CallView:
        _check_call_id(call_id)
        call = await self.store.hangup(self._now(), call_id)
        log.info("call.hung_up", call_id=call_id, state=call.state, agent_id=call.agent_id or None)
        return call

    async def get_call(self, call_id: str) -> CallView:
        _check_call_id(call_id)
        return await self.store.get_call(self._now(), call_id)

    async def queue_calls(self, queue: str, page_size: int = 0) -> QueueCalls:
        """A queue's live calls: waiting (by position), ringing or connected; page_size of each."""
        _check_name("queue", queue)
        if not 0 <= page_size <= MAX_QUEUE_CALLS:
            raise InvalidArgument("page_size", f"must be 1-{MAX_QUEUE_CALLS} (0: {MAX_QUEUE_CALLS})")
        return await self.store.queue_calls(self._now(), queue, page_size or MAX_QUEUE_CALLS)

    # Live call control (a supervisor's, through the gateway) ---------------------------

    async def _call_control(self, name: str, call_id: str, *args: str) -> CallView:
        call = await self.store.call_control(name, self._now(), call_id, *args)
        log.info(
            f"call.{name}",
            call_id=call_id,
            queue=call.queue,
            state=call.state,
            agent_id=call.offer.agent_id if call.offer else call.agent_id or None,
        )
        return call

    async def move_call_to_agent(self, call_id: str, agent_id: str) -> CallView:
        """A waiting call is offered to the named (available) agent at once."""
        _check_call_id(call_id)
        _check_name("agent_id", agent_id)
        return await self._call_control("move_call_to_agent", call_id, agent_id)

    async def move_call_to_queue(self, call_id: str, queue: str) -> CallView:
        """A waiting call moves to another queue, keeping its arrival time and priority."""
        _check_call_id(call_id)
        _check_name("queue", queue)
        return await self._call_control("move_call_to_queue", call_id, queue)

    async def end_call(self, call_id: str) -> CallView:
        """A live call ends at once (reason ended_by_supervisor)."""
        _check_call_id(call_id)
        return await self._call_control("end_call", call_id)

    async def reassign_call(self, call_id: str, agent_id: str = "") -> CallView:
        """A ringing call's offer is cancelled; it goes to agent_id, or back to its queue ('')."""
        _check_call_id(call_id)
        if agent_id:
            _check_name("agent_id", agent_id)
        return await self._call_control("reassign_call", call_id, agent_id)

    # Clients and their personal managers ---------------------------------------------

    async def upsert_client(self, client: Client) -> Client:
        _check_phone("client.number", client.number)
        _check_text("client.name", client.name)
        if not 0 <= client.priority <= MAX_PRIORITY:
            raise InvalidArgument("client.priority", f"must be 0-{MAX_PRIORITY}")
        if client.manager_id:
            _check_name("client.manager_id", client.manager_id)
        if client.time_zone:
            zone(client.time_zone, "client.time_zone")
        _check_client_attributes(client.attributes)
        stored = await self.store.upsert_client(self._now(), client)
        log.info("client.saved", client=client.number, agent_id=client.manager_id or None)
        return stored

    async def get_client(self, number: str) -> Client:
        _check_phone("number", number)
        client = await self.store.get_client(number)
        if client is None:
            raise NotFound(f"client {number} does not exist")
        return client

    async def list_clients(self, manager_id: str) -> list[Client]:
        _check_name("manager_id", manager_id)
        return await self.store.list_clients(manager_id)

    async def reassign_clients(self, from_agent_id: str, to_agent_id: str, numbers: tuple[str, ...] = ()) -> int:
        """Moves every client (or only `numbers`) of one agent to another ('' releases them);
        returns how many moved."""
        _check_name("from_agent_id", from_agent_id)
        for i, number in enumerate(numbers):
            _check_phone(f"numbers[{i}]", number)
        if to_agent_id:
            _check_name("to_agent_id", to_agent_id)
            if to_agent_id == from_agent_id:
                raise InvalidArgument("to_agent_id", "must differ from from_agent_id")
        moved = await self.store.reassign_clients(self._now(), from_agent_id, to_agent_id, tuple(numbers))
        log.info("clients.reassigned", agent_id=from_agent_id, to_agent_id=to_agent_id or None, moved=moved)
        return moved

    async def delete_agent(self, agent_id: str, clients_to_agent_id: str = "", release_clients: bool = False) -> int:
        _check_name("agent_id", agent_id)
        if clients_to_agent_id:
            _check_name("clients_to_agent_id", clients_to_agent_id)
            if clients_to_agent_id == agent_id:
                raise InvalidArgument("clients_to_agent_id", "must be another agent")
            if release_clients:
                raise InvalidArgument("release_clients", "contradicts clients_to_agent_id")
        try:
            moved = await self.store.delete_agent(self._now(), agent_id, clients_to_agent_id, release_clients)
        except IllegalState as exc:
            log.info("agent.delete_refused", agent_id=agent_id, reason=str(exc))
            raise
        log.info("agent.deleted", agent_id=agent_id, clients_moved=moved, to_agent_id=clients_to_agent_id or None)
        return moved

    # Teams (S2.3) ---------------------------------------------------------------------

    async def upsert_team(self, team: Team) -> Team:
        """Creates or replaces a team; its members must be existing agents."""
        _check_name("team.team_id", team.team_id)
        _check_text("team.name", team.name)
        members = _check_names("team.member_agent_ids", team.member_agent_ids, MAX_TEAM_MEMBERS)
        supervisors = _check_names(
            "team.supervisor_usernames", team.supervisor_usernames, MAX_TEAM_SUPERVISORS, usernames=True
        )
        team = dataclasses.replace(team, member_agent_ids=members, supervisor_usernames=supervisors)
        stored = await self.store.upsert_team(self._now(), team, MAX_TEAMS)
        log.info("team.saved", team_id=team.team_id, members=len(members), supervisors=len(supervisors))
        return stored

    async def get_team(self, team_id: str) -> Team:
        _check_name("team_id", team_id)
        team = await self.store.get_team(team_id)
        if team is None:
            raise NotFound(f"team {team_id} does not exist")
        return team

    async def list_teams(self, supervisor_username: str = "", member_agent_id: str = "") -> list[Team]:
        """Every team, or those one gateway user supervises, or one agent is a member of."""
        if supervisor_username and member_agent_id:
            raise InvalidArgument("member_agent_id", "give supervisor_username or member_agent_id, not both")
        if supervisor_username:
            _check_username("supervisor_username", supervisor_username)
        if member_agent_id:
            _check_name("member_agent_id", member_agent_id)
        return await self.store.list_teams(supervisor_username, member_agent_id)

    async def delete_team(self, team_id: str) -> None:
        _check_name("team_id", team_id)
        await self.store.delete_team(self._now(), team_id)
        log.info("team.deleted", team_id=team_id)

    # Timers ---------------------------------------------------------------------------

    async def fire_due_timers(self, batch: int = 20, most: int = 2000) -> int:
        """Fires every timer whose deadline has passed by the Redis clock (in script runs of
        `batch` timers, at most `most`); returns how many fired here."""
        fired = 0
        while fired < most:
            done = await self.store.fire_due_timers(self._now(), batch)
            self.last_round = done
            fired += done.fired
            if done.fired:
                log.debug("timers.fired", fired=done.fired, late_ms=done.late_ms)
            if done.fired < batch:
                break
        return fired

    # PBX sessions ---------------------------------------------------------------------

    async def open_pbx_session(
        self, pbx_id: str, lease_ms: int, ring_timer: str, resume_after: int, end_open_calls: bool
    ) -> PbxSession:
        _check_name("hello.pbx_id", pbx_id)
        lease_ms = lease_ms or self.store.pbx.default_lease_ms
        if not MIN_LEASE_MS <= lease_ms <= MAX_LEASE_MS:
            raise InvalidArgument("hello.lease", "must be 1 s to 5 min")
        if ring_timer not in RING_TIMERS:
            raise InvalidArgument("hello.ring_timer", f"{ring_timer!r} is not one of {', '.join(RING_TIMERS)}")
        if not 0 <= resume_after < 2**63:
            raise InvalidArgument("hello.resume_after_sequence", "is out of range")
        session = await self.store.pbx_open(self._now(), pbx_id, lease_ms, ring_timer, resume_after, end_open_calls)
        log.info(
            "pbx.session_opened",
            pbx_id=pbx_id,
            lease_ms=lease_ms,
            ring_timer=ring_timer,
            resume_after=resume_after,
            sequence=session.sequence,
            open_calls=session.open_calls,
        )
        return session

    async def renew_pbx_session(self, pbx_id: str, handled: int) -> int:
        if not 0 <= handled < 2**63:
            raise InvalidArgument("heartbeat.handled_sequence", "is out of range")
        return await self.store.pbx_renew(self._now(), pbx_id, handled)
