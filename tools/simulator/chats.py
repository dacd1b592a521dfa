"""The chat player: customers writing in and the agents holding their chats replying, over the
router's ConversationService (docs/routing-rules.md#conversations, docs/simulator.md#chats).

Chats arrive as a Poisson process (chats_per_min). The customer's first message
(PostCustomerMessage) creates the conversation on a channel and topic drawn by weight, in one of
the chat queues, from a known client now and then; the router assigns it to an agent of the
queue with room, or it waits NEW in the queue's line, looked at every chat_poll_s
(GetConversation) until an agent frees. The agent who holds it (as the responses say) reads
it after the reply delay (GetConversation: overdue shows there) and replies
(ReplyToConversation); the customer thinks and writes again, as many messages as drawn; after
replying to the last one the agent closes it (CloseConversation). Every delay is simulated
time, divided by the speed. When the run ends, every chat still open stops at its next step and
is closed, so every chat started is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc
from callcenter.tools.simulator.config import SimulationConfig, pick

log = structlog.get_logger(__name__)

# What the customers write, and the agents answer (any text passes; these read well on the board).
_CUSTOMER_LINES = (
    "Hello, I have a question about my {topic}.",
    "Thanks. And what happens next with the {topic}?",
    "Could you check it once more, please?",
    "One more thing about the {topic}.",
    "Great, thank you!",
)
_AGENT_LINES = (
    "Hello! Let me look at your {topic} right away.",
    "I have checked it: all is in order.",
    "Done. Anything else I can help with?",
)

Rpc = Callable[[Any, Any], Awaitable[Any]]


@dataclass
class ChatCounters:
    """What the live summary shows of the chats; every figure counts since the start of the run."""

    chats: int = 0  # conversations the customers opened (their first message taken)
    assigned: int = 0  # ... that an agent got (at once, or later from the queue's line)
    messages: int = 0  # customer messages taken, the first ones included
    replied: int = 0  # agents' replies taken
    closed: int = 0  # conversations closed: by their agent after the last message, or at the end
    closed_at_end: int = 0  # ... of which the run's end closed (still open when it stopped)
    overdue_seen: int = 0  # replies to a conversation the router had marked overdue
    polls: int = 0  # GetConversation reads of conversations waiting in their queue's line
    errors: int = 0  # chat RPCs that failed

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class ChatPlayer:
    """Plays chats against the router until `end()`; then every open one is closed."""

    def __init__(
        self,
        config: SimulationConfig,
        channel: grpc.aio.Channel,
        rng: random.Random,
        rpc: Rpc,
        queues: dict[str, str],
        known_clients: list[str],
        id_prefix: str,
    ) -> None:
        self.config = config
        self.stub = conversations_pb2_grpc.ConversationServiceStub(channel)
        self.rng = rng
        self._rpc = rpc  # the simulation's RPC with retries (UNAVAILABLE, CANCELLED)
        self.queues = [queues[name] for name in config.chat_queues]
        self.known_clients = known_clients
        self.id_prefix = id_prefix
        self.counters = ChatCounters()
        self._ending = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._waiting: set[str] = set()  # chats NEW in their line, as last seen
        self._started = 0  # chats started (their ids' numbers)

    @property
    def enabled(self) -> bool:
        return self.config.chats_per_min > 0

    # The run ----------------------------------------------------------------------

    async def arrivals(self, over: asyncio.Event) -> None:
        """Starts chats as a Poisson process until `over` is set."""
        if not self.enabled:
            return
        per_second = self.config.chats_per_min / 60 * self.config.speed
        next_at = time.monotonic()
        while not over.is_set():
            next_at += self.rng.expovariate(per_second)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(over.wait(), timeout=max(0.0, next_at - time.monotonic()))
            if over.is_set():
                return
            n, self._started = self._started, self._started + 1
            task = asyncio.create_task(self._chat(f"{self.id_prefix}-c{n:06d}"), name=f"chat-{n}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout_s: float) -> None:
        """Lets the chats in progress finish for up to timeout_s, then ends the others at their
        next step (each closes its conversation) and waits for them."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout_s)
        self._ending.set()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=30)

    def cancel(self) -> list[asyncio.Task]:
        """Cancels whatever still plays (the run failed); the tasks, to await."""
        self._ending.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        return tasks

    def summary(self) -> str:
        c = self.counters
        if not self.enabled:
            return ""
        text = (
            f"chats {c.chats} assigned {c.assigned} replied {c.replied} closed {c.closed}"
            f" | open {c.chats - c.closed} waiting {len(self._waiting)} overdue seen {c.overdue_seen}"
        )
        return text + (f" chat errors {c.errors}" if c.errors else "")

    # One chat ---------------------------------------------------------------------

    async def _chat(self, conversation_id: str) -> None:
        cfg, rng = self.config, self.rng
        queue = rng.choice(self.queues)
        channel = pick(cfg.chat_channels, rng)
        topic = pick(cfg.chat_topics, rng)
        known = self.known_clients and rng.random() < cfg.chat_known_fraction
        client = rng.choice(self.known_clients) if known else ""
        messages = max(1, round(cfg.chat_messages.draw(rng)))

        def message(i: int) -> cpb.PostCustomerMessageRequest:
            # Every message names the conversation's routing (the router checks it; the first creates it).
            line = _CUSTOMER_LINES[min(i, len(_CUSTOMER_LINES) - 1)].format(topic=topic)
            return cpb.PostCustomerMessageRequest(
                conversation_id=conversation_id,
                channel=channel,
                topic=topic,
                queue=queue,
                client_number=client,
                message_id=f"{conversation_id}-m{i}",
                text=line,
            )

        conv = await self._call(self.stub.PostCustomerMessage, message(0))
        if conv is None:
            return
        self.counters.chats += 1
        self.counters.messages += 1
        agent = ""
        try:
            for i in range(messages):
                if i:
                    if not await self._pause(cfg.chat_think.draw(rng)):
                        break
                    conv = await self._call(self.stub.PostCustomerMessage, message(i))
                    if conv is None:
                        break
                    self.counters.messages += 1
                conv = await self._holder(conversation_id, conv)
                if conv is None:
                    break
                if not agent:
                    self.counters.assigned += 1
                agent = conv.agent_id
                # The agent gets to it after a while, opens it (the overdue mark shows) and replies.
                if not await self._pause(cfg.chat_reply_delay.draw(rng)):
                    break
                conv = await self._get(conversation_id)
                if conv is None:
                    break
                agent = conv.agent_id or agent
                overdue = conv.overdue
                line = _AGENT_LINES[min(i, len(_AGENT_LINES) - 1)].format(topic=topic)
                reply = cpb.ReplyToConversationRequest(
                    conversation_id=conversation_id, agent_id=agent, message_id=f"{conversation_id}-r{i}", text=line
                )
                if await self._call(self.stub.ReplyToConversation, reply) is None:
                    break
                self.counters.replied += 1
                self.counters.overdue_seen += int(overdue)
        finally:
            self._waiting.discard(conversation_id)
            await self._close(conversation_id, agent)

    async def _holder(self, conversation_id: str, conv: cpb.Conversation) -> cpb.Conversation | None:
        """The conversation once an agent holds it: at once, or after it waited in the line
        (looked at every chat_poll_s); None when the run ends first or a read fails."""
        while not conv.agent_id:
            self._waiting.add(conversation_id)
            if not await self._pause(self.config.chat_poll_s, floor_s=0.05):
                return None
            self.counters.polls += 1
            got = await self._get(conversation_id)
            if got is None:
                return None
            conv = got
        self._waiting.discard(conversation_id)
        return conv

    async def _close(self, conversation_id: str, agent: str) -> None:
        """The agent closes their chat; one the run's end cut short (maybe never assigned, or
        assigned just now) is closed by whoever holds it."""
        ending = self._ending.is_set()
        request = cpb.CloseConversationRequest(conversation_id=conversation_id, agent_id="" if ending else agent)
        conv = await self._call(self.stub.CloseConversation, request)
        if conv is None:
            return
        self.counters.closed += 1
        self.counters.closed_at_end += int(ending)
        if not agent and conv.agent_id:
            self.counters.assigned += 1  # it got its agent after the last look

    # Helpers ----------------------------------------------------------------------

    async def _pause(self, simulated_s: float, floor_s: float = 0.0) -> bool:
        """Waits a simulated duration; False when the run ends first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ending.wait(), timeout=max(floor_s, self.config.scaled(simulated_s)))
        return not self._ending.is_set()

    async def _get(self, conversation_id: str) -> cpb.Conversation | None:
        return await self._call(self.stub.GetConversation, cpb.GetConversationRequest(conversation_id=conversation_id))

    async def _call(self, method: Any, request: Any) -> cpb.Conversation | None:
        """One ConversationService RPC; its conversation, or None (counted, logged) if refused."""
        try:
            return (await self._rpc(method, request)).conversation
        except grpc.aio.AioRpcError as exc:
            self.counters.errors += 1
            log.warning("simulator.chat_rpc_failed", rpc=type(request).__name__, code=exc.code().name)
            return None
