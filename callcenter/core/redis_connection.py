"""One way for every service to get its Redis: the configured URL, or the embedded server.

A process serves its RPCs from one shared pool (`client_for`, CALLCENTER_REDIS_MAX_CONNECTIONS).
Work that nothing a client opens may starve gets small clients of its own
(`dedicated_client`): the router's timer loop, and every blocking stream reader (the router's
watch hub and PBX session reads, the stats consumer and its board watch hub). Blocking
readers take `tolerant=True`: a stream entry that is not UTF-8 then arrives with its bad bytes
as lone surrogates (`undecodable` tells such an entry, which the reader skips and counts)
instead of failing the whole read again and again.

A Redis watched by Sentinels ("redis+sentinel://", `SentinelUrl`) is reached through them:
every new connection asks them for the current primary, so after a failover each client
(dedicated ones included) reconnects to the promoted replica by itself. Replication is
asynchronous; `wait_replicas` in the URL makes every write wait (`WAIT`) until that many
replicas hold it before its reply, or fail with `NotReplicated` (docs/deploy.md, "Redis high
availability").
"""

from __future__ import annotations

import contextlib
import dataclasses
import typing
import urllib.parse
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import NoBackoff

from callcenter.core.config import CommonConfig, ConfigError
from callcenter.core.embedded_redis import EmbeddedRedis

CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
SENTINEL_SCHEMES = ("redis+sentinel://", "rediss+sentinel://")
SENTINEL_PORT = 26379
#: How long a Sentinel may take to answer (connect, or reply) before the next one is asked.
SENTINEL_TIMEOUT_S = 1.0
#: What `wait_replicas` waits for by default before a write fails (`wait_timeout_ms`).
WAIT_TIMEOUT_MS = 500

#: Commands that never write: no WAIT after them. Anything else may write and is waited for.
READ_ONLY = frozenset(
    """CLIENT COMMAND CONFIG DBSIZE ECHO EXISTS GET GETRANGE HEXISTS HGET HGETALL HKEYS HLEN HMGET HSCAN
    HSTRLEN HVALS INFO KEYS LINDEX LLEN LRANGE MEMORY MGET OBJECT PING PTTL ROLE SCAN SCARD SCRIPT SENTINEL
    SISMEMBER SMEMBERS SMISMEMBER SRANDMEMBER SSCAN STRLEN TIME TTL TYPE WAIT XINFO XLEN XPENDING XRANGE
    XREAD XREVRANGE ZCARD ZCOUNT ZMSCORE ZRANDMEMBER ZRANGE ZRANGEBYLEX ZRANGEBYSCORE ZRANK ZREVRANGE
    ZREVRANGEBYSCORE ZREVRANK ZSCAN ZSCORE EVALSHA_RO EVAL_RO""".split()
)


class NotReplicated(redis.exceptions.TimeoutError):
    """A write reached the primary but not `wait_replicas` replicas within `wait_timeout_ms`
    (or the primary refused it: NOREPLICAS). Its reply is withheld: the caller sees Redis as
    unavailable and repeats it (every transition is safe to repeat). The write may or may
    not outlive a failover."""


@dataclasses.dataclass(frozen=True)
class Durability:
    """`WAIT replicas timeout_ms` after every write (replicas 0: never)."""

    replicas: int = 0
    timeout_ms: int = WAIT_TIMEOUT_MS


