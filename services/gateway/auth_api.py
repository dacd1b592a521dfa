"""Logging in and out (sessions and their cookie), who am I, and user administration (the
HTTP side of domain/accounts.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiohttp import web

from callcenter.services.gateway.domain import accounts
from callcenter.services.gateway.login_throttle import LOGINS, Throttled, client_address
from callcenter.services.gateway.passwords import PasswordsBusy
from callcenter.services.gateway.web import (
    CONFIG,
    CSRF_HEADER,
    SESSION,
    SESSION_COOKIE,
    SESSIONS,
    TOKEN,
    USERS,
    ApiError,
    accepts,
    for_messaging,
    json_reply,
    read_json,
    set_session_cookie,
    text_field,
    text_list,
    user_of,
)

routes = web.RouteTableDef()


@contextlib.contextmanager
def _password_limits() -> Iterator[None]:
    """A password check refused by the throttle is a 429, one refused for want of a worker a 503."""
    try:
        yield
    except Throttled as exc:
        raise ApiError(429, str(exc), headers={"Retry-After": str(exc.retry_after_s)}) from None
    except PasswordsBusy:
        raise ApiError(503, "too many logins at once; try again in a second", headers={"Retry-After": "1"}) from None


@routes.post("/api/v1/login")
@accepts(body=("username", "password"))
async def login(request: web.Request) -> web.Response:
    """A JSON body only (read_json: no form or text/plain, so no cross-site form logs anyone
    in); throttled per user and per client address (login_throttle.py)."""
    body = await read_json(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not username:
        raise ApiError(400, "username: is required", "username")
    if not isinstance(password, str) or not password:
        raise ApiError(400, "password: is required", "password")
    address = client_address(request, request.app[LOGINS].proxies)
    with _password_limits():
        user = await request.app[LOGINS].log_in(request.app[USERS], username, password, address)
    if user is None:
        raise ApiError(401, "wrong username or password")
    token, session = await request.app[SESSIONS].create(user.username, user.uid)
    response = json_reply({"user": user.public(), "token": token, "csrf_token": session.csrf_token})
    set_session_cookie(response, request.app[CONFIG], token)
    return response


@routes.post("/api/v1/logout")
@accepts()
@for_messaging
async def logout(request: web.Request) -> web.Response:
    await request.app[SESSIONS].delete(request[TOKEN])
    response = json_reply({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@routes.get("/api/v1/me")
@accepts()
@for_messaging
async def me(request: web.Request) -> web.Response:
    return json_reply(
        {"user": user_of(request).public(), "csrf_token": request[SESSION].csrf_token, "csrf_header": CSRF_HEADER}
    )


@routes.get("/api/v1/users")
@accepts()
async def list_users(request: web.Request) -> web.Response:
    found = await accounts.list_users(user_of(request), request.app[USERS])
    return json_reply({"users": [u.public() for u in found]})


@routes.post("/api/v1/users")
@accepts(body=("username", "password", "role", "agent_id", "teams", "channels"))
async def create_user(request: web.Request) -> web.Response:
    body = await read_json(request)
    user = await accounts.create_user(
        user_of(request),
        request.app[USERS],
        text_field(body, "username"),
        text_field(body, "password"),
        text_field(body, "role"),
        agent_id=text_field(body, "agent_id"),
        teams=tuple(text_list(body, "teams")),
        channels=tuple(text_list(body, "channels")),
    )
    return json_reply({"user": user.public()}, 201)


@routes.post("/api/v1/users/{username}/password")
@accepts(body=("password", "old_password"))
async def change_password(request: web.Request) -> web.Response:
    """Admins set anyone's password; every user may change their own (giving the old one)."""
    user, body = user_of(request), await read_json(request)
    logins, users = request.app[LOGINS], request.app[USERS]
    address = client_address(request, logins.proxies)
    with _password_limits():
        changed = await accounts.change_password(
            user,
            users,
            request.match_info["username"],
            password=text_field(body, "password"),
            old_password=text_field(body, "old_password"),
            authenticate=lambda name, password: logins.log_in(users, name, password, address),
        )
    # Every session of the user ended with the change; whoever changed their own password
    # gets a new one at once.
    if changed.username.lower() != user.username.lower():
        return json_reply({"ok": True})
    token, session = await request.app[SESSIONS].create(changed.username, changed.uid)
    response = json_reply({"ok": True, "token": token, "csrf_token": session.csrf_token})
    set_session_cookie(response, request.app[CONFIG], token)
    return response


@routes.put("/api/v1/users/{username}")
@accepts(body=("role", "agent_id", "teams", "channels"))
async def update_user(request: web.Request) -> web.Response:
    """Admins change a user's role, agent, teams or channels (the user logs in again)."""
    body = await read_json(request)
    user = await accounts.update_user(
        user_of(request),
        request.app[USERS],
        request.match_info["username"],
        text_field(body, "role"),
        agent_id=text_field(body, "agent_id"),
        teams=tuple(text_list(body, "teams")),
        channels=tuple(text_list(body, "channels")),
    )
    return json_reply({"user": user.public()})


@routes.delete("/api/v1/users/{username}")
@accepts()
async def delete_user(request: web.Request) -> web.Response:
    await accounts.delete_user(user_of(request), request.app[USERS], request.match_info["username"])
    return json_reply({"ok": True})
