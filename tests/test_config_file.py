"""The TOML file of queues and agents (services/router/config_file.py): the bundled example
loads, every kind of bad entry is a ConfigError that names the entry and the field, and
applying a file again changes nothing."""

from __future__ import annotations

import pathlib

import pytest

from callcenter.cli import _example_config
from callcenter.core.config import ConfigError
from callcenter.services.router.config_file import apply_config_file

EXAMPLE = _example_config()

QUEUE = '[[queues]]\nname = "sales"\n'
AGENT = '[[agents]]\nid = "anna"\nendpoint = "sip:1001@pbx"\nqueues = ["sales"]\n'


def write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "queues.toml"
    path.write_text(text)
    return path


async def test_the_bundled_example_loads_with_every_setting_it_declares(router):
    assert await apply_config_file(router, EXAMPLE) == (2, 3)

    sales, counts = await router.get_queue("sales")
    assert (sales.ring_timeout_ms, sales.wrap_up_ms, sales.strategy, sales.max_wait_ms) == (
        5_000,
        180_000,
        "longest_idle",
        300_000,
    )
    assert sales.allow_early_wrap_up_end and sales.sticky and sales.dialed_numbers == ("+4930100100",)
    assert (sales.vip_min_tier, sales.vip_overflow_ms, sales.manager_wait_ms) == (2, 30_000, 5_000)
    assert (sales.max_no_answer, sales.max_queue_length, sales.overflow_queue) == (3, 20, "support")
    assert counts.waiting == 0 and counts.available_agents == 0
    support, _ = await router.get_queue("support")
    assert (support.strategy, support.wrap_up_ms, support.fallback) == ("round_robin", 60_000, "voicemail:support")
    assert (support.chat_capacity, support.first_response_ms, support.reply_ms) == (4, 45_000, 180_000)
    assert await router.store.queue_for_number("+4930100200") == "support"

    agents = {profile.id: profile for profile, _ in await router.list_agents()}
    assert sorted(agents) == ["anna", "boris", "csilla"]
    assert agents["boris"].queues == ("sales", "support") and agents["boris"].skills == {"ru": 5, "de": 2}
    assert (agents["anna"].endpoint, agents["anna"].tier) == ("sip:1001@pbx.local", 3)


async def test_a_queue_that_overflows_into_one_declared_after_it_loads(router, tmp_path):
    path = write(tmp_path, '[[queues]]\nname = "a"\noverflow_queue = "b"\n\n[[queues]]\nname = "b"\n')
    assert await apply_config_file(router, path) == (2, 0)
    assert (await router.get_queue("a"))[0].overflow_queue == "b"


async def test_applying_a_file_again_changes_nothing_and_keeps_agents_state(router, redis):
    await apply_config_file(router, EXAMPLE)
    await router.login("anna")
    before_queues = await router.list_queues()
    before_agents = await router.list_agents()
    before_dids = await redis.hgetall(router.store.keys.dialed_numbers)
    before_events = await redis.xlen(router.store.keys.events)

    assert await apply_config_file(router, EXAMPLE) == (2, 3)

    assert await router.list_queues() == before_queues
    assert await router.list_agents() == before_agents
    assert (await router.get_agent("anna"))[1].state == "available"
    assert await redis.hgetall(router.store.keys.dialed_numbers) == before_dids
    assert await redis.xlen(router.store.keys.events) == before_events, "a re-applied file is not a transition"


