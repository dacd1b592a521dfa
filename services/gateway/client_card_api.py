"""The customer card (S1.5): the HTTP side of domain/client_card.py."""

from __future__ import annotations

from aiohttp import web

from callcenter.services.gateway.domain import client_card
from callcenter.services.gateway.domain.client_card import ClientCard
from callcenter.services.gateway.domain.conversations import conversation_json
from callcenter.services.gateway.web import (
    ANY_SEGMENT,
    BACKENDS,
    TASKS,
    accepts,
    json_reply,
    last_segment,
    message_dict,
    user_of,
)

routes = web.RouteTableDef()


def render(card: ClientCard) -> dict:
    return {
        "number": card.number,
        "client": message_dict(card.client) if card.client is not None else None,
        "whole_history": card.whole,
        "calls": [message_dict(call) for call in card.calls],
        "leads": [
            {"lead": message_dict(e.lead), "history": [message_dict(change) for change in e.history]}
            for e in card.leads
        ],
        "tasks": [task.public() for task in card.tasks],
        "comments": [c.public() for c in card.comments],
        "conversations": [conversation_json(c, with_messages=True) for c in card.conversations],
        "timeline": card.timeline(),
    }


@routes.get("/api/v1/clients/{number:" + ANY_SEGMENT + "}")
@accepts()
async def get_client_card(request: web.Request) -> web.Response:
    """The client's card: details, calls, leads with their history, tasks, comments, timeline;
    the number percent-encoded as one path segment."""
    number = last_segment(request, "number")
    card = await client_card.client_card(user_of(request), request.app[BACKENDS], request.app[TASKS], number)
    return json_reply(render(card))
