"""Queue and agent administration for admins (S1.2, S1.3, S1.7, S2.2): a queue's rules and an
agent's profile as the router stores them, each change one router RPC made on the admin's
behalf (the router records them as actor of QUEUE_UPDATED, AGENT_UPDATED, AGENT_DELETED).

A queue's rules travel as the router's config file names them (callcenter/core/queue_settings.py:
durations in seconds as `<name>_s`), an agent's profile as callcenter/core/agent_settings.py
declares it; both tables validate here, so a bad value is refused naming the caller's field
before anything is sent. What only the router can judge (an overflow queue or an agent's queue
that does not exist, a dialled number of another queue) comes back named by its proto field and
is renamed to the caller's here."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import grpc

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import agent_settings, queue_settings
from callcenter.core.errors import InvalidArgument, NotFound
from callcenter.core.ids import NAME_PATTERN

from ..backends import Backends
from ..tasks import TaskStore
from ..users import User
from . import access
from .handover import pass_on_work

#: The fields of a queue's rules as this API names them (the config file's keys).
QUEUE_FIELDS = tuple(s.toml for s in queue_settings.QUEUE_SETTINGS)
#: The fields of an agent's profile besides its id (the path names it).
AGENT_FIELDS = tuple(f.name for f in agent_settings.AGENT_FIELDS if f.name != "id")
_PROTO_TO_FIELD = {s.name: s.toml for s in queue_settings.QUEUE_SETTINGS}
_ROUTER_FIELD = re.compile(r"^(queue|agent)\.([a-z_]+)(\[[^\]]*\])?: (.*)$", re.S)


def _name(value: str, field: str) -> str:
    if not NAME_PATTERN.fullmatch(value):
        raise InvalidArgument(field, "must be 1-64 letters, digits, '-', '_' or '.'")
    return value


def queue_rules(queue: pb.Queue) -> dict[str, Any]:
    """A stored queue's rules by this API's field names (durations in seconds)."""
    values = queue_settings.from_pb(queue)
    rules: dict[str, Any] = {"name": queue.name}
    for s in queue_settings.QUEUE_SETTINGS:
        value = values.get(s.attr)
        if s.kind == "duration":
            value = None if value is None else value / 1000
        elif s.kind == "numbers":
            value = list(value or ())
        rules[s.toml] = value
    return rules


def _queue_message(name: str, values: Mapping[str, Any]) -> pb.Queue:
    """The Queue message of the settings given (by attribute; the others stay unset)."""
    queue = pb.Queue(name=name)
    for s in queue_settings.QUEUE_SETTINGS:
        if s.attr not in values:
            continue
        value = values[s.attr]
        if s.kind == "duration":
            getattr(queue, s.name).FromMilliseconds(value)
        elif s.kind == "choice":
            enum = queue.DESCRIPTOR.fields_by_name[s.name].enum_type
            prefix = queue_settings.PB_ENUM_PREFIX[s.name]
            setattr(queue, s.name, enum.values_by_name[prefix + value.upper()].number if value else 0)
        elif s.kind == "numbers":
            getattr(queue, s.name).extend(value)
        elif s.kind == "levels":
            getattr(queue, s.name).update(value)
        else:
            setattr(queue, s.name, value)
    return queue


def _router_refusal(exc: grpc.aio.AioRpcError) -> InvalidArgument | None:
    """A router's INVALID_ARGUMENT about a queue's or agent's field, named as this API names it."""
    if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
        return None
    found = _ROUTER_FIELD.match(exc.details() or "")
    if found is None:
        return None
    kind, name, index, problem = found.groups()
    field = _PROTO_TO_FIELD.get(name, name) if kind == "queue" else ("agent_id" if name == "id" else name)
    return InvalidArgument(field + (index or ""), problem[:300])


async def get_queue(user: User, backends: Backends, name: str) -> tuple[pb.Queue, dict[str, Any]]:
    """One queue with its live counts and its rules: admins, and supervisors of the queue
    (NotFound to anyone else, whether it exists or not)."""
    access.require_role(user, "admin", "supervisor")
    if not access.sees_queue(user, name):
        raise NotFound(f"queue {name} does not exist")
    reply: pb.GetQueueResponse = await backends.router.GetQueue(
        pb.GetQueueRequest(name=name), timeout=backends.timeout_s
    )
    return reply.queue, queue_rules(reply.queue)


async def put_queue(user: User, backends: Backends, name: str, rules: Mapping[str, Any]) -> dict[str, Any]:
    """Creates the queue or replaces its rules (a rule not given takes its default); admins."""
    access.require_role(user, "admin")
    _name(name, "queue")
    for key, value in rules.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidArgument(key, "must be a finite number")
    try:
        values = queue_settings.from_toml(rules)
    except queue_settings.SettingError as exc:
        raise InvalidArgument(exc.field, exc.problem) from None
    except ValueError as exc:  # an unknown key (the HTTP layer refuses those before)
        raise InvalidArgument("body", str(exc)[:300]) from None
    try:
        reply: pb.UpsertQueueResponse = await backends.router.UpsertQueue(
            pb.UpsertQueueRequest(queue=_queue_message(name, values)), timeout=backends.timeout_s
        )
    except grpc.aio.AioRpcError as exc:
        raise _router_refusal(exc) or exc from None
    return queue_rules(reply.queue)


async def put_agent(user: User, backends: Backends, agent_id: str, profile: Mapping[str, Any]) -> pb.Agent:
    """Creates the agent or replaces their profile (name, endpoint, queues, skills, tier); admins."""
    access.require_role(user, "admin")
    _name(agent_id, "agent_id")
    try:
        values = agent_settings.validate({**profile, "id": agent_id}, where="agent")
    except queue_settings.SettingError as exc:
        field = exc.field.removeprefix("agent.")
        raise InvalidArgument("agent_id" if field == "id" else field, exc.problem) from None
    try:
        reply: pb.UpsertAgentResponse = await backends.router.UpsertAgent(
            pb.UpsertAgentRequest(agent=agent_settings.to_pb(values, pb.Agent())), timeout=backends.timeout_s
        )
    except grpc.aio.AioRpcError as exc:
        raise _router_refusal(exc) or exc from None
    return reply.agent


async def delete_agent(
    user: User, backends: Backends, tasks: TaskStore, agent_id: str, clients_to_agent_id: str, release_clients: bool
) -> dict[str, int]:
    """Removes a logged-out agent for good (S2.5); their clients go to `clients_to_agent_id`
    or are released (the router refuses, 409, an agent with clients and neither), and with
    clients_to_agent_id their open leads and tasks go there too. Admins. The counts moved."""
    access.require_role(user, "admin")
    _name(agent_id, "agent_id")
    if clients_to_agent_id:
        _name(clients_to_agent_id, "clients_to_agent_id")
    reply: pb.DeleteAgentResponse = await backends.router.DeleteAgent(
        pb.DeleteAgentRequest(
            agent_id=agent_id, clients_to_agent_id=clients_to_agent_id, release_clients=release_clients
        ),
        timeout=backends.timeout_s,
    )
    moved = {"clients": int(reply.clients_moved), "leads": 0, "tasks": 0}
    if clients_to_agent_id:
        moved.update(await pass_on_work(backends, tasks, agent_id, clients_to_agent_id, user.username))
    return moved
