"""Automation rules (issue 19, S2.6): "when event X happens (and condition C holds), a task for
Y". Admins replace the rules with PUT /api/v1/automation/rules (docs/gateway.md, "Automation");
they live in the gateway's Redis (`gw:automation:rules`).

Every gateway replica runs one member of the consumer group `automation` on the event stream.
Each event is evaluated by each enabled rule exactly once: the task is created and the pair
(event id, rule id) marked done in one script (task_scripts/auto_task.lua), so an event
delivered again (a replica died before XACK and another took it over) makes no second task.

Kinds of rule:
  missed_call_not_called_back  a call abandoned or timed out (of `queue`, or any) whose number
      nobody answered from or called back within `within_minutes`: a task for the client's
      personal manager (the router's GetClient), else for the call's queue (its team). The wait
      is a deadline in gw:deadlines (`auto|<id>`, fired by the task timer, task_scripts/fire.lua);
      an answered call from the number, or an outbound call to it (the router's CALL_DIALING
      of direction outbound, or a foreign event with attributes.direction "outbound" and
      attributes.callee the number), before it cancels it. Outbound calls are never missed calls.
  lead_stage  a lead moved to `stage`: a task for the lead's owner (the stats' GetLead agent;
      the event's agent when stats knows no owner).
  improper_refusal  a lead refused with fewer contacts than the stats' minimum (GetLead
      improper_refusal): a task for `assignee`, else for the team `team` (its supervisors see
      their teams' tasks).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

import grpc
import redis.asyncio as aioredis
import structlog

from callcenter.api.stats.v1 import stats_pb2
from callcenter.core.errors import InvalidArgument
from callcenter.core.ids import name_problem
from callcenter.core.lead_stages import LEAD_STAGES
from callcenter.core.redis_connection import undecodable
from callcenter.core.stream_group import Entry, GroupMember

from .backends import Backends, unless_unknown
from .config import AutomationSettings
from .domain.clients import find_client
from .domain.teams import TASK_PREFIX
from .tasks import MAX_TITLE, Task, TaskStore

log = structlog.get_logger(__name__)

GROUP = "automation"
KINDS = ("missed_call_not_called_back", "lead_stage", "improper_refusal")
MAX_RULES = 100
MAX_WITHIN_MINUTES = 10_080  # a week
MAX_DUE_IN_MINUTES = 525_600  # a year
MISSED_CALL_EVENTS = frozenset({"CALL_ABANDONED", "CALL_TIMED_OUT"})
RULE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
COMMON_FIELDS = ("id", "kind", "title", "due_in_minutes", "enabled")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "missed_call_not_called_back": ("queue", "within_minutes"),
    "lead_stage": ("stage",),
    "improper_refusal": ("team", "assignee"),
}
#: What a title template may name, e.g. "Call {number} back".
PLACEHOLDERS = frozenset({"number", "queue", "call_id", "lead_id", "stage", "agent_id"})


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    title: str
    due_in_minutes: int = 0  # the task is due this long after it is made (0: no due time)
    enabled: bool = True
    queue: str = ""  # missed_call_not_called_back: only calls of this queue ("" any)
    within_minutes: int = 0  # missed_call_not_called_back: how long a callback may take
    stage: str = ""  # lead_stage: the stage moved to
    team: str = ""  # improper_refusal: the team whose supervisors get the task
    assignee: str = ""  # improper_refusal: an agent who gets it instead

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if k in COMMON_FIELDS or k in KIND_FIELDS[self.kind]}

    def render(self, values: dict[str, str]) -> str:
        return self.title.format_map({name: values.get(name, "") for name in PLACEHOLDERS})[:MAX_TITLE]


def _whole(where: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(where, f"must be a whole number from {low} to {high}")
    return value


def _text(where: str, value: object, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidArgument(where, f"must be {what}")
    return value


def _name(where: str, value: object, required: bool) -> str:
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or name_problem(value):
        problem = name_problem(value) if isinstance(value, str) else "must be a string"
        raise InvalidArgument(where, problem or "is required")
    return value


def _team(where: str, value: object) -> str:
    """A queue's name (its team), or team:<team_id> for a router team (tasks.py takes both)."""
    if isinstance(value, str) and value.startswith(TASK_PREFIX):
        return TASK_PREFIX + _name(where, value[len(TASK_PREFIX) :], True)
    return _name(where, value, False)


