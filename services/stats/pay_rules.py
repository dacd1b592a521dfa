"""Pay rules per team (S1.4): a bonus per answered call, a penalty per missed offer and a bonus
per fulfilled deal, in one currency. The team of an agent comes from the router's TEAM_UPDATED
and TEAM_DELETED events (applied into team:<id> by scripts/apply.lua); an agent in no team (or
in a team without rules) gets the default rules (team id "")."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from callcenter.core import ids
from callcenter.services.stats.model import InvalidArgument
from callcenter.services.stats.rules import MAX_RULES
from callcenter.services.stats.sales import check_amount, check_currency


@dataclass(frozen=True)
class PayRule:
    team_id: str = ""
    currency: str = ""
    bonus_per_answered_call_minor: int = 0
    penalty_per_missed_offer_minor: int = 0
    bonus_per_fulfilled_deal_minor: int = 0


AMOUNTS = ("bonus_per_answered_call_minor", "penalty_per_missed_offer_minor", "bonus_per_fulfilled_deal_minor")


def check_rules(rules: list[PayRule]) -> list[PayRule]:
    if len(rules) > MAX_RULES:
        raise InvalidArgument("rules", f"at most {MAX_RULES} rules, got {len(rules)}")
    seen: set[str] = set()
    for i, r in enumerate(rules):
        at = f"rules[{i}]"
        if r.team_id:
            ids.check_name(r.team_id, f"{at}.team_id")
        check_currency(r.currency, f"{at}.currency")
        for name in AMOUNTS:
            check_amount(getattr(r, name), f"{at}.{name}", minimum=0)
        if r.team_id in seen:
            raise InvalidArgument(f"{at}.team_id", f"a second rule for the team {r.team_id!r}")
        seen.add(r.team_id)
    return rules


def to_json(rules: list[PayRule]) -> list[dict]:
    return [asdict(r) for r in rules]


def from_json(rules: list[dict]) -> list[PayRule]:
    return [PayRule(**r) for r in rules]
