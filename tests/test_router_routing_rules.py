"""Routing rules on a real Redis with a hand-driven clock: VIPs to experienced agents,
personal managers first, client reassignment, skills with relaxation, auto-pause after
missed offers, queue limits with overflow, queue position and estimated wait."""

from __future__ import annotations

import pytest

from callcenter.services.router.model import Client, IllegalState, InvalidArgument, NotFound
from tests.routing_scenes import agent, events_of, occupy

# VIP callers and experienced agents (S1.7) ---------------------------------------------------


async def test_a_vip_call_goes_to_the_experienced_agent_even_if_a_junior_is_idle_longer(router, redis, tenant):
    await router.upsert_queue("sales", vip_min_tier=2)
    await agent(router, "junior", tier=0)
    await agent(router, "senior", tier=3)
    call = await router.route_call("v1", "+4917000", "sales", priority=5)
    assert call.offer.agent_id == "senior" and call.stage == "vip"
    offered = await events_of(redis, tenant, "CALL_OFFERED")
    assert offered[-1].reason == "vip_tier"
    ordinary = await router.route_call("o1", "+4917001", "sales")
    assert ordinary.offer.agent_id == "junior" and ordinary.stage == "anyone"


async def test_a_vip_call_overtakes_a_waiting_ordinary_call_and_reaches_the_experienced_agent(router):
    await router.upsert_queue("sales", vip_min_tier=2, wrap_up_ms=0)
    await agent(router, "senior", tier=3)
    await occupy(router, "senior", "busy1")
    ordinary = await router.route_call("o1", "+4917001", "sales")
    router.clock.advance(1)
    vip = await router.route_call("v1", "+4917002", "sales", priority=1)
    assert ordinary.state == vip.state == "waiting"
    assert vip.queue_position == 1
    assert (await router.get_call("o1")).queue_position == 2
    await router.hangup("busy1")
    assert (await router.get_call("v1")).offer.agent_id == "senior"
    assert (await router.get_call("o1")).state == "waiting"


async def test_a_vip_call_overflows_to_every_agent_after_the_configured_time(router, clock, redis, tenant):
    await router.upsert_queue("sales", vip_min_tier=2, vip_overflow_ms=10_000)
    await agent(router, "junior", tier=0)
    await agent(router, "senior", tier=3)
    await occupy(router, "senior", "busy1")
    vip = await router.route_call("v1", "+4917002", "sales", priority=1)
    assert vip.state == "waiting" and vip.stage == "vip"
    clock.advance(9.9)
    await router.fire_due_timers()
    assert (await router.get_call("v1")).state == "waiting"
    clock.advance(0.1)
    await router.fire_due_timers()
    call = await router.get_call("v1")
    assert call.offer.agent_id == "junior" and call.stage == "anyone"
    relaxed = await events_of(redis, tenant, "CALL_RULE_RELAXED")
    assert [(e.reason, e.attributes["from_stage"], e.attributes["to_stage"]) for e in relaxed] == [
        ("vip_overflow", "vip", "anyone")
    ]


async def test_the_caller_list_marks_vips_without_the_pbx_saying_so(router):
    await router.upsert_queue("sales", vip_min_tier=2)
    await agent(router, "junior", tier=0)
    await agent(router, "senior", tier=2)
    await router.upsert_client(Client(number="+4917999", name="Big Customer", priority=3))
    call = await router.route_call("v1", "+4917999", "sales")
    assert call.priority == 3 and call.offer.agent_id == "senior"


# Personal manager (S1.6, S2.4) -----------------------------------------------------------------


async def test_a_sticky_caller_reaches_the_manager_who_answered_them_before(router, redis, tenant):
    await router.upsert_queue("sales", sticky=True, wrap_up_ms=0)
    await agent(router, "anna")
    await agent(router, "boris")
    first = await router.route_call("c1", "+4917555", "sales")
    assert first.offer.agent_id == "anna"
    await router.report_offer_outcome("c1", first.offer.offer_id, "no_answer")
    second_offer = (await router.get_call("c1")).offer
    assert second_offer.agent_id == "boris"
    await router.report_offer_outcome("c1", second_offer.offer_id, "answered")
    await router.hangup("c1")
    assert (await router.get_client("+4917555")).manager_id == "boris"
    # Anna is now idle longest, but the returning caller goes to Boris.
    again = await router.route_call("c2", "+4917555", "sales")
    assert again.offer.agent_id == "boris" and again.stage == "manager"
    assert again.personal_manager_id == "boris"
    offered = await events_of(redis, tenant, "CALL_OFFERED")
    assert offered[-1].reason == "personal_manager"
    moves = await events_of(redis, tenant, "CLIENT_REASSIGNED")
    assert [(e.caller, e.agent_id, e.other_agent_id, e.reason) for e in moves] == [("+4917555", "", "boris", "sticky")]


