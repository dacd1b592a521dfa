"""The board now: agents by state in total and per queue, queues' waiting, ringing and
connected calls, overdue calls (S0.1, S0.2, S3.1, S3.2, S3.6)."""

from __future__ import annotations

from callcenter.core.event_stream import stream_key
from callcenter.services.stats.config import Figures
from callcenter.services.stats.model import CallFilter
from callcenter.services.stats.stats import Stats
from tests.stats_fixtures import utc_ms


async def late_afternoon(script) -> None:
    """At 18:00: anna talks (t1), boris rings (r1, waiting since 17:58:50), carl (support) is
    paused, dora logged out again; w1 waits since 17:58, w2 since 17:59:30; e1 ended."""
    script.at("2026-03-02 17:00")
    for agent, queue in (("anna", "sales"), ("boris", "sales"), ("carl", "support"), ("dora", "sales")):
        await script.login(agent, [queue])
    await script.pause("carl", "meeting")
    await script.logout("dora")
    script.at("2026-03-02 17:30")
    await script.answered_call("e1", "sales", "anna", ring_s=2, talk_s=60)
    script.at("2026-03-02 17:57")
    await script.receive("t1", "sales")
    await script.offer("t1", "anna")
    script.advance(3)
    await script.answer("t1")
    script.at("2026-03-02 17:58")
    await script.receive("w1", "sales", caller="+4930111")
    await script.queue("w1")
    script.at("2026-03-02 17:58:50")
    await script.receive("r1", "sales", caller="+4930222")
    await script.queue("r1")
    script.at("2026-03-02 17:59:30")
    await script.receive("w2", "sales")
    await script.queue("w2")
    await script.offer("r1", "boris")


async def test_the_board_counts_agents_and_calls_now(script, make_consumer, stats):
    await late_afternoon(script)
    await make_consumer().drain()
    board = await stats.board()  # the stats clock says 18:00
    assert board.totals == {"online": 3, "on_call": 1, "reserved": 1, "paused": 1}
    agents = {a.agent_id: a for a in board.agents}
    assert (agents["anna"].state, agents["anna"].call_id) == ("on_call", "t1")
    assert agents["anna"].since_ms == utc_ms("2026-03-02 17:57:03")
    assert (agents["boris"].state, agents["boris"].call_id) == ("reserved", "r1")
    assert (agents["carl"].state, agents["carl"].pause_reason) == ("paused", "meeting")
    assert agents["dora"].state == "logged_out"
    sales, support = board.queues
    assert sales.agents == {"online": 2, "on_call": 1, "reserved": 1}
    assert support.agents == {"online": 1, "paused": 1}
    assert (sales.waiting, sales.ringing, sales.in_progress) == (2, 1, 1)
    assert sales.oldest_waiting_ms == utc_ms("2026-03-02 17:58")
    # waiting or ringing for more than 60 s: w1 (120 s) and r1 (70 s); w2 waits 30 s
    assert sales.overdue == 2
    assert [(c.call_id, c.state, c.caller, c.agent_id) for c in board.overdue] == [
        ("w1", "waiting", "+4930111", ""),
        ("r1", "ringing", "+4930222", "boris"),
    ]


async def test_the_overdue_threshold_is_chosen_per_request(script, make_consumer, stats):
    await late_afternoon(script)
    await make_consumer().drain()
    board = await stats.board(overdue_after_ms=20_000)
    assert [c.call_id for c in board.overdue] == ["w1", "r1", "w2"]


async def test_events_applied_in_any_order_give_the_same_board_and_records(
    script, make_consumer, stats, redis, tenant, stats_clock
):
    """Replicas may apply one call's events in a different order than the stream's."""
    await late_afternoon(script)
    reordered = tenant + "r"
    for _id, fields in await redis.xrange(stream_key(tenant)):
        await redis.xadd(stream_key(reordered), fields)
    await make_consumer().drain()
    backwards = make_consumer("backwards", tenant=reordered)
    await backwards.apply(list(reversed(await backwards.read_new(block_ms=None))))
    other = Stats(redis, reordered, stats_clock, Figures())
    mine, theirs = await stats.board(), await other.board()
    assert (mine.totals, mine.agents, mine.queues, mine.overdue) == (
        theirs.totals,
        theirs.agents,
        theirs.queues,
        theirs.overdue,
    )
    assert await stats.call_records(CallFilter(), 50, "") == await other.call_records(CallFilter(), 50, "")


async def test_a_logged_in_agent_moved_to_another_queue_counts_in_the_new_queue_at_once(script, make_consumer, stats):
    """UpsertAgent changes a logged-in agent's session queues at once (AGENT_UPDATED with
    agent_state); a logged-out agent's change (no agent_state) leaves their last session's."""
    script.at("2026-03-02 17:00")
    await script.login("anna", ["sales"])
    await script.login("boris", ["sales"])
    await script.logout("boris")
    script.advance(60)
    await script.emit("AGENT_UPDATED", agent_id="anna", agent_state="available", queues="support", reason="updated")
    await script.emit("AGENT_UPDATED", agent_id="boris", queues="support", reason="updated")
    await make_consumer().drain()
    board = await stats.board()
    agents = {a.agent_id: a for a in board.agents}
    assert (agents["anna"].queues, agents["boris"].queues) == (("support",), ("sales",))
    by_queue = {q.queue: q for q in board.queues}
    assert by_queue["support"].agents == {"online": 1, "available": 1}
    assert by_queue["sales"].agents.get("online", 0) == 0
