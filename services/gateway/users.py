"""Gateway users (people who log in to the dashboard and the API), kept in Redis.

Roles: admin (everything), supervisor (the teams = queues they supervise), agent (only their
own agent's calls, leads, recordings, tasks and conversations; S0.5), messaging (a chat
widget's backend or messaging gateway: posts customers' messages to the queues it serves, its
teams, and reads the replies customers may see of those queues' conversations, nothing else;
domain/conversations.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import secrets
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from callcenter.core.audit import current_actor
from callcenter.core.config import key_prefix
from callcenter.core.errors import AlreadyExists, InvalidArgument, NotFound
from callcenter.core.event_stream import append_action
from callcenter.core.queue_settings import NAME_RE
from callcenter.services.gateway.passwords import (
    DUMMY_HASH,
    MAX_LENGTH,
    MIN_LENGTH,
    PasswordWorkers,
    hash_password,
    verify_password,
)

ROLES = ("admin", "supervisor", "agent", "messaging")
MAX_TEAMS = 50
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


class UserError(InvalidArgument):
    """A request about users the gateway refuses; `field` names the culprit."""


class UserExists(UserError, AlreadyExists):
    """The username is taken: refused as AlreadyExists, and still a UserError to the CLI."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    agent_id: str = ""  # the router agent this user is (role agent)
    # The queues a supervisor supervises, or a messaging user serves (posts to and reads of).
    teams: tuple[str, ...] = field(default_factory=tuple)
    # The channels a messaging user serves of its queues (empty: every channel).
    channels: tuple[str, ...] = ()
    # Random per created user: sessions carry it, so a session of a deleted user never
    # comes back with a new user of the same name.
    uid: str = ""
    # The router's teams (S2.3) of this request (domain/teams.py, read at each API request,
    # never stored with the user): those a supervisor supervises, or an agent is a member of;
    # and, for a supervisor, their members, whom they see and steer like their queues' agents.
    router_teams: tuple[str, ...] = ()
    team_agents: frozenset[str] = frozenset()

    def public(self) -> dict:
        return {
            "username": self.username,
            "role": self.role,
            "agent_id": self.agent_id,
            "teams": list(self.teams),
            "channels": list(self.channels),
        }


def check_new_user(
    username: str, password: str, role: str, agent_id: str, teams: tuple[str, ...], channels: tuple[str, ...] = ()
) -> None:
    if not USERNAME.match(username or ""):
        raise UserError("username", "1-64 letters, digits or _.@- are required")
    if not MIN_LENGTH <= len(password or "") <= MAX_LENGTH:
        raise UserError("password", f"must be {MIN_LENGTH}-{MAX_LENGTH} characters")
    check_profile(role, agent_id, teams, channels)


def check_profile(role: str, agent_id: str, teams: tuple[str, ...], channels: tuple[str, ...] = ()) -> None:
    """What a user is: a role, the agent an agent is, the teams (queues) a supervisor
    supervises or a messaging user serves, and the channels of those a messaging user serves."""
    if role not in ROLES:
        raise UserError("role", f"must be one of {', '.join(ROLES)}")
    if role == "agent" and not agent_id:
        raise UserError("agent_id", "is required for role agent")
    if role == "supervisor" and not teams:
        raise UserError("teams", "a supervisor supervises at least one team (queue)")
    if role == "messaging" and agent_id:
        raise UserError("agent_id", "a messaging user is no agent")
    if role == "messaging" and not teams:
        raise UserError("teams", "a messaging user serves at least one queue (its teams)")
    # Names as the router has them (an agent's id, a queue's name): nothing else can match.
    if agent_id and not NAME_RE.fullmatch(agent_id):
        raise UserError("agent_id", "must be an agent's id: 1-64 letters, digits or _.-")
    if len(teams) > MAX_TEAMS or not all(NAME_RE.fullmatch(team) for team in teams):
        raise UserError("teams", f"at most {MAX_TEAMS} queue names of 1-64 letters, digits or _.-")
    if channels and role != "messaging":
        raise UserError("channels", "only a messaging user serves channels")
    if len(channels) > MAX_TEAMS or not all(NAME_RE.fullmatch(channel) for channel in channels):
        raise UserError("channels", f"at most {MAX_TEAMS} channel names of 1-64 letters, digits or _.-")