async def test_a_busy_manager_is_waited_for_and_then_the_call_falls_back(router, clock, redis, tenant):
    await router.upsert_queue("sales", manager_wait_ms=4_000)
    await agent(router, "anna")
    await agent(router, "boris")
    await occupy(router, "boris", "busy1")
    call = await router.route_call("c1", "+4917555", "sales", personal_manager_id="boris")
    assert call.state == "waiting" and call.stage == "manager"
    clock.advance(3.9)
    await router.fire_due_timers()
    assert (await router.get_call("c1")).state == "waiting"
    clock.advance(0.1)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.offer.agent_id == "anna" and call.stage == "anyone"
    relaxed = await events_of(redis, tenant, "CALL_RULE_RELAXED")
    assert [(e.reason, e.agent_id) for e in relaxed] == [("manager_wait_over", "boris")]


async def test_a_manager_who_frees_up_within_the_wait_gets_the_call(router, clock):
    await router.upsert_queue("sales", manager_wait_ms=4_000, wrap_up_ms=0)
    await agent(router, "anna")
    await agent(router, "boris")
    await occupy(router, "boris", "busy1")
    await router.route_call("c1", "+4917555", "sales", personal_manager_id="boris")
    clock.advance(2)
    await router.hangup("busy1")
    call = await router.get_call("c1")
    assert call.offer.agent_id == "boris" and call.stage == "manager"
    # Anna, idle the whole time, was never offered it.
    assert (await router.get_agent("anna"))[1].state == "available"


async def test_a_logged_out_manager_means_immediate_fallback(router, redis, tenant):
    await router.upsert_queue("sales", manager_wait_ms=60_000)
    await agent(router, "anna")
    await agent(router, "boris", login=False)
    await router.upsert_client(Client(number="+4917555", manager_id="boris"))
    call = await router.route_call("c1", "+4917555", "sales")
    assert call.offer.agent_id == "anna" and call.stage == "anyone"
    relaxed = await events_of(redis, tenant, "CALL_RULE_RELAXED")
    assert [e.reason for e in relaxed] == ["manager_unavailable"]


async def test_a_manager_on_leave_paused_means_immediate_fallback(router):
    await router.upsert_queue("sales", manager_wait_ms=60_000)
    await agent(router, "anna")
    await agent(router, "boris")
    await router.pause("boris", "training")
    call = await router.route_call("c1", "+4917555", "sales", personal_manager_id="boris")
    assert call.offer.agent_id == "anna"


async def test_calls_waiting_for_a_manager_go_on_when_the_manager_logs_out(router):
    await router.upsert_queue("sales", manager_wait_ms=60_000, wrap_up_ms=10_000)
    await agent(router, "anna")
    await agent(router, "boris")
    await occupy(router, "boris", "busy1")
    await occupy(router, "anna", "busy2")
    call = await router.route_call("c1", "+4917555", "sales", personal_manager_id="boris")
    assert call.state == "waiting"
    await router.hangup("busy1")  # Boris goes into wrap-up: still worth waiting for
    assert (await router.get_call("c1")).state == "waiting"
    await router.logout("boris")
    await router.hangup("busy2")
    call = await router.get_call("c1")
    assert call.stage == "anyone" and call.state == "waiting"


async def test_a_manager_who_misses_the_offer_passes_the_call_on_at_once(router):
    await router.upsert_queue("sales")
    await agent(router, "anna")
    await agent(router, "boris")
    call = await router.route_call("c1", "+4917555", "sales", personal_manager_id="boris")
    assert call.offer.agent_id == "boris"
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "no_answer")
    assert call.offer.agent_id == "anna" and call.stage == "anyone"


