"""The queue page's live view (S3.4): the HTTP side of domain/queue_live.py. The actions on
its calls are call_control_api.py's routes."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import queue_live
from callcenter.services.gateway.web import BACKENDS, accepts, json_reply, user_of

routes = web.RouteTableDef()


@routes.get("/api/v1/queues/{queue}/live")
@accepts()
async def live_queue(request: web.Request) -> web.Response:
    """The queue's waiting and ringing/connected calls, its agents, and the move targets."""
    view = await queue_live.queue_live(user_of(request), request.app[BACKENDS], request.match_info["queue"])
    return json_reply(view)
