"""The payroll (S2.1, S1.4): one figure per agent and currency over a period.

commission: the sums of the agent's paid invoices (INVOICE_PAID, in the agent's 'sales'
buckets of the time the invoice became paid: fields paid:<CUR>, amount:<CUR>,
commission:<CUR>, each event counted once by the ingest). bonus and penalty: the agent's
answered calls, missed offers (no answer) and deals moved to fulfilled of the period (their
'agent' buckets) times the pay rules in force now of the agent's team (pay_rules.py), in the
rules' currency. total = commission + bonus - penalty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis.asyncio as aioredis

from callcenter.services.stats.figures import FigureReader
from callcenter.services.stats.keys import SALES_BUCKET, StatsKeys
from callcenter.services.stats.model import Range
from callcenter.services.stats.pay_rules import PayRule

#: The sums of one row or total, in the order of the CSV export's columns.
AMOUNTS = ("paid_invoices", "paid_amount_minor", "commission_minor", "bonus_minor", "penalty_minor", "total_minor")


@dataclass
class PayrollRow:
    agent_id: str
    team_id: str
    currency: str
    paid_invoices: int = 0
    paid_amount_minor: int = 0
    commission_minor: int = 0
    answered_calls: int = 0
    missed_offers: int = 0
    fulfilled_deals: int = 0
    bonus_minor: int = 0
    penalty_minor: int = 0
    total_minor: int = 0

    def active(self) -> bool:
        return bool(self.paid_invoices or self.answered_calls or self.missed_offers or self.fulfilled_deals)


@dataclass
class PayrollTotal:
    currency: str
    sums: dict[str, int] = field(default_factory=dict)


async def teams_of(redis: aioredis.Redis, keys: StatsKeys) -> dict[str, list[str]]:
    """Each agent's teams as the router's TEAM_UPDATED / TEAM_DELETED events said, sorted."""
    team_ids = sorted(await redis.smembers(keys.teams))
    async with redis.pipeline(transaction=False) as pipe:
        for team_id in team_ids:
            pipe.hmget(keys.team_members(team_id), "members", "deleted")
        replies = await pipe.execute()
    out: dict[str, list[str]] = {}
    for team_id, (members, deleted) in zip(team_ids, replies, strict=True):
        if deleted == "1":
            continue
        for agent in filter(None, (members or "").split(",")):
            out.setdefault(agent, []).append(team_id)
    return out


def rule_of(teams: list[str], rules: dict[str, PayRule]) -> PayRule | None:
    """The rules of the agent's first team (by id) that has some, else the default ("")."""
    for team_id in teams:
        if team_id in rules:
            return rules[team_id]
    return rules.get("")


class PayrollReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys, figures: FigureReader) -> None:
        self.redis = redis
        self.keys = keys
        self.figures = figures

    async def payroll(
        self, r: Range, agent_ids: list[str], pay_rules: list[PayRule]
    ) -> tuple[list[PayrollRow], list[PayrollTotal]]:
        named = bool(agent_ids)
        if not named:
            agent_ids = sorted(set(await self.redis.smembers(self.keys.agents)) | set(
                await self.redis.smembers(self.keys.sales_agents)
            ))  # fmt: skip
        sales = await self.figures.sums(SALES_BUCKET, agent_ids, r)
        calls = await self.figures.sums("agent", agent_ids, r)
        teams = await teams_of(self.redis, self.keys)
        rules = {p.team_id: p for p in pay_rules}
        rows: list[PayrollRow] = []
        for agent, s, c in zip(agent_ids, sales, calls, strict=True):
            rows += self._rows(agent, s, c, teams.get(agent, []), rules, named)
        totals: dict[str, PayrollTotal] = {}
        for row in rows:
            t = totals.setdefault(row.currency, PayrollTotal(row.currency, dict.fromkeys(AMOUNTS, 0)))
            for name in AMOUNTS:
                t.sums[name] += getattr(row, name)
        return rows, [totals[c] for c in sorted(totals)]

    def _rows(
        self, agent: str, sales: dict[str, int], calls: dict[str, int], teams: list[str], rules, named: bool
    ) -> list[PayrollRow]:
        rule = rule_of(teams, rules)
        team_id = rule.team_id if rule is not None and rule.team_id else (teams[0] if teams else "")
        currencies = {f.split(":", 1)[1] for f in sales if f.startswith("paid:")}
        if rule is not None:
            currencies.add(rule.currency)
        rows = []
        for currency in sorted(currencies) or [""]:
            row = PayrollRow(
                agent_id=agent,
                team_id=team_id,
                currency=currency,
                paid_invoices=sales.get(f"paid:{currency}", 0),
                paid_amount_minor=sales.get(f"amount:{currency}", 0),
                commission_minor=sales.get(f"commission:{currency}", 0),
            )
            if rule is not None and currency == rule.currency:
                row.answered_calls = calls.get("answered", 0)
                row.missed_offers = calls.get("missed", 0)
                row.fulfilled_deals = calls.get("lead_in:fulfilled", 0)
                row.bonus_minor = (
                    row.answered_calls * rule.bonus_per_answered_call_minor
                    + row.fulfilled_deals * rule.bonus_per_fulfilled_deal_minor
                )
                row.penalty_minor = row.missed_offers * rule.penalty_per_missed_offer_minor
            row.total_minor = row.commission_minor + row.bonus_minor - row.penalty_minor
            if named or row.active():
                rows.append(row)
        return rows
