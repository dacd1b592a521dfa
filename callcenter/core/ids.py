"""What the names of agents and queues, and lead ids, may be, for every service (call ids are
any SIP Call-ID: call_ids.py).

An agent id or queue name is 1-64 letters, digits, '-', '_' or '.', starting with a letter or
digit: no ',' '|' '#' (they separate fields in Redis), no '/' (so never a path), no space,
line break or NUL. A lead id (the CRM's) is 1-128 letters, digits or `_.:#-`. The router,
stats and the recorder check them here, and refuse anything else with InvalidArgument naming
the field. The patterns end at `\\Z`, not `$`: `$` also matches before a final line break.
"""

from __future__ import annotations

import re

from callcenter.core.errors import InvalidArgument

NAME_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
NAME_RULE = "1-64 letters, digits, '-', '_' or '.'"
LEAD_ID_PATTERN = re.compile(r"\A[A-Za-z0-9_.:#-]{1,128}\Z")
LEAD_ID_RULE = "1-128 letters, digits or _.:#-"


def name_problem(value: str) -> str | None:
    """Why value is no agent id or queue name, or None when it is one."""
    if not value:
        return "is required"
    if not NAME_PATTERN.match(value):
        return f"{value[:80]!r} must be {NAME_RULE}"
    return None


def lead_id_problem(value: str) -> str | None:
    """Why value is no lead id, or None when it is one."""
    if not value:
        return "is required"
    if not LEAD_ID_PATTERN.match(value):
        return f"{value[:80]!r} must be {LEAD_ID_RULE}"
    return None


def check_name(value: str, field: str) -> str:
    """An agent id or queue name, else InvalidArgument naming the field."""
    problem = name_problem(value)
    if problem:
        raise InvalidArgument(field, problem)
    return value


def check_lead_id(value: str, field: str = "lead_id") -> str:
    """A lead id, else InvalidArgument naming the field."""
    problem = lead_id_problem(value)
    if problem:
        raise InvalidArgument(field, problem)
    return value
