"""The gateway's OpenAPI 3.1 document, served at /openapi.json. Every /api route has an
entry (tests/test_gateway_openapi.py checks the two never drift apart)."""

from __future__ import annotations

from aiohttp import web

from callcenter.core.call_ids import CALL_ID_RULE
from callcenter.core.queue_settings import QUEUE_SETTINGS
from callcenter.services.gateway.domain.thresholds import AGENT_LIMITS, QUEUE_LIMITS

routes = web.RouteTableDef()

_ERROR = {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_OK = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}


def _op(summary: str, *, body: dict | None = None, params: list[dict] | None = None, tag: str = "") -> dict:
    op: dict = {"summary": summary, "responses": {"200": _OK, "4XX": _ERROR, "5XX": _ERROR}}
    if tag:
        op["tags"] = [tag]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path_param(name: str, description: str = "") -> dict:
    param = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    if description:
        param["description"] = description
    return param


def _query(name: str, kind: str = "string", description: str = "") -> dict:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}, "description": description}


def _obj(**props) -> dict:
    return {"type": "object", "properties": {k: {"type": v} for k, v in props.items()}}


def _obj_of(**props: dict) -> dict:
    """An object of these properties, each with its schema."""
    return {"type": "object", "properties": props}


AGENT = [_path_param("agent_id")]
CALL_ID = (
    f"{CALL_ID_RULE}, percent-encoded as one path segment (encodeURIComponent: '/' as %2F). "
    "Clients drop the ids '.' and '..' as dot segments: ask for those with GET /api/v1/calls?call_id="
)
PERIOD = [
    _query("period", description="day (default), hour or range"),
    _query("day", description="YYYY-MM-DD (default: today in tz)"),
    _query("hour", description="ISO date-time (period=hour)"),
    _query("from", description="period=range start"),
    _query("to", description="period=range end"),
    _query("tz", description="IANA time zone (default UTC)"),
]

_CSV = {"description": "a CSV file (UTF-8 with a byte order mark, RFC 4180), streamed", "content": {"text/csv": {}}}


def _download(summary: str, params: list[dict]) -> dict:
    """A CSV download: 200 is text/csv (Content-Disposition: attachment), errors are JSON."""
    op = _op(summary, params=params, tag="export")
    op["responses"] = {"200": _CSV, "4XX": _ERROR, "5XX": _ERROR}
    return op


# A conversation as the API answers it (domain/conversations.py conversation_json).
_TIME = {"type": ["string", "null"], "format": "date-time"}
CONVERSATION_SCHEMA = {
    "type": "object",
    "properties": {
        "conversation_id": {"type": "string"},
        "channel": {"type": "string"},
        "topic": {"type": "string"},
        "queue": {"type": "string"},
        "client_number": {"type": "string"},
        "state": {"type": "string", "enum": ["new", "taken", "unanswered", "answered", "closed", "unknown"]},
        "stage": {
            "type": ["string", "null"],
            "enum": ["manager", "vip", "skilled", "anyone", None],
            "description": "which of the queue's routing rules lets an agent take it: while new, the agents it"
            " waits for (vip: the queue's vip_min_tier until vip_overflow; skilled: its required_skills until"
            " skill_relax; anyone); once assigned, the stage it was at; null for one stored before stages were kept",
        },
        "agent_id": {"type": "string"},
        "overdue": {"type": "boolean"},
        "reply_due_at": _TIME,
        "created_at": _TIME,
        "assigned_at": _TIME,
        "closed_at": _TIME,
        "close_reason": {
            "type": "string",
            "enum": ["", "agent", "supervisor", "idle"],
            "description": "once closed, why: its agent, a supervisor, or idle (the queue's idle_close passed after"
            " the last reply with no customer message); empty while open",
        },
        "last_customer_message_at": _TIME,
        "first_replied_at": _TIME,
        "message_count": {"type": "integer"},
        "messages": {"type": "array", "items": {"type": "object"}, "description": "one conversation only"},
    },
}


def _returns(op: dict, schema: dict) -> dict:
    """The operation with its 200 answer's schema."""
    op["responses"] = {
        **op["responses"],
        "200": {"description": "ok", "content": {"application/json": {"schema": schema}}},
    }
    return op


_CONVERSATION_REF = {"$ref": "#/components/schemas/Conversation"}
_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
_LOGIN = _op(
    "Log in: sets the session cookie and returns a bearer token and the CSRF token",
    body=_obj(username="string", password="string"),
    tag="session",
)
_LOGIN["responses"] = {
    "200": _OK,
    "401": {**_ERROR, "description": "wrong username or password"},
    "415": {**_ERROR, "description": "the body is not application/json"},
    "429": {
        **_ERROR,
        "description": "too many failed logins of this user or from this address; retry after Retry-After",
        "headers": _RETRY_AFTER,
    },
    "4XX": _ERROR,
    "503": {**_ERROR, "description": "every password check is busy; retry after Retry-After", "headers": _RETRY_AFTER},
    "5XX": _ERROR,
}


def _queue_rules() -> dict:
    """The body of PUT /api/v1/queues/{queue}: every queue setting by its config file name."""
    kinds = {"duration": "number", "count": "integer", "flag": "boolean", "numbers": "array", "levels": "object"}
    rules = {s.toml: {"type": kinds.get(s.kind, "string"), "description": s.doc} for s in QUEUE_SETTINGS}
    for s in QUEUE_SETTINGS:
        if s.choices:
            rules[s.toml]["enum"] = list(s.choices)
        if s.kind == "name":
            rules[s.toml]["format"] = "queue-name"  # another queue (the admin page offers a list)
    return rules


_QUEUE_RULES = _queue_rules()


