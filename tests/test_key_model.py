"""Each service's Redis keys are declared once (keys.py): the Python side and the Lua scripts
get them from that table, and the documented key tables list exactly those keys."""

from __future__ import annotations

import itertools
import pathlib
import re

import pytest

from callcenter.core.key_model import Key, KeySpace, lua_constants, lua_preamble
from callcenter.services.gateway import task_keys
from callcenter.services.router import keys as router_keys
from callcenter.services.stats import keys as stats_keys
from callcenter.services.webhooks import keys as webhook_keys

REPO = pathlib.Path(__file__).parent.parent
MODELS = {
    "router": (router_keys.KEYS, REPO / "services/router/scripts", REPO / "docs/architecture.md", "cc:{t}:"),
    "stats": (stats_keys.KEYS, REPO / "services/stats/scripts", REPO / "docs/stats.md", ""),
    "webhooks": (webhook_keys.KEYS, REPO / "services/webhooks/scripts", REPO / "docs/crm.md", ""),
    "gateway tasks": (
        task_keys.KEYS,
        REPO / "services/gateway/task_scripts",
        REPO / "docs/architecture.md",
        "cc:{t}:gw:",
    ),
}


def _documented(doc: pathlib.Path, prefix: str) -> set[str]:
    """The keys in the first column of the document's key table, ids as {}."""
    text = doc.read_text()
    marker = {"": "Keys", "cc:{t}:gw:": "gateway's task keys"}.get(prefix, "key model")
    section = text[text.index(marker) :]
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| `"))
    rows = list(itertools.takewhile(lambda line: line.startswith("|"), lines[first:]))  # that one table
    names = set()
    for row in rows:
        first = row.split(" | ")[0]
        for token in re.findall(r"`([^`]+)`", first):
            if token.startswith(prefix):
                names.add(re.sub(r"<[^>]+>", "{}", token.removeprefix(prefix)))
    return names


def _matches(documented: str, key: Key) -> bool:
    return re.fullmatch(re.escape(key.pattern).replace(r"\{\}", ".+"), documented) is not None


@pytest.mark.parametrize("service", MODELS)
def test_no_script_writes_a_key_name_of_its_own(service):
    _, scripts, _, _ = MODELS[service]
    written = {
        f"{path.name}:{number}": line.strip()
        for path in scripts.glob("*.lua")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\b[PS] \.\. '", line) and not line.lstrip().startswith("--")
    }
    assert written == {}


@pytest.mark.parametrize("service", MODELS)
def test_the_documented_key_table_lists_exactly_the_declared_keys(service):
    keys, _, doc, prefix = MODELS[service]
    documented = _documented(doc, prefix)
    undocumented = [k.pattern for k in keys if not any(_matches(d, k) for d in documented)]
    unknown = sorted(d for d in documented if not any(_matches(d, k) for k in keys))
    assert (undocumented, unknown) == ([], [])


def test_python_and_lua_build_the_same_key_for_any_id():
    key = Key("call_offers", "offers:{}", "hash", "")
    space = KeySpace("cc:{t}:", [key, Key("events", "events", "stream", ""), Key("pair", "a:{}:b:{}", "set", "")])
    odd_id = "a{b}:c|d%e'"  # a SIP Call-ID may hold all of these
    assert space.call_offers(odd_id) == "cc:{t}:offers:" + odd_id
    assert space.events == "cc:{t}:events"
    assert space.pair("x", 7) == "cc:{t}:a:x:b:7"
    preamble = lua_preamble([key], "P", "test")
    assert "local function k_call_offers(id) return P .. 'offers:' .. id end" in preamble
    with pytest.raises(TypeError):
        space.pair("only one")
    with pytest.raises(AttributeError):
        space.no_such_key  # noqa: B018


def test_constants_reach_lua_as_arrays_sets_and_numbers():
    text = lua_constants("test", LIVE=("waiting", "ringing"), FINAL=frozenset({"b", "a"}), CAP=86401)
    assert "local LIVE = {'waiting', 'ringing'}" in text
    assert "local FINAL = {['a'] = true, ['b'] = true}" in text
    assert "local CAP = 86401" in text
    with pytest.raises(TypeError):
        lua_constants("test", BAD=1.5)


def test_the_script_table_lists_every_router_transition():
    doc = (REPO / "docs/architecture.md").read_text()
    documented = {
        name
        for row in doc.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`(\w+)\.lua`", row.split(" | ")[0])
    }
    on_disk = {p.stem for p in (REPO / "services/router/scripts").glob("*.lua")} - {"lib"}
    assert documented == on_disk
