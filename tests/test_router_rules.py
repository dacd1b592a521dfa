"""The router's rules on a real Redis, with a hand-driven clock: 5 s and 3 min pass instantly."""

from __future__ import annotations

import pytest

from callcenter.services.router.model import IllegalState, InvalidArgument, NotAllowed, NotFound, StaleOffer
from tests.helpers import event_types, read_events, team


async def test_a_call_is_offered_to_the_agent_idle_longest(router):
    await team(router, "sales", ["anna", "boris", "clara"])
    call = await router.route_call("c1", "+491701", "sales")
    assert call.state == "ringing"
    assert call.offer.agent_id == "anna"
    assert call.offer.endpoint == "sip:anna@pbx"
    assert call.offer.ring_timeout_ms == 5_000
    assert (await router.get_agent("anna"))[1].state == "reserved"


async def test_no_answer_within_5_s_offers_the_next_agent(router, clock, redis, tenant):
    await team(router, "sales", ["anna", "boris"])
    await router.route_call("c1", "+491701", "sales")
    clock.advance(4.9)
    assert await router.fire_due_timers() == 0
    assert (await router.get_call("c1")).offer.agent_id == "anna"
    clock.advance(0.1)
    assert await router.fire_due_timers() == 1
    call = await router.get_call("c1")
    assert call.state == "ringing" and call.offer.agent_id == "boris" and call.offer.attempt == 2
    assert (await router.get_agent("anna"))[1].state == "available"
    missed = [e for e in await read_events(redis, tenant) if event_types([e]) == ["OFFER_MISSED"]]
    assert [(e.agent_id, e.reason, e.duration.ToMilliseconds()) for e in missed] == [("anna", "timeout", 5000)]


async def test_an_explicit_no_answer_offers_the_next_agent_at_once(router):
    await team(router, "sales", ["anna", "boris"])
    call = await router.route_call("c1", "+491701", "sales")
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "no_answer")
    assert call.offer.agent_id == "boris"


async def test_rejected_and_busy_also_move_on(router):
    await team(router, "sales", ["anna", "boris", "clara"])
    call = await router.route_call("c1", "+491701", "sales")
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "rejected")
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "busy")
    assert call.offer.agent_id == "clara" and call.offer.attempt == 3


async def test_an_agent_already_tried_is_not_offered_again_while_an_untried_one_is_free(router):
    await team(router, "sales", ["anna", "boris", "clara"])
    call = await router.route_call("c1", "+491701", "sales")
    seen = [call.offer.agent_id]
    for _ in range(2):
        call = await router.report_offer_outcome("c1", call.offer.offer_id, "no_answer")
        seen.append(call.offer.agent_id)
    assert sorted(seen) == ["anna", "boris", "clara"]


async def test_when_every_free_agent_was_tried_the_call_waits_then_tries_them_again(router, clock):
    await team(router, "sales", ["anna"], retry_delay_ms=2_000)
    call = await router.route_call("c1", "+491701", "sales")
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "no_answer")
    assert call.state == "waiting" and call.queue_position == 1
    clock.advance(1.9)
    await router.fire_due_timers()
    assert (await router.get_call("c1")).state == "waiting"
    clock.advance(0.1)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.state == "ringing" and call.offer.agent_id == "anna" and call.offer.attempt == 2


async def test_answer_connects_and_hangup_starts_a_3_minute_wrap_up(router, clock):
    await team(router, "sales", ["anna"])
    call = await router.route_call("c1", "+491701", "sales")
    call = await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    assert call.state == "connected" and call.agent_id == "anna"
    clock.advance(60)
    call = await router.hangup("c1")
    assert call.state == "completed"
    status = (await router.get_agent("anna"))[1]
    assert status.state == "wrap_up" and status.wrap_up_ends_ms == clock.now_ms() + 180_000


