"""A row of conversation figures (issue 21): the counts and the sums of durations the stats
service keeps per group, the means and the overdue share derived from them, and the row as
the stats contract's ConversationStats. Declared here once, for the stats service that reads
the figures and the gateway that adds rows up (a router team's members, a supervisor's
queues): a total of rows is the sum of their sums, each mean that sum over its count, exact."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from callcenter.api.stats.v1 import stats_pb2 as pb
from callcenter.core.event_stream import duration_ms

#: The sums kept per group (the stats service's bucket fields), each a field of ConversationFigures.
SUMS = (
    "created",
    "closed",
    "first_replies",
    "first_response_ms",
    "replies",
    "reply_ms",
    "handled",
    "handle_ms",
    "overdue",
)


@dataclass
class ConversationFigures:
    key: str
    created: int = 0
    closed: int = 0
    first_replies: int = 0
    first_response_ms: int = 0  # summed over first_replies
    replies: int = 0
    reply_ms: int = 0  # summed over replies
    handled: int = 0  # closed conversations that had been assigned
    handle_ms: int = 0  # summed over handled
    overdue: int = 0

    @property
    def average_first_response_ms(self) -> int:
        return self.first_response_ms // self.first_replies if self.first_replies else 0

    @property
    def average_reply_ms(self) -> int:
        return self.reply_ms // self.replies if self.replies else 0

    @property
    def average_handle_ms(self) -> int:
        return self.handle_ms // self.handled if self.handled else 0

    @property
    def overdue_percent(self) -> float:
        waits = self.first_replies + self.replies + self.overdue
        return 100.0 * self.overdue / waits if waits else 0.0

    def add(self, figure: str, value: int) -> None:
        setattr(self, figure, getattr(self, figure) + value)

    def to_pb(self) -> pb.ConversationStats:
        return pb.ConversationStats(
            key=self.key,
            created=self.created,
            closed=self.closed,
            first_replies=self.first_replies,
            average_first_response=duration_ms(self.average_first_response_ms),
            replies=self.replies,
            average_reply=duration_ms(self.average_reply_ms),
            average_handle=duration_ms(self.average_handle_ms),
            overdue=self.overdue,
            overdue_percent=self.overdue_percent,
            handled=self.handled,
            total_first_response=duration_ms(self.first_response_ms),
            total_reply=duration_ms(self.reply_ms),
            total_handle=duration_ms(self.handle_ms),
        )

    @classmethod
    def total_of(cls, rows: Iterable[pb.ConversationStats], key: str = "") -> ConversationFigures:
        """The rows (of disjoint conversations: different queues, agents) added up."""
        total = cls(key=key)
        for r in rows:
            for name in ("created", "closed", "first_replies", "replies", "handled", "overdue"):
                total.add(name, getattr(r, name))
            total.first_response_ms += r.total_first_response.ToMilliseconds()
            total.reply_ms += r.total_reply.ToMilliseconds()
            total.handle_ms += r.total_handle.ToMilliseconds()
        return total
