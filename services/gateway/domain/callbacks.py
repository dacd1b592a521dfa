"""Callbacks (S1.10) for gateway users: the router calls a number back at its time, offered to
an agent first. An agent schedules, sees and cancels their own; a supervisor those of their
teams' queues; an admin every one. A callback the user may not see is NotFound."""

from __future__ import annotations

import datetime as dt
import uuid

from google.protobuf import timestamp_pb2

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .outbound import ROLES, pick_agent_and_queue

MAX_LISTED = 500  # callbacks one listing answers, soonest due first
MAX_NOTE = 500  # as the router


def _sees(user: User, callback: pb.Callback) -> bool:
    if user.role == "agent":
        return bool(user.agent_id) and callback.agent_id == user.agent_id
    return access.sees_queue(user, callback.queue)


async def list_callbacks(
    user: User, backends: Backends, agent_id: str = "", queue: str = "", include_ended: bool = False
) -> list[pb.Callback]:
    """The callbacks the user may see, soonest due first (at most MAX_LISTED): an agent's
    own; a supervisor's queues' (or of one agent or queue of theirs); every one for admins."""
    access.require_role(user, *ROLES)
    for value, field in ((agent_id, "agent_id"), (queue, "queue")):
        if value:
            ids.check_name(value, field)
    if user.role == "agent":
        if not user.agent_id or (agent_id and agent_id != user.agent_id):
            return []
        asks = [pb.ListCallbacksRequest(agent_id=user.agent_id)]
    elif queue:
        if not access.sees_queue(user, queue):
            raise NotFound(f"queue {queue} does not exist")
        asks = [pb.ListCallbacksRequest(queue=queue, agent_id=agent_id)]
    elif agent_id or access.sees_all(user):
        asks = [pb.ListCallbacksRequest(agent_id=agent_id)]
    else:
        asks = [pb.ListCallbacksRequest(queue=q) for q in sorted(user.teams)]
    found: dict[str, pb.Callback] = {}
    for ask in asks:
        ask.include_ended, ask.page_size = include_ended, MAX_LISTED
        reply: pb.ListCallbacksResponse = await backends.router.ListCallbacks(ask, timeout=backends.timeout_s)
        found.update((c.callback_id, c) for c in reply.callbacks if _sees(user, c))
    ordered = sorted(found.values(), key=lambda c: (c.due_at.ToMilliseconds(), c.callback_id))
    return ordered[:MAX_LISTED]


async def schedule(
    user: User,
    backends: Backends,
    number: str,
    due_at: dt.datetime,
    agent_id: str = "",
    queue: str = "",
    note: str = "",
    deal_id: str = "",
) -> pb.Callback:
    """Schedules a callback of `number` at `due_at`: an agent's for themselves, in one of
    their queues; a supervisor's in a queue of theirs, for an agent they see or the queue."""
    if not number:
        raise InvalidArgument("number", "is required")
    if len(note) > MAX_NOTE:
        raise InvalidArgument("note", f"at most {MAX_NOTE} characters")
    if deal_id:
        ids.check_lead_id(deal_id, "deal_id")
    agent_id, queue = await pick_agent_and_queue(user, backends, agent_id, queue)
    due = timestamp_pb2.Timestamp()
    due.FromDatetime(due_at.astimezone(dt.UTC))
    callback = pb.Callback(
        callback_id=f"gw-cb-{uuid.uuid4().hex}",
        number=number,
        queue=queue,
        due_at=due,
        agent_id=agent_id,
        deal_id=deal_id,
        note=note,
    )
    reply: pb.ScheduleCallbackResponse = await backends.router.ScheduleCallback(
        pb.ScheduleCallbackRequest(callback=callback), timeout=backends.timeout_s
    )
    return reply.callback


async def cancel(user: User, backends: Backends, callback_id: str) -> pb.Callback:
    """Cancels a scheduled callback the user may see."""
    access.require_role(user, *ROLES)
    ids.check_name(callback_id, "callback_id")
    got: pb.GetCallbackResponse = await backends.router.GetCallback(
        pb.GetCallbackRequest(callback_id=callback_id), timeout=backends.timeout_s
    )
    if not _sees(user, got.callback):
        raise NotFound(f"callback {callback_id} does not exist")
    reply: pb.CancelCallbackResponse = await backends.router.CancelCallback(
        pb.CancelCallbackRequest(callback_id=callback_id), timeout=backends.timeout_s
    )
    return reply.callback