async def test_a_vip_with_a_personal_manager_goes_to_the_manager_then_to_experienced_agents(router, clock):
    await router.upsert_queue("sales", vip_min_tier=2, manager_wait_ms=3_000)
    await agent(router, "junior", tier=0)
    await agent(router, "senior", tier=3)
    await agent(router, "manager", tier=1)
    await router.upsert_client(Client(number="+4917999", priority=2, manager_id="manager"))
    await occupy(router, "manager", "busy1")
    call = await router.route_call("v1", "+4917999", "sales")
    assert call.state == "waiting" and call.stage == "manager"
    clock.advance(3)
    await router.fire_due_timers()
    call = await router.get_call("v1")
    assert call.stage == "vip" and call.offer.agent_id == "senior"


# Reassigning clients (S1.6, S2.5) --------------------------------------------------------------


async def test_reassignment_moves_every_client_and_the_next_call_follows(router, redis, tenant):
    await router.upsert_queue("sales")
    await agent(router, "anna")
    await agent(router, "boris")
    for n in ("+491", "+492", "+493"):
        await router.upsert_client(Client(number=n, manager_id="anna"))
    assert await router.reassign_clients("anna", "boris") == 3
    assert [c.number for c in await router.list_clients("boris")] == ["+491", "+492", "+493"]
    assert await router.list_clients("anna") == []
    call = await router.route_call("c1", "+492", "sales")
    assert call.offer.agent_id == "boris"
    moves = await events_of(redis, tenant, "CLIENT_REASSIGNED")
    assert sorted((e.caller, e.agent_id, e.other_agent_id, e.reason) for e in moves[3:]) == [
        ("+491", "anna", "boris", "reassigned"),
        ("+492", "anna", "boris", "reassigned"),
        ("+493", "anna", "boris", "reassigned"),
    ]


async def test_deleting_an_agent_with_clients_requires_saying_who_takes_them(router):
    await router.upsert_queue("sales")
    await agent(router, "anna", login=False)
    await agent(router, "boris", login=False)
    await router.upsert_client(Client(number="+491", manager_id="anna"))
    with pytest.raises(IllegalState, match="clients_to_agent_id"):
        await router.delete_agent("anna")
    assert (await router.get_client("+491")).manager_id == "anna"  # nothing changed
    with pytest.raises(InvalidArgument, match="release_clients"):
        await router.delete_agent("anna", "boris", release_clients=True)
    assert await router.delete_agent("anna", "boris") == 1
    assert (await router.get_client("+491")).manager_id == "boris"
    with pytest.raises(NotFound):
        await router.get_agent("anna")


async def test_deleting_an_agent_may_release_their_clients_explicitly(router):
    await router.upsert_queue("sales")
    await agent(router, "anna", login=False)
    await router.upsert_client(Client(number="+491", manager_id="anna"))
    assert await router.delete_agent("anna", release_clients=True) == 1
    assert (await router.get_client("+491")).manager_id == ""


async def test_a_logged_in_agent_cannot_be_deleted(router):
    await router.upsert_queue("sales")
    await agent(router, "anna")
    with pytest.raises(IllegalState, match="logged out"):
        await router.delete_agent("anna", release_clients=True)


# Skills and levels ---------------------------------------------------------------------------


async def test_a_queue_with_required_skills_offers_only_skilled_agents(router):
    await router.upsert_queue("sales", required_skills={"de": 2})
    await agent(router, "anna", skills={"en": 5})
    await agent(router, "boris", skills={"de": 1})
    await agent(router, "clara", skills={"de": 3})
    call = await router.route_call("c1", "+491", "sales")
    assert call.offer.agent_id == "clara" and call.stage == "skilled"


async def test_highest_level_first_and_lowest_level_first(router):
    await router.upsert_queue("sales", required_skills={"de": 1}, skill_order="highest_first")
    await router.upsert_queue("support", required_skills={"de": 1}, skill_order="lowest_first")
    await agent(router, "anna", ("sales", "support"), skills={"de": 2})
    await agent(router, "boris", ("sales", "support"), skills={"de": 5})
    await agent(router, "clara", ("sales", "support"), skills={"de": 3})
    assert (await router.route_call("c1", "+491", "sales")).offer.agent_id == "boris"
    assert (await router.route_call("c2", "+492", "support")).offer.agent_id == "anna"


