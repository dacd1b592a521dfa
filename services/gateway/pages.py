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


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    return _page("login.html")


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process serves HTTP."""
    return web.json_response({"status": "ok"})
