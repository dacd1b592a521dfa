"""Who may see and do what: the role rules of the gateway in one place (S0.5, S2.2).

admin       everything
supervisor  agents who serve one of their teams (queues) or are members of a router team
            (S2.3) they supervise, and those queues' calls, leads and recordings; actions on
            those agents
agent       only themselves: their own agent, calls, leads, recordings and tasks

An object a user may not see is refused as NotFound (HTTP 404: its existence is not
revealed); an action a role may never take as PermissionDenied (HTTP 403).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from callcenter.core.errors import NotFound, PermissionDenied

from ..users import User


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise PermissionDenied(f"role {user.role} may not do this")


def sees_all(user: User) -> bool:
    return user.role == "admin"


def sees_queue(user: User, queue: str) -> bool:
    return user.role == "admin" or (user.role == "supervisor" and queue in user.teams)


def sees_agent(user: User, agent_id: str, agent_queues: Iterable[str]) -> bool:
    if user.role == "admin":
        return True
    if user.role == "supervisor":
        return agent_id in user.team_agents or bool(set(agent_queues) & set(user.teams))
    return agent_id == user.agent_id


def has_task_team(user: User, team: str, agent_queues: Iterable[str] = ()) -> bool:
    """A task's team the user belongs to (an agent: a queue they serve or router team they
    are a member of) or supervises (a supervisor: their queues and router teams)."""
    if user.role == "admin":
        return True
    router_team = team.removeprefix("team:") if team.startswith("team:") else None
    if router_team is not None:
        return router_team in user.router_teams
    return team in (user.teams if user.role == "supervisor" else set(agent_queues))


def sees_call(user: User, queue: str, agent_ids: Iterable[str]) -> bool:
    """A call record: its queue, and every agent offered it."""
    if user.role == "agent":
        return user.agent_id in set(agent_ids)
    return sees_queue(user, queue)


def may_act_on_agent(user: User, agent_id: str, agent_queues: Iterable[str], action: str) -> None:
    """Supervisor actions on agents. Agents may pause, resume, log out and end (allowed)
    wrap-ups for themselves only; everything else needs a supervisor of the agent's team."""
    if not sees_agent(user, agent_id, agent_queues):
        raise NotFound(f"agent {agent_id} does not exist")
    if user.role == "agent" and action not in ("pause", "resume", "logout", "end_wrap_up"):
        raise PermissionDenied(f"an agent may not {action.replace('_', ' ')}")


def event_view(user: User, item: dict[str, Any], agent_queues: Mapping[str, set[str]]) -> dict[str, Any] | None:
    """A live event's summary as this user may see it, or None when it is none of their
    business; `agent_queues` says which queues each agent serves (events such as
    AGENT_PAUSED name no queue)."""
    if user.role == "admin":
        return item
    if user.role == "messaging":  # the conversations of the queues it serves (domain/conversations.py)
        served = item["queue"] in user.teams and (not user.channels or item.get("channel") in user.channels)
        return item if item.get("conversation_id") and served else None
    if user.role == "agent":
        if item.get("type", "").startswith("task_") and not item["agent_id"]:  # a team task nobody took
            return item if has_task_team(user, item["queue"], agent_queues.get(user.agent_id, set())) else None
        return item if user.agent_id in (item["agent_id"], item["other_agent_id"]) else None
    teams = set(user.teams)

    def seen(agent_id: str) -> bool:
        return agent_id in user.team_agents or bool(agent_queues.get(agent_id, set()) & teams)

    if not (item["queue"] in teams or has_task_team(user, item["queue"]) or seen(item["agent_id"])):
        return None
    if item["other_agent_id"] and not seen(item["other_agent_id"]):
        item = {**item, "other_agent_id": ""}  # never name another team's agent
    return item


class Visibility:
    """What one user may see, for one request: the agents' queues are asked of the router
    once (`load_agent_queues`), however many leads, recordings or figures are then filtered
    (no request per item)."""

    def __init__(self, user: User, load_agent_queues: Callable[[], Awaitable[dict[str, list[str]]]]) -> None:
        self.user = user
        self._load = load_agent_queues
        self._queues: dict[str, list[str]] | None = None

    async def agent_queues(self) -> dict[str, list[str]]:
        if self._queues is None:
            self._queues = await self._load()
        return self._queues

    async def sees_agent(self, agent_id: str) -> bool:
        """An agent the user may see (an unknown agent is seen by admins only)."""
        if sees_all(self.user):
            return True
        if self.user.role == "agent":
            return bool(agent_id) and agent_id == self.user.agent_id
        queues = (await self.agent_queues()).get(agent_id)
        return queues is not None and sees_agent(self.user, agent_id, queues)