async def test_the_skill_requirement_relaxes_after_its_time(router, clock, redis, tenant):
    await router.upsert_queue("sales", required_skills={"de": 2}, skill_relax_ms=20_000)
    await agent(router, "anna", skills={"en": 5})
    call = await router.route_call("c1", "+491", "sales")
    assert call.state == "waiting" and call.stage == "skilled"
    clock.advance(19.9)
    await router.fire_due_timers()
    assert (await router.get_call("c1")).state == "waiting"
    clock.advance(0.1)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.offer.agent_id == "anna" and call.stage == "anyone"
    relaxed = await events_of(redis, tenant, "CALL_RULE_RELAXED")
    assert [e.reason for e in relaxed] == ["skills_relaxed"]


async def test_a_skilled_agent_who_frees_up_takes_the_skilled_call_waiting(router):
    await router.upsert_queue("sales", required_skills={"de": 2}, wrap_up_ms=0)
    await agent(router, "clara", skills={"de": 3})
    await occupy(router, "clara", "busy1")
    call = await router.route_call("c1", "+491", "sales")
    assert call.state == "waiting"
    await router.hangup("busy1")
    assert (await router.get_call("c1")).offer.agent_id == "clara"


# Auto-pause after missed offers (S1.4) --------------------------------------------------------


async def test_three_misses_in_a_row_pause_the_agent_and_one_answer_resets_the_count(router, redis, tenant):
    await router.upsert_queue("sales", wrap_up_ms=0)
    await agent(router, "anna")
    await agent(router, "boris")
    n = 0

    async def anna_misses(outcome="no_answer"):
        nonlocal n
        n += 1
        call = await router.route_call(f"m{n}", "+491", "sales", personal_manager_id="anna")
        assert call.offer.agent_id == "anna"
        call = await router.report_offer_outcome(f"m{n}", call.offer.offer_id, outcome)
        # Boris takes it and ends it, so he is free again.
        await router.report_offer_outcome(f"m{n}", call.offer.offer_id, "answered")
        await router.hangup(f"m{n}")

    await anna_misses()
    await anna_misses("rejected")
    call = await router.route_call("a1", "+491", "sales", personal_manager_id="anna")
    await router.report_offer_outcome("a1", call.offer.offer_id, "answered")  # resets the count
    await router.hangup("a1")
    await anna_misses()
    await anna_misses()
    assert (await router.get_agent("anna"))[1].state == "available"
    await anna_misses()
    status = (await router.get_agent("anna"))[1]
    assert status.state == "paused" and status.pause_reason == "no_answer"
    paused = await events_of(redis, tenant, "AGENT_PAUSED")
    assert [(e.agent_id, e.reason, e.attributes["consecutive_misses"]) for e in paused] == [("anna", "no_answer", "3")]
    # Paused agents get no offers until someone resumes them; then the count starts again.
    assert (await router.route_call("x1", "+491", "sales")).offer.agent_id == "boris"
    await router.resume("anna")
    assert (await router.get_agent("anna"))[1].state == "available"


async def test_ring_timeouts_count_as_misses_and_zero_turns_auto_pause_off(router, clock):
    await router.upsert_queue("sales", max_no_answer=2, ring_timeout_ms=1_000, retry_delay_ms=100)
    await router.upsert_queue("support", max_no_answer=0, ring_timeout_ms=1_000, retry_delay_ms=100)
    await agent(router, "anna")
    await agent(router, "csilla", ("support",))
    await router.route_call("c1", "+491", "sales")
    for _ in range(2):
        clock.advance(1)
        await router.fire_due_timers()
        clock.advance(0.1)
        await router.fire_due_timers()
    assert (await router.get_agent("anna"))[1].state == "paused"
    await router.route_call("c2", "+492", "support")
    for _ in range(5):
        clock.advance(1)
        await router.fire_due_timers()
        clock.advance(0.1)
        await router.fire_due_timers()
    assert (await router.get_agent("csilla"))[1].state in ("available", "reserved")


