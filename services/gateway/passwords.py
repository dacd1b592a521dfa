"""Password hashing with scrypt (a memory-hard KDF from the standard library, RFC 7914).

Stored form: "scrypt$<n>$<r>$<p>$<salt b64>$<key b64>", so parameters can grow later while
old hashes still verify. A server hashes through PasswordWorkers: scrypt runs in threads (it
releases the GIL), a few at once, never on the event loop that serves everything else.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

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


# Password threads run at a lower CPU priority than the rest of the process (Linux: niceness
# is per thread): on a busy machine the event loop, and the router beside it in `callcenter
# up`, go first and a flood of logins waits instead.
PASSWORD_THREAD_NICENESS = 10


def _yield_to_the_loop() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PASSWORD_THREAD_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: the same priority, still off the loop
        pass


class PasswordsBusy(Exception):
    """Every password worker is busy and the queue is full: nothing was checked; retry shortly."""


class PasswordWorkers:
    """Hashes and checks passwords in a pool of `workers` threads; up to `queue` more wait
    their turn and any beyond are refused at once (PasswordsBusy), so a flood of logins costs
    a bounded amount of CPU, memory (~16 MiB per running scrypt) and waiting work. The pool
    bounds the threads even when a waiting request goes away (its scrypt still finishes)."""

    def __init__(self, workers: int = 1, queue: int = 16) -> None:
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="passwords", initializer=_yield_to_the_loop
        )
        self._limit = workers + queue
        self._admitted = 0

    async def _run(self, fn: Callable[..., T], *args: str) -> T:
        if self._admitted >= self._limit:
            raise PasswordsBusy(f"{self._limit} password checks are running or waiting")
        self._admitted += 1
        future = asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        future.add_done_callback(self._done)
        return await future

    def _done(self, _future: asyncio.Future) -> None:
        self._admitted -= 1

    async def hash(self, password: str) -> str:
        return await self._run(hash_password, password)

    async def verify(self, password: str, stored: str) -> bool:
        return await self._run(verify_password, password, stored)

    def close(self) -> None:
        """Stops the threads once the checks under way are done; queued ones are dropped."""
        self._pool.shutdown(wait=False, cancel_futures=True)
