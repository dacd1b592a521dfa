"""What the webhooks domain answers with (plain data; grpc_api.py renders it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    event_types: tuple[str, ...]  # short upper-case names ("CALL_ANSWERED"); empty: every type
    queue: str
    description: str
    paused: bool
    created_ms: int
    queued: int
    dead_letters: int


@dataclass(frozen=True)
class Attempt:
    """One entry of the delivery log."""

    delivery_id: str
    event_id: str
    event_type: str
    subject: str
    attempt: int
    outcome: str  # delivered | retrying | dead
    status_code: int
    error: str
    time_ms: int
    duration_ms: int


@dataclass(frozen=True)
class DeadLetter:
    delivery_id: str
    event_id: str
    event_type: str
    subject: str
    attempts: int
    reason: str
    dead_ms: int


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str
