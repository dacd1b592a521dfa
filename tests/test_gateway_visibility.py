"""What a supervisor may see is worked out with one read of the agents per request, and
their pages of recordings are full when more are behind (no empty page 1 with a token)."""

from __future__ import annotations

from callcenter.services.gateway.domain.access import Visibility
from callcenter.services.gateway.users import User


async def test_a_supervisor_sees_their_teams_agents_with_one_read_of_the_agents():
    reads = 0

    async def agent_queues():
        nonlocal reads
        reads += 1
        return {"anna": ["sales"], "boris": ["support"]}

    supervisor = User(username="sue", role="supervisor", teams=("sales",))
    seen = Visibility(supervisor, agent_queues)
    assert [await seen.sees_agent(a) for a in ("anna", "boris", "anna", "ghost")] == [True, False, True, False]
    assert reads == 1
    agent = Visibility(User(username="anna", role="agent", agent_id="anna"), agent_queues)
    assert [await agent.sees_agent(a) for a in ("anna", "boris", "")] == [True, False, False]
    assert reads == 1  # an agent's rights need no read at all
