"""A lead's pipeline history (S1.9): every creation, assignment and stage change with its
actor and time, stored once by the ingest however often an event is delivered, bounded to
the last 200 changes (the cut counted); and moves back the pipeline refused unless
CALLCENTER_STATS_LEAD_BACKWARD_MOVES allows them, checked atomically with the append."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from callcenter.core import errors
from callcenter.core.audit import Actor, current_actor
from callcenter.core.settings import ConfigError, load
from callcenter.services.stats.config import Figures
from callcenter.services.stats.lead_stages import is_forward
from callcenter.services.stats.model import NotFound
from callcenter.services.stats.stats import Stats
from tests.stats_fixtures import utc_ms


def as_actor(name: str, via: str = "") -> contextvars.Token:
    return current_actor.set(Actor(name, via))


def steps(history) -> list[tuple]:
    return [(c.kind, c.from_stage, c.to_stage, c.time_ms, c.agent_id, c.actor, c.actor_via) for c in history.changes]


async def test_the_history_lists_every_change_in_order_with_actor_and_time(stats, make_consumer):
    token = as_actor("sam", "gateway")
    try:
        await stats.lead_created("L1", "anna", "", utc_ms("2026-03-02 09:00"))
        await stats.lead_stage_changed("L1", "in_work", "", utc_ms("2026-03-02 10:00"))
        await stats.lead_assigned("L1", "boris", utc_ms("2026-03-02 11:00"))
    finally:
        current_actor.reset(token)
    token = as_actor("crm")
    try:
        await stats.lead_stage_changed("L1", "payment", "", utc_ms("2026-03-02 12:00"))
        await stats.lead_stage_changed("L1", "refused", "carl", utc_ms("2026-03-02 13:00"))
    finally:
        current_actor.reset(token)
    await make_consumer().drain()
    history = await stats.lead_history("L1")
    assert history.trimmed == 0
    assert steps(history) == [
        ("created", "", "lead", utc_ms("2026-03-02 09:00"), "anna", "sam", "gateway"),
        ("stage", "lead", "in_work", utc_ms("2026-03-02 10:00"), "anna", "sam", "gateway"),
        ("assigned", "in_work", "in_work", utc_ms("2026-03-02 11:00"), "boris", "sam", "gateway"),
        ("stage", "in_work", "payment", utc_ms("2026-03-02 12:00"), "boris", "crm", ""),
        ("stage", "payment", "refused", utc_ms("2026-03-02 13:00"), "carl", "crm", ""),
    ]


async def test_redelivered_and_reversed_events_give_the_same_history_once(stats, make_consumer, redis, tenant):
    await stats.lead_created("L2", "anna", "lead", utc_ms("2026-03-02 09:00"))
    for i, stage in enumerate(("in_work", "payment", "fulfilled")):
        await stats.lead_stage_changed("L2", stage, "", utc_ms(f"2026-03-02 1{i}:00"))
    consumer = make_consumer()
    entries = await consumer.read_new()
    await consumer.apply(list(reversed(entries)))  # applied in the other order
    await consumer.apply(entries)  # and delivered again
    assert consumer.duplicates == len(entries)
    history = await stats.lead_history("L2")
    assert [(c.from_stage, c.to_stage) for c in history.changes] == [
        ("", "lead"), ("lead", "in_work"), ("in_work", "payment"), ("payment", "fulfilled"),
    ]  # fmt: skip
    assert [c.event_id for c in history.changes] == [entry_id for entry_id, _ in entries]


async def test_the_history_keeps_the_last_200_changes_and_counts_the_cut(stats, script, make_consumer):
    script.at("2026-03-02 09:00")
    await script.emit("LEAD_CREATED", lead_id="L3", agent_id="anna", lead_stage="lead")
    for i in range(205):  # in_work, payment, in_work, ... straight onto the stream (a CRM replaying)
        script.advance(60)
        await script.emit("LEAD_STAGE_CHANGED", lead_id="L3", lead_stage=("in_work", "payment")[i % 2])
    await make_consumer().drain()
    history = await stats.lead_history("L3")
    assert (len(history.changes), history.trimmed) == (200, 6)
    # the first kept change (the 6th move) starts from where the last cut one left the lead
    assert (history.changes[0].from_stage, history.changes[0].to_stage) == ("in_work", "payment")
    assert history.changes[-1].to_stage == "in_work" and history.changes[-1].time_ms == script.now


async def test_an_unknown_lead_has_no_history(stats):
    with pytest.raises(NotFound):
        await stats.lead_history("nobody")


async def test_a_backward_move_is_refused_by_default_naming_the_stages(stats, make_consumer):
    await stats.lead_created("L4", "anna", "lead", utc_ms("2026-03-02 09:00"))
    await stats.lead_stage_changed("L4", "payment", "", utc_ms("2026-03-02 10:00"))
    # not applied yet: the check sees the move it accepted (lead:<id>:gate)
    with pytest.raises(errors.FailedPrecondition, match="at stage payment: moving it back to in_work") as refused:
        await stats.lead_stage_changed("L4", "in_work", "", utc_ms("2026-03-02 11:00"))
    assert refused.value.state == "payment"
    await make_consumer().drain()
    with pytest.raises(errors.FailedPrecondition):
        await stats.lead_stage_changed("L4", "lead", "", utc_ms("2026-03-02 11:00"))
    await stats.lead_stage_changed("L4", "refused", "", utc_ms("2026-03-02 12:00"))  # from an open stage
    with pytest.raises(errors.FailedPrecondition, match="at stage refused"):
        await stats.lead_stage_changed("L4", "in_work", "", utc_ms("2026-03-02 13:00"))
    await make_consumer().drain()
    assert [c.to_stage for c in (await stats.lead_history("L4")).changes] == ["lead", "payment", "refused"]


async def test_a_backward_move_is_allowed_when_configured(redis, tenant, stats_clock, make_consumer):
    figures = load(Figures, {"CALLCENTER_STATS_LEAD_BACKWARD_MOVES": "payment>in_work, refused>in_work"})
    stats = Stats(redis, tenant, stats_clock, figures)
    await stats.lead_created("L5", "anna", "lead", utc_ms("2026-03-02 09:00"))
    await stats.lead_stage_changed("L5", "payment", "", utc_ms("2026-03-02 10:00"))
    await stats.lead_stage_changed("L5", "in_work", "", utc_ms("2026-03-02 11:00"))
    await stats.lead_stage_changed("L5", "refused", "", utc_ms("2026-03-02 12:00"))
    await stats.lead_stage_changed("L5", "in_work", "", utc_ms("2026-03-02 13:00"))
    with pytest.raises(errors.FailedPrecondition, match="allows payment>in_work, refused>in_work"):
        await stats.lead_stage_changed("L5", "lead", "", utc_ms("2026-03-02 14:00"))  # not listed
    await make_consumer().drain()
    history = await stats.lead_history("L5")
    assert [c.to_stage for c in history.changes] == ["lead", "payment", "in_work", "refused", "in_work"]
    assert (await stats.lead("L5", stats_period())).stage == "in_work"


def stats_period():
    from callcenter.services.stats.stats import PeriodSpec

    return PeriodSpec()


@pytest.mark.parametrize(
    ("value", "problem"),
    [("lead>in_work", "not a backward move"), ("payment>won", "not <stage>><stage>"), ("payment", "not <stage>")],
)
def test_a_bad_backward_moves_setting_is_refused_at_start(value, problem):
    with pytest.raises(ConfigError, match=f"CALLCENTER_STATS_LEAD_BACKWARD_MOVES: .*{problem}"):
        load(Figures, {"CALLCENTER_STATS_LEAD_BACKWARD_MOVES": value})


async def test_racing_moves_leave_a_consistent_history(stats, make_consumer):
    leads = [f"R{i}" for i in range(20)]
    for lead_id in leads:
        await stats.lead_created(lead_id, "anna", "lead", utc_ms("2026-03-02 09:00"))
    await make_consumer().drain()

    async def move(lead_id: str, stage: str, at: str) -> bool:
        try:
            await stats.lead_stage_changed(lead_id, stage, "", utc_ms(at))
        except errors.FailedPrecondition:
            return False
        return True

    outcomes = await asyncio.gather(
        *(m for lead_id in leads for m in (move(lead_id, "payment", "2026-03-02 10:00"),
                                           move(lead_id, "in_work", "2026-03-02 10:00")))
    )  # fmt: skip
    await make_consumer().drain()
    for i, lead_id in enumerate(leads):
        payment_ok, in_work_ok = outcomes[2 * i], outcomes[2 * i + 1]
        assert payment_ok  # payment is forward from lead and from in_work
        history = (await stats.lead_history(lead_id)).changes
        assert len(history) == 1 + payment_ok + in_work_ok  # only accepted moves are on the stream
        assert all(is_forward(c.from_stage, c.to_stage) for c in history[1:])  # after the creation
        assert (await stats.lead(lead_id, stats_period())).stage == history[-1].to_stage == "payment"