# (file text, what the error must name): one case per kind of mistake.
BAD_ENTRIES = {
    "toml syntax": ('[[queues]]\nname = "sales\n', ["queues.toml", "line 2"]),
    "unknown queue key": (QUEUE + "ring_timeout = 5\n", ["queues[0]", "unknown keys ['ring_timeout']"]),
    "seconds as text": (QUEUE + 'ring_timeout_s = "5"\n', ["queues[0]", "ring_timeout_s: must be a number of seconds"]),
    "whole number as fraction": (
        QUEUE + "max_no_answer = 1.5\n",
        ["queues[0]", "max_no_answer: must be a whole number"],
    ),
    "negative time": (QUEUE + "max_wait_s = -1\n", ["queues[0]", "max_wait_s: must not be negative"]),
    "unknown strategy": (QUEUE + 'strategy = "random"\n', ["queues[0]", "strategy:", "'random'"]),
    "queue without name": ("[[queues]]\nring_timeout_s = 5\n", ["queues[0]", "queue.name: is required"]),
    "bad queue name": ('[[queues]]\nname = "sales team"\n', ["queues[0]", "queue.name", "'sales team'"]),
    "missing overflow queue": (
        QUEUE + 'overflow_queue = "nowhere"\n',
        ["queues[0]", "queue.overflow_queue", "nowhere"],
    ),
    "overflow into itself": (QUEUE + 'overflow_queue = "sales"\n', ["queues[0]", "queue.overflow_queue"]),
    "skill order": (QUEUE + 'skill_order = "best"\n', ["queues[0]", "skill_order:", "'best'"]),
    "dialled number taken": (
        QUEUE + 'dialed_numbers = ["+49301"]\n[[queues]]\nname = "support"\ndialed_numbers = ["+49301"]\n',
        ["queues[1]", "queue.dialed_numbers", "+49301 already belongs to queue sales"],
    ),
    "bad dialled number": (QUEUE + 'dialed_numbers = ["+49 301"]\n', ["queues[0]", "dialed_numbers[0]:"]),
    "unknown agent key": (QUEUE + AGENT + 'email = "a@b"\n', ["agents[0]", "agent.email: is not a field of an agent"]),
    "agent without endpoint": (QUEUE + '[[agents]]\nid = "anna"\n', ["agents[0]", "agent.endpoint", "is required"]),
    "agent of a missing queue": (
        QUEUE + '[[agents]]\nid = "anna"\nendpoint = "sip:1"\nqueues = ["nope"]\n',
        ["agents[0]", "agent.queues[0]", "queue nope does not exist"],
    ),
    "skill level out of range": (QUEUE + AGENT + "skills = { de = 101 }\n", ["agents[0]", "agent.skills[de]"]),
    "negative tier": (QUEUE + AGENT + "tier = -1\n", ["agents[0]", "agent.tier"]),
}


