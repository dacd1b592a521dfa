"""A real HTTP receiver standing in for a CRM in the webhooks tests: an aiohttp server on a
loopback port that records every delivery (headers, body, whether its signature verifies with
the secret it was told) and answers what the test says, so tests can make it fail."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from callcenter.services.webhooks import signing


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any]
    status: int  # what the receiver answered
    signed_by: list[str]  # the names of the secrets whose signature it carried

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = self.payload["event"]
        return event

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Receiver:
    """`answer(received_so_far, path, payload) -> status` decides each answer (default 200)."""

    answer: Callable[[list[Received], str, dict[str, Any]], int] = lambda seen, path, payload: 200
    secrets: dict[str, str] = field(default_factory=dict)  # name -> secret
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = json.loads(body)
        header = request.headers.get("X-Callcenter-Signature", "")
        now = int(time.time())
        signed_by = [name for name, secret in self.secrets.items() if signing.verify(secret, header, body, now)]
        status = self.answer(self.received, request.path, payload)
        self.received.append(Received(request.path, dict(request.headers), body, payload, status, signed_by))
        self._changed.set()
        return web.Response(status=status, text="ok" if status < 300 else "nope")

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, check: Callable[[list[Received]], bool], timeout_s: float = 20.0) -> list[Received]:
        """Returns the deliveries as soon as check(deliveries) holds (woken by each request)."""
        async with asyncio.timeout(timeout_s):
            while not check(self.received):
                self._changed.clear()
                await self._changed.wait()
        return self.received

    def delivered(self, path: str | None = None) -> list[Received]:
        return [r for r in self.received if r.ok and (path is None or r.path == path)]