async def test_busy_and_caller_hangup_do_not_count_as_misses(router):
    await router.upsert_queue("sales", max_no_answer=1)
    await agent(router, "anna")
    call = await router.route_call("c1", "+491", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "busy")
    assert (await router.get_agent("anna"))[1].state == "available"


# Queue limits and overflow ----------------------------------------------------------------------


async def test_a_full_queue_overflows_to_the_overflow_queue(router, redis, tenant):
    await router.upsert_queue("support")
    await router.upsert_queue("sales", max_queue_length=2, overflow_queue="support")
    await agent(router, "csilla", ("support",))
    await router.route_call("c1", "+491", "sales")
    await router.route_call("c2", "+492", "sales")
    third = await router.route_call("c3", "+493", "sales")
    assert third.queue == "support" and third.offer.agent_id == "csilla"
    overflowed = await events_of(redis, tenant, "CALL_OVERFLOWED")
    assert [(e.call_id, e.queue, e.reason, e.attributes["overflow_queue"]) for e in overflowed] == [
        ("c3", "sales", "queue_full", "support")
    ]


async def test_a_full_queue_without_overflow_queue_redirects_to_the_fallback(router):
    await router.upsert_queue("sales", max_queue_length=1, fallback="voicemail:sales")
    await router.route_call("c1", "+491", "sales")
    call = await router.route_call("c2", "+492", "sales")
    assert call.state == "redirected" and call.redirect_to == "voicemail:sales" and call.final


async def test_max_wait_overflows_to_the_overflow_queue_or_the_fallback(router, clock):
    await router.upsert_queue("support", max_wait_ms=10_000, fallback="+4930999")
    await router.upsert_queue("sales", max_wait_ms=30_000, overflow_queue="support")
    call = await router.route_call("c1", "+491", "sales")
    clock.advance(30)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.queue == "support" and call.state == "waiting"
    clock.advance(10)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.state == "redirected" and call.redirect_to == "+4930999"


async def test_overflow_queues_in_a_ring_stop_after_three_hops(router):
    await router.upsert_queue("a", max_queue_length=1)
    await router.upsert_queue("b", max_queue_length=1, overflow_queue="a")
    await router.upsert_queue("a", max_queue_length=1, overflow_queue="b", fallback="vm")
    await router.route_call("fill-a", "+490", "a")
    await router.route_call("fill-b", "+490", "b")
    call = await router.route_call("c1", "+491", "a")
    assert call.state == "redirected" and call.redirect_to in ("vm", "")


