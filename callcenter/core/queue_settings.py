"""A queue's settings, declared once.

Every setting a queue has is one `Setting` of `QUEUE_SETTINGS`: its kind, what an unset or
zero value means, its default, its bound, and its names in each place it lives. From this one
table come the domain object (`QueueConfig`), the validation of every value, the defaults,
the TOML keys of the router's config file, the Redis hash fields the Lua scripts read, the
protobuf conversion (callcenter.router.v1.Queue) and the documentation's table
(`settings_table()`, checked against docs/routing-rules.md by a test). Adding a setting is one
line here (plus its proto field and, if the scripts act on it, the Lua that does).

Cross-object rules (an overflow queue must exist, a dialled number belongs to one queue) are
the router's, not this table's.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import duration_pb2

from callcenter.core import time_bounds
from callcenter.core.errors import InvalidArgument
from callcenter.core.ids import NAME_PATTERN

NAME_RE = NAME_PATTERN  # names of queues, agents, skills: one rule, callcenter/core/ids.py
SECOND, MINUTE, HOUR, DAY = 1_000, 60_000, 3_600_000, 86_400_000

# What an unset or zero value means.
ZERO_IS_DEFAULT = "zero is the default"  # 0 / unset take the default
UNSET_IS_DEFAULT = "unset is the default"  # unset takes the default, an explicit 0 turns it off
ZERO_IS_OFF = "zero is off"  # 0 / unset: the rule is off (no default)


class SettingError(ValueError):
    """A value a setting cannot take; `field` names it as the caller wrote it."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field = field_name
        self.problem = problem


@dataclass(frozen=True)
class Setting:
    name: str  # as the proto field and the docs name it: "ring_timeout"
    kind: str  # duration | count | flag | text | name | numbers | levels | choice
    doc: str
    empty: str = ZERO_IS_OFF
    default: Any = None  # for ZERO_IS_DEFAULT / UNSET_IS_DEFAULT; the QueueDefaults attribute name if str
    maximum: int | None = None  # ms for durations, else the largest number / the most entries
    choices: tuple[str, ...] = ()
    redis: str = ""  # the hash field when it differs from `attr`

    @property
    def attr(self) -> str:
        """The QueueConfig attribute (durations in ms)."""
        return f"{self.name}_ms" if self.kind == "duration" else self.name

    @property
    def toml(self) -> str:
        """The config file's key (durations in seconds)."""
        return f"{self.name}_s" if self.kind == "duration" else self.name

    @property
    def field_name(self) -> str:
        return self.redis or self.attr


