"""The payroll (S2.1, S1.4) and its rules, asked of stats: admins see every agent's, supervisors
their teams' agents' (the role rules of access.py), agents none. Rules are set by admins only.
No HTTP here (payroll_api.py)."""

from __future__ import annotations

from typing import Any

from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .agents import visible_agents
from .export import Table, _file_name, _one_page, _row, local_time

COMMISSION_RULE_FIELDS = ("product", "queue", "percent_bp", "fixed_minor")
PAY_RULE_FIELDS = (
    "team_id", "currency", "bonus_per_answered_call_minor", "penalty_per_missed_offer_minor",
    "bonus_per_fulfilled_deal_minor",
)  # fmt: skip
MAX_RULES = 1_000
PAYROLL_COLUMNS = [
    "Agent", "Agent ID", "Team", "Currency", "From", "To", "Paid invoices", "Paid amount (minor)",
    "Commission (minor)", "Answered calls", "Missed offers", "Fulfilled deals", "Bonus (minor)",
    "Penalty (minor)", "Total (minor)",
]  # fmt: skip


async def payroll(
    user: User, backends: Backends, period: spb.Period, agent_id: str = ""
) -> tuple[spb.GetPayrollResponse, dict[str, str]]:
    """The period's payroll rows of the agents the user may see (or of the one named), and the
    agents' display names."""
    access.require_role(user, "admin", "supervisor")
    agents = await visible_agents(user, backends)
    names = {a.id: a.name or a.id for a in agents}
    if access.sees_all(user):
        ids = [agent_id] if agent_id else []  # every agent with activity, known to the router or not
    else:
        if agent_id and agent_id not in names:
            raise NotFound(f"agent {agent_id} does not exist")
        ids = [agent_id] if agent_id else sorted(names)
        if not ids:
            return spb.GetPayrollResponse(), names
    reply: spb.GetPayrollResponse = await backends.stats.GetPayroll(
        spb.GetPayrollRequest(period=period, agent_ids=ids), timeout=backends.timeout_s
    )
    return reply, names


async def payroll_table(user: User, backends: Backends, period: spb.Period, agent_id: str = "") -> Table:
    """The payroll as a CSV table: one row per agent and currency, amounts in minor units."""
    reply, names = await payroll(user, backends, period, agent_id)
    tz = period.time_zone or "UTC"
    start, end = local_time(reply.range.start, tz), local_time(reply.range.end, tz)
    rows = [
        _row(
            [
                names.get(r.agent_id, r.agent_id),
                r.agent_id,
                r.team_id,
                r.currency,
                start,
                end,
                *(
                    str(v)
                    for v in (
                        r.paid_invoices,
                        r.paid_amount_minor,
                        r.commission_minor,
                        r.answered_calls,
                        r.missed_offers,
                        r.fulfilled_deals,
                        r.bonus_minor,
                        r.penalty_minor,
                        r.total_minor,
                    )
                ),
            ]
        )  # fmt: skip
        for r in reply.rows
    ]
    name = _file_name("payroll", reply.range, tz) if reply.HasField("range") else "payroll"
    return Table(name, PAYROLL_COLUMNS, _one_page(rows))


def _rules(body: dict[str, Any], fields: tuple[str, ...], message: Any) -> list[Any]:
    rules = body.get("rules")
    if not isinstance(rules, list):
        raise InvalidArgument("rules", "a list of rules is required")
    if len(rules) > MAX_RULES:
        raise InvalidArgument("rules", f"at most {MAX_RULES} rules")
    out = []
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise InvalidArgument(f"rules[{i}]", "an object expected")
        for name, value in rule.items():
            if name not in fields:
                raise InvalidArgument(f"rules[{i}].{name}"[:80], f"unknown field (a rule takes {', '.join(fields)})")
            text = name in ("product", "queue", "team_id", "currency")
            if text and not isinstance(value, str) or not text and (type(value) is not int):
                raise InvalidArgument(f"rules[{i}].{name}", "a string expected" if text else "a whole number expected")
            if not text and not 0 <= value <= 10**12:
                raise InvalidArgument(f"rules[{i}].{name}", "0 to 10^12 expected")
        out.append(message(**rule))
    return out


async def commission_rules(user: User, backends: Backends) -> list[spb.CommissionRule]:
    access.require_role(user, "admin")
    reply = await backends.stats.GetCommissionRules(spb.GetCommissionRulesRequest(), timeout=backends.timeout_s)
    return list(reply.rules)


async def set_commission_rules(user: User, backends: Backends, body: dict[str, Any]) -> list[spb.CommissionRule]:
    """Replaces the commission rules (admins; the change recorded with the admin as actor)."""
    access.require_role(user, "admin")
    rules = _rules(body, COMMISSION_RULE_FIELDS, spb.CommissionRule)
    reply = await backends.stats.SetCommissionRules(
        spb.SetCommissionRulesRequest(rules=rules), timeout=backends.timeout_s
    )
    return list(reply.rules)


async def pay_rules(user: User, backends: Backends) -> list[spb.PayRule]:
    access.require_role(user, "admin")
    reply = await backends.stats.GetPayRules(spb.GetPayRulesRequest(), timeout=backends.timeout_s)
    return list(reply.rules)


async def set_pay_rules(user: User, backends: Backends, body: dict[str, Any]) -> list[spb.PayRule]:
    """Replaces the pay rules per team (admins)."""
    access.require_role(user, "admin")
    rules = _rules(body, PAY_RULE_FIELDS, spb.PayRule)
    reply = await backends.stats.SetPayRules(spb.SetPayRulesRequest(rules=rules), timeout=backends.timeout_s)
    return list(reply.rules)
