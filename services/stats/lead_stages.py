"""The lead pipeline's order (S1.9): lead < in_work < payment < fulfilled, refused reachable
from any open stage. A move to an earlier stage (or out of a closed one) is a backward move,
allowed only when CALLCENTER_STATS_LEAD_BACKWARD_MOVES lists it ("payment>in_work,...")."""

from __future__ import annotations

from callcenter.services.stats.model import LEAD_STAGES, OPEN_LEAD_STAGES

#: The forward order; refused stands apart (reachable from every open stage).
STAGE_ORDER = ("lead", "in_work", "payment", "fulfilled")
#: The stage each stage converts to in the funnel (none after fulfilled or refused).
NEXT_STAGE = {a: b for a, b in zip(STAGE_ORDER, STAGE_ORDER[1:], strict=False)}
#: The most moves the setting may list (every pair of distinct stages).
MAX_MOVES = len(LEAD_STAGES) * (len(LEAD_STAGES) - 1)


def is_forward(from_stage: str, to_stage: str) -> bool:
    """A move that needs no configuration: staying, on along the order, or refusing an open lead."""
    if from_stage == to_stage:
        return True
    if to_stage == "refused":
        return from_stage in OPEN_LEAD_STAGES
    if from_stage in STAGE_ORDER and to_stage in STAGE_ORDER:
        return STAGE_ORDER.index(from_stage) < STAGE_ORDER.index(to_stage)
    return False  # out of refused


def parse_backward_moves(text: str) -> frozenset[tuple[str, str]]:
    """The moves of the setting ("payment>in_work,refused>in_work"); ValueError naming the bad one."""
    moves: set[tuple[str, str]] = set()
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        from_stage, sep, to_stage = (s.strip() for s in item.partition(">"))
        if not sep or from_stage not in LEAD_STAGES or to_stage not in LEAD_STAGES:
            raise ValueError(f"{item!r} is not <stage>><stage> of {', '.join(LEAD_STAGES)}")
        if is_forward(from_stage, to_stage):
            raise ValueError(f"{item!r} is not a backward move (forward moves are always allowed)")
        moves.add((from_stage, to_stage))
    return frozenset(moves)


def allowed_from(to_stage: str, backward: frozenset[tuple[str, str]]) -> list[str]:
    """Every stage a lead may move to `to_stage` from (forward, or a configured backward move)."""
    return [s for s in LEAD_STAGES if is_forward(s, to_stage) or (s, to_stage) in backward]