_S = Setting
QUEUE_SETTINGS: tuple[Setting, ...] = (
    _S(
        "ring_timeout",
        "duration",
        "how long an offered agent rings before the next is tried (S1.2)",
        ZERO_IS_DEFAULT,
        "ring_timeout_ms",
        maximum=HOUR,
    ),
    _S(
        "wrap_up",
        "duration",
        "after-call work: no calls for the agent this long after a call (S1.3)",
        UNSET_IS_DEFAULT,
        "wrap_up_ms",
        maximum=DAY,
    ),
    _S(
        "strategy",
        "choice",
        "how free agents are picked",
        ZERO_IS_DEFAULT,
        "strategy",
        choices=("longest_idle", "round_robin", "fewest_calls"),
    ),
    _S("max_wait", "duration", "the longest a call waits before it overflows or times out", maximum=DAY),
    _S(
        "retry_delay",
        "duration",
        "pause before agents who all missed a call are tried again",
        ZERO_IS_DEFAULT,
        "retry_delay_ms",
        maximum=HOUR,
    ),
    _S("allow_early_wrap_up_end", "flag", "whether an agent may end their wrap-up early"),
    _S("dialed_numbers", "numbers", "numbers that land in this queue", maximum=100),
    _S("vip_min_tier", "count", "VIP calls go first to agents of at least this tier", maximum=100),
    _S(
        "vip_overflow",
        "duration",
        "how long a VIP call waits for such an agent",
        ZERO_IS_DEFAULT,
        "vip_overflow_ms",
        maximum=DAY,
    ),
    _S("sticky", "flag", "the agent who answers a caller becomes their personal manager"),
    _S(
        "manager_wait",
        "duration",
        "how long a call waits for its busy personal manager",
        UNSET_IS_DEFAULT,
        "manager_wait_ms",
        maximum=DAY,
    ),
    _S("required_skills", "levels", "skills an agent needs, with the minimum level", maximum=32, redis="skills"),
    _S("skill_order", "choice", "which skill levels go first", choices=("", "highest_first", "lowest_first")),
    _S("skill_relax", "duration", "how long a call waits for a skilled agent", maximum=DAY),
    _S(
        "max_no_answer",
        "count",
        "misses in a row before the agent is paused (S1.4)",
        UNSET_IS_DEFAULT,
        "max_no_answer",
        maximum=100,
    ),
    _S("max_queue_length", "count", "the most calls that may wait", maximum=100_000),
    _S("overflow_queue", "name", "where calls go when the queue is full or their maximum wait is over"),
    _S("fallback", "text", "where the PBX sends calls no queue takes", maximum=128),
    _S(
        "max_call_lifetime",
        "duration",
        "the longest a call may live, a backstop for lost hang-ups",
        ZERO_IS_DEFAULT,
        "max_call_lifetime_ms",
        maximum=7 * DAY,
    ),
    _S(
        "outbound_share",
        "count",
        "percent of logged-in agents outbound calls may hold while inbound calls wait",
        maximum=100,
    ),
    _S(
        "preview_timeout",
        "duration",
        "how long an agent has to accept a preview outbound call",
        ZERO_IS_DEFAULT,
        "preview_timeout_ms",
        maximum=HOUR,
    ),
    _S(
        "dial_timeout",
        "duration",
        "how long the PBX may take to report an outbound dial's outcome",
        ZERO_IS_DEFAULT,
        "dial_timeout_ms",
        maximum=HOUR,
    ),
    _S("outbound_pbx", "name", "the PBX session that dials the queue's callbacks and campaign calls"),
    _S(
        "callback_after_missed",
        "duration",
        "a caller who abandons or times out is called back this long after (S1.10)",
        maximum=30 * DAY,
    ),
    _S(
        "chat_capacity",
        "count",
        "open conversations an agent of the queue holds at once, per channel",
        UNSET_IS_DEFAULT,
        "chat_capacity",
        maximum=100,
    ),
    _S(
        "mix_chats_and_calls",
        "flag",
        "whether an agent may hold conversations of the queue and calls at once",
        UNSET_IS_DEFAULT,
        "mix_chats_and_calls",
    ),
    _S(
        "first_response",
        "duration",
        "a new conversation is overdue when its agent has not replied this long after it began",
        UNSET_IS_DEFAULT,
        "first_response_ms",
        maximum=DAY,
    ),
    _S(
        "reply",
        "duration",
        "an answered conversation the customer wrote to again is overdue after this long without a reply",
        UNSET_IS_DEFAULT,
        "reply_ms",
        maximum=DAY,
    ),
    _S(
        "idle_close",
        "duration",
        "an answered conversation (the agent's or a supervisor's reply last) closes itself when the customer"
        " has not written for this long (close reason idle)",
        maximum=7 * DAY,
    ),
)
BY_ATTR = {s.attr: s for s in QUEUE_SETTINGS}
BY_TOML = {s.toml: s for s in QUEUE_SETTINGS}


