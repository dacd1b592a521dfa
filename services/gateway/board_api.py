"""The live board (S0.1, S0.2, S3.1, S3.2, S3.6) and the event stream for browsers: the HTTP
side of domain/board.py, and live.py's server-sent events."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain.board import board as board_of
from callcenter.services.gateway.domain.day_figures import FiguresCache
from callcenter.services.gateway.live import LiveHub, stream
from callcenter.services.gateway.query import time_zone
from callcenter.services.gateway.web import BACKENDS, TOKEN, accepts, current_user, json_reply, user_of

routes = web.RouteTableDef()
LIVE = web.AppKey("live", LiveHub)
FIGURES_CACHE = web.AppKey("figures_cache", FiguresCache)


@routes.get("/api/v1/board")
@accepts(query=("tz",))
async def board(request: web.Request) -> web.Response:
    tz = time_zone(request.query)
    return json_reply(await board_of(user_of(request), request.app[BACKENDS], request.app[FIGURES_CACHE], tz))


@routes.get("/api/v1/events")
@accepts()
async def events(request: web.Request) -> web.StreamResponse:
    user, token = user_of(request), request[TOKEN]

    async def still_valid() -> bool:
        current, _ = await current_user(request.app, token)
        return current is not None and current.uid == user.uid

    return await stream(request, request.app[LIVE], user, still_valid)