@dataclasses.dataclass(frozen=True)
class SentinelUrl:
    """A parsed "redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db][?options]".

    The user and password are the data nodes'; `sentinel_username`/`sentinel_password` in the
    query are the Sentinels' own (when they require one). "rediss+sentinel://" speaks TLS to
    both, with redis-py's `ssl_*` query options (`ssl_ca_certs`, ...); its other query
    options (`socket_timeout`, ...) are the data nodes' (a Sentinel gets SENTINEL_TIMEOUT_S)."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None
    tls: bool = False
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _bad(url: str, why: str) -> ConfigError:
    """A ConfigError naming the URL without its password and query (which may hold one)."""
    scheme, sep, rest = url.partition("?")[0].partition("://")
    netloc, slash, path = rest.partition("/")
    return ConfigError(f"Redis URL {scheme}{sep}{netloc.rpartition('@')[2]}{slash}{path}: {why}")


def split_durability(url: str) -> tuple[str, Durability]:
    """The URL without `wait_replicas`/`wait_timeout_ms`, and what they ask for."""
    base, _, raw = url.partition("?")
    query = urllib.parse.parse_qsl(raw, keep_blank_values=True)
    ours = {k: v for k, v in query if k in ("wait_replicas", "wait_timeout_ms")}
    if not ours:
        return url, Durability()
    try:
        durability = Durability(int(ours.get("wait_replicas", "0")), int(ours.get("wait_timeout_ms", WAIT_TIMEOUT_MS)))
    except ValueError:
        raise _bad(url, "wait_replicas and wait_timeout_ms must be whole numbers") from None
    if not 0 <= durability.replicas <= 16 or not 1 <= durability.timeout_ms <= 60_000:
        raise _bad(url, "wait_replicas must be 0-16 and wait_timeout_ms 1-60000")
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k not in ours])
    return base + ("?" + rest if rest else ""), durability


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Reads a redis+sentinel:// URL (see SentinelUrl); ConfigError when it is not one."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme + "://" not in SENTINEL_SCHEMES:
        raise _bad(url, "not a redis+sentinel:// or rediss+sentinel:// URL")
    base, _, query = rest.partition("?")
    netloc, _, path = base.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if not at:
        userinfo, hosts = "", netloc
    username, colon, password = userinfo.partition(":")
    sentinels: list[tuple[str, int]] = []
    for item in hosts.split(","):
        host, port = item, str(SENTINEL_PORT)
        if item.startswith("["):  # [IPv6]:port
            host, _, after = item[1:].partition("]")
            if after:
                port = after.removeprefix(":")
        elif ":" in item:
            host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise _bad(url, f"{item!r} is not a Sentinel host[:port]")
        sentinels.append((host, int(port)))
    service, _, db = path.strip("/").partition("/")
    if not service:
        raise _bad(url, "the path must name the Sentinels' service (the master name): …/mymaster[/db]")
    if db and not db.isdigit():
        raise _bad(url, f"the database must be a number, not {db!r}")
    options: dict[str, Any] = {}
    extra: list[tuple[str, str]] = []
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name in ("sentinel_username", "sentinel_password"):
            options[name] = value
        elif name in ("wait_replicas", "wait_timeout_ms", "db"):
            raise _bad(url, f"{name} is read elsewhere (wait_*: by client_for; db: the path)")
        else:
            extra.append((name, value))
    try:  # redis-py's own query options, parsed as for redis:// (one host stands in)
        connect = aioredis.connection.parse_url("redis://localhost/?" + urllib.parse.urlencode(extra))
    except ValueError as exc:
        raise _bad(url, str(exc)) from None
    connect.pop("host", None)
    return SentinelUrl(
        sentinels=tuple(sentinels),
        service=urllib.parse.unquote(service),
        db=int(db or 0),
        username=urllib.parse.unquote(username) or None,
        password=urllib.parse.unquote(password) if colon and password else None,
        sentinel_username=options.get("sentinel_username") or None,
        sentinel_password=options.get("sentinel_password") or None,
        tls=scheme == "rediss+sentinel",
        options=dict(connect),
    )


def _writes(command: object) -> bool:
    name = command.decode() if isinstance(command, bytes) else str(command)
    return name.split(" ", 1)[0].upper() not in READ_ONLY


async def _await_replicas(conn: Any, durability: Durability) -> None:
    await conn.send_command("WAIT", durability.replicas, durability.timeout_ms)
    acked = int(await conn.read_response())
    if acked < durability.replicas:
        raise NotReplicated(
            f"a write reached {acked} of {durability.replicas} replicas within {durability.timeout_ms} ms"
        )


class _Waits:
    """Makes a client (or its pipelines) WAIT after every write, on the connection that wrote
    (WAIT counts that connection's writes), and turns NOREPLICAS into NotReplicated."""

    durability: Durability = Durability()

    async def _send_command_parse_response(self, conn: Any, command_name: Any, *args: Any, **options: Any) -> Any:
        try:
            reply = await super()._send_command_parse_response(  # type: ignore[misc, unused-ignore]
                conn, command_name, *args, **options
            )
        except redis.exceptions.ResponseError as exc:
            if "NOREPLICAS" in str(exc):
                raise NotReplicated(str(exc)) from exc
            raise
        if self.durability.replicas and _writes(command_name):
            await _await_replicas(conn, self.durability)
        return reply


class _Pipeline(_Waits, Pipeline):  # type: ignore[misc, unused-ignore]  # (redis-py's own typing clash)
    async def _execute_transaction(self, connection: Any, commands: Any, raise_on_error: Any) -> Any:
        reply = await super()._execute_transaction(connection, commands, raise_on_error)
        if self.durability.replicas and any(_writes(args[0]) for args, _ in commands):
            await _await_replicas(connection, self.durability)
        return reply

    async def _execute_pipeline(self, connection: Any, commands: Any, raise_on_error: bool) -> Any:
        reply = await super()._execute_pipeline(connection, commands, raise_on_error)
        if self.durability.replicas and any(_writes(args[0]) for args, _ in commands):
            await _await_replicas(connection, self.durability)
        return reply


class ReplicatedRedis(_Waits, aioredis.Redis):  # type: ignore[misc, unused-ignore]  # (redis-py's own typing clash)
    """The client of a Sentinel-managed Redis, or of any URL with `wait_replicas`: as
    aioredis.Redis, plus the WAIT after writes; it closes the Sentinel clients it owns."""

    owned_sentinel: Sentinel | None = None

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = _Pipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.durability = self.durability
        return pipe

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        if self.owned_sentinel is not None:
            sentinel, self.owned_sentinel = self.owned_sentinel, None
            await sentinel.aclose()


class _SentinelPool(SentinelConnectionPool, aioredis.BlockingConnectionPool):
    """Sentinel's pool (each new connection asks the Sentinels for the primary), bounded and
    waiting for a free connection like every other pool of client_for."""


#: How each client made by client_for was made (URL, wait), so that dedicated_client can make
#: a sibling of any of them, Redis Cluster and Sentinel clients included.
_ORIGINS: weakref.WeakKeyDictionary[aioredis.Redis, tuple[str, float]] = weakref.WeakKeyDictionary()


def _sentinel_client(url: str, durability: Durability, pool_options: dict[str, Any]) -> ReplicatedRedis:
    parsed = parse_sentinel_url(url)
    tls = {"ssl": True} if parsed.tls else {}
    ssl_options = {k: v for k, v in parsed.options.items() if k.startswith("ssl_")}
    sentinel = Sentinel(  # type: ignore[no-untyped-call, unused-ignore]
        list(parsed.sentinels),
        sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT_S,
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
            "retry": Retry(NoBackoff(), 0),  # a Sentinel that does not answer: ask the next one
            "username": parsed.sentinel_username,
            "password": parsed.sentinel_password,
            **tls,
            **ssl_options,
        },
    )
    client: ReplicatedRedis = sentinel.master_for(
        parsed.service,
        redis_class=ReplicatedRedis,
        connection_pool_class=_SentinelPool,
        db=parsed.db,
        username=parsed.username,
        password=parsed.password,
        **tls,
        **{**pool_options, **parsed.options},
    )
    client.owned_sentinel = sentinel
    client.durability = durability
    return client


