"""Reading a gateway's server-sent-events responses in tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any


async def next_data(
    reply, wanted: Callable[[dict[str, Any]], bool] = lambda event: True, timeout: float = 5.0
) -> dict[str, Any] | None:
    """The next `data:` payload of a server-sent-events response that `wanted` accepts (any,
    by default); None when the stream ends first. A TimeoutError after `timeout` seconds."""

    async def read() -> dict[str, Any] | None:
        while True:
            raw = await reply.content.readline()
            if not raw:
                return None
            line = raw.decode().strip()
            if line.startswith("data: ") and wanted(event := json.loads(line[6:])):
                return event

    return await asyncio.wait_for(read(), timeout)
