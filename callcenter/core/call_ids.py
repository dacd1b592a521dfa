"""What a call id may be, for every service: any SIP Call-ID.

RFC 3261 Call-IDs are printable ASCII without whitespace (`a84b4c76e66710@pc33.example.com`,
with `!~%*/=` and more), often longer than 128 characters. A PBX passes its own Call-ID as
the call id, so the router, stats, the recorder and the gateway all accept exactly this set.
"""

from __future__ import annotations

import re

MAX_CALL_ID_BYTES = 255
CALL_ID_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{MAX_CALL_ID_BYTES}}}")
CALL_ID_RULE = f"1-{MAX_CALL_ID_BYTES} printable ASCII characters without spaces (a SIP Call-ID)"


def call_id_problem(value: str) -> str | None:
    """Why value is not a call id, or None when it is one."""
    if not value:
        return "is required"
    if not CALL_ID_PATTERN.fullmatch(value):
        return f"{value[:64]!r} must be {CALL_ID_RULE}"
    return None
