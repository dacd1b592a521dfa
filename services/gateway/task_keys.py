"""The gateway's Redis keys for comments, tasks, handovers and automation rules, declared
once for Python and for task_scripts/*.lua.

Every key starts with the tenant's prefix plus "gw:", so it shares the tenant's {hash tag}
(one Redis Cluster slot) with the event stream the task scripts append to. A task id is hex
digits; an agent id, queue name or subject id may hold any character, so it always comes last
in a key.
"""

from __future__ import annotations

from callcenter.core.config import key_prefix
from callcenter.core.key_model import Key, KeySpace
from callcenter.core.key_model import lua_preamble as _lua_preamble

KEYS: tuple[Key, ...] = (
    Key("task", "task:{}", "string", "a task as JSON: title, subject, assignee, due, reminders, recurrence, history"),
    Key("agent_tasks", "tasks:{}", "sorted set", "an agent's tasks: task id -> created ms"),
    Key(
        "team_tasks",
        "team_tasks:{}",
        "sorted set",
        "a team's (queue's, or team:<id> router team's) untaken tasks: id -> created ms",
    ),
    Key(
        "deadlines",
        "deadlines",
        "sorted set",
        "every task deadline: `due|<id>` (also a snooze's end) and `remind|<id>|<offset s>` -> Redis ms",
    ),
    Key("comments", "comments:{}:{}", "list", "the comments on a subject (kind, id), oldest first, as JSON"),
    Key(
        "subject_tasks",
        "subject_tasks:{}:{}",
        "sorted set",
        "the tasks about a subject (kind, id: a client's number, a lead, a call), the newest 1,000:"
        " task id -> created ms",
    ),
    Key(
        "handover",
        "handover:{}",
        "string",
        "a handover (S1.6) as JSON: the absent agent, the deputy, until when, who asked, what moved and returned",
    ),
    Key(
        "handovers_due",
        "handovers_due",
        "sorted set",
        "the handovers in force with an end: id -> when they end (Redis ms); a claimed one's moves a lease ahead",
    ),
    Key("agent_handover", "agent_handover:{}", "string", "the id of the handover in force of an absent agent"),
    Key("automation_rules", "automation:rules", "string", "the automation rules as a JSON list (automation.py)"),
    Key(
        "automation_done",
        "automation:done:{}",
        "string",
        "`<event id>|<rule id>` evaluated: the task id it made ('' none), expires after the retention",
    ),
    Key(
        "automation_pending",
        "automation:pending:{}",
        "string",
        "a missed call's follow-up waiting for its callback (JSON: rule, number, task to make); its"
        " deadline is `auto|<id>` in deadlines",
    ),
    Key("automation_number", "automation:number:{}", "set", "the follow-ups (ids) waiting for a call with a number"),
)


class TaskKeys(KeySpace):
    """The comment and task keys of one tenant (`keys.deadlines`, `keys.task(task_id)`, ...)."""

    def __init__(self, tenant: str) -> None:
        super().__init__(key_prefix(tenant) + "gw:", KEYS)


def lua_preamble() -> str:
    """The key model in Lua (`K_DEADLINES`, `k_task(id)`, ...), built on KEYS[1], the
    tenant's prefix."""
    return "local G = KEYS[1] .. 'gw:'\n" + _lua_preamble(KEYS, "G", "services/gateway/task_keys.py")
