"""A logged-in agent's profile changed (UpsertAgent: queues, skills, tier) applies at once, on a
real Redis with a hand-driven clock: they leave the queues they lost and take at once what the
new profile lets them (update_agent.lua); what they hold stays theirs; a logged-out agent's
change touches the profile only."""

from __future__ import annotations

import contextlib

from callcenter.api.common.v1 import states_pb2 as st
from callcenter.core.audit import Actor, current_actor
from callcenter.services.router.conversations import Conversations
from tests.helpers import event_types, read_events, team
from tests.routing_scenes import agent, events_of


async def change(router, agent_id: str, queues=("q1",), *, tier: int = 0, skills=None):
    """Saves the agent's profile anew (as UpsertAgent does), with these queues, tier and skills."""
    return await agent(router, agent_id, queues, tier=tier, skills=skills, login=False)


@contextlib.contextmanager
def acting_as(name: str):
    token = current_actor.set(Actor(name, "gw-1"))
    try:
        yield
    finally:
        current_actor.reset(token)


async def members(redis, key: str) -> set[str]:
    if await redis.type(key) == "zset":
        return set(await redis.zrange(key, 0, -1))
    return set(await redis.smembers(key))


async def test_an_agent_removed_from_a_queue_while_available_is_offered_none_of_its_calls(router, redis):
    await router.upsert_queue("q2")
    await team(router, "q1", ["anna", "boris"])  # anna idle longest: she would be first
    _profile, status = await change(router, "anna", ("q2",))
    assert (status.state, status.queues) == ("available", ("q2",))
    keys = router.store.keys
    assert "anna" not in await members(redis, keys.available("q1"))
    assert "anna" not in await members(redis, keys.online("q1"))
    assert "anna" in await members(redis, keys.available("q2")) and "anna" in await members(redis, keys.online("q2"))
    call = await router.route_call("c1", "+4900001", "q1")
    assert call.offer.agent_id == "boris"
    assert (await router.route_call("c2", "+4900002", "q2")).offer.agent_id == "anna"


async def test_an_agent_added_to_a_queue_while_available_takes_a_call_already_waiting_there(router, redis, tenant):
    await router.upsert_queue("q2")
    await team(router, "q1", ["anna"])
    waiting = await router.route_call("c1", "+4900001", "q2")
    assert waiting.state == "waiting"
    before = len(await read_events(redis, tenant))
    with acting_as("sam"):
        _profile, status = await change(router, "anna", ("q1", "q2"))
    call = await router.get_call("c1")
    assert (call.state, call.offer.agent_id) == ("ringing", "anna")
    assert (status.state, status.call_id, status.queues) == ("reserved", "c1", ("q1", "q2"))
    after = (await read_events(redis, tenant))[before:]
    assert event_types(after) == ["AGENT_UPDATED", "CALL_OFFERED"]  # one transition, the audit first
    updated, offered = after
    assert (updated.agent_id, updated.reason, updated.attributes["changed"]) == ("anna", "updated", "queues")
    assert updated.agent_state == st.AGENT_STATE_AVAILABLE  # logged in: the stats' board follows the queues
    assert (updated.actor, updated.actor_via, offered.actor) == ("sam", "gw-1", "sam")
    assert list(updated.queues) == ["q1", "q2"]  # the live feed's supervisors of q2 now see anna's events


async def test_a_logged_in_agents_queue_change_is_in_the_stream_even_when_nobody_asked(router, redis, tenant):
    """The config file (no actor) moving a logged-in agent writes AGENT_UPDATED: the stream never
    misses a change of who serves a queue; a change of skills only, nobody asking, writes none."""
    await router.upsert_queue("q2")
    await team(router, "q1", ["anna"])
    before = len(await read_events(redis, tenant))
    await change(router, "anna", ("q2",))
    await change(router, "anna", ("q2",), skills={"de": 1})
    after = (await read_events(redis, tenant))[before:]
    assert event_types(after) == ["AGENT_UPDATED"]
    assert (list(after[0].queues), after[0].agent_state, after[0].actor) == (["q2"], st.AGENT_STATE_AVAILABLE, "")


async def test_an_agent_given_the_skill_a_waiting_call_requires_takes_it_at_once(router, redis, tenant):
    await router.upsert_queue("sales", required_skills={"de": 2})
    await agent(router, "anna", skills={"en": 5})
    waiting = await router.route_call("c1", "+4900001", "sales")
    assert (waiting.state, waiting.stage) == ("waiting", "skilled")
    await change(router, "anna", ("sales",), skills={"en": 5, "de": 3})
    call = await router.get_call("c1")
    assert (call.state, call.offer.agent_id) == ("ringing", "anna")
    assert (await events_of(redis, tenant, "CALL_OFFERED"))[-1].reason == "skills"


async def test_an_agent_raised_to_the_vip_tier_takes_a_waiting_vip_call(router, redis, tenant):
    await router.upsert_queue("sales", vip_min_tier=2)
    await agent(router, "anna", tier=0)
    waiting = await router.route_call("v1", "+4900001", "sales", priority=1)
    assert (waiting.state, waiting.stage) == ("waiting", "vip")
    await change(router, "anna", ("sales",), tier=3)
    call = await router.get_call("v1")
    assert (call.state, call.offer.agent_id) == ("ringing", "anna")
    assert (await events_of(redis, tenant, "CALL_OFFERED"))[-1].reason == "vip_tier"


