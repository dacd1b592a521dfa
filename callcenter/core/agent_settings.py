"""An agent's profile, declared once.

Every field of an agent's profile is one `Field` of `AGENT_FIELDS`: its kind, whether it is
required, its bound and one line of meaning. From this table come the validation of every value
(with the field named as the caller wrote it), the TOML keys of the router's config file, the
Redis hash fields, the protobuf conversion (callcenter.router.v1.Agent) and the documentation's
table (checked against docs/routing-rules.md). Adding a field is one line here plus its proto
field (and, if routing acts on it, the Lua that does).

Whether the queues named exist is the router's rule, not this table's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callcenter.core.queue_settings import NAME_RE, SettingError

MAX_SKILL_LEVEL = 100


@dataclass(frozen=True)
class Field:
    name: str  # as the proto field, the TOML key and the Redis hash field name it
    kind: str  # name | text | names | levels | count
    doc: str
    required: bool = False
    maximum: int = 256  # characters of a text, entries of a list or map, the largest count


AGENT_FIELDS: tuple[Field, ...] = (
    Field("id", "name", "the agent's id: a letter or digit, then letters, digits, `_ . -` (64 at most)", True, 64),
    Field("name", "text", "the name supervisors see", maximum=256),
    Field("endpoint", "text", "what the PBX rings for this agent, e.g. `sip:anna@pbx.example`", True, 256),
    Field("queues", "names", "the queues the agent takes calls from (each must exist)", maximum=64),
    Field("skills", "levels", f"skill name → level 0–{MAX_SKILL_LEVEL} (queues may require levels)", maximum=64),
    Field("tier", "count", "experience tier; VIP calls go first to agents at the queue's `vip_min_tier`", maximum=100),
)
FIELD_NAMES = frozenset(f.name for f in AGENT_FIELDS)
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*")


def validate(values: Mapping[str, Any], where: str = "agent") -> dict[str, Any]:
    """The profile's values, checked and normalised (duplicate queues dropped); SettingError
    naming `<where>.<field>` for the first bad one, or an unknown field."""
    unknown = sorted(set(values) - FIELD_NAMES)
    if unknown:
        raise SettingError(f"{where}.{unknown[0]}", "is not a field of an agent")
    return {f.name: _check(f, values.get(f.name), f"{where}.{f.name}") for f in AGENT_FIELDS}


def _check(f: Field, value: Any, where: str) -> Any:
    if f.kind in ("name", "text"):
        text = "" if value is None else value
        if not isinstance(text, str):
            raise SettingError(where, "must be text")
        if f.required and not text:
            raise SettingError(where, "is required")
        if len(text) > f.maximum:
            raise SettingError(where, f"at most {f.maximum} characters")
        if f.kind == "name" and text and not NAME_RE.fullmatch(text):
            raise SettingError(where, "letters, digits, '_', '.', '-' (starting with a letter or digit)")
        if not _PRINTABLE.fullmatch(text):
            raise SettingError(where, "must not hold control characters")
        return text
    if f.kind == "names":
        items = [] if value is None else value
        if isinstance(items, str) or not all(isinstance(i, str) for i in items):
            raise SettingError(where, "must be a list of names")
        unique = tuple(dict.fromkeys(items))
        if len(unique) > f.maximum:
            raise SettingError(where, f"at most {f.maximum} entries")
        for i, item in enumerate(unique):
            if not NAME_RE.fullmatch(item):
                raise SettingError(f"{where}[{i}]", f"{item!r} is not a name")
        return unique
    if f.kind == "levels":
        levels = {} if value is None else value
        if not isinstance(levels, Mapping):
            raise SettingError(where, "must map names to levels")
        if len(levels) > f.maximum:
            raise SettingError(where, f"at most {f.maximum} entries")
        out: dict[str, int] = {}
        for name, level in levels.items():
            if not isinstance(name, str) or not NAME_RE.fullmatch(name):
                raise SettingError(where, f"{name!r} is not a name")
            if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= MAX_SKILL_LEVEL:
                raise SettingError(f"{where}[{name}]", f"level must be 0-{MAX_SKILL_LEVEL}")
            out[name] = level
        return out
    if f.kind == "count":
        number = 0 if value is None else value
        if isinstance(number, bool) or not isinstance(number, int):
            raise SettingError(where, "must be a whole number")
        if not 0 <= number <= f.maximum:
            raise SettingError(where, f"must be 0-{f.maximum}")
        return number
    raise AssertionError(f"unknown kind {f.kind}")  # pragma: no cover - a declaration error


def to_redis(profile: Mapping[str, Any]) -> dict[str, str | int]:
    """The agent hash's profile fields (lists comma-separated, maps as JSON)."""
    out: dict[str, str | int] = {}
    for f in AGENT_FIELDS:
        value = profile[f.name]
        if f.kind == "names":
            out[f.name] = ",".join(value)
        elif f.kind == "levels":
            out[f.name] = json.dumps(value, sort_keys=True)
        else:
            out[f.name] = value
    return out


def from_redis(h: Mapping[str, str]) -> dict[str, Any]:
    """The profile fields of an agent hash, as to_redis wrote them."""
    out: dict[str, Any] = {}
    for f in AGENT_FIELDS:
        raw = h.get(f.name) or ""
        if f.kind == "names":
            out[f.name] = tuple(x for x in raw.split(",") if x)
        elif f.kind == "levels":
            out[f.name] = {str(k): int(v) for k, v in json.loads(raw or "{}").items()}
        elif f.kind == "count":
            out[f.name] = int(raw or 0)
        else:
            out[f.name] = raw
    return out


def from_pb(agent: Any) -> dict[str, Any]:
    """The profile's values of a callcenter.router.v1.Agent (not yet validated)."""
    out: dict[str, Any] = {}
    for f in AGENT_FIELDS:
        value = getattr(agent, f.name)
        out[f.name] = list(value) if f.kind == "names" else dict(value) if f.kind == "levels" else value
    return out


def to_pb(profile: Mapping[str, Any], agent: Any) -> Any:
    """Fills a callcenter.router.v1.Agent's profile fields; returns it."""
    for f in AGENT_FIELDS:
        value = profile[f.name]
        if f.kind == "names":
            getattr(agent, f.name).extend(value)
        elif f.kind == "levels":
            getattr(agent, f.name).update(value)
        else:
            setattr(agent, f.name, value)
    return agent


def fields_table() -> str:
    """The documentation's table of an agent's fields."""
    kinds = {"name": "name", "text": "text", "names": "list of names", "levels": "map", "count": "number"}
    lines = ["| field | kind | required | bound | meaning |", "|---|---|---|---|---|"]
    for f in AGENT_FIELDS:
        m = f.maximum
        bounds = {"name": f"≤ {m} characters", "text": f"≤ {m} characters", "count": f"0–{m}"}
        bound = bounds.get(f.kind, f"≤ {m} entries")
        lines.append(f"| `{f.name}` | {kinds[f.kind]} | {'yes' if f.required else 'no'} | {bound} | {f.doc} |")
    return "\n".join(lines)
