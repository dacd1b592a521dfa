"""The ceiling's server: a bare grpc.aio unary echo, and the same with one Redis round trip.

No protobuf, no interceptors, no health service: raw bytes in, the same bytes out, so the
figure is what gRPC in Python on this machine can do at all. Run as its own process:

    python -m callcenter.tools.bench.echo_server --port-file PATH [--redis-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import sys

import grpc

SERVICE = "bench.Echo"
PING = f"/{SERVICE}/Ping"
PING_REDIS = f"/{SERVICE}/PingRedis"


def _write_port(port_file: pathlib.Path, port: int) -> None:
    """Tells the bench the server is ready (written after start, read by the bench)."""
    port_file.write_text(str(port))


async def serve(port_file: pathlib.Path, redis_url: str) -> None:
    from callcenter.core.lifecycle import wait_for_termination

    redis = None
    if redis_url:
        from callcenter.core.redis_connection import client_for

        redis = client_for(redis_url)
        await redis.ping()

    async def ping(request: bytes, context) -> bytes:
        return request

    async def ping_redis(request: bytes, context) -> bytes:
        await redis.incr("bench:echo")  # one round trip to Redis, as each router RPC makes at least one
        return request

    handlers = {"Ping": grpc.unary_unary_rpc_method_handler(ping)}
    if redis is not None:
        handlers["PingRedis"] = grpc.unary_unary_rpc_method_handler(ping_redis)
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    # With `bench --secure` the ceiling speaks TLS too (the routers' cost of TLS is then not
    # counted against them; the cost of checking the caller is).
    from callcenter.core.grpc_security import GrpcServerSecurity, server_credentials
    from callcenter.core.settings import load

    tls = server_credentials(load(GrpcServerSecurity))
    port = server.add_insecure_port("127.0.0.1:0") if tls is None else server.add_secure_port("127.0.0.1:0", tls)
    await server.start()
    _write_port(port_file, port)
    await wait_for_termination()
    await server.stop(0.5)
    if redis is not None:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m callcenter.tools.bench.echo_server")
    parser.add_argument("--port-file", type=pathlib.Path, required=True)
    parser.add_argument("--redis-url", default="")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port_file, args.redis_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
