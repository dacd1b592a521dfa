"""The audit trail (docs/security.md, "Audit"): every change made on someone's behalf, listed
by the time it was recorded.

An event that records its actor (callcenter/core/audit.py) is an action, unless it belongs to
the call flow a PBX reports (CALL_FLOW: calls received, offered, answered, ended, recordings
stored — as many as there are calls; they carry their actor on the stream all the same).
apply.lua, which applies each event exactly once, keeps each action for
CALLCENTER_STATS_AUDIT_RETENTION_DAYS as a member `<ms>-<seq>|<the entry's fields as JSON>`
(the entry id zero-padded, every score 0) of the `audit` sorted set and of its actor's
`audit_by:<actor>`: the members sort by entry id, so a range of time is a range of members
(ZRANGE BYLEX) and a page goes on from the member before it. A listing reads one page of one
of these keys: its memory is bounded by the page, never by the period.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING

import redis.asyncio as aioredis
import structlog

from callcenter.api.events.v1 import events_pb2
from callcenter.core.event_stream import decode
from callcenter.services.stats.model import InvalidArgument

if TYPE_CHECKING:
    from callcenter.services.stats.keys import StatsKeys

log = structlog.get_logger(__name__)

#: Event types that are the call flow, not actions: kept out of the trail (see above).
CALL_FLOW: frozenset[str] = frozenset(
    {
        "CALL_RECEIVED", "CALL_QUEUED", "CALL_OFFERED", "CALL_ANSWERED", "OFFER_MISSED", "CALL_COMPLETED",
        "CALL_ABANDONED", "CALL_TIMED_OUT", "CALL_OVERFLOWED", "CALL_RULE_RELAXED", "PBX_SESSION_OPENED",
        "PBX_SESSION_LOST", "RECORDING_STORED",
    }
)  # fmt: skip
#: Widths of the zero-padded entry id that starts a member (ms, then sequence).
MS_DIGITS, SEQ_DIGITS = 15, 10
_ENTRY_ID = re.compile(rf"^(\d{{1,{MS_DIGITS}}})-(\d{{1,{SEQ_DIGITS}}})$")


def member_prefix(ms: int, seq: int | None = None) -> str:
    """A member's sort key: the entry id zero-padded (the time alone: where that ms starts)."""
    head = f"{ms:0{MS_DIGITS}d}"
    return head if seq is None else f"{head}-{seq:0{SEQ_DIGITS}d}"


def encode_page_token(entry_id: str) -> str:
    return base64.urlsafe_b64encode(entry_id.encode()).decode().rstrip("=")


def decode_page_token(token: str) -> tuple[int, int]:
    """The (ms, seq) of the last action of the previous page."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    found = _ENTRY_ID.match(raw)
    if len(token) > 64 or found is None:
        raise InvalidArgument("page_token", "not a token this service returned")
    return int(found[1]), int(found[2])


class ActionReader:
    """Pages of the audit trail, newest first."""

    def __init__(self, redis: aioredis.Redis, keys: StatsKeys) -> None:
        self.redis = redis
        self.keys = keys
        self.unreadable = 0  # members skipped because they could not be read

    async def list(
        self, start_ms: int, end_ms: int, actor: str, page_size: int, page_token: str
    ) -> tuple[list[events_pb2.Event], str]:
        """The actions recorded in [start_ms, end_ms) (of one actor, or everyone's), at most
        page_size, and the next page's token ("" on the last page)."""
        high = "(" + member_prefix(end_ms)
        if page_token:
            high = min(high, "(" + member_prefix(*decode_page_token(page_token)))
        key = self.keys.audit_by(actor) if actor else self.keys.audit
        members = await self.redis.zrevrangebylex(key, high, "[" + member_prefix(start_ms), start=0, num=page_size + 1)
        actions = []
        for member in members[:page_size]:
            action = self._action(member)
            if action is not None:
                actions.append(action)
        if len(members) <= page_size:
            return actions, ""
        ms, _, seq = members[page_size - 1].partition("|")[0].partition("-")
        return actions, encode_page_token(f"{int(ms)}-{int(seq)}")

    def _action(self, member: str) -> events_pb2.Event | None:
        prefix, _, raw = member.partition("|")
        try:
            ms, _, seq = prefix.partition("-")
            fields = json.loads(raw)
            if not isinstance(fields, dict):
                raise ValueError("not an object")
            return decode(f"{int(ms)}-{int(seq)}", {str(k): str(v) for k, v in fields.items()})
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            self.unreadable += 1
            log.warning("stats.action_unreadable", member=member[:80], error=str(exc)[:200], unreadable=self.unreadable)
            return None
