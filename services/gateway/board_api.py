"""The live board (S0.1, S0.2, S3.1, S3.2, S3.6) and the event stream for browsers: the HTTP
side of domain/board.py, and live.py's server-sent events."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain.board import board as board_of
from callcenter.services.gateway.domain.day_figures import FiguresCache
from callcenter.services.gateway.live import LiveHub, StreamLimit, stream
from callcenter.services.gateway.query import time_zone
from callcenter.services.gateway.thresholds_api import THRESHOLDS
from callcenter.services.gateway.web import (
    BACKENDS,
    CONFIG,
    SESSIONS,
    TOKEN,
    USERS,
    ApiError,
    accepts,
    json_reply,
    user_of,
)

routes = web.RouteTableDef()
LIVE = web.AppKey("live", LiveHub)
FIGURES_CACHE = web.AppKey("figures_cache", FiguresCache)


@routes.get("/api/v1/board")
@accepts(query=("tz",))
async def board(request: web.Request) -> web.Response:
    tz = time_zone(request.query)
    figures, limits = request.app[FIGURES_CACHE], request.app.get(THRESHOLDS)  # alerts (thresholds_api.py)
    return json_reply(await board_of(user_of(request), request.app[BACKENDS], figures, tz, limits))


@routes.get("/api/v1/events")
@accepts()
async def events(request: web.Request) -> web.StreamResponse:
    """The user's event stream; beyond the streams one user or the gateway may hold open
    (config.Quotas), 429 or 503 with Retry-After, naming the limit."""
    user, token, hub = user_of(request), request[TOKEN], request.app[LIVE]

    async def still_valid() -> bool:
        return await hub.session_uid(token) == user.uid

    try:
        return await stream(request, hub, user, still_valid, request.app[CONFIG].quotas)
    except StreamLimit as refused:
        raise ApiError(refused.status, str(refused), headers={"Retry-After": str(refused.retry_after_s)}) from None


async def session_uids(app: web.Application, tokens: list[str]) -> dict[str, str]:
    """current_user (web.py) for many session tokens at once, in two Redis round trips: each
    token's user uid, "" when its session ended or its user is gone (or is another user of
    the same name, deleted and created anew). The open event streams check with this."""
    sessions = await app[SESSIONS].get_many(tokens)
    names = sorted({session.username for session in sessions if session is not None})
    users = dict(zip(names, await app[USERS].get_many(names), strict=True))
    uids = {}
    for token, session in zip(tokens, sessions, strict=True):
        found = users.get(session.username) if session is not None else None
        uids[token] = found.uid if found is not None and session is not None and found.uid == session.uid else ""
    return uids
