"""Routing rules at their edges: manager waits, VIPs, overflow, full queues, dropped skills,
auto-paused agents, queue positions (each found by a review and pinned here)."""

from __future__ import annotations

from tests.routing_scenes import agent, events_of, occupy


async def test_manager_wait_timer_does_not_relax_a_call_already_ringing_its_manager(router, clock, redis, tenant):
    await router.upsert_queue("sales", manager_wait_ms=4_000, wrap_up_ms=0, ring_timeout_ms=20_000)
    await agent(router, "anna")
    await agent(router, "boris")
    await occupy(router, "boris", "busy1")
    await router.route_call("c1", "+4917555", "sales", personal_manager_id="boris")
    clock.advance(2)
    await router.hangup("busy1")
    call = await router.get_call("c1")
    assert call.offer.agent_id == "boris" and call.stage == "manager"
    clock.advance(3)  # the 4 s manager wait is over while Boris's phone rings
    await router.fire_due_timers()
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    answered = await events_of(redis, tenant, "CALL_ANSWERED")
    relaxed = [e for e in await events_of(redis, tenant, "CALL_RULE_RELAXED") if e.call_id == "c1"]
    assert relaxed == []
    assert answered[-1].reason == "personal_manager"


async def test_oldest_waiting_is_not_hidden_by_a_younger_vip_call(router, clock):
    await router.upsert_queue("sales", wrap_up_ms=0)
    await agent(router, "anna")
    await occupy(router, "anna", "busy1")
    old = await router.route_call("o1", "+491", "sales")
    clock.advance(60)
    vip = await router.route_call("v1", "+492", "sales", priority=5)
    assert old.state == vip.state == "waiting"
    _, counts = await router.get_queue("sales")
    assert counts.waiting == 2
    assert counts.oldest_waiting_since_ms == old.received_ms


async def test_an_overflowed_call_waits_for_its_busy_manager_again_in_the_new_queue(router, clock, redis, tenant):
    await router.upsert_queue("support", manager_wait_ms=60_000)
    await router.upsert_queue("sales", manager_wait_ms=5_000, max_wait_ms=30_000, overflow_queue="support")
    await agent(router, "anna", ("support",))
    await agent(router, "boris", ("sales", "support"))
    await occupy(router, "boris", "busy1")
    call = await router.route_call("c1", "+491", "sales", personal_manager_id="boris")
    assert call.stage == "manager"
    clock.advance(5)
    await router.fire_due_timers()  # manager wait over in sales: waits for anyone (nobody free)
    assert (await router.get_call("c1")).stage == "anyone"
    clock.advance(25)
    await router.fire_due_timers()  # max wait: on to support, stages start again
    call = await router.get_call("c1")
    assert call.queue == "support"
    # Boris is still busy and support waits 60 s for a busy manager: the call must not go to Anna.
    assert call.stage == "manager" and call.state == "waiting", call


async def test_a_missed_call_goes_back_into_line_even_when_the_queue_is_full(router, redis, tenant):
    await router.upsert_queue("sales", max_queue_length=1, fallback="vm")
    await agent(router, "anna")
    await agent(router, "boris")
    await occupy(router, "boris", "busy1")
    c1 = await router.route_call("c1", "+491", "sales")
    assert c1.offer.agent_id == "anna"
    c2 = await router.route_call("c2", "+492", "sales")
    assert c2.state == "waiting"  # the queue's one place
    c1 = await router.report_offer_outcome("c1", c1.offer.offer_id, "rejected")
    # c1 was accepted into the queue already: a missed offer must not throw it out.
    assert c1.state in ("waiting", "ringing"), c1
    assert await events_of(redis, tenant, "CALL_OVERFLOWED") == []


async def test_calls_in_the_skilled_line_are_not_stranded_when_the_requirement_is_dropped(router, clock):
    await router.upsert_queue("sales", required_skills={"de": 1})
    await agent(router, "anna")  # no skills
    call = await router.route_call("c1", "+491", "sales")
    assert call.state == "waiting" and call.stage == "skilled"
    await router.upsert_queue("sales")  # the requirement is gone: the free agent takes the call at once
    call = await router.get_call("c1")
    assert call.state == "ringing" and call.offer.agent_id == "anna" and call.stage == "anyone", call


async def test_a_call_missed_by_an_auto_paused_agent_reaches_them_after_they_resume(router, clock):
    await router.upsert_queue("sales", max_no_answer=1)
    await agent(router, "anna")
    call = await router.route_call("c1", "+491", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "no_answer")
    assert (await router.get_agent("anna"))[1].state == "paused"
    assert (await router.get_call("c1")).state == "waiting"
    await router.resume("anna")
    clock.advance(600)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.state == "ringing" and call.offer.agent_id == "anna", call


async def test_watch_call_pushes_the_new_queue_position_when_a_call_ahead_leaves(router_stub):
    import asyncio

    from callcenter.api.router.v1 import router_pb2 as pb

    await router_stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="sales")))
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c1", caller="+491", queue="sales"))
    await router_stub.RouteCall(pb.RouteCallRequest(call_id="c2", caller="+492", queue="sales"))
    stream = router_stub.WatchCall(pb.WatchCallRequest(call_id="c2"))
    try:
        assert (await stream.read()).call.queue_position == 2
        await router_stub.HangupCall(pb.HangupCallRequest(call_id="c1"))
        update = await asyncio.wait_for(stream.read(), timeout=1.0)
        assert update.call.queue_position == 1
    finally:
        stream.cancel()