def _limits(spec: dict[str, tuple[int, int, bool]]) -> dict:
    """A body of alert limits (domain/thresholds.py): every one required, within its bounds."""
    return {
        "type": "object",
        "required": list(spec),
        "additionalProperties": False,
        "properties": {
            name: {"type": "integer" if whole else "number", "minimum": low, "maximum": high}
            for name, (low, high, whole) in spec.items()
        },
    }


PATHS: dict[str, dict] = {
    "/api/v1/login": {"post": _LOGIN},
    "/api/v1/logout": {"post": _op("Log out (ends the session)", tag="session")},
    "/api/v1/me": {"get": _op("The logged-in user and the session's CSRF token", tag="session")},
    "/api/v1/users": {
        "get": _op("Every user (admin)", tag="users"),
        "post": _op(
            "Create a user (admin): teams are a supervisor's or a messaging user's queues (one at least),"
            " channels a messaging user's of those (empty: every channel)",
            body=_obj(
                username="string", password="string", role="string", agent_id="string", teams="array", channels="array"
            ),
            tag="users",
        ),
    },
    "/api/v1/users/{username}/password": {
        "post": _op(
            "Set a password (admin: anyone's; a user: their own, with old_password)",
            params=[_path_param("username")],
            body=_obj(password="string", old_password="string"),
            tag="users",
        )
    },
    "/api/v1/users/{username}": {
        "put": _op(
            "Change a user's role, agent (role agent), teams (roles supervisor, messaging) or channels (role"
            " messaging) (admin); their sessions end",
            params=[_path_param("username")],
            body=_obj(role="string", agent_id="string", teams="array", channels="array"),
            tag="users",
        ),
        "delete": _op("Delete a user (admin); their sessions end", params=[_path_param("username")], tag="users"),
    },
    "/api/v1/agents": {"get": _op("Agents the user may see, with their current state", tag="agents")},
    "/api/v1/agents/{agent_id}/pause": {
        "post": _op(
            "Pause an agent for a reason of /api/v1/pause-reasons; after_current_call: a busy agent"
            " is paused when they leave the call and its wrap-up (resume cancels that)",
            params=AGENT,
            body=_obj(reason="string", after_current_call="boolean"),
            tag="actions",
        )
    },
    "/api/v1/agents/{agent_id}/resume": {"post": _op("Resume a paused agent", params=AGENT, tag="actions")},
    "/api/v1/agents/{agent_id}/logout": {"post": _op("Log an agent out", params=AGENT, tag="actions")},
    "/api/v1/agents/{agent_id}/wrap-up/end": {"post": _op("End an agent's wrap-up now", params=AGENT, tag="actions")},
    "/api/v1/agents/{agent_id}/wrap-up/extend": {
        "post": _op("Make an agent's wrap-up longer", params=AGENT, body=_obj(seconds="number"), tag="actions")
    },
    "/api/v1/agents/{agent_id}/timeline": {
        "get": _op(
            "The agent's state timeline of a day: segments (state, pause reason, start, end, call) from the"
            " event stream; trimmed counts state changes dropped past 2,000 a day",
            params=AGENT
            + [
                _query("day", description="YYYY-MM-DD (default: today in tz)"),
                _query("tz", description="IANA time zone (default UTC)"),
            ],
            tag="figures",
        )
    },
    "/api/v1/agents/{agent_id}/clients": {"get": _op("The agent's clients (personal manager of)", params=AGENT)},
    "/api/v1/agents/{agent_id}/clients/reassign": {
        "post": _op(
            "Move all (or the listed) clients of an agent to another agent",
            params=AGENT,
            body=_obj(to_agent_id="string", numbers="array"),
            tag="actions",
        )
    },
    "/api/v1/agents/{agent_id}/handover": {
        "get": _op("The agent's handover in force (404: none)", params=AGENT, tag="actions"),
        "post": _op(
            "Hand an absent agent's clients, open leads and tasks to a deputy (S1.6), until until_ms"
            " (Redis ms; optional: until ended); 409 when one is in force (supervisors, admins)",
            params=AGENT,
            body=_obj(to_agent_id="string", until_ms="integer"),
            tag="actions",
        ),
    },
    "/api/v1/agents/{agent_id}/handover/end": {
        "post": _op(
            "End the agent's handover now: what is still the deputy's goes back (supervisors, admins)",
            params=AGENT,
            tag="actions",
        )
    },
    "/api/v1/queues": {"get": _op("Queues the user may see, with live counts", tag="agents")},
    # Administration (admin_api.py): a queue's rules by the config file's names, an agent's profile.
    "/api/v1/queues/{queue}": {
        "get": _op(
            "One queue: live counts and every rule (admins; supervisors of the queue)",
            params=[_path_param("queue")],
            tag="admin",
        ),
        "put": _op(
            "Create a queue or replace its rules (admins): durations in seconds (<rule>_s), a rule left out"
            " takes its default; a bad value is a 400 naming the field",
            params=[_path_param("queue")],
            body={"type": "object", "additionalProperties": False, "properties": _QUEUE_RULES},
            tag="admin",
        ),
    },
    "/api/v1/agents/{agent_id}": {
        "get": _op("One agent", params=AGENT, tag="agents"),
        "put": _op(
            "Create an agent or replace their profile (admins)",
            params=AGENT,
            body=_obj(name="string", endpoint="string", queues="array", skills="object", tier="integer"),
            tag="admin",
        ),
        "delete": _op(
            "Remove a logged-out agent for good (admins); their clients (and open leads and tasks) go to"
            " clients_to_agent_id, or the clients are"
            " released (release_clients=true), else 409",
            params=AGENT + [_query("clients_to_agent_id"), _query("release_clients", "boolean")],
            tag="admin",
        ),
    },
    # Wallboards (wallboard_api.py): links for TVs, and the tiles they show.
    "/api/v1/wallboards": {
        "get": _op("Wallboard links (admins); their tokens are never shown again", tag="wallboard"),
        "post": _op(
            "Create a wallboard link of 1-16 queues (admins): the reply holds its token, once",
            body=_obj(name="string", queues="array"),
            tag="wallboard",
        ),
    },
    "/api/v1/wallboards/{wallboard_id}": {
        "delete": _op("Revoke a wallboard link (admins)", params=[_path_param("wallboard_id")], tag="wallboard")
    },
    "/api/v1/wallboard": {
        "get": _op(
            "Wallboard tiles of chosen queues for a logged-in admin or supervisor",
            params=[_query("queues", description="comma-separated queue names"), _query("tz")],
            tag="wallboard",
        )
    },
    "/api/v1/wallboard/{token}/board": {
        "get": {
            **_op(
                "A wallboard link's tiles (no session: the token opens only these counts of its queues)",
                params=[_path_param("token"), _query("tz")],
                tag="wallboard",
            ),
            "security": [],
        }
    },
    "/api/v1/wallboard/{token}/changes": {
        "get": {
            "summary": "Server-sent events for a wallboard link: an empty message when its tiles changed",
            "tags": ["wallboard"],
            "parameters": [_path_param("token")],
            "security": [],
            "responses": {"200": {"description": "text/event-stream", "content": {"text/event-stream": {}}}},
        }
    },
    "/api/v1/queues/{queue}/live": {
        "get": _op(
            "A queue's live calls (supervisors of the queue, admins; agents 403): waiting calls by position"
            " (caller, waiting since, VIP priority), ringing and connected calls with their agent, the"
            " queue's agents and states, and the available agents and other queues a call may be moved to",
            params=[_path_param("queue")],
            tag="call control",
        )
    },
    "/api/v1/pause-reasons": {
        "get": _op("The site's pause reasons (code, label, automatic)", tag="agents"),
        "put": _op(
            "Replace the site's pause reasons (admins)",
            body={
                "type": "object",
                "required": ["reasons"],
                "additionalProperties": False,
                "properties": {
                    "reasons": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["code"],
                            "additionalProperties": False,
                            "properties": {"code": {"type": "string"}, "label": {"type": "string"}},
                        },
                    }
                },
            },
            tag="agents",
        ),
    },
    "/api/v1/board": {
        "get": _op(
            "The live board: agents by state, online per team, queues, overdue, open conversations (supervisors)",
            params=[_query("tz", description="IANA time zone of the day's figures (default UTC)")],
            tag="board",
        )
    },
    "/api/v1/events": {
        "get": {
            "summary": "Server-sent events: one message per visible change (type and ids)",
            "tags": ["board"],
            "responses": {"200": {"description": "text/event-stream", "content": {"text/event-stream": {}}}},
        }
    },
    "/api/v1/comments": {
        "post": _op(
            "Comment on a call, lead or agent; each tagged agent gets a task",
            body=_obj(subject_kind="string", subject_id="string", text="string", tag_agent_ids="array"),
            tag="tasks",
        )
    },
    "/api/v1/comments/{kind}/{subject_id}": {
        "get": _op(
            "Comments on one call, lead or agent",
            params=[
                _path_param("kind", "call, lead or agent"),
                _path_param("subject_id", "the call's, lead's or agent's id, percent-encoded"),
            ],
        )
    },
    "/api/v1/tasks": {
        "get": _op(
            "The tasks the user may see, newest first, at most 500 (an agent: own and their teams' untaken ones)",
            params=[
                _query("status", description="open, done, snoozed or all (default: open and snoozed)"),
                _query("due_before", "integer", "only tasks due at or before this time (ms)"),
                _query("assignee", description="an agent id, or team:<queue>"),
                _query("agent_id", description="an agent id (as assignee)"),
                _query("all", description="1: every status"),
                _query("limit", "integer", "1-500 (default 500)"),
            ],
            tag="tasks",
        ),
        "post": _op(
            "Create a task (agents for themselves; supervisors for agents and teams they supervise)",
            body={
                "type": "object",
                "required": ["title"],
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "maxLength": 200},
                    "text": {"type": "string", "maxLength": 2000},
                    "subject_kind": {"type": "string", "enum": ["call", "lead", "client", "agent"]},
                    "subject_id": {"type": "string"},
                    "agent_id": {"type": "string", "description": "the assignee (or team)"},
                    "team": {"type": "string", "description": "a queue: any of its agents may take it"},
                    "due_ms": {"type": "integer", "description": "due time in ms, at most a day ago"},
                    "reminders": {
                        "type": "array",
                        "maxItems": 5,
                        "items": {"type": "integer", "minimum": 1, "maximum": 31_622_400},
                        "description": "seconds before the due time",
                    },
                    "recurrence": {
                        "type": ["object", "null"],
                        "properties": {
                            "every": {"type": "integer", "minimum": 1, "maximum": 365},
                            "unit": {"type": "string", "enum": ["days", "weeks", "months", "years"]},
                        },
                        "description": "when done, the next one is due `every` units after this one's planned due",
                    },
                },
            },
            tag="tasks",
        ),
    },
    "/api/v1/tasks/{task_id}/done": {
        "post": _op(
            "Mark a task done (a recurring task's next one is created)", params=[_path_param("task_id")], tag="tasks"
        )
    },
    "/api/v1/tasks/{task_id}/snooze": {
        "post": _op(
            "Snooze a task until until_ms or for minutes (its due time moves there)",
            body=_obj(until_ms="integer", minutes="integer"),
            params=[_path_param("task_id")],
            tag="tasks",
        )
    },
    "/api/v1/tasks/{task_id}/reassign": {
        "post": _op(
            "Give a task to another agent or team (supervisors, admins)",
            body=_obj(agent_id="string", team="string"),
            params=[_path_param("task_id")],
            tag="tasks",
        )
    },
    "/api/v1/tasks/{task_id}/take": {
        "post": _op("Take a team task (409 when another agent took it)", params=[_path_param("task_id")], tag="tasks")
    },
    "/api/v1/stats/agents": {
        "get": _op(
            "Per-agent KPIs over a period: offered, answered, missed, talk, wrap-up, pause, occupancy, score",
            params=PERIOD + [_query("agent_id")],
            tag="figures",
        )
    },
    "/api/v1/stats/team": {
        "get": _op(
            "A team's figures: each agent's KPIs over a period and their totals, for a router team's members"
            " (?team_id=) or the agents named (?agent_id=a,b,c, at most 200); supervisors and admins",
            params=PERIOD + [_query("team_id"), _query("agent_id", description="comma-separated agent ids")],
            tag="figures",
        )
    },
    "/api/v1/teams": {
        "get": _op("Every team (admins), or the teams the supervisor supervises (S2.3)", tag="teams"),
    },
    "/api/v1/teams/{team_id}": {
        "get": _op("One team (admins; supervisors their own)", params=[_path_param("team_id")], tag="teams"),
        "put": _op(
            "Create or replace a team: name, member_agent_ids (at most 500 agents), supervisor_usernames"
            " (at most 50 users; they see and steer its agents) (admins)",
            params=[_path_param("team_id")],
            body=_obj(name="string", member_agent_ids="array", supervisor_usernames="array"),
            tag="teams",
        ),
        "delete": _op("Delete a team (admins)", params=[_path_param("team_id")], tag="teams"),
    },
    "/api/v1/stats/queues": {
        "get": _op(
            "Per-queue KPIs over a period: answered, abandoned, ASA, service level, AHT (supervisors)",
            params=PERIOD + [_query("queue"), _query("service_level_s", "number")],
            tag="figures",
        )
    },
    "/api/v1/stats/queues/series": {
        "get": _op(
            "Trends: per-queue KPIs bucket by bucket (offered, answered, abandoned, SL, ASA, AHT) over local days;"
            " the queues the user may see (agents: the queues they serve)",
            params=[
                _query("queue", description="comma-separated queue names (default: every queue the user may see)"),
                _query(
                    "bucket",
                    description="quarter_hour, half_hour (default), hour (at most 4, 8, 16 days), day, week (ISO,"
                    " from Monday), month (at most 400 days)",
                ),
                _query("from", description="first local day, YYYY-MM-DD (default: today in tz)"),
                _query("to", description="last local day, YYYY-MM-DD, inclusive (default: from)"),
                _query("tz", description="IANA time zone of the days and buckets (default UTC)"),
            ],
            tag="figures",
        )
    },
    "/api/v1/calls": {
        "get": _op(
            "Call records (S1.1), newest first, with filters and paging",
            params=[
                _query("agent_id"),
                _query("queue"),
                _query("caller"),
                _query("call_id", description="one call, any SIP Call-ID (other filters are ignored)"),
                _query("outcome", description="answered, missed, abandoned, timed_out, redirected, in_progress"),
                _query("from", description="ISO date or date-time"),
                _query("to", description="ISO date (inclusive) or date-time"),
                _query("tz"),
                _query("min_talk_s", "number"),
                _query("max_talk_s", "number"),
                _query("page_size", "integer"),
                _query("page_token"),
                _query(
                    "q",
                    description="search: a fragment of the caller's number (its digits) or of the call id;"
                    " at most 64 characters (a bounded scan: a page may come short with a next_page_token)",
                ),
            ],
            tag="calls",
        )
    },
    "/api/v1/export/calls.csv": {
        "get": _download(
            "The period's call records as CSV (as GET /api/v1/calls: the user's visibility), newest first;"
            " names and labels instead of ids, times ISO 8601 in tz",
            [
                _query("from", description="ISO date or date-time (required)"),
                _query("to", description="ISO date (inclusive) or date-time (required; at most 400 days after from)"),
                _query("tz", description="IANA time zone of the times and of dates without offset (default UTC)"),
                _query("agent_id"),
                _query("queue"),
                _query("caller"),
                _query("outcome", description="answered, missed, abandoned, timed_out, redirected, in_progress"),
                _query("min_talk_s", "number"),
                _query("max_talk_s", "number"),
            ],
        )
    },
    "/api/v1/export/agents.csv": {
        "get": _download(
            "The agent figures of a period as CSV (as GET /api/v1/stats/agents)", PERIOD + [_query("agent_id")]
        )
    },
    "/api/v1/payroll": {
        "get": _op(
            "One payroll row per agent and currency: paid invoices, commission, bonus, penalty, total"
            " (admins; supervisors their teams' agents; ?from=&to= alone mean a range)",
            params=PERIOD + [_query("agent_id")],
            tag="payroll",
        )
    },
    "/api/v1/export/payroll.csv": {
        "get": _download(
            "The payroll of a period as CSV, amounts in minor units (as GET /api/v1/payroll)",
            PERIOD + [_query("agent_id")],
        )
    },
    "/api/v1/commission-rules": {
        "get": _op("The commission rules (admins)", tag="payroll"),
        "put": _op(
            "Replace the commission rules: per product or queue, or the default; percent_bp and/or fixed_minor"
            " (admins)",
            body=_obj(rules="array"),
            tag="payroll",
        ),
    },
    "/api/v1/pay-rules": {
        "get": _op("The pay rules per team (admins)", tag="payroll"),
        "put": _op(
            "Replace the pay rules per team: bonus per answered call, penalty per missed offer, bonus per"
            " fulfilled deal (admins)",
            body=_obj(rules="array"),
            tag="payroll",
        ),
    },
    "/api/v1/crm/events": {
        "post": _op(
            "Apply up to 100 CRM events (docs/crm.md, Events in), each once by (source, event_id): a client"
            " (number, name, priority, personal_manager_agent_id), a lead (lead_id, client_number,"
            " owner_agent_id, stage), an invoice (invoice_id, lead_id, agent_id, product, queue, amount_minor,"
            " currency, issued_at) or a payment (payment_id, invoice_id, amount_minor, paid_at). Answers one"
            " result per event in order: accepted, duplicate (applied before with the same content) or refused"
            " with field, reason and code (ALREADY_EXISTS: the event id was applied with other content). Admins",
            body={
                "type": "object",
                "required": ["events"],
                "properties": {
                    "events": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 100,
                        "items": {
                            "type": "object",
                            "required": ["source", "event_id"],
                            "properties": {
                                "source": {"type": "string"},
                                "event_id": {"type": "string"},
                                "client": {"type": "object"},
                                "lead": {"type": "object"},
                                "invoice": {"type": "object"},
                                "payment": {"type": "object"},
                            },
                        },
                    }
                },
            },
            tag="crm",
        )
    },
    # The automation rules (automation_api.py, docs/gateway.md "Automation").
    "/api/v1/automation/rules": {
        "get": _op("The automation rules (admins)", tag="automation"),
        "put": _op(
            "Replace the automation rules (at most 100): each {id, kind (missed_call_not_called_back: queue,"
            " within_minutes; lead_stage: stage; improper_refusal: team and/or assignee), title (a template naming"
            " {number}, {queue}, {call_id}, {lead_id}, {stage}, {agent_id}), due_in_minutes, enabled} (admins)",
            body=_obj(rules="array"),
            tag="automation",
        ),
    },
    "/api/v1/export/queues.csv": {
        "get": _download(
            "The queue figures of a period as CSV (as GET /api/v1/stats/queues; supervisors)",
            PERIOD + [_query("queue"), _query("service_level_s", "number")],
        )
    },
    "/api/v1/export/conversations.csv": {
        "get": _download(
            "The conversation figures of a period as CSV (as GET /api/v1/stats/conversations; supervisors):"
            " one row per group with created, closed, first replies, replies, handled and overdue, the mean"
            " first-response, reply and handle times and their sums in seconds, the overdue share in %",
            PERIOD
            + [
                _query("group_by", description="channel, topic, agent, queue (default) or team"),
                _query("channel", description="only this channel"),
                _query("topic", description="only this topic"),
            ],
        )
    },
    # The invoice queue (S2.7): an agent's own invoices, a supervisor's team's (queue required), all for admins.
    "/api/v1/invoice-queue": {
        "get": _op(
            "Unpaid invoices no call has reached the customer about yet, oldest first, with their deal owner,"
            " client number and last call's result (agents: their own; supervisors: of the queue named)",
            params=[
                _query("queue"),
                _query("uncalled_only", "boolean"),
                _query("page_size", "integer"),
                _query("page_token"),
            ],
            tag="invoice queue",
        )
    },
    "/api/v1/invoice-queue/{invoice_id}/call": {
        "post": _op(
            "Call the invoice's client about it: an outbound call of its queue offered to its deal owner first"
            " (dialled at once when the owner asks; the owner's preview when a supervisor does); asking again"
            " while it is on gives the same call; 404 when not in the queue, 409 when it has no number or queue",
            params=[_path_param("invoice_id", "the CRM's invoice id")],
            tag="invoice queue",
        )
    },
    # Conversations (issue 21): the widget's routes (role messaging, admins) and the agents' (S0.5:
    # agents their own conversations, supervisors their queues', admins all; another's is 404).
    "/api/v1/conversations/messages": {
        "post": _op(
            "A customer's message relayed by a chat widget or messaging gateway (role messaging): the first"
            " message of a conversation_id opens the conversation (channel, topic, queue, client_number are"
            " used then); idempotent by message_id (the same id twice is stored once); 409 when closed; role"
            " messaging: only to its queues (403 naming queue; another queue's conversation 404)",
            body=_obj(
                conversation_id="string",
                channel="string",
                topic="string",
                queue="string",
                client_number="string",
                message_id="string",
                text="string",
            ),
            tag="conversations",
        )
    },
    "/api/v1/conversations/{conversation_id}/messages": {
        "get": _op(
            "The messages the customer may see (theirs, the agent's and supervisors' replies; never a note),"
            " oldest first, after the message `after` (at most 200; role messaging: of its queues, else 404;"
            " admins)",
            params=[_path_param("conversation_id"), _query("after", description="a message_id: only newer ones")],
            tag="conversations",
        )
    },
    "/api/v1/conversations/{conversation_id}/messages/stream": {
        "get": {
            **_op(
                "Server-sent events: the customer-visible messages of the conversation as they are written"
                " (never a note), each a message whose id is its message_id, after the message Last-Event-ID"
                " (header; a reconnecting EventSource sends it) or `after`; then a `closed` event and the end"
                " once it is closed (204 when it was closed with nothing new); role messaging (its queues),"
                " admins; 404 when not one of yours; 429/503 beyond the stream quotas",
                params=[
                    _path_param("conversation_id"),
                    _query("after", description="a message_id: only newer ones (Last-Event-ID wins)"),
                ],
                tag="conversations",
            ),
            "responses": {
                "200": {"description": "text/event-stream", "content": {"text/event-stream": {}}},
                "204": {"description": "closed, nothing new"},
                "4XX": _ERROR,
                "5XX": _ERROR,
            },
        }
    },
    "/api/v1/conversations": {
        "get": _returns(
            _op(
                "Open conversations, newest first, at most page_size in all (agents: their own; supervisors: their"
                " queues' and their router teams' agents'; admins: all); next_page_token when there are more",
                params=[
                    _query("state", description="new, taken, unanswered, answered or closed (default: every open one)"),
                    _query("channel"),
                    _query("topic"),
                    _query("queue"),
                    _query("client_number", description="only the conversations of this client"),
                    _query("overdue", "boolean", "only those past their reply deadline"),
                    _query("page_size", "integer"),
                    _query("page_token"),
                ],
                tag="conversations",
            ),
            _obj_of(conversations={"type": "array", "items": _CONVERSATION_REF}, next_page_token={"type": "string"}),
        )
    },
    "/api/v1/conversations/{conversation_id}": {
        "get": _returns(
            _op(
                "One conversation with its newest messages, supervisors' notes included (404 when not yours)",
                params=[_path_param("conversation_id")],
                tag="conversations",
            ),
            _obj_of(conversation=_CONVERSATION_REF),
        )
    },
    "/api/v1/conversations/{conversation_id}/reply": {
        "post": _op(
            "The agent's reply to the customer, as themselves (409 when another agent holds it or it is"
            " closed); idempotent by message_id",
            params=[_path_param("conversation_id")],
            body=_obj(message_id="string", text="string"),
            tag="conversations",
        )
    },
    "/api/v1/conversations/{conversation_id}/close": {
        "post": _op(
            "Close the conversation (agents: their own only); its agent gets room for the next one",
            params=[_path_param("conversation_id")],
            tag="conversations",
        )
    },
    "/api/v1/calls/{call_id}": {"get": _op("One call record", params=[_path_param("call_id", CALL_ID)], tag="calls")},
    # Live call control (S3.4): supervisors of the call's queue (and of the target), admins; agents 403.
    "/api/v1/calls/{call_id}/move": {
        "post": _op(
            "Move a waiting call to a named available agent (offered at once) or to another queue (it keeps"
            " its arrival time and priority); exactly one of agent_id and queue. 409 naming the state when the"
            " call is not waiting or the agent not available",
            params=[_path_param("call_id", CALL_ID)],
            body=_obj(agent_id="string", queue="string"),
            tag="call control",
        )
    },
    "/api/v1/calls/{call_id}/take": {
        "post": _op(
            "Take a waiting call yourself: offered to your user's agent (409 when it has none or is not available)",
            params=[_path_param("call_id", CALL_ID)],
            tag="call control",
        )
    },
    "/api/v1/calls/{call_id}/end": {
        "post": _op(
            "End a stuck call now (reason ended_by_supervisor): connected -> completed, its agent into"
            " wrap-up; waiting or ringing -> abandoned, a ringing agent freed without a miss",
            params=[_path_param("call_id", CALL_ID)],
            tag="call control",
        )
    },
    "/api/v1/calls/{call_id}/reassign": {
        "post": _op(
            "Reassign a ringing call: its offer is cancelled (no miss for the agent) and it is offered to"
            " agent_id, or goes back to its queue without one",
            params=[_path_param("call_id", CALL_ID)],
            body=_obj(agent_id="string"),
            tag="call control",
        )
    },
    "/api/v1/leads": {
        "get": _op(
            "Leads with their attempts, touches and cadence (S4)",
            params=PERIOD
            + [_query("filter", description="not_called, improper_refusal, cadence_broken"), _query("agent_id")],
            tag="leads",
        ),
        "post": _op(
            "Report a new lead (CRM or supervisor)",
            body=_obj(lead_id="string", agent_id="string", stage="string"),
            tag="leads",
        ),
    },
    "/api/v1/leads/{lead_id}": {"get": _op("One lead", params=[_path_param("lead_id")] + PERIOD, tag="leads")},
    "/api/v1/leads/{lead_id}/assign": {
        "post": _op(
            "Assign a lead to an agent", params=[_path_param("lead_id")], body=_obj(agent_id="string"), tag="leads"
        )
    },
    "/api/v1/clients/{number}": {
        "get": _op(
            "The customer card (S1.5): the client's details and personal manager, calls with recordings,"
            " leads with their stage history, tasks, comments, and a timeline of all of it, oldest first;"
            " whole for whoever sees the client's personal manager, else what the user sees anyway",
            params=[_path_param("number", "the client's phone number, percent-encoded")],
            tag="clients",
        )
    },
    "/api/v1/leads/{lead_id}/history": {
        "get": _op(
            "The lead's pipeline history (S1.9): every creation, assignment and stage change, oldest first,"
            " with its time, agent and actor",
            params=[_path_param("lead_id")],
            tag="leads",
        )
    },
    "/api/v1/stats/funnel": {
        "get": _op(
            "The lead funnel (S1.9): leads entering each stage in the period and the conversion to the next,"
            " grouped, with a total; an agent's is their own, a supervisor's their teams'",
            params=PERIOD
            + [
                _query("group_by", description="none (default), agent, queue or team (per router team)"),
                _query("agent_id", description="agent ids, comma-separated (at most 200)"),
                _query("queue", description="queue names, comma-separated (at most 200)"),
            ],
            tag="leads",
        )
    },
    "/api/v1/leads/{lead_id}/stage": {
        "post": _op(
            "Move a lead to another stage (lead, in_work, payment, fulfilled, refused)",
            params=[_path_param("lead_id")],
            body=_obj(stage="string", agent_id="string"),
            tag="leads",
        )
    },
    "/api/v1/recordings": {
        "get": _op(
            "Recordings the user may hear, newest first",
            params=[
                _query("call_id", description="a SIP Call-ID"),
                _query("agent_id"),
                _query("lead_id"),
                _query("from", description="ISO date or date-time (start time at or after)"),
                _query("to", description="ISO date (inclusive) or date-time (before)"),
                _query("tz", description="IANA time zone for dates without offset (default UTC)"),
                _query("page_size", "integer"),
                _query("page_token"),
            ],
            tag="recordings",
        )
    },
    "/api/v1/recordings/{recording_id}": {
        "get": _op("One recording's metadata", params=[_path_param("recording_id")], tag="recordings")
    },
    "/api/v1/recordings/{recording_id}/audio": {
        "get": {
            "summary": "The recording's audio (WAV); supports Range: bytes=a-b for seeking",
            "tags": ["recordings"],
            "parameters": [_path_param("recording_id")],
            "responses": {
                "200": {"description": "the whole file", "content": {"audio/wav": {}}},
                "206": {"description": "the requested range", "content": {"audio/wav": {}}},
                "4XX": _ERROR,
            },
        }
    },
    "/api/v1/tasks/{task_id}/close": {
        "post": _op("Mark a task done (the older name of /done)", params=[_path_param("task_id")], tag="tasks")
    },
    "/api/v1/actions": {
        "get": _op(
            "The audit trail: changes made on someone's behalf (who, what, on whom), newest first. Admins read"
            " all; supervisors those on their teams' agents and queues",
            params=[
                _query("from", description="ISO date or date-time (required)"),
                _query("to", description="ISO date (inclusive) or date-time (required; at most 400 days after from)"),
                _query("tz", description="IANA time zone for dates without offset (default UTC)"),
                _query("actor", description="only this user's (or credential's) actions"),
                _query("page_size", "integer"),
                _query("page_token"),
            ],
            tag="audit",
        )
    },
    # Outbound work (outbound_api.py, campaigns_api.py; docs/outbound.md).
    "/api/v1/outbound/calls": {
        "post": _op(
            "Click-to-call: a preview call to number, offered to your own agent (agents), or to agent_id"
            " (supervisors of the queue, admins; none: the queue's rotation); queue: default the agent's"
            " first; deal_id: the lead it is about. 409 when the user has no agent",
            body=_obj(number="string", queue="string", deal_id="string", agent_id="string"),
            tag="outbound",
        )
    },
    "/api/v1/outbound/calls/{call_id}/accept": {
        "post": _op(
            "Accept an outbound preview: the PBX dials it (DIALING). Only the agent offered it (another"
            " agent: 403), or a supervisor of its queue, or an admin; offer_id: 409 when it was offered anew",
            params=[_path_param("call_id", CALL_ID)],
            body=_obj(offer_id="string"),
            tag="outbound",
        )
    },
    "/api/v1/outbound/calls/{call_id}/decline": {
        "post": _op(
            "Decline an outbound preview: offered to the next agent (no miss). Who may: as accept",
            params=[_path_param("call_id", CALL_ID)],
            body=_obj(offer_id="string"),
            tag="outbound",
        )
    },
    "/api/v1/outbound/offers": {
        "get": _op(
            "The outbound preview offered to your own agent now (none or one): number, client name,"
            " campaign and its script, a callback's note",
            tag="outbound",
        )
    },
    "/api/v1/callbacks": {
        "get": _op(
            "Callbacks, soonest due first (at most 500): an agent's own, a supervisor's queues', every one for admins",
            params=[
                _query("agent_id"),
                _query("queue"),
                _query("include_ended", description="1: also the ended ones"),
            ],
            tag="outbound",
        ),
        "post": _op(
            "Schedule a callback of number at due_at (ISO 8601 date-time; without an offset: UTC), offered"
            " to agent_id first (agents: themselves) in queue (default the agent's first), with a note",
            body=_obj(
                number="string", due_at="string", agent_id="string", queue="string", note="string", deal_id="string"
            ),
            tag="outbound",
        ),
    },
    "/api/v1/callbacks/{callback_id}": {
        "delete": _op(
            "Cancel a scheduled callback (agents their own; supervisors their queues')",
            params=[_path_param("callback_id")],
            tag="outbound",
        )
    },
    "/api/v1/campaigns": {
        "get": _op("Campaigns of your queues (admins: all), newest first, with progress", tag="campaigns"),
        "post": _op(
            "Create a campaign (draft) or replace one's settings (a running one: pause first). mode preview or"
            " progressive; source contacts or new_leads; calling_hours {days 1-7, start_minute, end_minute,"
            " time_zone}; retry {no_answer_s, busy_s, failed_s, spread_s, max_attempts, call_reached_again}"
            " (supervisors of the queue, admins)",
            body=_obj(
                campaign_id="string",
                name="string",
                queue="string",
                segment_id="string",
                source="string",
                script="string",
                mode="string",
                calling_hours="object",
                retry="object",
                max_concurrent="integer",
            ),
            tag="campaigns",
        ),
    },
    "/api/v1/campaigns/{campaign_id}": {
        "get": _op("One campaign with its progress", params=[_path_param("campaign_id")], tag="campaigns")
    },
    "/api/v1/campaigns/{campaign_id}/contacts": {
        "get": _op(
            "A campaign's contacts by number",
            params=[
                _path_param("campaign_id"),
                _query("state", description="pending, calling, reached, exhausted or skipped"),
                _query("page_size", "integer"),
                _query("after_number", description="the last number of the previous page"),
            ],
            tag="campaigns",
        ),
        "post": _op(
            "Add 1-1000 contacts: numbers, and/or contacts [{number, deal_id}]; numbers already there are"
            " kept, numbers on the do-not-call list added as skipped",
            params=[_path_param("campaign_id")],
            body=_obj(numbers="array", contacts="array"),
            tag="campaigns",
        ),
    },
    "/api/v1/campaigns/{campaign_id}/start": {
        "post": _op("Start (or resume) a campaign", params=[_path_param("campaign_id")], tag="campaigns")
    },
    "/api/v1/campaigns/{campaign_id}/pause": {
        "post": _op("Pause a running campaign: no new calls", params=[_path_param("campaign_id")], tag="campaigns")
    },
    "/api/v1/campaigns/{campaign_id}/stop": {
        "post": _op(
            "Stop a campaign for good: calls waiting for an agent are cancelled",
            params=[_path_param("campaign_id")],
            tag="campaigns",
        )
    },
    "/api/v1/segments": {
        "get": _op("Client segments with their member counts (supervisors, admins)", tag="campaigns"),
        "post": _op(
            "Create or replace a segment: conditions [{attribute, values}] (1-16), all of which a client meets",
            body=_obj(segment_id="string", name="string", conditions="array"),
            tag="campaigns",
        ),
    },
    "/api/v1/do-not-call": {
        "get": _op(
            "The do-not-call list, oldest first, paged; ?number= whether one number is on it (supervisors, admins)",
            params=[_query("page_size", "integer"), _query("page_token"), _query("number")],
            tag="campaigns",
        ),
        "post": _op("Put 1-1000 numbers on the do-not-call list", body=_obj(numbers="array"), tag="campaigns"),
        "delete": _op("Take 1-1000 numbers off the do-not-call list", body=_obj(numbers="array"), tag="campaigns"),
    },
    "/api/v1/stats/outbound": {
        "get": _op(
            "Outbound figures (GetOutboundStats) per queue, campaign and agent the user sees: calls, declined,"
            " dialed, connected, not connected by reason, conversations, contact rate, conversions",
            params=PERIOD + [_query("queue"), _query("campaign_id"), _query("agent_id")],
            tag="figures",
        )
    },
    # The board's alert thresholds (thresholds_api.py).
    "/api/v1/thresholds": {
        "get": _op(
            "The alert thresholds: the agents' limits and one entry per queue (defaults filled in, custom: set by"
            " an admin). Admins and supervisors (their queues)",
            tag="thresholds",
        )
    },
    "/api/v1/thresholds/agents": {
        "put": _op(
            "Set how long agents may ring, wrap up or pause before they are flagged stuck (admins)",
            body=_limits(AGENT_LIMITS),
            tag="thresholds",
        )
    },
    "/api/v1/thresholds/queues/{queue}": {
        "put": _op(
            "Set a queue's limits: service level minimum and abandonment maximum today (percent), longest wait"
            " (seconds). Admins",
            params=[_path_param("queue")],
            body=_limits(QUEUE_LIMITS),
            tag="thresholds",
        ),
        "delete": _op(
            "A queue's limits back to the defaults (admins)", params=[_path_param("queue")], tag="thresholds"
        ),
    },
}


