"""Webhook signatures (docs/crm.md): `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one v1
per secret that signs (two during a rotation's overlap), as Stripe does. The receiver recomputes
the HMAC with its secret, compares in constant time and refuses timestamps too old (replays)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, hex."""
    return SECRET_PREFIX + secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" with the secret (its text as UTF-8)."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header(timestamp: int, body: bytes, *secrets_: str) -> str:
    """The X-Callcenter-Signature value: the timestamp, then a v1 per secret given (empty ones skipped)."""
    parts = [f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets_ if s]
    return ",".join(parts)


def verify(secret: str, value: str, body: bytes, now_s: int, tolerance_s: int = 300) -> bool:
    """Whether a signature header holds a v1 made with `secret` and a timestamp within tolerance_s of now_s."""
    fields = [part.partition("=") for part in value.split(",")]
    stamps = [v for k, _, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now_s - int(stamps[0])) > tolerance_s:
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, _, v in fields)
