"""The customer card (S1.5): one answer per client - details and personal manager, calls with
recordings, leads and deals with their stage history (who moved them, when), the tasks about
the client, its leads and calls, the comments on those, and its conversations (chats, issue 21)
with their newest messages - each list newest first, and all of it merged into one timeline,
oldest first.

Who reads what: whoever sees the client (clients.py: admins, the client's personal manager,
that manager's supervisors) reads its whole history, whoever handled it; anyone else reads only
what they would see anyway - an agent the calls that rang them (their own legs) and their own
leads and tasks, a supervisor what their teams' queues and agents hold. A card with nothing the
user may see is NotFound (its existence is not revealed). Comments are the supervisors' and
admins' (as everywhere in the gateway)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound
from callcenter.core.phone_numbers import phone_problem

from ..backends import Backends
from ..tasks import Comment, Task, TaskStore
from ..users import User
from . import calls, conversations
from .agents import agent_queues, visibility
from .clients import client_seen
from .tasks import sees_task

MAX_CARD_CALLS = 200  # the newest calls a card lists
MAX_CARD_LEADS = 50  # the newest leads
MAX_CARD_TASKS = 200  # the newest tasks about the client, its leads and calls
MAX_COMMENTS_EACH = 50  # the newest comments per call or lead


@dataclass
class LeadOnCard:
    lead: spb.Lead
    history: list[spb.LeadStageChange]


@dataclass
class ClientCard:
    number: str
    client: pb.Client | None  # None: the router knows no client of this number (only calls)
    whole: bool  # the user sees the client: its whole history
    calls: list[spb.CallRecord] = field(default_factory=list)
    leads: list[LeadOnCard] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    conversations: list[cpb.Conversation] = field(default_factory=list)

    def timeline(self) -> list[dict[str, Any]]:
        """Everything on the card in time order (oldest first): calls received, lead stage
        changes, tasks created, comments; each item its time (ms), kind and the id to find it by."""
        items: list[dict[str, Any]] = []
        for call in self.calls:
            at = call.received_at.ToMilliseconds()
            items.append({"at_ms": at, "kind": "call", "id": call.call_id, "agent_id": call.agent_id})
        for entry in self.leads:
            for change in entry.history:
                items.append(
                    {
                        "at_ms": change.time.ToMilliseconds(),
                        "kind": "lead_stage",
                        "id": entry.lead.lead_id,
                        "from_stage": change.from_stage,
                        "to_stage": change.to_stage,
                        "agent_id": change.agent_id,
                        "actor": change.actor,
                    }
                )
        for task in self.tasks:
            title = task.title or task.text[:80]
            who = task.agent_id or task.queue
            items.append({"at_ms": task.created_ms, "kind": "task", "id": task.id, "title": title, "agent_id": who})
        for c in self.conversations:
            at = c.created_at.ToMilliseconds()
            items.append({"at_ms": at, "kind": "conversation", "id": c.conversation_id, "agent_id": c.agent_id})
        for note in self.comments:
            text = note.text[:80]
            items.append(
                {"at_ms": note.created_ms, "kind": "comment", "id": note.id, "author": note.author, "text": text}
            )
        return sorted(items, key=lambda item: (item["at_ms"], item["kind"], item["id"]))


def check_number(number: str) -> None:
    problem = phone_problem(number)
    if problem:
        raise InvalidArgument("number", problem)


async def client_card(user: User, backends: Backends, store: TaskStore, number: str) -> ClientCard:
    check_number(number)
    seen = visibility(user, backends)
    client, whole = await client_seen(user, backends, seen, number)
    card = ClientCard(number=number, client=client, whole=whole)
    records, leads = await asyncio.gather(_calls(backends, number), _leads(backends, number))
    if whole:
        card.calls = records
    else:
        visible = [calls.own_legs(user, r) for r in records if calls.sees_record(user, r)]
        card.calls = await calls.audible(user, seen, visible)
        leads = [lead for lead in leads if await seen.sees_agent(lead.agent_id)]
    histories = await asyncio.gather(*(_history(backends, lead.lead_id) for lead in leads))
    card.leads = [LeadOnCard(lead, history) for lead, history in zip(leads, histories, strict=True)]
    subjects = [("client", number)] + [("lead", e.lead.lead_id) for e in card.leads]
    subjects += [("call", c.call_id) for c in card.calls]
    tasks = await store.about(subjects, MAX_CARD_TASKS)
    if not whole:
        queues = await agent_queues(backends)
        tasks = [t for t in tasks if await sees_task(user, backends, t, queues)]
    card.tasks = tasks
    card.conversations = await conversations.of_client(user, backends, number, whole)
    if user.role in ("admin", "supervisor"):
        notes = await store.comments_on(subjects[1:], MAX_COMMENTS_EACH)  # comments are on calls and leads
        card.comments = sorted(notes, key=lambda c: -c.created_ms)
    if (client is None or not whole) and not (card.calls or card.leads or card.tasks or card.conversations):
        raise NotFound(f"client {number} does not exist")
    return card


async def _calls(backends: Backends, number: str) -> list[spb.CallRecord]:
    reply: spb.ListCallRecordsResponse = await backends.stats.ListCallRecords(
        spb.ListCallRecordsRequest(caller=number, page_size=MAX_CARD_CALLS), timeout=backends.timeout_s
    )
    return list(reply.records)


async def _leads(backends: Backends, number: str) -> list[spb.Lead]:
    reply: spb.ListLeadsResponse = await backends.stats.ListLeads(
        spb.ListLeadsRequest(client_number=number), timeout=backends.timeout_s
    )
    newest = sorted(reply.leads, key=lambda lead: -lead.created_at.ToMilliseconds())
    return newest[:MAX_CARD_LEADS]


async def _history(backends: Backends, lead_id: str) -> list[spb.LeadStageChange]:
    reply: spb.GetLeadHistoryResponse = await backends.stats.GetLeadHistory(
        spb.GetLeadHistoryRequest(lead_id=lead_id), timeout=backends.timeout_s
    )
    return list(reply.history)
