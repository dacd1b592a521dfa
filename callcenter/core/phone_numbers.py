"""What a phone number (a caller's, a client's) may be, declared once for every service: 1-64
characters, none of them a separator the stores use (',', '|'), a space or a control line
break."""

from __future__ import annotations

MAX_PHONE = 64
FORBIDDEN = frozenset(",| \r\n\0")


def phone_problem(value: str) -> str | None:
    """Why value is no phone number, or None."""
    if not value:
        return "is required"
    if len(value) > MAX_PHONE or any(ch in FORBIDDEN for ch in value):
        return f"{value[:MAX_PHONE]!r} is not a phone number"
    return None
