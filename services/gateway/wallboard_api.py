"""The wallboard: its pages, its links (admins create, list and revoke them), its tiles for a
logged-in supervisor, and the two routes a link's token opens without a session (the tiles and
a stream saying when they changed): the HTTP side of domain/wallboard.py and wallboards.py.

The token routes sit under /api/v1/wallboard/ (web.PUBLIC); they answer 404 for any token that
is no live link, and nothing else under /api/ takes a wallboard token (it is no session)."""

from __future__ import annotations

import redis.asyncio as aioredis
from aiohttp import web

from callcenter.services.gateway.board_api import LIVE
from callcenter.services.gateway.domain import wallboard as domain
from callcenter.services.gateway.live import StreamLimit, stream
from callcenter.services.gateway.pages import STATIC
from callcenter.services.gateway.query import time_zone
from callcenter.services.gateway.users import User
from callcenter.services.gateway.wallboards import Wallboard, WallboardStore
from callcenter.services.gateway.web import (
    BACKENDS,
    CONFIG,
    ApiError,
    accepts,
    json_reply,
    read_json,
    text_field,
    text_list,
    user_of,
)

routes = web.RouteTableDef()
WALLBOARDS = web.AppKey("wallboards", WallboardStore)
TILES = web.AppKey("wallboard_tiles", domain.TileCache)
# Link requests being answered at once, per process: TVs ask once per change (at most every 250 ms
# each), so more than this is someone hammering a token; refused 429 before any RPC.
LINK_REQUESTS_AT_ONCE = 32
BUSY = web.AppKey("wallboard_busy", list)


def install(app: web.Application, redis: aioredis.Redis, tenant: str) -> None:
    app[WALLBOARDS] = WallboardStore(redis, tenant)
    app[TILES] = domain.TileCache()
    app[BUSY] = [0]


def _page() -> web.FileResponse:
    return web.FileResponse(STATIC / "wallboard.html", headers={"Cache-Control": "no-store"})


@routes.get("/wallboard")
async def wallboard_page(request: web.Request) -> web.StreamResponse:
    """The wallboard of a logged-in admin or supervisor: /wallboard?queues=sales,support."""
    return _page()


@routes.get("/wallboard/{token}")
async def wallboard_link_page(request: web.Request) -> web.StreamResponse:
    """A wallboard link's page (public: the token in its path opens its tiles, the script asks)."""
    return _page()


@routes.post("/api/v1/wallboards")
@accepts(body=("name", "queues"))
async def create_wallboard(request: web.Request) -> web.Response:
    """A new link (admins): its token is in this reply and never again."""
    body = await read_json(request)
    token, wallboard = await domain.create_link(
        user_of(request),
        request.app[BACKENDS],
        request.app[WALLBOARDS],
        text_field(body, "name", limit=domain.MAX_NAME),
        text_list(body, "queues")[: domain.MAX_QUEUES + 1],
    )
    return json_reply({"wallboard": wallboard.public(), "token": token, "path": f"/wallboard/{token}"}, 201)


@routes.get("/api/v1/wallboards")
@accepts()
async def list_wallboards(request: web.Request) -> web.Response:
    found = await domain.list_links(user_of(request), request.app[WALLBOARDS])
    return json_reply({"wallboards": [w.public() for w in found]})


@routes.delete("/api/v1/wallboards/{wallboard_id}")
@accepts()
async def revoke_wallboard(request: web.Request) -> web.Response:
    await domain.revoke_link(user_of(request), request.app[WALLBOARDS], request.match_info["wallboard_id"])
    return json_reply({"ok": True})


@routes.get("/api/v1/wallboard")
@accepts(query=("queues", "tz"))
async def wallboard_tiles(request: web.Request) -> web.Response:
    """The tiles of ?queues=a,b for a logged-in admin or supervisor of those queues."""
    queues = [q for q in request.query.get("queues", "")[:2000].split(",") if q]
    tiles = await domain.tiles_for_user(
        user_of(request), request.app[BACKENDS], request.app[TILES], queues, time_zone(request.query)
    )
    return json_reply(tiles)


async def _link(request: web.Request) -> Wallboard:
    found = await request.app[WALLBOARDS].by_token(request.match_info["token"])
    if found is None:
        raise ApiError(404, "no such wallboard (the link may have been revoked)")
    return found


@routes.get("/api/v1/wallboard/{token}/board")
@accepts(query=("tz",))
async def link_tiles(request: web.Request) -> web.Response:
    """A link's tiles: its queues' counts, nothing else (public: the token is the credential)."""
    wallboard, tz, busy = await _link(request), time_zone(request.query), request.app[BUSY]
    if busy[0] >= LINK_REQUESTS_AT_ONCE:
        raise ApiError(429, "too many wallboard requests at once; retry in a second", headers={"Retry-After": "1"})
    busy[0] += 1
    try:
        return json_reply(await domain.tiles_for_link(wallboard, request.app[BACKENDS], request.app[TILES], tz))
    finally:
        busy[0] -= 1


@routes.get("/api/v1/wallboard/{token}/changes")
@accepts()
async def link_events(request: web.Request) -> web.StreamResponse:
    """Server-sent events for a link: an empty message whenever something in its
    queues changed (no ids); the page then asks for the tiles. The link is checked again before
    each write and at each keepalive, so a revoked link's stream ends. At most the per-user
    stream quota per link per process (429), within the gateway's (503)."""
    wallboard = await _link(request)
    store, token = request.app[WALLBOARDS], request.match_info["token"]
    # Whose events matter: those of these queues and of the agents serving them (event_view's rule).
    viewer = User(
        username=f"wallboard:{wallboard.id}", role="supervisor", teams=wallboard.queues, uid=f"wallboard:{wallboard.id}"
    )

    async def still_open() -> bool:
        return await store.by_token(token) is not None

    try:
        return await stream(request, request.app[LIVE], viewer, still_open, request.app[CONFIG].quotas, render=_changed)
    except StreamLimit as refused:
        raise ApiError(refused.status, str(refused), headers={"Retry-After": str(refused.retry_after_s)}) from None


def _changed(seen: list[dict]) -> bytes:
    return b"data: {}\n\n"  # something changed; no ids
