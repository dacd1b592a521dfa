"""The browser side: the dashboard, call-records and login pages, their static assets, and
the health endpoints."""

from __future__ import annotations

import importlib.resources
import pathlib

from aiohttp import web

routes = web.RouteTableDef()
STATIC = pathlib.Path(str(importlib.resources.files("callcenter.services.gateway") / "static"))


def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})


@routes.get("/")
async def dashboard(request: web.Request) -> web.StreamResponse:
    return _page("index.html")


@routes.get("/calls")
async def calls_page(request: web.Request) -> web.StreamResponse:
    return _page("calls.html")


@routes.get("/queues")
@routes.get("/queues/{queue}")
async def queue_page(request: web.Request) -> web.StreamResponse:
    """A queue's live calls with their controls (queue.js reads the name from the path)."""
    return _page("queue.html")


@routes.get("/agents/{agent_id}")
async def agent_page(request: web.Request) -> web.StreamResponse:
    """One agent's day: state timeline, figures, calls, pauses, tasks (agent.js reads the id
    from the path and asks the API, which applies the role rules)."""
    return _page("agent.html")


@routes.get("/teams")
async def teams_page(request: web.Request) -> web.StreamResponse:
    """A router team's load and figures (teams.js asks the API, which applies the role rules)."""
    return _page("teams.html")


@routes.get("/conversations")
async def conversations_page(request: web.Request) -> web.StreamResponse:
    """Conversations for supervisors: the board per queue and operator, the open conversations
    and their controls (conversations.js asks the API, which applies the role rules)."""
    return _page("conversations.html")


@routes.get("/campaigns")
async def campaigns_page(request: web.Request) -> web.StreamResponse:
    """Call campaigns for supervisors: progress, the form to create one, contacts, start, pause
    and stop, and their outbound figures (campaigns.js asks the API, which applies the roles)."""
    return _page("campaigns.html")


@routes.get("/clients/{number}")
async def client_page(request: web.Request) -> web.StreamResponse:
    """The customer card (client.js reads the number from the path and asks the API)."""
    return _page("client.html")


@routes.get("/trends")
async def trends_page(request: web.Request) -> web.StreamResponse:
    return _page("trends.html")


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    return _page("login.html")


@routes.get("/favicon.ico")
async def favicon(request: web.Request) -> web.StreamResponse:
    """The site's icon (an SVG; browsers ask for /favicon.ico before reading a page's <link>)."""
    return web.FileResponse(STATIC / "favicon.svg", headers={"Content-Type": "image/svg+xml"})


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process serves HTTP."""
    return web.json_response({"status": "ok"})
