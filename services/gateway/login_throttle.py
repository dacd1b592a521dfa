"""Throttling of logins: failed attempts are counted per username and per client address in
Redis (so every gateway replica shares the counts, and they survive a restart); past a limit
in a window, logins of that user or from that address are refused with 429 and Retry-After
before any password is checked.

Each count is one key with an expiry (the window, from its first failure): memory is a few
dozen bytes per username or address that failed in the last window, and the usernames one
address can add are bounded by its own limit. An attempt is counted *before* its password is
checked (one Lua script checks both limits and counts, atomically), so concurrent guesses
cannot slip past a limit; a successful login takes its attempt back and clears the user's
count, and one refused because every password worker was busy (503) counts for its address
only (a flood from one address reaches its 429 as fast as it sends). Each replica also
remembers (in memory, at most 10,000 entries) the counts Redis said were over their limit and
refuses those without a round trip until their window ends: a flood's refusals are cheap. The
limits are `LoginLimits` in config.py.
"""

from __future__ import annotations

import collections
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from aiohttp import web

from callcenter.core.config import key_prefix
from callcenter.services.gateway import metrics as gateway_metrics
from callcenter.services.gateway.config import LoginLimits
from callcenter.services.gateway.passwords import PasswordsBusy
from callcenter.services.gateway.users import User, UserStore

# KEYS: the user's and the address's failure counts. ARGV: their limits, the window (ms).
# Returns {0, 0} when the attempt is let through (and counted), else {which (1 user, 2
# address), ms until its window ends}.
_ATTEMPT = """
for i = 1, 2 do
  local n = tonumber(redis.call('GET', KEYS[i]) or '0')
  if n >= tonumber(ARGV[i]) then
    local left = redis.call('PTTL', KEYS[i])
    if left < 0 then
      left = tonumber(ARGV[3])
      redis.call('PEXPIRE', KEYS[i], left)
    end
    return {i, left}
  end
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return {0, 0}
"""
# An attempt taken back from the user's count: ARGV[1] "ok" (its password was right: the
# user's failures are cleared, and the address's count is one less) or "busy" (it was never
# checked: not a guess at the user's password, still an attempt from the address).
_TAKE_BACK = """
if ARGV[1] == 'ok' then
  redis.call('DEL', KEYS[1])
  if redis.call('EXISTS', KEYS[2]) == 1 and redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
elseif redis.call('EXISTS', KEYS[1]) == 1 and redis.call('DECR', KEYS[1]) <= 0 then
  redis.call('DEL', KEYS[1])
end
return 1
"""


USER, ADDRESS = "of this user", "from this address"


class Throttled(Exception):
    """Too many failed logins of this user or from this address: retry after `retry_after_s`."""

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins {what}; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: web.Request, proxies: tuple[Network, ...]) -> str:
    """Who is logging in, as counted: the connection's peer or, when the peer is a trusted
    proxy, the rightmost X-Forwarded-For entry that is not one; an IPv6 client by its /64
    (one subscriber's prefix: rotating addresses within it does not reset the count)."""
    chain = [request.remote or ""]
    if proxies:
        forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
        chain = [hop.strip() for hop in forwarded.split(",") if hop.strip()] + chain
    address = None
    for hop in reversed(chain):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            break  # a garbled entry: the last hop before it is who the proxies vouch for
        if not any(address in net for net in proxies):
            break
    if address is None:
        return chain[-1][:64] or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass(frozen=True)
class _Keys:
    user: str
    address: str


class _KnownLocks:
    """Counts this replica has seen over their limit, and until when: while one is, its
    logins are refused without asking Redis (a flood's refusals cost no round trip). Only a
    cache of what Redis said (a lock holds until its window ends: nothing is checked meanwhile,
    so nothing is taken back, but for an attempt checked as the lock began); at most `size`
    entries, the oldest dropped first."""

    def __init__(self, size: int = 10_000) -> None:
        self._until: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._size = size

    def left_s(self, key: str) -> float:
        until = self._until.get(key)
        if until is None:
            return 0.0
        left = until - time.monotonic()
        if left <= 0:
            del self._until[key]
        return max(left, 0.0)

    def forget(self, key: str) -> None:
        self._until.pop(key, None)

    def note(self, key: str, left_s: float) -> None:
        self._until[key] = time.monotonic() + left_s
        self._until.move_to_end(key)
        while len(self._until) > self._size:
            self._until.popitem(last=False)


class LoginThrottle:
    """Checks a login's password unless its user or address is over the limit of failures."""

    def __init__(self, redis: aioredis.Redis, tenant: str, limits: LoginLimits) -> None:
        self.redis = redis
        self.prefix = key_prefix(tenant) + "gw:login-failures:"
        self.limits = limits
        self.proxies = limits.proxy_networks()  # whose X-Forwarded-For is believed
        self._attempt = redis.register_script(_ATTEMPT)
        self._take_back = redis.register_script(_TAKE_BACK)
        self._locked = _KnownLocks()

    def _keys(self, username: str, address: str) -> _Keys:
        # Usernames are case-insensitive (users.py); hashed, so any string makes a short key.
        user = hashlib.sha256(username.lower().encode()).hexdigest()[:32]
        return _Keys(self.prefix + "user:" + user, self.prefix + "addr:" + address)

    async def log_in(self, users: UserStore, username: str, password: str, address: str) -> User | None:
        """The user when the password is right, None when it is wrong (a failure counted);
        Throttled when the user or the address has failed too often in the window (nothing
        checked), PasswordsBusy when every password worker is taken (nothing checked; counted
        for the address, whose flood it may be, not for the user)."""
        keys = self._keys(username, address)
        for key, what in ((keys.user, USER), (keys.address, ADDRESS)):
            if left_s := self._locked.left_s(key):
                gateway_metrics.login_failed("throttled")
                raise Throttled(what, max(1, math.ceil(left_s)))
        limits = self.limits
        which, left_ms = await self._attempt(
            keys=[keys.user, keys.address],
            args=[limits.failures_per_user, limits.failures_per_address, limits.window_s * 1000],
        )
        if which:
            key, what = (keys.user, USER) if int(which) == 1 else (keys.address, ADDRESS)
            self._locked.note(key, int(left_ms) / 1000)
            gateway_metrics.login_failed("throttled")
            raise Throttled(what, max(1, math.ceil(int(left_ms) / 1000)))
        try:
            user = await users.authenticate(username, password)
        except PasswordsBusy:
            gateway_metrics.login_failed("busy")
            await self._take_back(keys=[keys.user, keys.address], args=["busy"])
            raise
        if user is None:
            gateway_metrics.login_failed("wrong_password")
        else:
            await self._take_back(keys=[keys.user, keys.address], args=["ok"])
            self._locked.forget(keys.user)  # checked while the lock began: cleared in Redis too
        return user


LOGINS = web.AppKey("logins", LoginThrottle)