async def test_wrap_up_keeps_the_agent_out_of_rotation_then_returns_them(router, clock):
    await team(router, "sales", ["anna"])
    call = await router.route_call("c1", "+491701", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.hangup("c1")
    second = await router.route_call("c2", "+491702", "sales")
    assert second.state == "waiting"
    clock.advance(179.9)
    await router.fire_due_timers()
    assert (await router.get_call("c2")).state == "waiting"
    clock.advance(0.1)
    await router.fire_due_timers()
    second = await router.get_call("c2")
    assert second.state == "ringing" and second.offer.agent_id == "anna"


async def test_a_queue_without_wrap_up_frees_the_agent_at_once(router):
    await team(router, "sales", ["anna"], wrap_up_ms=0)
    call = await router.route_call("c1", "+491701", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.hangup("c1")
    assert (await router.get_agent("anna"))[1].state == "available"


async def test_a_queued_call_is_offered_the_moment_an_agent_frees_up_oldest_first(router, clock):
    await team(router, "sales", ["anna"], wrap_up_ms=0)
    first = await router.route_call("c1", "+491701", "sales")
    for n in (2, 3):
        clock.advance(1)
        queued = await router.route_call(f"c{n}", f"+49170{n}", "sales")
        assert queued.state == "waiting" and queued.queue_position == n - 1
    await router.report_offer_outcome("c1", first.offer.offer_id, "answered")
    await router.hangup("c1")
    assert (await router.get_call("c2")).state == "ringing"
    assert (await router.get_call("c3")).queue_position == 1


async def test_an_agent_logging_in_takes_the_longest_waiting_call(router):
    await team(router, "sales", ["anna"], login=False)
    await router.route_call("c1", "+491701", "sales")
    status = await router.login("anna")
    assert status.state == "reserved" and status.call_id == "c1"


async def test_a_paused_agent_gets_no_calls_until_resumed(router):
    await team(router, "sales", ["anna"])
    await router.pause("anna", "lunch")
    assert (await router.route_call("c1", "+491701", "sales")).state == "waiting"
    assert (await router.resume("anna")).state == "reserved"


async def test_routing_again_returns_the_same_offer_not_a_second_reservation(router, redis, tenant):
    await team(router, "sales", ["anna", "boris"])
    first = await router.route_call("c1", "+491701", "sales")
    again = await router.route_call("c1", "+491701", "sales")
    assert again.offer == first.offer
    assert (await router.get_agent("boris"))[1].state == "available"
    assert event_types(await read_events(redis, tenant)).count("CALL_OFFERED") == 1


async def test_caller_hanging_up_while_waiting_is_abandoned(router, clock, redis, tenant):
    await team(router, "sales", [])
    await router.route_call("c1", "+491701", "sales")
    clock.advance(12)
    call = await router.hangup("c1")
    assert call.state == "abandoned"
    abandoned = (await read_events(redis, tenant))[-1]
    assert event_types([abandoned]) == ["CALL_ABANDONED"] and abandoned.wait.ToMilliseconds() == 12_000


async def test_caller_hanging_up_while_ringing_releases_the_agent(router, redis, tenant):
    await team(router, "sales", ["anna"])
    await router.route_call("c1", "+491701", "sales")
    assert (await router.hangup("c1")).state == "abandoned"
    assert (await router.get_agent("anna"))[1].state == "available"
    assert event_types(await read_events(redis, tenant))[-2:] == ["OFFER_MISSED", "CALL_ABANDONED"]


async def test_a_call_waiting_longer_than_the_maximum_wait_times_out(router, clock):
    await team(router, "sales", [], max_wait_ms=60_000)
    await router.route_call("c1", "+491701", "sales")
    clock.advance(60)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    assert call.state == "timed_out" and call.ended_ms == clock.now_ms()


async def test_maximum_wait_lets_the_current_ring_finish_then_times_out(router, clock):
    await team(router, "sales", ["anna", "boris"], max_wait_ms=3_000)
    await router.route_call("c1", "+491701", "sales")
    clock.advance(3)
    await router.fire_due_timers()
    assert (await router.get_call("c1")).state == "ringing"
    clock.advance(2)
    await router.fire_due_timers()
    assert (await router.get_call("c1")).state == "timed_out"
    assert (await router.get_agent("boris"))[1].state == "available"


async def test_round_robin_goes_round_the_team(router):
    await team(router, "sales", ["anna", "boris", "clara"], strategy="round_robin", wrap_up_ms=0)
    order = []
    for n in range(6):
        call = await router.route_call(f"c{n}", "+49170", "sales")
        order.append(call.offer.agent_id)
        await router.report_offer_outcome(call.call_id, call.offer.offer_id, "answered")
        await router.hangup(call.call_id)
    assert order == ["anna", "boris", "clara", "anna", "boris", "clara"]


async def test_fewest_calls_prefers_the_agent_who_answered_least(router, clock):
    await team(router, "sales", ["anna", "boris"], strategy="fewest_calls", wrap_up_ms=0)
    call = await router.route_call("c1", "+49170", "sales")
    assert call.offer.agent_id == "anna"  # both at 0 calls: the one idle longest
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.hangup("c1")
    clock.advance(5)
    await router.pause("boris", "break")
    await router.resume("boris")  # boris is now idle for less time than anna, but has 0 calls
    call = await router.route_call("c2", "+49170", "sales")
    assert call.offer.agent_id == "boris"


async def test_illegal_transitions_are_refused_naming_the_current_state(router):
    await team(router, "sales", ["anna"])
    await router.route_call("c1", "+491701", "sales")
    with pytest.raises(IllegalState) as refused:
        await router.logout("anna")
    assert refused.value.state == "reserved" and "reserved" in str(refused.value)
    with pytest.raises(IllegalState):
        await router.pause("anna", "lunch")
    with pytest.raises(IllegalState):
        await router.login("anna")
    with pytest.raises(IllegalState):
        await router.resume("anna")


async def test_ending_wrap_up_early_depends_on_the_queue(router):
    await team(router, "strict", ["anna"])
    call = await router.route_call("c1", "+491701", "strict")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.hangup("c1")
    with pytest.raises(NotAllowed):
        await router.end_wrap_up("anna")
    await team(router, "relaxed", ["boris"], allow_early_wrap_up_end=True)
    call = await router.route_call("c2", "+491702", "relaxed")
    await router.report_offer_outcome("c2", call.offer.offer_id, "answered")
    await router.hangup("c2")
    assert (await router.end_wrap_up("boris")).state == "available"


async def test_a_report_for_an_old_offer_is_refused_and_a_repeated_answer_is_harmless(router):
    await team(router, "sales", ["anna", "boris"])
    call = await router.route_call("c1", "+491701", "sales")
    first_offer = call.offer.offer_id
    call = await router.report_offer_outcome("c1", first_offer, "no_answer")
    with pytest.raises(StaleOffer):
        await router.report_offer_outcome("c1", first_offer, "answered")
    connected = await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    again = await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    assert again.state == "connected" and again.version == connected.version


async def test_pausing_during_wrap_up_ends_the_wrap_up(router, redis, tenant):
    await team(router, "sales", ["anna"])
    call = await router.route_call("c1", "+491701", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.hangup("c1")
    status = await router.pause("anna", "break")
    assert status.state == "paused" and status.pause_reason == "break"
    assert event_types(await read_events(redis, tenant))[-2:] == ["AGENT_WRAP_UP_ENDED", "AGENT_PAUSED"]


async def test_routing_by_dialled_number(router):
    await team(router, "sales", ["anna"], dialed_numbers=("+4930123",))
    call = await router.route_call("c1", "+491701", dialed_number="+4930123")
    assert call.queue == "sales" and call.state == "ringing"
    with pytest.raises(NotFound):
        await router.route_call("c2", "+491701", dialed_number="+4930999")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"call_id": "", "caller": "1", "queue": "sales"}, "call_id"),
        ({"call_id": "bad id", "caller": "1", "queue": "sales"}, "call_id"),
        ({"call_id": "c1", "caller": "1", "queue": ""}, "queue"),
        ({"call_id": "c1", "caller": "1\n2", "queue": "sales"}, "caller"),
        ({"call_id": "c1", "caller": "1", "queue": "sales", "attributes": {"k": "v" * 300}}, "attributes[k]"),
    ],
)
async def test_bad_route_requests_name_the_field(router, kwargs, field):
    await team(router, "sales", ["anna"])
    with pytest.raises(InvalidArgument) as refused:
        await router.route_call(**kwargs)
    assert refused.value.field == field