async def test_queue_position_and_estimated_wait_for_announcements(router, clock):
    await router.upsert_queue("sales", wrap_up_ms=30_000)
    await agent(router, "anna")
    call = await router.route_call("c1", "+491", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    clock.advance(90)
    await router.hangup("c1")  # handle time 90 s talk + 30 s wrap-up = 120 s
    first = await router.route_call("c2", "+492", "sales")
    second = await router.route_call("c3", "+493", "sales")
    assert (first.queue_position, first.estimated_wait_ms) == (1, 120_000)
    assert (second.queue_position, second.estimated_wait_ms) == (2, 240_000)


async def test_bad_rule_settings_are_refused_naming_the_field(router):
    with pytest.raises(InvalidArgument, match="queue.overflow_queue"):
        await router.upsert_queue("sales", overflow_queue="nowhere")
    with pytest.raises(InvalidArgument, match="queue.skill_order"):
        await router.upsert_queue("sales", skill_order="random")
    with pytest.raises(InvalidArgument, match=r"queue.required_skills\[de\]"):
        await router.upsert_queue("sales", required_skills={"de": 101})
    with pytest.raises(InvalidArgument, match="queue.max_queue_length"):
        await router.upsert_queue("sales", max_queue_length=-1)
    await router.upsert_queue("sales")
    with pytest.raises(InvalidArgument, match="priority"):
        await router.route_call("c1", "+491", "sales", priority=10)
    with pytest.raises(InvalidArgument, match="client.number"):
        await router.upsert_client(Client(number=""))
    with pytest.raises(NotFound, match="agent ghost"):
        await router.upsert_client(Client(number="+491", manager_id="ghost"))


async def test_reassigning_only_chosen_clients(router):
    await router.upsert_queue("sales")
    await agent(router, "anna", login=False)
    await agent(router, "boris", login=False)
    for n in ("+491", "+492"):
        await router.upsert_client(Client(number=n, manager_id="anna"))
    assert await router.reassign_clients("anna", "boris", ("+492",)) == 1
    assert [c.number for c in await router.list_clients("anna")] == ["+491"]
    with pytest.raises(NotFound, match="not a client of agent anna"):
        await router.reassign_clients("anna", "boris", ("+492",))


async def test_every_key_the_router_writes_carries_the_tenant_hash_tag(router, redis, tenant, clock):
    """All of a tenant's keys hash to one Redis Cluster slot, so every script's keys are local
    to the node that runs it."""
    await router.upsert_queue("support")
    await router.upsert_queue(
        "sales", vip_min_tier=1, required_skills={"de": 1}, sticky=True, max_queue_length=1, overflow_queue="support"
    )
    await agent(router, "anna", tier=2, skills={"de": 3})
    await router.upsert_client(Client(number="+491", priority=1, manager_id="anna"))
    call = await router.route_call("c1", "+491", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.route_call("c2", "+492", "sales")
    await router.route_call("c3", "+493", "sales")
    await router.hangup("c1")
    clock.advance(600)
    await router.fire_due_timers()
    keys = [k async for k in redis.scan_iter(match=f"*{tenant}*")]
    assert keys and all(k.startswith(f"cc:{{{tenant}}}:") for k in keys), keys


async def test_calls_waiting_for_their_manager_count_as_waiting_in_the_queue(router):
    await router.upsert_queue("sales", manager_wait_ms=60_000, max_queue_length=1, fallback="vm")
    await agent(router, "anna")
    await occupy(router, "anna", "busy1")
    call = await router.route_call("c1", "+491", "sales", personal_manager_id="anna")
    assert call.state == "waiting" and call.stage == "manager"
    _, counts = await router.get_queue("sales")
    assert counts.waiting == 1 and counts.oldest_waiting_since_ms == call.received_ms
    full = await router.route_call("c2", "+492", "sales")
    assert full.state == "redirected"  # the manager's caller takes the queue's only place
    await router.hangup("c1")
    assert (await router.get_queue("sales"))[1].waiting == 0


async def test_changing_a_queues_rules_applies_to_free_agents_and_waiting_calls(router, redis, tenant):
    await router.upsert_queue("sales")
    await agent(router, "anna", tier=1)
    await occupy(router, "anna", "busy1")
    vip = await router.route_call("v1", "+491", "sales", priority=3)
    assert vip.state == "waiting" and vip.stage == "anyone"  # no VIP stage yet
    await router.upsert_queue("sales", vip_min_tier=2, wrap_up_ms=0)
    await agent(router, "senior", tier=2)  # enters the new VIP rotation
    assert (await router.get_call("v1")).offer.agent_id == "senior"
    await router.upsert_queue("sales", vip_min_tier=5, wrap_up_ms=0)  # senior no longer qualifies
    vip2 = await router.route_call("v2", "+492", "sales", priority=3)
    assert vip2.state == "waiting" and vip2.stage == "vip"
    await router.upsert_queue("sales", wrap_up_ms=0)  # VIP routing off: the VIP goes to anyone
    relaxed = [e for e in await events_of(redis, tenant, "CALL_RULE_RELAXED") if e.call_id == "v2"]
    assert [e.reason for e in relaxed] == ["rule_changed"]


async def test_a_call_waiting_for_the_old_manager_follows_the_client_to_the_new_one(router):
    await router.upsert_queue("sales", manager_wait_ms=60_000)
    await agent(router, "anna")
    await agent(router, "boris")
    await router.upsert_client(Client(number="+491", manager_id="anna"))
    await occupy(router, "anna", "busy1")
    await occupy(router, "boris", "busy2")
    call = await router.route_call("c1", "+491", "sales")
    assert call.state == "waiting" and call.personal_manager_id == "anna"
    assert await router.reassign_clients("anna", "boris") == 1
    call = await router.get_call("c1")
    assert call.state == "waiting" and call.stage == "manager" and call.personal_manager_id == "boris"
    await router.hangup("busy2")  # boris wraps up ... (wrap-up 3 min by default)
    await router.end_wrap_up("boris", force=True)
    assert (await router.get_call("c1")).offer.agent_id == "boris"
