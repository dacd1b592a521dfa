"""TLS on the gRPC services with the credentials `callcenter credentials init` writes
(docs/security.md): a client trusting another CA is refused at the handshake, a renewed
certificate is served without a restart, mutual TLS identifies a caller by its certificate,
and the gateway works through TLS and tokens (Kamailio: tests/test_kamailio_calls.py)."""

from __future__ import annotations

import os
import pathlib

import grpc
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.core.config import CommonConfig
from callcenter.core.grpc_security import GrpcClientCredentials, GrpcServerSecurity, aio_channel
from callcenter.tools import credentials

SERVICES = ("router", "stats", "recorder")


@pytest.fixture(scope="module")
def issued(tmp_path_factory) -> pathlib.Path:
    """A deployment's credentials, with a client certificate for a PBX."""
    folder = tmp_path_factory.mktemp("credentials") / "site"
    credentials.init(folder, client_certs=[("kamailio-cert", "pbx")])
    return folder


def server_security(folder: pathlib.Path, service: str, mutual: bool = False) -> GrpcServerSecurity:
    own = folder / service
    return GrpcServerSecurity(
        tls_cert_file=own / "tls.crt",
        tls_key_file=own / "tls.key",
        tls_client_ca_file=own / "ca.crt" if mutual else None,
        callers_file=folder / "callers",
    )


def client(folder: pathlib.Path, token: str | None = "admin", cert: str | None = None) -> GrpcClientCredentials:
    return GrpcClientCredentials(
        token_file=folder / "tokens" / f"{token}.token" if token else None,
        ca_file=folder / "ca.crt",
        client_cert_file=folder / "clients" / cert / "tls.crt" if cert else None,
        client_key_file=folder / "clients" / cert / "tls.key" if cert else None,
    )


async def list_queues(target: str, credentials: GrpcClientCredentials) -> grpc.StatusCode:
    async with aio_channel(target, credentials) as channel:
        try:
            await router_pb2_grpc.RouterServiceStub(channel).ListQueues(router_pb2.ListQueuesRequest(), timeout=5)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


