"""A PBX's session: the lease it keeps alive with heartbeats, and the one stream that carries
every change of every call of that PBX (docs/pbx-integration.md, "PBX sessions").

The transitions write the messages themselves (lib.lua's pbx_note/pbx_flush), in the same
atomic step as the change, into the PBX's own Redis stream with ids "0-<sequence>". Serving a
session is reading that stream on from the PBX's resume point: one XREAD per batch of
messages, whatever the number of calls (no re-read of a call per message), and a PBX that
reconnects to any replica continues exactly after the last sequence it handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog

from callcenter.core.redis_connection import undecodable
from callcenter.services.router import metrics as router_metrics
from callcenter.services.router.model import LeaseLapsed, PbxMessage, PbxSession
from callcenter.services.router.router import Router
from callcenter.services.router.store import call_view

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Hello:
    pbx_id: str
    lease_ms: int = 0
    ring_timer: str = "router"
    resume_after: int = 0
    end_open_calls: bool = False


def message_from_entry(sequence: int, fields: dict[str, str]) -> PbxMessage:
    return PbxMessage(
        sequence=sequence,
        kind=fields.get("kind", ""),
        call=call_view(json.loads(fields["call"])),
        offer_id=fields.get("offer_id", ""),
        reason=fields.get("reason", ""),
        time_ms=int(fields.get("time") or 0),
    )


async def serve_session(
    router: Router, hello: Hello, heartbeats: AsyncIterator[int], block_ms: int = 1000
) -> AsyncIterator[PbxSession | list[PbxMessage]]:
    """Opens the session, yields it, then every message after the resume point, in batches
    of those read at once, for as long as the PBX keeps the stream open. `heartbeats`
    yields the PBX's handled sequences; each renews the lease. Ends when the PBX closes its
    side; raises LeaseLapsed when the lease lapsed (its calls were ended)."""
    session = await router.open_pbx_session(
        hello.pbx_id, hello.lease_ms, hello.ring_timer, hello.resume_after, hello.end_open_calls
    )
    yield session
    pbx_id = hello.pbx_id
    store = router.store

    async def renew() -> None:
        async for handled in heartbeats:
            await router.renew_pbx_session(pbx_id, handled)

    renewing = asyncio.create_task(renew(), name=f"pbx-renew-{pbx_id}")
    last = hello.resume_after or session.sequence
    skipped = 0
    try:
        while True:
            if renewing.done():
                renewing.result()  # LeaseLapsed, or the PBX closed its side: the session ends
                return
            entries = await store.pbx_messages(pbx_id, last, block_ms)
            if not entries and await store.redis.hget(store.keys.pbx(pbx_id), "state") != "open":
                raise LeaseLapsed(f"the lease of PBX {pbx_id} lapsed; its calls were ended: open a new session", "lost")
            batch: list[PbxMessage] = []
            for sequence, fields in entries:
                last = sequence
                try:
                    if undecodable(fields):  # bytes that are not UTF-8 (the reader is tolerant)
                        raise ValueError("not UTF-8")
                    batch.append(message_from_entry(sequence, fields))
                except (KeyError, ValueError, TypeError):
                    skipped += 1  # never written by a router of this version; skip, never die
                    router_metrics.PBX_UNREADABLE.inc()
                    log.warning("pbx.message_unreadable", pbx_id=pbx_id, sequence=sequence, skipped=skipped)
            if batch:
                yield batch
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await renewing