async def test_the_event_stream_tells_a_call_from_start_to_wrap_up_end(router, clock, redis, tenant):
    await team(router, "sales", ["anna", "boris"])
    call = await router.route_call("c1", "+491701", "sales")
    clock.advance(5)
    await router.fire_due_timers()
    call = await router.get_call("c1")
    clock.advance(2)
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    clock.advance(45)
    await router.hangup("c1")
    clock.advance(180)
    await router.fire_due_timers()
    events = [e for e in await read_events(redis, tenant) if e.call_id == "c1"]
    assert event_types(events) == [
        "CALL_RECEIVED",
        "CALL_OFFERED",
        "OFFER_MISSED",
        "CALL_OFFERED",
        "CALL_ANSWERED",
        "CALL_COMPLETED",
        "AGENT_WRAP_UP_ENDED",
    ]
    answered, completed, wrap_end = events[4], events[5], events[6]
    assert answered.duration.ToMilliseconds() == 2_000 and answered.wait.ToMilliseconds() == 7_000
    assert completed.duration.ToMilliseconds() == 45_000 and completed.agent_id == "boris"
    assert wrap_end.duration.ToMilliseconds() == 180_000


async def test_login_and_received_events_carry_queues_and_attributes(router, redis, tenant):
    await team(router, "sales", ["anna"])
    await router.route_call("c1", "+491701", "sales", attributes={"lead_id": "L-42"})
    events = await read_events(redis, tenant)
    login = next(e for e in events if event_types([e]) == ["AGENT_LOGGED_IN"])
    received = next(e for e in events if event_types([e]) == ["CALL_RECEIVED"])
    assert list(login.queues) == ["sales"] and dict(received.attributes) == {"lead_id": "L-42"}