@dataclass(frozen=True)
class QueueConfig:
    """A queue as stored: every setting with its default filled in."""

    name: str
    ring_timeout_ms: int
    wrap_up_ms: int
    strategy: str
    max_wait_ms: int = 0
    retry_delay_ms: int = 2_000
    allow_early_wrap_up_end: bool = False
    dialed_numbers: tuple[str, ...] = ()
    vip_min_tier: int = 0
    vip_overflow_ms: int = 30_000
    sticky: bool = False
    manager_wait_ms: int = 5_000
    required_skills: dict[str, int] = field(default_factory=dict)
    skill_order: str = ""
    skill_relax_ms: int = 0
    max_no_answer: int = 3
    max_queue_length: int = 0
    overflow_queue: str = ""
    fallback: str = ""
    max_call_lifetime_ms: int = 4 * HOUR
    outbound_share: int = 0
    preview_timeout_ms: int = 30 * SECOND
    dial_timeout_ms: int = 90 * SECOND
    outbound_pbx: str = ""
    callback_after_missed_ms: int = 0
    chat_capacity: int = 3
    mix_chats_and_calls: bool = True
    first_response_ms: int = 60 * SECOND
    reply_ms: int = 120 * SECOND
    idle_close_ms: int = 0


# The dataclass above is the typed face of the table; they may never differ.
assert [f.name for f in dataclasses.fields(QueueConfig)] == ["name", *BY_ATTR], "QUEUE_SETTINGS and QueueConfig differ"

_EMPTY = {"duration": 0, "count": 0, "flag": False, "text": "", "name": "", "choice": "", "numbers": (), "levels": {}}