def client_for(
    url: str, max_connections: int = 64, wait_s: float = 10.0, *, name: str = "", tolerant: bool = False
) -> aioredis.Redis:
    """An asyncio Redis client for a URL; replies decoded as UTF-8 strings. Its pool holds
    at most max_connections; a command finding them all busy waits up to wait_s for one
    (redis-py's plain pool would fail at once with "Too many connections"). `name` is set on
    each connection (CLIENT SETNAME: operators see who holds what in CLIENT LIST);
    `tolerant` decodes bytes that are not UTF-8 as lone surrogates (see `undecodable`).

    "redis+cluster://host:port" (or "rediss+cluster://") connects to a Redis Cluster through
    any of its nodes: every key of a tenant shares the tenant's {hash tag}, so each script,
    transaction and stream read of ours stays on one node.

    "redis+sentinel://host:26379,host2:26379,host3:26379/mymaster[/db]" (or
    "rediss+sentinel://") connects to the primary the Sentinels name (SentinelUrl), again
    after every failover. `?wait_replicas=N[&wait_timeout_ms=T]` (any scheme but a cluster's)
    makes each write wait until N replicas acknowledged it, else fail with NotReplicated."""
    options: dict[str, object] = {"decode_responses": True}
    if name:
        options["client_name"] = name
    if tolerant:
        options["encoding_errors"] = "surrogateescape"
    client: aioredis.Redis
    if url.startswith(CLUSTER_SCHEMES):
        from redis.asyncio.cluster import RedisCluster

        if split_durability(url)[1] != Durability():
            raise _bad(url, "wait_replicas is not supported on a Redis Cluster")
        plain = url.replace("+cluster", "", 1)
        # a cluster client speaks the same commands (typed apart by redis-py)
        client = RedisCluster.from_url(plain, max_connections=max_connections, **options)  # type: ignore[assignment, unused-ignore]
    else:
        bare, durability = split_durability(url)
        pool_options: dict[str, Any] = {
            "max_connections": max_connections,
            "timeout": wait_s,
            "health_check_interval": 30,
            **options,
        }
        if url.startswith(SENTINEL_SCHEMES):
            client = _sentinel_client(bare, durability, pool_options)
        else:
            pool = aioredis.BlockingConnectionPool.from_url(bare, **pool_options)
            if durability.replicas:
                replicated = typing.cast(ReplicatedRedis, ReplicatedRedis.from_pool(pool))
                replicated.durability = durability
                client = replicated
            else:
                client = aioredis.Redis.from_pool(pool)
    _ORIGINS[client] = (url, wait_s)
    return client


