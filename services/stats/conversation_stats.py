"""Conversation figures over a period (issue 21): sums of the conversations' buckets that
scripts/apply.lua writes from the CONVERSATION_* events, one ('conversations', 'all') hash per
quarter hour and hour, fields '<figure>|<queue>|<channel>|<topic>|<agent>' (docs/stats.md).

A period is read as GetQueueStats reads it (periods.buckets: whole hours, quarters at the
edges), two keys per hour whatever the number of agents, queues, channels or topics."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import redis.asyncio as aioredis

from callcenter.core.conversation_figures import SUMS, ConversationFigures
from callcenter.services.stats.keys import CONVERSATION_BUCKET, StatsKeys
from callcenter.services.stats.model import Range
from callcenter.services.stats.periods import buckets

#: The groupings and the part of a field's name that is the group's key ("queue" is the team).
GROUPINGS = {"queue": 1, "channel": 2, "topic": 3, "agent": 4}
_BATCH = 500  # bucket hashes per pipeline


@dataclass(frozen=True)
class FiguresFilter:
    channel: str = ""
    topic: str = ""
    agent_ids: tuple[str, ...] = ()


class ConversationFigureReader:
    def __init__(self, redis: aioredis.Redis, keys: StatsKeys, batch: int = _BATCH) -> None:
        self.redis = redis
        self.keys = keys
        self.batch = batch

    async def figures(
        self, r: Range, group_by: str, f: FiguresFilter
    ) -> tuple[list[ConversationFigures], ConversationFigures]:
        """One row per key of group_by (sorted), and the total, over the buckets of r."""
        at = GROUPINGS[group_by]
        agents = set(f.agent_ids)
        rows: dict[str, ConversationFigures] = {}
        total = ConversationFigures(key="")
        keys = (self.keys.bucket(CONVERSATION_BUCKET, "all", span, start) for span, start in buckets(r))
        while batch := list(itertools.islice(keys, self.batch)):
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in batch:
                    pipe.hgetall(key)
                replies = await pipe.execute()
            for h in replies:
                for name, value in h.items():
                    parts = name.split("|")
                    if len(parts) != 5 or parts[0] not in SUMS:
                        continue
                    figure, _queue, channel, topic, agent = parts
                    if (f.channel and channel != f.channel) or (f.topic and topic != f.topic):
                        continue
                    if agents and agent not in agents:
                        continue
                    row = rows.get(parts[at])
                    if row is None:
                        row = rows[parts[at]] = ConversationFigures(key=parts[at])
                    row.add(figure, int(value))
                    total.add(figure, int(value))
        # a row whose sums all cancel (the created moved to its first agent) is none
        return [rows[k] for k in sorted(rows) if any(getattr(rows[k], s) for s in SUMS)], total
