"""The simulator plays chats (ConversationService) beside its calls against a real router
replica: customers write, the agents holding the chats reply and close them; the event stream
agrees with the simulator's counters (tools/simulator/chats.py)."""

from __future__ import annotations

import io
from collections import Counter

import grpc
import pytest

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc
from callcenter.tools.simulator import Simulation
from callcenter.tools.simulator.config import Spread, parse_weights
from tests.helpers import event_types, read_events
from tests.simulator_scenes import tiny_config


def chat_config(router: str, **overrides):
    """Calls and chats for 1.5 s of wall time at speed 100 (150 simulated seconds): about 50
    chats on the support queue's 3 agents (room for 2 per channel each, so some wait in the
    line), replies after ~5 simulated seconds, customers writing again after ~10."""
    fields = dict(
        max_calls=None,
        duration_s=1.5,
        rate_per_min=6.0,
        drain_s=2.0,
        chats_per_min=20.0,
        chat_messages=Spread(3.0, 0.4),
        chat_reply_delay=Spread(5.0, 0.4),
        chat_think=Spread(10.0, 0.4),
        chat_poll_s=1.0,
        chat_known_fraction=0.5,
    )
    return tiny_config(router, **{**fields, **overrides})


async def play(start_replica, redis, tenant, **overrides):
    replica = await start_replica()
    address = f"127.0.0.1:{replica.port}"
    out = io.StringIO()
    result = await Simulation(chat_config(address, **overrides), out=out).run()
    events = [e for e in await read_events(redis, tenant) if e.conversation_id]
    async with grpc.aio.insecure_channel(address) as channel:
        stub = conversations_pb2_grpc.ConversationServiceStub(channel)
        still_open = (await stub.ListConversations(cpb.ListConversationsRequest(page_size=500))).conversations
    return result, events, still_open, out.getvalue()


async def test_simulated_chats_are_played_end_to_end_and_the_event_stream_counts_them_alike(
    start_replica, redis, tenant
):
    result, events, still_open, summary = await play(start_replica, redis, tenant)
    chats = result.chats
    kinds = Counter(event_types(events))
    # Chats were played, each from its first message to its close, with no error.
    assert chats["chats"] >= 20 and chats["errors"] == 0 and result.counters["errors"] == 0
    assert chats["closed"] == chats["chats"] and not still_open
    assert chats["replied"] >= chats["chats"] // 2 and chats["messages"] >= chats["chats"]
    # The router saw just as many: created, assigned, replied to, closed.
    assert kinds["CONVERSATION_CREATED"] == chats["chats"]
    assert kinds["CONVERSATION_CLOSED"] == chats["closed"]
    assert kinds["CONVERSATION_ASSIGNED"] == chats["assigned"]
    assert kinds["CONVERSATION_REPLIED"] == chats["replied"]
    assert kinds["CONVERSATION_MESSAGE"] == chats["messages"]
    # Every one went to the support queue, over the weighted channels, some from known clients.
    created = [e for e in events if event_types([e]) == ["CONVERSATION_CREATED"]]
    assert {e.queue for e in created} == {"sim-support"}
    assert len({e.channel for e in created}) >= 2
    by_id = {e.conversation_id for e in created}
    assert len(by_id) == len(created) and all(cid.startswith("sim-") for cid in by_id)
    # Only the support queue's agents held them (agent02 serves sales only).
    holders = {e.agent_id for e in events if event_types([e]) == ["CONVERSATION_ASSIGNED"]}
    assert holders and holders <= {"sim-agent00", "sim-agent01", "sim-agent03"}
    assert f"chats {chats['chats']} assigned {chats['assigned']}" in summary.splitlines()[-1]


async def test_replies_slower_than_the_deadline_turn_chats_overdue(start_replica, redis, tenant):
    # One message a chat, answered after ~90 simulated seconds: past the 60 s first response.
    result, events, still_open, _ = await play(
        start_replica,
        redis,
        tenant,
        duration_s=0.8,
        chat_messages=Spread(1.0, 0.0),
        chat_reply_delay=Spread(90.0, 0.1),
        first_response_s=60.0,
    )
    chats = result.chats
    kinds = Counter(event_types(events))
    assert chats["chats"] >= 3 and chats["errors"] == 0 and not still_open
    assert kinds["CONVERSATION_OVERDUE"] >= 1
    # The agents saw the overdue mark when they opened the chat to reply; a deadline turns a
    # chat overdue once, so they never see more than the router announced.
    assert 1 <= chats["overdue_seen"] <= kinds["CONVERSATION_OVERDUE"]
    assert kinds["CONVERSATION_CLOSED"] == chats["closed"] == chats["chats"]


async def test_chats_at_rate_zero_post_nothing(start_replica, redis, tenant):
    result, events, still_open, summary = await play(
        start_replica, redis, tenant, chats_per_min=0.0, duration_s=None, max_calls=4
    )
    assert events == [] and not still_open
    assert set(result.chats.values()) == {0}
    assert result.counters["calls"] == 4 and "chats" not in summary


def test_the_chat_options_of_the_command_line_reach_the_simulation():
    import argparse

    from callcenter.tools.simulator.cli import add_arguments, config_from_args

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--chats", "5", "--chat-queues", "support,sales", "--chat-channels", "webchat=2,email"]
        + ["--chat-reply-delay", "40", "--first-response", "30", "--reply", "90", "--chat-capacity", "3"]
    )
    config = config_from_args(args)
    assert config.chats_per_min == 5 and config.chat_queues == ("support", "sales")
    assert config.chat_channels == (("webchat", 2.0), ("email", 1.0))
    assert config.chat_reply_delay.median_s == 40 and config.chat_reply_delay.sigma == 0.8
    assert (config.first_response_s, config.reply_s, config.chat_capacity) == (30, 90, 3)
    # By default the command line plays no chats (the demo asks for some).
    assert config_from_args(parser.parse_args([])).chats_per_min == 0


@pytest.mark.parametrize(
    ("overrides", "names"),
    [
        ({"chats_per_min": -1}, "chats_per_min"),
        ({"chat_queues": ("billing",)}, "chat_queues"),
        ({"chat_channels": (("webchat", 0.0),)}, "chat_channels"),
        ({"chat_known_fraction": 1.5}, "chat_known_fraction"),
        ({"chat_capacity": 0}, "chat_capacity"),
        ({"reply_s": 0}, "reply_s"),
    ],
)
def test_chat_settings_out_of_range_are_refused_naming_the_setting(overrides, names):
    with pytest.raises(ValueError, match=names):
        tiny_config("127.0.0.1:1", **overrides).validate()


def test_a_chat_weight_that_is_no_number_is_refused_naming_it():
    with pytest.raises(ValueError, match="'telegram'"):
        parse_weights("webchat=3,telegram=many")
