"""Outbound work in the router's domain: outbound calls and callbacks (docs/outbound.md).

Validates each request and runs its one transition (scripts/create_outbound.lua, …); knows
nothing of gRPC. An outbound call then lives the life of any call (scripts/lib.lua, the
"Outbound calls" section): offered through the same reservation, connected, hung up.
"""

from __future__ import annotations

import json

import structlog

from callcenter.core import ids
from callcenter.services.router.model import (
    DIAL_OUTCOMES,
    MAX_ATTRIBUTE_LENGTH,
    MAX_ATTRIBUTES,
    MAX_CALLBACK_AHEAD_MS,
    MAX_CALLBACK_NOTE,
    MAX_CALLBACKS_LISTED,
    MAX_PRIORITY,
    OUTBOUND_MODES,
    Callback,
    CallView,
    InvalidArgument,
    NotFound,
)
from callcenter.services.router.router import Router, check_call_id, check_offer_id, check_phone, check_text

log = structlog.get_logger(__name__)


def _check_attributes(attributes: dict[str, str]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidArgument("attributes", f"at most {MAX_ATTRIBUTES} entries")
    for key, value in attributes.items():
        if not key or len(key) > MAX_ATTRIBUTE_LENGTH or len(value) > MAX_ATTRIBUTE_LENGTH:
            raise InvalidArgument(f"attributes[{key[:64]}]", f"keys and values are 1-{MAX_ATTRIBUTE_LENGTH} characters")


class Outbound:
    """Outbound calls and callbacks, on the router's store and clock."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.store = router.store

    # Outbound calls -------------------------------------------------------------------

    async def create_call(
        self,
        call_id: str,
        number: str,
        queue: str,
        mode: str = "preview",
        pbx_id: str = "",
        agent_id: str = "",
        deal_id: str = "",
        attributes: dict[str, str] | None = None,
        priority: int = 0,
    ) -> CallView:
        """A new outbound call of `queue` to `number`, offered to agent_id first if named."""
        check_call_id(call_id)
        check_phone("number", number)
        ids.check_name(queue, "queue")
        if mode not in OUTBOUND_MODES:
            raise InvalidArgument("mode", f"must be one of {', '.join(OUTBOUND_MODES)}")
        if pbx_id:
            ids.check_name(pbx_id, "pbx_id")
        if agent_id:
            ids.check_name(agent_id, "agent_id")
        if deal_id:
            ids.check_lead_id(deal_id, "deal_id")
        if not 0 <= priority <= MAX_PRIORITY:
            raise InvalidArgument("priority", f"must be 0-{MAX_PRIORITY}")
        attributes = attributes or {}
        _check_attributes(attributes)
        call = await self.store.call_transition(
            "create_outbound",
            self.router.now(),
            call_id,
            number,
            queue,
            mode,
            pbx_id,
            agent_id,
            deal_id,
            _json(attributes),
            priority,
        )
        log.info(
            "outbound.created",
            call_id=call_id,
            queue=queue,
            mode=mode,
            state=call.state,
            agent_id=call.offer.agent_id if call.offer else None,
        )
        return call

    async def accept(self, call_id: str, offer_id: str) -> CallView:
        """The offered agent accepts the preview: the call is dialled."""
        check_call_id(call_id)
        check_offer_id(call_id, offer_id)
        call = await self.store.call_transition("accept_outbound", self.router.now(), call_id, offer_id)
        log.info("outbound.accepted", call_id=call_id, offer_id=offer_id, state=call.state)
        return call

    async def decline(self, call_id: str, offer_id: str) -> CallView:
        """The offered agent passes: the call goes to the next agent."""
        check_call_id(call_id)
        check_offer_id(call_id, offer_id)
        call = await self.store.call_transition("decline_outbound", self.router.now(), call_id, offer_id)
        log.info("outbound.declined", call_id=call_id, offer_id=offer_id, state=call.state)
        return call

    async def report_dial_outcome(self, call_id: str, offer_id: str, outcome: str) -> CallView:
        """How the PBX's dialling ended (DIAL_OUTCOMES)."""
        check_call_id(call_id)
        check_offer_id(call_id, offer_id)
        if outcome not in DIAL_OUTCOMES:
            raise InvalidArgument("outcome", f"must be one of {', '.join(DIAL_OUTCOMES)}")
        call = await self.store.call_transition("report_dial_outcome", self.router.now(), call_id, offer_id, outcome)
        log.info(
            "outbound.dial_reported",
            call_id=call_id,
            offer_id=offer_id,
            outcome=outcome,
            state=call.state,
            agent_id=call.agent_id or None,
        )
        return call

    # Callbacks (S1.10) ----------------------------------------------------------------

    async def schedule_callback(self, cb: Callback, origin: str = "api") -> Callback:
        ids.check_name(cb.callback_id, "callback.callback_id")
        check_phone("callback.number", cb.number)
        ids.check_name(cb.queue, "callback.queue")
        if cb.agent_id:
            ids.check_name(cb.agent_id, "callback.agent_id")
        if cb.deal_id:
            ids.check_lead_id(cb.deal_id, "callback.deal_id")
        check_text("callback.note", cb.note, MAX_CALLBACK_NOTE)
        if origin not in ("api", "agent"):
            raise InvalidArgument("origin", "must be api or agent")
        now = await self.router.redis_now_ms()
        if cb.due_ms > now + MAX_CALLBACK_AHEAD_MS:
            raise InvalidArgument("callback.due_at", "must be at most 10 years ahead")
        stored = await self.store.callback_transition(
            "schedule_callback",
            self.router.now(),
            cb.callback_id,
            cb.number,
            cb.queue,
            cb.due_ms,
            cb.agent_id,
            cb.deal_id,
            cb.note,
            origin,
        )
        log.info("callback.scheduled", callback_id=cb.callback_id, queue=cb.queue, agent_id=cb.agent_id or None)
        return stored

    async def cancel_callback(self, callback_id: str) -> Callback:
        ids.check_name(callback_id, "callback_id")
        cb = await self.store.callback_transition("cancel_callback", self.router.now(), callback_id)
        log.info("callback.cancelled", callback_id=callback_id)
        return cb

    async def get_callback(self, callback_id: str) -> Callback:
        ids.check_name(callback_id, "callback_id")
        cb = await self.store.get_callback(callback_id)
        if cb is None:
            raise NotFound(f"callback {callback_id} does not exist")
        return cb

    async def list_callbacks(
        self, agent_id: str = "", queue: str = "", include_ended: bool = False, page_size: int = 0
    ) -> list[Callback]:
        if agent_id:
            ids.check_name(agent_id, "agent_id")
        if queue:
            ids.check_name(queue, "queue")
        if not 0 <= page_size <= MAX_CALLBACKS_LISTED:
            raise InvalidArgument("page_size", f"must be 1-{MAX_CALLBACKS_LISTED} (0: 200)")
        return await self.store.list_callbacks(agent_id, queue, include_ended, page_size or 200)


def _json(attributes: dict[str, str]) -> str:
    return json.dumps(attributes) if attributes else "{}"
