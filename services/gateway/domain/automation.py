"""The automation rules as admins see and replace them (automation.py evaluates them)."""

from __future__ import annotations

from typing import Any

from ..automation import AutomationStore, Rule, parse_rules
from ..users import User
from . import access


async def rules(user: User, store: AutomationStore) -> list[Rule]:
    access.require_role(user, "admin")
    return await store.rules()


async def set_rules(user: User, store: AutomationStore, body: dict[str, Any]) -> list[Rule]:
    """Replaces every rule (admins; AUTOMATION_RULES_UPDATED records who)."""
    access.require_role(user, "admin")
    return await store.set_rules(parse_rules(body), user.username)