class UserStore:
    def __init__(self, redis: aioredis.Redis, tenant: str, passwords: PasswordWorkers | None = None) -> None:
        """`passwords`: the gateway's bounded password workers; without, each hash runs in a
        thread of the loop's default pool (the CLI, tests). Never on the event loop."""
        self.redis = redis
        self.prefix = key_prefix(tenant) + "gw:"
        self.passwords = passwords
        self.tenant = tenant

    async def _hash(self, password: str) -> str:
        if self.passwords is None:
            return await asyncio.to_thread(hash_password, password)
        return await self.passwords.hash(password)

    async def _verify(self, password: str, stored: str) -> bool:
        if self.passwords is None:
            return await asyncio.to_thread(verify_password, password, stored)
        return await self.passwords.verify(password, stored)

    def _key(self, username: str) -> str:
        return f"{self.prefix}user:{username.lower()}"

    async def create(
        self,
        username: str,
        password: str,
        role: str,
        agent_id: str = "",
        teams: tuple[str, ...] = (),
        channels: tuple[str, ...] = (),
    ) -> User:
        check_new_user(username, password, role, agent_id, tuple(teams), tuple(channels))
        user = User(
            username=username,
            role=role,
            agent_id=agent_id,
            teams=tuple(teams),
            channels=tuple(channels),
            uid=secrets.token_hex(8),
        )
        actor = current_actor.get()
        fields = {**self._fields(user), "password": await self._hash(password)}
        fields["created_by"] = actor.name if actor else ""  # who (audit.py); "" for the CLI
        created = await self.redis.hsetnx(self._key(username), "username", username)
        if not created:
            raise UserExists("username", f"{username} already exists")
        await self.redis.hset(self._key(username), mapping=fields)
        await self.redis.sadd(self.prefix + "users", username.lower())
        await self._audit("USER_CREATED", username, role=role)
        return user

    async def _audit(self, event_type: str, username: str, **attributes: str) -> None:
        """The change as an action on the event stream (append_action: none from the CLI)."""
        await append_action(self.redis, self.tenant, event_type, attributes={"username": username, **attributes})

    @staticmethod
    def _fields(user: User) -> dict:
        return {
            "username": user.username,
            "role": user.role,
            "agent_id": user.agent_id,
            "teams": json.dumps(list(user.teams)),
            "channels": json.dumps(list(user.channels)),
            "uid": user.uid,
        }

    async def get(self, username: str) -> User | None:
        h = await self.redis.hgetall(self._key(username))
        return _user(h) if h.get("role") else None

    async def get_many(self, usernames: list[str]) -> list[User | None]:
        """get() of many users in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in usernames:
                pipe.hgetall(self._key(name))
            found = await pipe.execute() if usernames else []
        return [_user(h) if h.get("role") else None for h in found]

    async def list(self) -> list[User]:
        names = sorted(await self.redis.smembers(self.prefix + "users"))
        async with self.redis.pipeline(transaction=False) as pipe:  # one round trip for all
            for name in names:
                pipe.hgetall(self._key(name))
            found = await pipe.execute() if names else []
        return [_user(h) for h in found if h.get("role")]

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password is right; None otherwise (same cost either way)."""
        h = await self.redis.hgetall(self._key(username or "-"))
        ok = await self._verify(password or "", h.get("password", DUMMY_HASH))
        return _user(h) if ok and h.get("role") else None

    async def set_password(self, username: str, password: str) -> User:
        """Sets a new password and a new uid: every session of the user ends. Returns the user."""
        if not MIN_LENGTH <= len(password or "") <= MAX_LENGTH:
            raise UserError("password", f"must be {MIN_LENGTH}-{MAX_LENGTH} characters")
        user = await self.get(username)
        if user is None:
            raise NotFound(f"user {username} does not exist")
        uid = secrets.token_hex(8)
        await self.redis.hset(self._key(username), mapping={"password": await self._hash(password), "uid": uid})
        await self._audit("USER_PASSWORD_SET", user.username)
        return dataclasses.replace(user, uid=uid)

    async def update(
        self,
        username: str,
        role: str,
        agent_id: str = "",
        teams: tuple[str, ...] = (),
        channels: tuple[str, ...] = (),
    ) -> User:
        """Gives a user another role, agent, teams or channels, and a new uid: every session of
        theirs ends (what a session may do was decided by the old profile). Returns the user."""
        check_profile(role, agent_id, tuple(teams), tuple(channels))
        user = await self.get(username)
        if user is None:
            raise NotFound(f"user {username} does not exist")
        changed = User(
            username=user.username,
            role=role,
            agent_id=agent_id,
            teams=tuple(teams),
            channels=tuple(channels),
            uid=secrets.token_hex(8),
        )
        await self.redis.hset(self._key(username), mapping=self._fields(changed))
        await self._audit("USER_UPDATED", user.username, role=role)
        return changed

    async def delete(self, username: str) -> bool:
        """Removes a user; their sessions stop working at their next request."""
        removed = await self.redis.delete(self._key(username))
        await self.redis.srem(self.prefix + "users", username.lower())
        if removed:
            await self._audit("USER_DELETED", username)
        return bool(removed)

    async def count(self) -> int:
        return await self.redis.scard(self.prefix + "users")


def _user(h: dict) -> User:
    return User(
        username=h["username"],
        role=h["role"],
        agent_id=h.get("agent_id", ""),
        teams=tuple(json.loads(h.get("teams") or "[]")),  # a record without them: none (a messaging user's: no queue)
        channels=tuple(json.loads(h.get("channels") or "[]")),  # a record without them: every channel
        uid=h.get("uid", ""),
    )
