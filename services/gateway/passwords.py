"""Password hashing with scrypt (a memory-hard KDF from the standard library, RFC 7914).

Stored form: "scrypt$<n>$<r>$<p>$<salt b64>$<key b64>", so parameters can grow later while
old hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

N, R, P = 2**14, 8, 1  # ~16 MiB and ~50 ms per hash on this machine: costly to brute-force
MIN_LENGTH = 8
MAX_LENGTH = 256


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when a login names an unknown user, so both cases take the same time.
DUMMY_HASH = hash_password(os.urandom(12).hex())