def _title(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TITLE:
        raise InvalidArgument(where, f"is required (at most {MAX_TITLE} characters)")
    try:
        names = {name for _, name, spec, conv in string.Formatter().parse(value) if name is not None}
        bad = sorted(n for n in names if n not in PLACEHOLDERS)
        specs = [spec or conv for _, name, spec, conv in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise InvalidArgument(where, f"is no template: {exc}") from None
    if bad or any(specs):
        raise InvalidArgument(where, f"may name only {{{'}, {'.join(sorted(PLACEHOLDERS))}}}, nothing else in braces")
    return value


def parse_rule(raw: object, where: str) -> Rule:
    """One rule of a request body; InvalidArgument naming the field (`rules[2].within_minutes`)."""
    if not isinstance(raw, dict):
        raise InvalidArgument(where, "must be an object")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InvalidArgument(f"{where}.kind", f"must be one of {', '.join(KINDS)}")
    allowed = (*COMMON_FIELDS, *KIND_FIELDS[kind])
    for name in raw:
        if name not in allowed:
            raise InvalidArgument(
                f"{where}.{str(name)[:64]}", f"unknown field (a {kind} rule takes {', '.join(allowed)})"
            )
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise InvalidArgument(f"{where}.enabled", "must be true or false")
    rule = Rule(
        id=_text(f"{where}.id", raw.get("id"), RULE_ID, "1 to 64 letters, digits, '_', '.' or '-'"),
        kind=kind,
        title=_title(f"{where}.title", raw.get("title")),
        due_in_minutes=_whole(f"{where}.due_in_minutes", raw.get("due_in_minutes", 0), 0, MAX_DUE_IN_MINUTES),
        enabled=enabled,
    )
    if kind == "missed_call_not_called_back":
        within = _whole(f"{where}.within_minutes", raw.get("within_minutes"), 1, MAX_WITHIN_MINUTES)
        return Rule(
            **{**asdict(rule), "queue": _name(f"{where}.queue", raw.get("queue"), False), "within_minutes": within}
        )
    if kind == "lead_stage":
        stage = raw.get("stage")
        if stage not in LEAD_STAGES:
            raise InvalidArgument(f"{where}.stage", f"must be a lead stage: {', '.join(LEAD_STAGES)}")
        return Rule(**{**asdict(rule), "stage": stage})
    team = _team(f"{where}.team", raw.get("team"))
    assignee = _name(f"{where}.assignee", raw.get("assignee"), False)
    if not team and not assignee:
        raise InvalidArgument(f"{where}.team", "is required unless an assignee is named")
    return Rule(**{**asdict(rule), "team": team, "assignee": assignee})


def parse_rules(body: dict[str, Any]) -> list[Rule]:
    """The rules of a PUT body {"rules": [...]}: at most MAX_RULES, ids unique."""
    raw = body.get("rules")
    if not isinstance(raw, list):
        raise InvalidArgument("rules", "is required: a list of rules")
    if len(raw) > MAX_RULES:
        raise InvalidArgument("rules", f"at most {MAX_RULES} rules, not {len(raw)}")
    rules = [parse_rule(item, f"rules[{i}]") for i, item in enumerate(raw)]
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if rule.id in seen:
            raise InvalidArgument(f"rules[{i}].id", f"{rule.id} is used by an earlier rule")
        seen.add(rule.id)
    return rules


class AutomationStore:
    """The rules, and the scripts that act on them (through the task store: the same keys,
    clock and event stream as every task)."""

    def __init__(self, tasks: TaskStore, settings: AutomationSettings) -> None:
        self.tasks = tasks
        self.settings = settings

    async def rules(self) -> list[Rule]:
        raw = await self.tasks.redis.get(self.tasks.keys.automation_rules)
        known = {f.name for f in dataclass_fields(Rule)}
        return [Rule(**{k: v for k, v in item.items() if k in known}) for item in json.loads(raw)] if raw else []

    async def set_rules(self, rules: list[Rule], actor: str) -> list[Rule]:
        """Replaces every rule; AUTOMATION_RULES_UPDATED records who did."""
        await self.tasks.run("auto_rules", actor, json.dumps([asdict(r) for r in rules]), len(rules))
        return rules

    @staticmethod
    def task_for(rule: Rule, values: dict[str, str], agent_id: str, queue: str, subject: tuple[str, str]) -> Task:
        return Task(
            id=secrets.token_hex(8),
            agent_id=agent_id,
            author="automation",
            subject_kind=subject[0],
            subject_id=subject[1],
            text=f"automation rule {rule.id}",
            created_ms=0,
            title=rule.render(values),
            queue="" if agent_id else queue,
        )

    async def fire(self, event_id: str, rule: Rule, task: Task) -> str | None:
        """Creates the rule's task for the event, once: the task id, or None when this pair
        was evaluated before."""
        reply = await self.tasks.run(
            "auto_task",
            "",
            f"{event_id}|{rule.id}",
            task.stored(),
            rule.due_in_minutes * 60_000,
            self.settings.done_retention_s,
            rule.kind,
            rule.id,
            event_id,
        )
        return str(reply["ok"]["id"]) if "ok" in reply else None

    async def follow_up(self, event_id: str, rule: Rule, task: Task, number: str, missed_ms: int) -> bool:
        """Waits within_minutes for a call with the number before the task is made, once per
        (event, rule). False when this pair was evaluated before."""
        pending = {
            "id": secrets.token_hex(8),
            "number": number,
            "missed_ms": missed_ms,
            "rule_id": rule.id,
            "kind": rule.kind,
            "event_id": event_id,
            "due_in_ms": rule.due_in_minutes * 60_000,
            "task": json.loads(task.stored()),
        }
        reply = await self.tasks.run(
            "auto_follow_up",
            "",
            f"{event_id}|{rule.id}",
            json.dumps(pending),
            rule.within_minutes * 60_000,
            self.settings.done_retention_s,
        )
        return "ok" in reply

    async def called(self, number: str, at_ms: int) -> int:
        """A call with the number at at_ms: the follow-ups of earlier missed calls are off."""
        reply = await self.tasks.run("auto_cancel", "", number, at_ms)
        return int(reply["ok"])


class Automation(GroupMember):
    """One member of the group `automation` (created at "$": rules act on what happens after
    the gateway first ran, never on the stream's history)."""

    start_id = "$"
    worker_name = "gateway-automation"

    def __init__(self, redis: aioredis.Redis, store: AutomationStore, backends: Backends, name: str = "") -> None:
        settings = store.settings
        super().__init__(
            redis,
            store.tasks.tenant,
            GROUP,
            name,
            batch_size=settings.batch_size,
            claim_idle_ms=settings.claim_idle_ms,
            block_ms=settings.block_ms,
        )
        self.store = store
        self.backends = backends
        self.fired = 0  # tasks made (or follow-ups scheduled)

    async def handle(self, entries: list[Entry]) -> list[str]:
        rules = [r for r in await self.store.rules() if r.enabled]
        done: list[str] = []
        for entry_id, fields in entries:
            if fields is None or undecodable(fields):
                done.append(entry_id)
                continue
            try:
                finished = await self._evaluate(entry_id, fields, rules)
            except grpc.aio.AioRpcError as exc:  # a backend is down or slow: again later
                finished = False
                log.warning("automation.backend_failed", event_id=entry_id, code=exc.code().name)
            if finished or await self.deliveries(entry_id, 1) >= self.store.settings.max_deliveries:
                if not finished:
                    log.warning("automation.given_up", event_id=entry_id)
                done.append(entry_id)
        return done

    async def _evaluate(self, entry_id: str, fields: dict[str, str], rules: list[Rule]) -> bool:
        """Every rule on one event; False: not now (stats has not caught up), try again."""
        kind = fields.get("type", "").upper()
        attributes = _attributes(fields)
        if kind == "CALL_ANSWERED" and fields.get("caller"):
            await self.store.called(fields["caller"], int(fields.get("time", "0") or 0))
        if attributes.get("direction") == "outbound" and attributes.get("callee"):
            await self.store.called(attributes["callee"], int(fields.get("time", "0") or 0))
        if fields.get("direction") == "outbound":
            # the router's own outbound call (a callback, a campaign, click-to-call): dialling
            # the number is calling it back; its ending unanswered is no missed call
            if kind == "CALL_DIALING" and fields.get("caller"):
                await self.store.called(fields["caller"], int(fields.get("time", "0") or 0))
            return True
        if kind in MISSED_CALL_EVENTS:
            await self._missed_call(entry_id, fields, rules)
        if kind == "LEAD_STAGE_CHANGED":
            return await self._lead_stage(entry_id, fields, rules)
        return True

    async def _missed_call(self, entry_id: str, fields: dict[str, str], rules: list[Rule]) -> None:
        number, queue = fields.get("caller", ""), fields.get("queue", "")
        matching = [r for r in rules if r.kind == "missed_call_not_called_back" and r.queue in ("", queue)]
        if not number or not matching:
            return
        manager = await self._manager(number)
        values = {"number": number, "queue": queue, "call_id": fields.get("call_id", ""), "agent_id": manager}
        for rule in matching:
            task = self.store.task_for(rule, values, manager, queue, ("client", number))
            if await self.store.follow_up(entry_id, rule, task, number, int(fields.get("time", "0") or 0)):
                self.fired += 1
                log.info("automation.follow_up", event_id=entry_id, rule_id=rule.id, number=number)

    async def _manager(self, number: str) -> str:
        client = await find_client(self.backends, number)
        return client.manager_id if client is not None else ""

    async def _lead(self, lead_id: str) -> stats_pb2.Lead | None:
        reply: stats_pb2.GetLeadResponse | None = await unless_unknown(
            self.backends.stats.GetLead(stats_pb2.GetLeadRequest(lead_id=lead_id), timeout=self.backends.timeout_s),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        return reply.lead if reply is not None else None

    async def _lead_stage(self, entry_id: str, fields: dict[str, str], rules: list[Rule]) -> bool:
        lead_id, stage = fields.get("lead_id", ""), fields.get("lead_stage", "")
        by_stage = [r for r in rules if r.kind == "lead_stage" and r.stage == stage]
        refusals = [r for r in rules if r.kind == "improper_refusal"] if stage == "refused" else []
        if not lead_id or not (by_stage or refusals):
            return True
        lead = await self._lead(lead_id)
        values = {"lead_id": lead_id, "stage": stage}
        owner = (lead.agent_id if lead is not None else "") or fields.get("agent_id", "")
        for rule in by_stage:
            if owner:
                await self._fire(
                    entry_id,
                    rule,
                    self.store.task_for(rule, {**values, "agent_id": owner}, owner, "", ("lead", lead_id)),
                )
        if not refusals:
            return True
        if lead is None or lead.stage != "refused":
            return False  # stats has not applied the refusal yet: asked again on the next delivery
        if lead.improper_refusal:
            refused_by = lead.refused_by or owner
            for rule in refusals:
                task = self.store.task_for(
                    rule, {**values, "agent_id": refused_by}, rule.assignee, rule.team, ("lead", lead_id)
                )
                await self._fire(entry_id, rule, task)
        return True

    async def _fire(self, entry_id: str, rule: Rule, task: Task) -> None:
        task_id = await self.store.fire(entry_id, rule, task)
        if task_id:
            self.fired += 1
            log.info("automation.fired", event_id=entry_id, rule_id=rule.id, task_id=task_id)


def _attributes(fields: dict[str, str]) -> dict[str, str]:
    try:
        found = json.loads(fields.get("attributes") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
