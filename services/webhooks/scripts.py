"""The webhooks Lua scripts, each one transition, registered once per client."""

from __future__ import annotations

import importlib.resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from callcenter.services.webhooks.keys import lua_preamble

NAMES = (
    "enqueue",
    "claim",
    "settle",
    "replay",
    "create",
    "delete",
    "rotate",
    "pause",
    "crm_claim",
    "crm_record",
    "crm_release",
)


def source(name: str) -> str:
    """The key model (keys.py), lib.lua, then the script."""
    folder = importlib.resources.files("callcenter.services.webhooks") / "scripts"
    text: str = (folder / "lib.lua").read_text() + (folder / f"{name}.lua").read_text()
    return str(lua_preamble()) + text


class Scripts:
    """`scripts.claim(keys=[prefix], args=[...])` and so on."""

    def __init__(self, redis: aioredis.Redis) -> None:
        for name in NAMES:
            setattr(self, name, redis.register_script(source(name)))

    enqueue: AsyncScript
    claim: AsyncScript
    settle: AsyncScript
    replay: AsyncScript
    create: AsyncScript
    delete: AsyncScript
    rotate: AsyncScript
    pause: AsyncScript
    crm_claim: AsyncScript
    crm_record: AsyncScript
    crm_release: AsyncScript