def _check(s: Setting, value: Any, where: str) -> Any:
    """value, validated for setting s (the caller's field name is `where`)."""
    if s.kind in ("duration", "count"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SettingError(where, "must be a whole number" + (" of milliseconds" if s.kind == "duration" else ""))
        if value < 0:
            raise SettingError(where, "must not be negative")
        if s.maximum is not None and value > s.maximum:
            limit = _human_ms(s.maximum) if s.kind == "duration" else str(s.maximum)
            raise SettingError(where, f"must be at most {limit}")
        return value
    if s.kind == "flag":
        if not isinstance(value, bool):
            raise SettingError(where, "must be true or false")
        return value
    if s.kind in ("text", "name", "choice"):
        if not isinstance(value, str):
            raise SettingError(where, "must be a string")
        if s.kind == "name" and value and not NAME_RE.fullmatch(value):
            raise SettingError(where, f"{value[:64]!r} must be 1-64 letters, digits, '-', '_' or '.'")
        if s.kind == "choice" and value not in s.choices:
            raise SettingError(where, f"{value[:64]!r} is not one of {', '.join(c for c in s.choices if c)}")
        if s.kind == "text":
            if s.maximum is not None and len(value) > s.maximum:
                raise SettingError(where, f"is longer than {s.maximum} characters")
            if any(ch in value for ch in "\r\n\0"):
                raise SettingError(where, "must not contain line breaks or NUL")
        return value
    if s.kind == "numbers":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise SettingError(where, "must be a list of strings")
        if s.maximum is not None and len(value) > s.maximum:
            raise SettingError(where, f"at most {s.maximum} entries")
        for i, number in enumerate(value):
            if not number or len(number) > 32 or any(ch in number for ch in ",| \r\n\0"):
                raise SettingError(f"{where}[{i}]", f"{number[:40]!r} is not a phone number")
        return tuple(dict.fromkeys(value))
    if s.kind == "levels":
        if not isinstance(value, Mapping):
            raise SettingError(where, "must be a table of skill = level")
        if s.maximum is not None and len(value) > s.maximum:
            raise SettingError(where, f"at most {s.maximum} skills")
        for skill, level in value.items():
            if not isinstance(skill, str) or not NAME_RE.fullmatch(skill):
                raise SettingError(where, f"{str(skill)[:64]!r} is not a skill name")
            if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= 100:
                raise SettingError(f"{where}[{skill}]", "level must be 0-100")
        return dict(value)
    raise AssertionError(s.kind)


def _human_ms(ms: int) -> str:
    for unit, size in (("days", DAY), ("hours", HOUR), ("minutes", MINUTE), ("seconds", SECOND)):
        if ms % size == 0 and ms >= size:
            return f"{ms // size} {unit}" if ms // size != 1 else f"1 {unit[:-1]}"
    return f"{ms} ms"


def resolve(values: Mapping[str, Any], defaults: object, names: Callable[[Setting], str]) -> dict[str, Any]:
    """Every setting of a queue from `values` (by attribute name; a missing key or None is
    unset), validated, with the defaults (attributes of `defaults`) filled in. `names` gives
    the field name errors should use (the proto's, or the config file's)."""
    unknown = set(values) - set(BY_ATTR)
    if unknown:
        raise SettingError(sorted(unknown)[0], "is not a queue setting")
    resolved: dict[str, Any] = {}
    for s in QUEUE_SETTINGS:
        value = values.get(s.attr)
        if s.empty == ZERO_IS_DEFAULT and not value:
            value = None  # 0, "" (an UNSPECIFIED enum): the default
        if value is not None:
            value = _check(s, value, names(s))
        if s.empty == UNSET_IS_DEFAULT and value is None or s.empty == ZERO_IS_DEFAULT and not value:
            value = getattr(defaults, s.default)
        if value is None:
            value = _EMPTY[s.kind]
        resolved[s.attr] = value
    return resolved


# The config file ------------------------------------------------------------------------


def from_toml(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of one [[queues]] table of the router's config file (without `name`), by
    attribute; durations are given in seconds."""
    unknown = sorted(set(entry) - set(BY_TOML) - {"name"})
    if unknown:
        raise ValueError(f"unknown keys {unknown} (a queue's keys: name, {', '.join(BY_TOML)})")
    values: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "name":
            continue
        s = BY_TOML[key]
        if s.kind == "duration":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise SettingError(key, "must be a number of seconds")
            if value < 0:
                raise SettingError(key, "must not be negative")
            if value > s.maximum / 1000:  # type: ignore[operator]
                raise SettingError(key, f"must be at most {_human_ms(s.maximum)}")  # type: ignore[arg-type]
            value = round(value * 1000)
        values[s.attr] = _check(s, value, key)  # errors name the file's key
    return values


# Redis (the hash the Lua scripts read) ---------------------------------------------------


def to_redis(queue: QueueConfig) -> dict[str, str | int]:
    out: dict[str, str | int] = {"name": queue.name}
    for s in QUEUE_SETTINGS:
        value = getattr(queue, s.attr)
        if s.kind == "flag":
            value = int(value)
        elif s.kind == "numbers":
            value = ",".join(value)
        elif s.kind == "levels":
            value = json.dumps(value, sort_keys=True)
        out[s.field_name] = value
    return out


def from_redis(h: Mapping[str, str], defaults: object) -> QueueConfig:
    """A stored queue; settings stored before they existed take their defaults."""
    values: dict[str, Any] = {}
    for s in QUEUE_SETTINGS:
        raw = h.get(s.field_name)
        if raw is None or (raw == "" and s.kind in ("duration", "count")):
            continue
        if s.kind in ("duration", "count"):
            values[s.attr] = int(raw)
        elif s.kind == "flag":
            values[s.attr] = raw == "1"
        elif s.kind == "numbers":
            values[s.attr] = tuple(x for x in raw.split(",") if x)
        elif s.kind == "levels":
            values[s.attr] = json.loads(raw or "{}")
        else:
            values[s.attr] = raw
    stored = {**{s.attr: None for s in QUEUE_SETTINGS}, **values}
    for s in QUEUE_SETTINGS:  # what a queue written by an older version lacks
        if stored[s.attr] is None and s.default is not None:
            stored[s.attr] = getattr(defaults, s.default)
        elif stored[s.attr] is None:
            stored[s.attr] = _EMPTY[s.kind]
    return QueueConfig(name=h["name"], **stored)


# Protobuf (callcenter.router.v1.Queue) --------------------------------------------------

# The proto enum value prefix of each choice setting ("longest_idle" <-> STRATEGY_LONGEST_IDLE).
PB_ENUM_PREFIX = {"strategy": "STRATEGY_", "skill_order": "SKILL_ORDER_"}


def from_pb(q: Any) -> dict[str, Any]:
    """The settings a Queue message sets, by attribute (unset ones are absent)."""
    values: dict[str, Any] = {}
    for s in QUEUE_SETTINGS:
        if s.kind == "duration":
            d = getattr(q, s.name)
            present = q.HasField(s.name)
            if present and (d.nanos % 1_000_000 or d.seconds < 0 or d.nanos < 0):
                raise SettingError(s.name, "must be a non-negative whole number of milliseconds")
            if present:  # nanos out of range, or more seconds than any bound (time_bounds)
                try:
                    time_bounds.duration_ms(d, s.name, whole_ms=True)
                except InvalidArgument as exc:
                    raise SettingError(s.name, exc.problem) from None
            if s.empty == UNSET_IS_DEFAULT and not present:
                continue
            values[s.attr] = d.ToMilliseconds()
        elif s.kind == "choice":
            number = getattr(q, s.name)
            enum = q.DESCRIPTOR.fields_by_name[s.name].enum_type
            prefix = PB_ENUM_PREFIX[s.name]
            names = {v.number: v.name.removeprefix(prefix).lower() for v in enum.values}
            if number not in names:
                raise SettingError(s.name, f"{number} is not a {enum.name} value")
            values[s.attr] = "" if number == 0 else names[number]
        elif s.kind in ("count", "flag") and s.empty == UNSET_IS_DEFAULT:
            if q.HasField(s.name):
                values[s.attr] = getattr(q, s.name)
        elif s.kind == "numbers":
            values[s.attr] = tuple(getattr(q, s.name))
        elif s.kind == "levels":
            values[s.attr] = dict(getattr(q, s.name))
        else:
            values[s.attr] = getattr(q, s.name)
    return values


def to_pb(queue: QueueConfig, q: Any) -> Any:
    """Fills a Queue message from the stored queue."""
    q.name = queue.name
    for s in QUEUE_SETTINGS:
        value = getattr(queue, s.attr)
        if s.kind == "duration":
            d = duration_pb2.Duration()
            d.FromMilliseconds(value)
            getattr(q, s.name).CopyFrom(d)
        elif s.kind == "choice":
            enum = q.DESCRIPTOR.fields_by_name[s.name].enum_type
            prefix = PB_ENUM_PREFIX[s.name]
            setattr(q, s.name, enum.values_by_name[prefix + value.upper()].number if value else 0)
        elif s.kind == "numbers":
            getattr(q, s.name).extend(value)
        elif s.kind == "levels":
            getattr(q, s.name).update(value)
        else:
            setattr(q, s.name, value)
    return q


# Documentation ---------------------------------------------------------------------------


def settings_table() -> str:
    """The Markdown table of every queue setting (docs/routing-rules.md carries it)."""
    rows = ["| setting | config file | meaning | unset or 0 | at most |", "|---|---|---|---|---|"]
    for s in QUEUE_SETTINGS:
        if s.empty == ZERO_IS_OFF:
            empty = "off / none" if s.kind not in ("choice", "text", "name") else "none"
        else:
            off = ", explicit false: off" if s.kind == "flag" else ", explicit 0: off"
            empty = f"the default (`{s.default}`)" + (off if s.empty == UNSET_IS_DEFAULT else "")
        if s.kind == "choice":
            limit = " / ".join(f"`{c}`" for c in s.choices if c)
        elif s.maximum is None:
            limit = ""
        elif s.kind == "duration":
            limit = _human_ms(s.maximum)
        else:
            limit = str(s.maximum) + (" characters" if s.kind == "text" else "")
        rows.append(f"| `{s.name}` | `{s.toml}` | {s.doc} | {empty} | {limit} |")
    return "\n".join(rows)
