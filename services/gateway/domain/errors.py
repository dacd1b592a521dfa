"""The gateway's refusal for which the kernel's hierarchy (callcenter/core/errors.py) has no
class: a conflict caused by one named field."""

from __future__ import annotations

from callcenter.core.errors import FailedPrecondition


class Conflict(FailedPrecondition):
    """The request does not fit the current state because of one field (HTTP 409 naming it)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
