"""The event streams' keepalive (CALLCENTER_GATEWAY_STREAM_KEEPALIVE_S, here 50 ms), on a real
gateway, router and Redis: a quiet stream writes a `: keepalive` comment, and at that point
checks its session again, so a logged-out user's stream ends with no event to wake it."""

from __future__ import annotations

import asyncio

import pytest

from callcenter.services.gateway.config import Quotas
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import team_in_router

BASE = "/api/v1/conversations"
pytestmark = pytest.mark.usefixtures("gateway_quotas")  # named, so the gateway fixture takes them


@pytest.fixture
def gateway_quotas():
    return Quotas(stream_keepalive_s=0.05)


@pytest.fixture
async def desk(gateway):
    """Queues sales and support with their agents logged in; the widget's backend "widget"
    serving support, and "sam" supervising sales."""
    await team_in_router(gateway.router_port)
    await gateway.users.create("widget", PASSWORD, "messaging", teams=("support",))
    await gateway.users.create("sam", PASSWORD, "supervisor", teams=("sales",))
    return gateway


async def lines_until(reply, wanted, timeout: float = 5.0) -> list[str]:
    """The stream's lines up to and including the first `wanted` accepts; the list ends with
    None when the server ended the stream first."""

    async def read() -> list:
        seen: list = []
        while True:
            raw = await reply.content.readline()
            if not raw:
                return [*seen, None]
            seen.append(raw.decode().rstrip("\n"))
            if wanted(seen[-1]):
                return seen

    return await asyncio.wait_for(read(), timeout)


def keepalive(line: str) -> bool:
    return line == ": keepalive"


async def test_a_quiet_conversation_stream_writes_a_keepalive_and_there_ends_once_its_user_logged_out(desk):
    widget = await desk.login("widget")
    body = {"conversation_id": "c-1", "channel": "webchat", "queue": "support", "message_id": "c-1-m1", "text": "hi"}
    assert (await widget.post(BASE + "/messages", json=body, headers=csrf(widget))).status == 200
    async with widget.get(f"{BASE}/c-1/messages/stream") as reply:
        assert reply.status == 200
        opening = await lines_until(reply, keepalive)
        assert "id: c-1-m1" in opening and opening[-1] == ": keepalive"  # nothing happened: the comment
        assert (await lines_until(reply, keepalive))[-1] == ": keepalive"  # and again, while the session lives
        assert (await widget.post("/api/v1/logout", headers=csrf(widget))).status == 200
        # no event wakes the stream: the next keepalive's session check ends it, writing nothing more
        rest = await lines_until(reply, lambda line: False)
        assert rest[-1] is None
        assert not [line for line in rest[:-1] if line and not line.startswith(":")]


async def test_a_quiet_live_feed_writes_a_keepalive_and_there_ends_once_its_user_logged_out(desk):
    sam = await desk.login("sam")
    async with sam.get("/api/v1/events") as reply:
        assert reply.status == 200
        assert (await lines_until(reply, keepalive))[-1] == ": keepalive"
        assert (await sam.post("/api/v1/logout", headers=csrf(sam))).status == 200
        assert (await lines_until(reply, lambda line: False))[-1] is None
