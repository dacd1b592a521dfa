"""Commission rules (S2.1): per product or per queue, plus an optional default; percent in basis
points and/or a fixed amount per paid invoice. A product rule wins over a queue rule, a queue
rule over the default; an invoice no rule matches earns none. The commission of an invoice is
computed once, by scripts/report_payment.lua, when its payments reach its amount, with the
rules in force then (kept with the invoice); docs/stats.md has a worked example."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from callcenter.core import ids
from callcenter.services.stats.model import InvalidArgument
from callcenter.services.stats.rules import MAX_RULES
from callcenter.services.stats.sales import check_amount

MAX_BP = 10_000  # 100 %


@dataclass(frozen=True)
class CommissionRule:
    product: str = ""
    queue: str = ""
    percent_bp: int = 0
    fixed_minor: int = 0

    def scope(self) -> tuple[str, str]:
        return ("product", self.product) if self.product else ("queue", self.queue) if self.queue else ("default", "")


def check_rules(rules: list[CommissionRule]) -> list[CommissionRule]:
    """The rules, checked (each field named by its place: rules[2].percent_bp), in order."""
    if len(rules) > MAX_RULES:
        raise InvalidArgument("rules", f"at most {MAX_RULES} rules, got {len(rules)}")
    seen: set[tuple[str, str]] = set()
    for i, r in enumerate(rules):
        at = f"rules[{i}]"
        if r.product and r.queue:
            raise InvalidArgument(f"{at}.queue", "a rule is per product or per queue, not both")
        if r.product:
            ids.check_name(r.product, f"{at}.product")
        if r.queue:
            ids.check_name(r.queue, f"{at}.queue")
        if not 0 <= r.percent_bp <= MAX_BP:
            raise InvalidArgument(f"{at}.percent_bp", f"0 to {MAX_BP} basis points expected, got {r.percent_bp}")
        check_amount(r.fixed_minor, f"{at}.fixed_minor", minimum=0)
        if r.scope() in seen:
            kind, name = r.scope()
            raise InvalidArgument(at, f"a second rule for the {kind} {name}".rstrip())
        seen.add(r.scope())
    return rules


def commission(rule: CommissionRule | None, amount_minor: int) -> int:
    """What scripts/report_payment.lua computes (rounded down), for documentation and tests."""
    if rule is None:
        return 0
    return amount_minor * rule.percent_bp // MAX_BP + rule.fixed_minor


def to_json(rules: list[CommissionRule]) -> list[dict]:
    return [asdict(r) for r in rules]


def from_json(rules: list[dict]) -> list[CommissionRule]:
    return [CommissionRule(**r) for r in rules]
