"""Call records (S1.1), asked of stats and filtered by role: a call is seen by supervisors of
its queues and by every agent it was offered to; its recordings are listed only to whoever
may hear them (recordings.py: whoever sees the agent they are of, the agent who took the
call), so a page never offers to play what would be refused. An agent sees only their own
legs: of a call another agent took, their own offers and nothing of the other agent's part
(who, when answered, talk and wrap-up time, recordings). A client's calls are read whole,
recordings too, by whoever sees the client (clients.py: the customer card, S1.5)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import NotFound

from ..backends import Backends
from ..users import User
from . import access, paging
from .agents import visibility
from .clients import sees_client

MAX_STATS_PAGE = 500  # the most records stats gives in one page


def sees_record(user: User, record: spb.CallRecord) -> bool:
    agents = [o.agent_id for o in record.offers] + [record.agent_id]
    queues = {record.queue, record.final_queue} - {""}
    if user.role == "agent":
        return access.sees_call(user, record.queue, agents)
    return access.sees_all(user) or any(access.sees_queue(user, q) for q in queues)


def own_legs(user: User, record: spb.CallRecord) -> spb.CallRecord:
    """The record as this user may read it: whole for supervisors and admins. An agent reads
    only their own offers (the ring time theirs), and the answered leg (who, when, wait, talk
    and wrap-up time, end, recordings) only if they took the call. The call itself (id,
    caller, queues, received, outcome, lead) is theirs to read: it rang them."""
    if user.role != "agent":
        return record
    mine = spb.CallRecord()
    mine.CopyFrom(record)
    del mine.offers[:]
    mine.offers.extend(o for o in record.offers if o.agent_id == user.agent_id)
    mine.ring_time.FromMilliseconds(sum(o.ring_time.ToMilliseconds() for o in mine.offers))
    if record.agent_id and record.agent_id != user.agent_id:  # another agent took it
        for leg in ("agent_id", "answered_at", "ended_at", "wait", "talk_time", "wrap_up_time", "recording_ids"):
            mine.ClearField(leg)
    return mine


def _talk_filtered(filters: spb.ListCallRecordsRequest) -> bool:
    return bool(filters.HasField("min_talk_time") or filters.HasField("max_talk_time"))


def restricted(user: User, filters: spb.ListCallRecordsRequest) -> spb.ListCallRecordsRequest:
    """The filters narrowed to what the user may see: an agent's own calls, a supervisor's
    queue (their only team's when they name none)."""
    req = spb.ListCallRecordsRequest()
    req.CopyFrom(filters)
    if user.role == "agent":
        if req.agent_id and req.agent_id != user.agent_id:
            raise NotFound(f"agent {req.agent_id} does not exist")
        req.agent_id = user.agent_id
    elif req.queue and not access.sees_queue(user, req.queue):
        raise NotFound(f"queue {req.queue} does not exist")
    elif not req.queue and user.role == "supervisor" and len(user.teams) == 1:
        req.queue = user.teams[0]
    return req


async def list_calls(
    user: User, backends: Backends, filters: spb.ListCallRecordsRequest, call_id: str = ""
) -> tuple[list[spb.CallRecord], str]:
    """One page of call records the user may see and the next page's token; with call_id,
    that one call (the filters then only check the user's rights)."""
    req = restricted(user, filters)
    if call_id:
        one: spb.GetCallRecordResponse = await backends.stats.GetCallRecord(
            spb.GetCallRecordRequest(call_id=call_id), timeout=backends.timeout_s
        )
        seen = [own_legs(user, one.record)] if sees_record(user, one.record) else []
        return await audible(user, visibility(user, backends), seen), ""

    async def fetch(token: str, size: int) -> tuple[list[spb.CallRecord], str]:
        req.page_token, req.page_size = token, size
        page: spb.ListCallRecordsResponse = await backends.stats.ListCallRecords(req, timeout=backends.timeout_s)
        return list(page.records), page.next_page_token

    sees = _seen_by(user, filters)
    # The role filter runs before the page is cut (paging.py): full pages, honest tokens.
    page, token = await paging.visible_page(fetch, sees, filters.page_size or 50, filters.page_token, MAX_STATS_PAGE)
    return await audible(user, visibility(user, backends), [own_legs(user, r) for r in page]), token


async def every_call(
    user: User,
    backends: Backends,
    filters: spb.ListCallRecordsRequest,
    seen: access.Visibility,
    page_size: int = MAX_STATS_PAGE,
) -> AsyncGenerator[list[spb.CallRecord], None]:
    """Every call record the filters match that the user may see, as list_calls gives them
    (own legs, audible recordings), one list per page of stats read: what an export writes
    as it reads, holding one page at a time, never the whole period. `seen` is the request's
    visibility (the agents' queues read once, however many pages)."""
    req = restricted(user, filters)
    sees = _seen_by(user, filters)
    req.page_size, req.page_token = page_size, ""
    while True:
        page: spb.ListCallRecordsResponse = await backends.stats.ListCallRecords(req, timeout=backends.timeout_s)
        visible = [own_legs(user, r) for r in page.records if await sees(r)]
        yield await audible(user, seen, visible)
        if not page.next_page_token:
            return
        req.page_token = page.next_page_token


def _seen_by(user: User, filters: spb.ListCallRecordsRequest) -> Callable[[spb.CallRecord], Awaitable[bool]]:
    # Talk time is the answering agent's: an agent filtering by it finds only calls they
    # took (else the filter would tell them another agent's talk time).
    own_talk_only = user.role == "agent" and _talk_filtered(filters)

    async def sees(record: spb.CallRecord) -> bool:
        if own_talk_only and record.agent_id != user.agent_id:
            return False
        return sees_record(user, record)

    return sees


async def get_call(user: User, backends: Backends, call_id: str) -> spb.CallRecord:
    """One call as the user may read it; a call of a client whose history the user sees
    (clients.py: their personal manager, that manager's supervisors) is theirs whole."""
    reply: spb.GetCallRecordResponse = await backends.stats.GetCallRecord(
        spb.GetCallRecordRequest(call_id=call_id), timeout=backends.timeout_s
    )
    seen = visibility(user, backends)
    if not sees_record(user, reply.record):
        if await sees_client(user, backends, seen, reply.record.caller):
            return reply.record
        raise NotFound(f"call {call_id} does not exist")
    [record] = await audible(user, seen, [own_legs(user, reply.record)])
    return record


async def audible(user: User, seen: access.Visibility, records: list[spb.CallRecord]) -> list[spb.CallRecord]:
    """The records, each with its recording ids only if the user may hear them: a call's
    recordings are of the agent who took it, heard by whoever sees that agent (the agents'
    queues read once per visibility, and only if a recording is on the page)."""
    if access.sees_all(user):
        return records
    audible = []
    for record in records:
        if record.recording_ids and not await seen.sees_agent(record.agent_id):
            muted = spb.CallRecord()
            muted.CopyFrom(record)
            del muted.recording_ids[:]
            record = muted
        audible.append(record)
    return audible