@pytest.mark.parametrize("text, named", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
async def test_a_bad_entry_is_a_config_error_naming_the_entry_and_field(router, tmp_path, text, named):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        await apply_config_file(router, path)
    for part in named:
        assert part in str(raised.value)


async def test_a_missing_file_is_a_config_error_naming_it(router, tmp_path):
    with pytest.raises(ConfigError, match="absent.toml"):
        await apply_config_file(router, tmp_path / "absent.toml")


# Mistakes the loader does not catch yet (see the report of the foundation issue).
LOOSE_ENTRIES = {
    "queue entry not a table": ('queues = ["sales"]\n', ["queues[0]", "must be a table"]),
    "queues as one table": ('[queues]\nname = "sales"\n', ["queues", "array of tables"]),
    "boolean as text": (QUEUE + 'sticky = "false"\n', ["queues[0]", "sticky"]),
    "dialled numbers as text": (QUEUE + 'dialed_numbers = "+4930100100"\n', ["queues[0]", "dialed_numbers"]),
    "tier as text": (QUEUE + AGENT + 'tier = "senior"\n', ["agents[0]", "tier"]),
}


@pytest.mark.parametrize("text, named", LOOSE_ENTRIES.values(), ids=LOOSE_ENTRIES.keys())
async def test_a_value_of_the_wrong_type_is_a_config_error_naming_the_field(router, tmp_path, text, named):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        await apply_config_file(router, path)
    for part in named:
        assert part in str(raised.value)


FULL_QUEUE = '[[queues]]\nname = "tiny"\nmax_queue_length = 1\nfallback = "voicemail:tiny"\n'


async def test_a_full_queue_of_the_file_sends_calls_to_its_fallback(router, tmp_path):
    await apply_config_file(router, write(tmp_path, FULL_QUEUE))
    assert (await router.route_call("c1", "+491", "tiny")).state == "waiting"
    redirected = await router.route_call("c2", "+492", "tiny")
    assert (redirected.state, redirected.redirect_to) == ("redirected", "voicemail:tiny")


async def test_a_redirected_call_stays_redirected_when_the_pbx_hangs_it_up(router, redis, tmp_path):
    await apply_config_file(router, write(tmp_path, FULL_QUEUE))
    await router.route_call("c1", "+491", "tiny")
    await router.route_call("c2", "+492", "tiny")
    assert (await router.hangup("c2")).state == "redirected"
    last = await redis.xrevrange(router.store.keys.events, count=1)
    assert last[0][1]["type"] == "CALL_OVERFLOWED", "a final call must not get a second final event"


def test_a_setting_beyond_its_bound_is_refused_naming_the_key(tmp_path):
    import asyncio  # noqa: F401 - the other tests' style: run through the router below

    from callcenter.core import queue_settings

    with pytest.raises(queue_settings.SettingError) as refused:
        queue_settings.from_toml({"name": "q", "ring_timeout_s": 10_000 * 365 * 86_400})
    assert str(refused.value) == "ring_timeout_s: must be at most 1 hour"


async def test_queues_overflowing_in_a_chain_load_in_any_order(router, tmp_path):
    from callcenter.services.router.config_file import apply_config_file

    path = tmp_path / "chain.toml"
    path.write_text(
        '[[queues]]\nname = "c"\n'
        '[[queues]]\nname = "a"\noverflow_queue = "b"\n'
        '[[queues]]\nname = "b"\noverflow_queue = "c"\n'
    )
    assert await apply_config_file(router, path) == (3, 0)
    queue, _ = await router.get_queue("a")
    assert queue.overflow_queue == "b"


async def test_queues_overflowing_into_each_other_in_a_loop_are_refused_naming_the_loop(router, tmp_path):
    path = write(
        tmp_path,
        '[[queues]]\nname = "c"\n'
        '[[queues]]\nname = "a"\noverflow_queue = "b"\n'
        '[[queues]]\nname = "b"\noverflow_queue = "d"\n'
        '[[queues]]\nname = "d"\noverflow_queue = "a"\n',
    )
    with pytest.raises(ConfigError) as refused:
        await apply_config_file(router, path)
    assert str(refused.value) == (
        f"{path}: queues overflow into each other in a loop:"
        " a (queues[1]) -> b (queues[2]) -> d (queues[3]) -> a (queues[1])"
    )
    assert await router.list_queues() == [], "nothing of a refused file is written"


async def test_an_overflow_target_neither_in_the_file_nor_existing_is_refused_before_anything_is_written(
    router, tmp_path
):
    path = write(tmp_path, '[[queues]]\nname = "a"\n[[queues]]\nname = "b"\noverflow_queue = "nowhere"\n')
    with pytest.raises(ConfigError) as refused:
        await apply_config_file(router, path)
    assert str(refused.value) == (
        f"{path}: queues[1]: queue.overflow_queue: queue nowhere is neither in this file nor an existing queue"
    )
    assert await router.list_queues() == []


async def test_an_overflow_target_that_exists_already_needs_not_be_in_the_file(router, tmp_path):
    await router.upsert_queue("existing")
    path = write(tmp_path, '[[queues]]\nname = "a"\noverflow_queue = "existing"\n')
    assert await apply_config_file(router, path) == (1, 0)
    assert (await router.get_queue("a"))[0].overflow_queue == "existing"


async def test_a_longer_chain_declared_backwards_loads_targets_first(router, tmp_path):
    path = write(
        tmp_path,
        "".join(f'[[queues]]\nname = "q{i}"\noverflow_queue = "q{i + 1}"\n' for i in range(5))
        + '[[queues]]\nname = "q5"\n',
    )
    assert await apply_config_file(router, path) == (6, 0)
    assert [(await router.get_queue(f"q{i}"))[0].overflow_queue for i in range(6)] == ["q1", "q2", "q3", "q4", "q5", ""]


TEAM = '[[teams]]\nteam_id = "north"\nname = "North"\nmember_agent_ids = ["anna"]\nsupervisor_usernames = ["sam"]\n'


async def test_teams_of_the_file_load_after_the_agents_and_again_write_no_event(router, redis, tenant, tmp_path):
    from callcenter.core.event_stream import stream_key

    path = write(tmp_path, QUEUE + AGENT + TEAM)
    await apply_config_file(router, path)
    await apply_config_file(router, path)
    team = await router.get_team("north")
    assert (team.name, team.member_agent_ids, team.supervisor_usernames) == ("North", ("anna",), ("sam",))
    types = [f["type"] for _, f in await redis.xrange(stream_key(tenant))]
    assert types.count("TEAM_UPDATED") == 1  # the second start changed nothing


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (QUEUE + AGENT + TEAM + 'leader = "anna"\n', ["teams[0]", "leader"]),
        (QUEUE + AGENT + TEAM.replace('["anna"]', '"anna"'), ["teams[0]", "member_agent_ids"]),
        (QUEUE + TEAM, ["teams[0]", "agent anna does not exist"]),
        (QUEUE + AGENT + TEAM.replace('"north"', '"no way"'), ["teams[0]", "team.team_id"]),
    ],
)
async def test_a_bad_team_is_a_config_error_naming_the_entry_and_field(router, tmp_path, text, named):
    with pytest.raises(ConfigError) as raised:
        await apply_config_file(router, write(tmp_path, text))
    for part in named:
        assert part in str(raised.value)