def dedicated_client(
    redis: aioredis.Redis, max_connections: int = 2, *, name: str = "", tolerant: bool = False
) -> aioredis.Redis | None:
    """A client of the same server with a small pool of its own, for work nothing else may
    starve: the router's timers (a burst of client streams holding every connection of the
    shared pool must not stop offers expiring) and the blocking stream readers (one reader
    blocked in XREAD holds a connection the whole time). The caller closes it. None only for
    a Redis Cluster client not made by client_for (the caller then shares it)."""
    origin = _ORIGINS.get(redis)
    if origin is not None:
        url, wait_s = origin
        return client_for(url, max_connections, wait_s, name=name, tolerant=tolerant)
    pool = getattr(redis, "connection_pool", None)
    if not isinstance(pool, aioredis.ConnectionPool):
        return None
    kwargs = dict(pool.connection_kwargs)
    if name:
        kwargs["client_name"] = name
    if tolerant:
        kwargs["encoding_errors"] = "surrogateescape"
    if isinstance(pool, SentinelConnectionPool):  # made by Sentinel.master_for: ask the same Sentinels
        kwargs.pop("connection_pool", None)
        sibling: aioredis.Redis = pool.sentinel_manager.master_for(
            pool.service_name,
            connection_pool_class=_SentinelPool,
            connection_class=pool.connection_class,
            max_connections=max_connections,
            timeout=10,
            **kwargs,
        )
        return sibling
    own = aioredis.BlockingConnectionPool(
        connection_class=pool.connection_class, max_connections=max_connections, timeout=10, **kwargs
    )
    return aioredis.Redis.from_pool(own)


def undecodable(fields: Mapping[str, str]) -> bool:
    """Whether a stream entry read by a tolerant client held bytes that are not UTF-8 (they
    arrive as lone surrogates, which no str written by our services contains)."""
    try:
        for name, value in fields.items():
            name.encode()
            value.encode()
    except (UnicodeEncodeError, AttributeError):
        return True
    return False


@contextlib.asynccontextmanager
async def open_redis(config: CommonConfig) -> AsyncIterator[aioredis.Redis]:
    """Yields a connected client; starts (and later stops) the embedded server when no URL is set."""
    embedded: EmbeddedRedis | None = None
    url = config.redis_url
    if not url:
        embedded = EmbeddedRedis(config.data_dir).start()
        url = embedded.url
    client = client_for(url, config.redis_max_connections, config.redis_wait_s)
    try:
        await client.ping()
        yield client
    finally:
        await client.aclose()
        if embedded is not None:
            embedded.stop()


def shown_url(url: str) -> str:
    """A Redis URL without its password (in the user part or a `password=` parameter)."""
    parts = urlsplit(url)
    if parts.password is None and "password" not in parts.query:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        host = netloc.rpartition("@")[2]
        netloc = f"{parts.username or ''}:***@{host}"
    query = parts.query
    if "password" in query:
        query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(query)], safe="*")
    return urlunsplit(parts._replace(netloc=netloc, query=query))