# Supervisor control of conversations and their board (issue 21; S3.1, S3.4-S3.6): supervisors
# of the conversation's queue, admins; agents 403; a conversation of another queue 404.
CONVERSATION = [_path_param("conversation_id", "1-64 letters, digits, '-', '_' or '.'")]
_MESSAGE = _obj(message_id="string", text="string")
PATHS.update(
    {
        "/api/v1/board/conversations": {
            "get": _op(
                "The conversations' board now: per queue (group) operators online and open conversations by"
                " state (new, taken, unanswered, answered, overdue, open); per operator online, state, queues and"
                " the same counts. A supervisor's queues only (another queue or agent asked for: 404)",
                params=[
                    _query("channel", description="only this channel"),
                    _query("topic", description="only this topic"),
                    _query("queue", description="comma-separated queues (at most 200); default: all yours"),
                    _query("agent_id", description="comma-separated operators (at most 500): their load"),
                ],
                tag="conversations",
            )
        },
        "/api/v1/stats/conversations": {
            "get": _op(
                "Conversation figures over a period by group: created, closed, first replies and their mean"
                " time, replies and their mean time, mean handle time, overdue and its share, with the sums"
                " behind the means. A supervisor's agents, queues and router teams only",
                params=[
                    *PERIOD,
                    _query(
                        "group_by",
                        description="channel, topic, agent, queue (default) or team (a router team: its members'"
                        " agent rows added up)",
                    ),
                    _query("channel", description="only this channel"),
                    _query("topic", description="only this topic"),
                ],
                tag="conversations",
            )
        },
        "/api/v1/conversations/{conversation_id}/transfer": {
            "post": _op(
                "Give an open conversation to another agent you see (logged in to its queue with room on its"
                " channel: 409 naming why otherwise), or back to its queue's line without agent_id",
                params=CONVERSATION,
                body=_obj(agent_id="string"),
                tag="conversations",
            )
        },
        "/api/v1/conversations/{conversation_id}/take": {
            "post": _op(
                "Take an open conversation yourself: transferred to your user's agent (409 naming agent_id when"
                " your user has none)",
                params=CONVERSATION,
                tag="conversations",
            )
        },
        "/api/v1/conversations/{conversation_id}/note": {
            "post": _op(
                "Whisper a note to the conversation's agent; the customer never sees it and its state is kept"
                " (idempotent by message_id)",
                params=CONVERSATION,
                body=_MESSAGE,
                tag="conversations",
            )
        },
        "/api/v1/conversations/{conversation_id}/supervisor-reply": {
            "post": _op(
                "Reply to the customer in the agent's place: counts as the agent's reply (answered, no longer"
                " overdue; idempotent by message_id)",
                params=CONVERSATION,
                body=_MESSAGE,
                tag="conversations",
            )
        },
    }
)


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "callcenter gateway",
            "version": "1",
            "description": "The supervisors' JSON API. Log in with POST /api/v1/login; browsers send the session "
            "cookie plus the X-CSRF-Token header on changes, API clients send Authorization: Bearer <token>. "
            "Request bodies are JSON: any other Content-Type than application/json is refused with 415.",
        },
        "paths": PATHS,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "field": {"type": "string"}},
                    "required": ["error"],
                },
                "Conversation": CONVERSATION_SCHEMA,
            },
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "cc_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
