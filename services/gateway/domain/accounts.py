"""User administration: admins list, create and delete users and set anyone's password; every
user may change their own password, giving the old one. The users are kept by ../users.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from callcenter.core.errors import NotFound, PermissionDenied

from ..users import User, UserStore
from . import access
from .errors import Conflict


async def list_users(user: User, users: UserStore) -> list[User]:
    access.require_role(user, "admin")
    return await users.list()


async def create_user(
    user: User,
    users: UserStore,
    username: str,
    password: str,
    role: str,
    agent_id: str,
    teams: tuple[str, ...],
    channels: tuple[str, ...] = (),
) -> User:
    access.require_role(user, "admin")
    return await users.create(username, password, role, agent_id=agent_id, teams=teams, channels=channels)


async def change_password(
    user: User,
    users: UserStore,
    username: str,
    password: str,
    old_password: str,
    authenticate: Callable[[str, str], Awaitable[User | None]] | None = None,
) -> User:
    """Sets the password of `username`; every session of theirs ends. Returns the user changed.
    `authenticate` checks the old password (the login throttle's, so a stolen session cannot
    guess it faster than a login could; by default the store's)."""
    if user.role != "admin":
        if username.lower() != user.username.lower():
            raise NotFound(f"user {username} does not exist")
        if await (authenticate or users.authenticate)(user.username, old_password) is None:
            raise PermissionDenied("old_password: is wrong", "old_password")
    return await users.set_password(username, password)


async def update_user(
    user: User,
    users: UserStore,
    username: str,
    role: str,
    agent_id: str,
    teams: tuple[str, ...],
    channels: tuple[str, ...] = (),
) -> User:
    """An admin changes a user's role, agent, teams or channels; the user's sessions end. An admin
    cannot take the admin role from themselves (the site would have nobody to give it back)."""
    access.require_role(user, "admin")
    if username.lower() == user.username.lower() and role != "admin":
        raise Conflict("role", "an admin cannot take the admin role from themselves")
    return await users.update(username, role, agent_id=agent_id, teams=teams, channels=channels)


async def delete_user(user: User, users: UserStore, username: str) -> None:
    """Removes a user; their sessions stop working at their next request."""
    access.require_role(user, "admin")
    if username.lower() == user.username.lower():
        raise Conflict("username", "an admin cannot delete themselves")
    if not await users.delete(username):
        raise NotFound(f"user {username} does not exist")
