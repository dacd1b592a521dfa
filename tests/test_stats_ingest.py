"""Exactly once: every event of the stream counts once, whatever the deliveries, crashes and
replicas. Compared figure by figure with a clean single-consumer run."""

from __future__ import annotations

from callcenter.core.event_stream import stream_key
from callcenter.services.stats.keys import StatsKeys
from callcenter.services.stats.model import CallFilter, Range
from tests.stats_fixtures import utc_ms

DAY = Range(utc_ms("2026-03-02 00:00"), utc_ms("2026-03-03 00:00"))


async def busy_morning(script) -> None:
    """Two agents, eight calls: answered, missed then answered, abandoned, with wrap-ups."""
    await script.login("anna", ["sales"])
    await script.login("boris", ["sales"])
    for i in range(4):
        script.advance(60)
        await script.answered_call(f"a{i}", "sales", "anna", ring_s=3, talk_s=40 + i, wrap_s=10, wait_s=i * 5)
    script.advance(30)
    await script.receive("m1", "sales")
    await script.offer("m1", "boris")
    script.advance(5)
    await script.miss("m1", "no_answer")
    await script.offer("m1", "anna")
    script.advance(2)
    await script.answer("m1")
    script.advance(25)
    await script.complete("m1", wrap_up=False)
    for i in range(3):
        script.advance(20)
        await script.receive(f"x{i}", "sales")
        await script.queue(f"x{i}")
        script.advance(3 + i * 4)
        await script.abandon(f"x{i}")
    await script.pause("boris", "lunch")


async def figures(stats) -> tuple:
    agents = await stats.figure_reader.agents(["anna", "boris"], DAY, stats.clock.now_ms())
    queues = await stats.figure_reader.queues(["sales"], DAY, 20)
    records, _ = await stats.call_records(CallFilter(), 100, "")
    board = await stats.board()
    return agents, queues, records, board.agents, board.queues


async def test_one_consumer_counts_every_event_once(script, make_consumer, stats):
    await busy_morning(script)
    consumer = make_consumer()
    handled = await consumer.drain()
    assert handled == consumer.applied == 41  # every event the script wrote
    (anna, boris), (sales,), *_ = await figures(stats)
    assert (anna.offered, anna.answered, anna.handled) == (5, 5, 5)
    assert (boris.offered, boris.missed) == (1, 1)
    assert (sales.offered, sales.answered, sales.abandoned) == (8, 5, 3)


async def test_a_redelivered_event_is_not_counted_again(script, make_consumer, stats, redis, tenant):
    await busy_morning(script)
    consumer = make_consumer()
    entries = await consumer.read_new()
    await consumer.apply(entries)
    before = await figures(stats)
    # the same entries delivered again (a lost ack, a reclaim after a slow consumer)
    done = await consumer.apply(entries)
    assert len(done) == len(entries) and consumer.duplicates == len(entries)
    assert await figures(stats) == before


async def test_a_consumer_killed_mid_batch_is_taken_over_with_identical_figures(
    script, make_consumer, stats, redis, tenant, redis_url, stats_clock
):
    from callcenter.services.stats.config import Figures
    from callcenter.services.stats.stats import Stats

    await busy_morning(script)
    # The clean run: another tenant with a copy of the same stream, one consumer, no crash.
    clean_tenant = tenant + "clean"
    for _id, fields in await redis.xrange(stream_key(tenant)):
        await redis.xadd(stream_key(clean_tenant), fields)
    await make_consumer("clean", tenant=clean_tenant).drain()
    clean_stats = Stats(redis, clean_tenant, stats_clock, Figures())

    # The crash: consumer "doomed" reads a batch, applies half of it, dies before its ack.
    doomed = make_consumer("doomed", batch_size=20)
    batch = await doomed.read_new()
    await doomed.apply(batch[:11])
    del doomed
    pending = await redis.xpending(stream_key(tenant), "stats")
    assert pending["pending"] == 20
    # A survivor reclaims the dead consumer's events once they are idle long enough.
    survivor = make_consumer("survivor", claim_idle_ms=1)
    await survivor.drain()
    assert survivor.duplicates == 11
    assert (await redis.xpending(stream_key(tenant), "stats"))["pending"] == 0
    assert await figures(stats) == await figures(clean_stats)


async def test_two_replicas_share_the_stream_and_count_it_once(script, make_consumer, stats, redis, tenant):
    await busy_morning(script)
    one, two = make_consumer("one", batch_size=4), make_consumer("two", batch_size=4)
    while (await one.step()) + (await two.step()):
        pass
    assert one.applied and two.applied
    assert one.applied + two.applied == 41
    (anna, _boris), (sales,), *_ = await figures(stats)
    assert (anna.answered, sales.abandoned) == (5, 3)


async def test_unknown_event_types_are_acknowledged_and_ignored(script, make_consumer, redis, tenant):
    await script.emit("CALL_RULE_RELAXED", call_id="c1", queue="sales", reason="skills_relaxed")
    await script.emit("SOMETHING_NEW", call_id="c1")
    consumer = make_consumer()
    assert await consumer.drain() == 2
    assert (await redis.xpending(stream_key(tenant), "stats"))["pending"] == 0


async def test_an_event_that_cannot_be_applied_goes_to_the_dead_letter_stream(make_consumer, redis, tenant):
    await redis.xadd(stream_key(tenant), {"type": "CALL_RECEIVED", "time": "not a number", "call_id": "c1"})
    consumer = make_consumer(max_deliveries=1)
    await consumer.drain()
    dead = await redis.xrange(StatsKeys(tenant).dead_letters)
    assert len(dead) == 1 and dead[0][1]["call_id"] == "c1"
    assert (await redis.xpending(stream_key(tenant), "stats"))["pending"] == 0


async def test_idle_consumers_with_nothing_pending_are_forgotten(script, make_consumer, redis, tenant):
    await script.login("anna", ["sales"])
    await make_consumer("old").drain()
    holder = make_consumer("holder")
    await script.logout("anna")
    await holder.read_new()  # holds one event, unacknowledged
    gone = await make_consumer("new").forget_idle_consumers(idle_ms=0)
    assert gone == ["old"]
    names = {c["name"] for c in await redis.xinfo_consumers(stream_key(tenant), "stats")}
    assert names == {"holder"}  # "new" joins with its first read


async def test_ids_older_than_the_dedupe_window_are_never_counted_again(script, make_consumer, redis, tenant):
    await script.login("anna", ["sales"])
    consumer = make_consumer(dedupe_window_s=60)
    (old,) = await consumer.read_new()
    await consumer.apply([old])
    # two minutes later (by entry id) the old id is trimmed from the applied set ...
    newer = f"{int(old[0].split('-')[0]) + 180_000}-0"
    await redis.xadd(stream_key(tenant), {"type": "AGENT_RESUMED", "time": "1", "agent_id": "anna"}, id=newer)
    await consumer.apply(await consumer.read_new())
    assert await redis.zscore(StatsKeys(tenant).applied, old[0]) is None
    # ... yet a late redelivery of it is recognised as too old and not counted
    await consumer.apply([old])
    assert consumer.duplicates == 1