async def test_an_agent_lowered_below_the_vip_tier_leaves_the_vip_rotation(router, redis):
    await router.upsert_queue("sales", vip_min_tier=2)
    await agent(router, "anna", tier=3)
    keys = router.store.keys
    assert "anna" in await members(redis, keys.available_vip("sales"))
    await change(router, "anna", ("sales",), tier=1)
    assert "anna" not in await members(redis, keys.available_vip("sales"))
    assert "anna" in await members(redis, keys.available("sales"))
    assert (await router.route_call("v1", "+4900001", "sales", priority=1)).state == "waiting"


async def test_an_agent_added_to_a_chat_queue_takes_a_waiting_conversation(router):
    await router.upsert_queue("chat", chat_capacity=2)
    await team(router, "q1", ["anna"])
    conversations = Conversations(router)
    waiting = await conversations.post_customer_message("v1", "webchat", "", "chat", "", "v1-m1", "hello")
    assert (waiting.state, waiting.agent_id) == ("new", "")
    _profile, status = await change(router, "anna", ("q1", "chat"))
    taken = await conversations.get("v1")
    assert (taken.state, taken.agent_id) == ("taken", "anna")
    assert status.state == "available"  # a chat is no call: still free for calls


async def test_an_agent_on_a_call_moved_to_another_queue_keeps_it_and_after_wrap_up_gets_only_the_new_queues_calls(
    router, clock, redis
):
    await router.upsert_queue("q2")
    await team(router, "q1", ["anna"], wrap_up_ms=5_000)
    first = await router.route_call("c1", "+4900001", "q1")
    await router.report_offer_outcome("c1", first.offer.offer_id, "answered")
    _profile, status = await change(router, "anna", ("q2",))
    assert (status.state, status.call_id, status.queues) == ("on_call", "c1", ("q2",))
    assert ((await router.get_call("c1")).state, (await router.get_call("c1")).agent_id) == ("connected", "anna")
    keys = router.store.keys
    assert await members(redis, keys.online("q1")) == set() and await members(redis, keys.online("q2")) == {"anna"}
    assert "anna" not in await members(redis, keys.available("q2"))  # on a call: in no rotation
    await router.hangup("c1")
    old_queue = await router.route_call("c2", "+4900002", "q1")
    clock.advance(1)
    new_queue = await router.route_call("c3", "+4900003", "q2")
    assert old_queue.state == new_queue.state == "waiting"
    clock.advance(5)
    await router.fire_due_timers()
    assert (await router.get_call("c3")).offer.agent_id == "anna"  # though c2 waits longer
    assert (await router.get_call("c2")).state == "waiting"


async def test_a_logged_out_agents_change_touches_nothing_but_the_profile(router, redis, tenant):
    await router.upsert_queue("q2")
    await team(router, "q1", ["anna"], login=False)
    waiting = await router.route_call("c1", "+4900001", "q2")
    before = len(await read_events(redis, tenant))
    with acting_as("sam"):
        profile, status = await change(router, "anna", ("q2",), tier=2, skills={"de": 1})
    assert (profile.queues, profile.tier, profile.skills) == (("q2",), 2, {"de": 1})
    assert (status.state, status.queues) == ("logged_out", ())
    after = (await read_events(redis, tenant))[before:]
    assert event_types(after) == ["AGENT_UPDATED"]
    assert (after[0].attributes["changed"], after[0].agent_state) == ("queues,skills,tier", st.AGENT_STATE_UNSPECIFIED)
    keys = router.store.keys
    for q in ("q1", "q2"):
        for key in (keys.online(q), keys.available(q), keys.available_skilled(q), keys.available_vip(q)):
            assert await members(redis, key) == set()
    assert "session_queues" not in await redis.hgetall(keys.agent("anna"))
    assert (await router.get_call("c1")).state == waiting.state == "waiting"


async def test_a_call_waiting_for_an_agent_as_personal_manager_still_reaches_them_after_they_leave_its_queue(
    router, redis, tenant
):
    """The manager stage is the client's, whatever the queue: moving the manager to another
    queue leaves their clients' calls waiting for them (up to manager_wait), not for the queue."""
    await router.upsert_queue("q2")
    await team(router, "q1", ["anna", "boris"], wrap_up_ms=0, manager_wait_ms=60_000)
    first = await router.route_call("c1", "+4900001", "q1", personal_manager_id="anna")
    await router.report_offer_outcome("c1", first.offer.offer_id, "answered")
    waiting = await router.route_call("c2", "+4900002", "q1", personal_manager_id="anna")
    assert (waiting.state, waiting.stage) == ("waiting", "manager")  # boris is free, anna is busy
    await change(router, "anna", ("q2",))
    assert (await router.get_call("c2")).state == "waiting"
    await router.hangup("c1")
    call = await router.get_call("c2")
    assert (call.state, call.offer.agent_id) == ("ringing", "anna")
    assert (await events_of(redis, tenant, "CALL_OFFERED"))[-1].reason == "personal_manager"


async def test_an_agent_taken_out_of_a_chat_queue_keeps_the_conversations_they_hold(router):
    await router.upsert_queue("chat", chat_capacity=2)
    await team(router, "q1", ["anna"])
    await change(router, "anna", ("q1", "chat"))
    conversations = Conversations(router)
    held = await conversations.post_customer_message("v1", "webchat", "", "chat", "", "v1-m1", "hello")
    assert held.agent_id == "anna"
    await change(router, "anna", ("q1",))
    kept = await conversations.get("v1")
    assert (kept.state, kept.agent_id) == ("taken", "anna")
    await conversations.reply("v1", "anna", "v1-a1", "hi")  # still hers to answer
    new = await conversations.post_customer_message("v2", "webchat", "", "chat", "", "v2-m1", "hello")
    assert (new.state, new.agent_id) == ("new", "")  # no longer in the queue: none of its new ones