async def test_a_supervisor_may_force_the_end_of_a_wrap_up_or_extend_it(router, clock, redis, tenant):
    await team(router, "sales", ["anna"], wrap_up_ms=60_000)
    call = await router.route_call("c1", "+491701", "sales")
    await router.report_offer_outcome("c1", call.offer.offer_id, "answered")
    await router.hangup("c1")
    with pytest.raises(NotAllowed):
        await router.end_wrap_up("anna")
    status = await router.extend_wrap_up("anna", 30_000)
    assert status.wrap_up_ends_ms == clock.now_ms() + 90_000
    clock.advance(60)
    await router.fire_due_timers()
    assert (await router.get_agent("anna"))[1].state == "wrap_up"
    clock.advance(30)
    await router.fire_due_timers()
    assert (await router.get_agent("anna"))[1].state == "available"
    call = await router.route_call("c2", "+491702", "sales")
    await router.report_offer_outcome("c2", call.offer.offer_id, "answered")
    await router.hangup("c2")
    status = await router.end_wrap_up("anna", force=True)
    assert status.state == "available"
    ended = [e for e in await read_events(redis, tenant) if event_types([e]) == ["AGENT_WRAP_UP_ENDED"]]
    assert [e.reason for e in ended] == ["timer", "ended_by_supervisor"]
    with pytest.raises(InvalidArgument, match="extra"):
        await router.extend_wrap_up("anna", 0)