async def test_a_tls_router_serves_a_client_that_trusts_its_ca_and_no_other(start_replica, issued, tmp_path):
    router = await start_replica(grpc=server_security(issued, "router"))
    target = f"localhost:{router.port}"
    assert await list_queues(target, client(issued)) == grpc.StatusCode.OK
    assert await list_queues(target, client(issued, token=None)) == grpc.StatusCode.UNAUTHENTICATED
    other = tmp_path / "other"
    credentials.init(other)  # a CA of another deployment
    assert await list_queues(target, client(other)) == grpc.StatusCode.UNAVAILABLE  # the handshake fails
    async with grpc.aio.insecure_channel(target) as plain:  # no TLS at all
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await health_pb2_grpc.HealthStub(plain).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_the_address_must_match_the_certificate_unless_a_server_name_is_given(start_replica, issued, tmp_path):
    from cryptography import x509

    ca_key, ca_cert = credentials.new_ca(1)
    key, cert = credentials.issue(
        ca_key, ca_cert, "router", [x509.DNSName("router.example")], ExtendedKeyUsageOID.SERVER_AUTH, 1
    )
    for name, data in (
        (
            "tls.key",
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
        ),
        ("tls.crt", cert.public_bytes(serialization.Encoding.PEM)),
        ("ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM)),
    ):
        (tmp_path / name).write_bytes(data)
    security = GrpcServerSecurity(
        tls_cert_file=tmp_path / "tls.crt", tls_key_file=tmp_path / "tls.key", callers_file=issued / "callers"
    )
    router = await start_replica(grpc=security)
    target = f"127.0.0.1:{router.port}"  # not the certificate's name
    token = issued / "tokens" / "admin.token"
    assert await list_queues(target, GrpcClientCredentials(token_file=token, ca_file=tmp_path / "ca.crt")) == (
        grpc.StatusCode.UNAVAILABLE
    )
    named = GrpcClientCredentials(token_file=token, ca_file=tmp_path / "ca.crt", server_name="router.example")
    assert await list_queues(target, named) == grpc.StatusCode.OK


async def test_a_renewed_certificate_is_served_without_a_restart(start_replica, tmp_path):
    site = tmp_path / "site"
    credentials.init(site)
    served = tmp_path / "served"  # the files the router reads, as a mounted Secret would be
    served.mkdir()
    for name in ("tls.crt", "tls.key"):
        (served / name).write_bytes((site / "router" / name).read_bytes())
    security = GrpcServerSecurity(
        tls_cert_file=served / "tls.crt", tls_key_file=served / "tls.key", callers_file=site / "callers"
    )
    router = await start_replica(grpc=security)
    target = f"localhost:{router.port}"
    assert await list_queues(target, client(site)) == grpc.StatusCode.OK

    renewed = tmp_path / "renewed"  # a new CA and certificate (the callers stay)
    credentials.init(renewed)
    for name in ("tls.key", "tls.crt"):
        staged = served / f".{name}.new"
        staged.write_bytes((renewed / "router" / name).read_bytes())
        os.replace(staged, served / name)
    renewed_client = GrpcClientCredentials(token_file=site / "tokens" / "admin.token", ca_file=renewed / "ca.crt")
    # Each new connection's handshake looks at the files: the renewed certificate answers at once.
    assert await list_queues(target, renewed_client) == grpc.StatusCode.OK
    assert await list_queues(target, client(site)) == grpc.StatusCode.UNAVAILABLE  # the old CA no longer fits


async def test_with_mutual_tls_a_caller_is_known_by_its_certificate(start_replica, issued):
    router = await start_replica(grpc=server_security(issued, "router", mutual=True))
    target = f"localhost:{router.port}"
    by_certificate = client(issued, token=None, cert="kamailio-cert")  # a pbx: may route, may not list queues
    assert await list_queues(target, by_certificate) == grpc.StatusCode.PERMISSION_DENIED
    async with aio_channel(target, by_certificate) as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as answered:
            await stub.GetCall(router_pb2.GetCallRequest(call_id="nope"), timeout=5)
        assert answered.value.code() == grpc.StatusCode.NOT_FOUND  # authenticated and allowed
    assert await list_queues(target, client(issued)) == grpc.StatusCode.UNAVAILABLE  # no certificate: no handshake


def test_issued_keys_are_private_and_the_certificates_name_the_services(issued):
    for service in SERVICES:
        assert (issued / service / "tls.key").stat().st_mode & 0o077 == 0
        key = serialization.load_pem_private_key((issued / service / "tls.key").read_bytes(), None)
        assert key.key_size == 256
    assert (issued / "tokens" / "gateway.token").stat().st_mode & 0o077 == 0
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((issued / "router" / "tls.crt").read_bytes())
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]  # a service certificate cannot act as a client
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert {"router", "router.callcenter.svc", "localhost"} <= set(names)


async def test_the_gateway_reaches_protected_services_with_its_token(
    start_replica, start_stats, start_recorder, redis, redis_url, tenant, issued
):
    from callcenter.services.gateway.app import create_app
    from callcenter.services.gateway.config import GatewayConfig
    from callcenter.services.gateway.users import UserStore
    from tests.gateway_fixtures import PASSWORD

    router = await start_replica(grpc=server_security(issued, "router"))
    stats = await start_stats(grpc=server_security(issued, "stats"))
    recorder = await start_recorder(grpc=server_security(issued, "recorder"))
    config = GatewayConfig(
        common=CommonConfig(redis_url=redis_url, tenant=tenant),
        port=0,
        router_addr=f"localhost:{router.port}",
        stats_addr=f"localhost:{stats.port}",
        recorder_addr=f"localhost:{recorder.port}",
        grpc=client(issued, token="gateway"),
    )
    await UserStore(redis, tenant).create("root", PASSWORD, "admin")
    http = TestClient(TestServer(create_app(config, redis)))
    await http.start_server()
    try:
        reply = await http.post("/api/v1/login", json={"username": "root", "password": PASSWORD})
        assert reply.status == 200, await reply.text()
        for path in ("/api/v1/agents", "/api/v1/board", "/api/v1/recordings", "/readyz"):
            reply = await http.get(path)
            assert reply.status == 200, (path, await reply.text())
    finally:
        await http.close()
