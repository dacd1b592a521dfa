"""Who may call the gRPC services (docs/security.md): bearer tokens and client certificates,
roles checked per RPC, TLS, the refusal to listen off loopback unprotected, rotation.

The table test enumerates every RPC of the three protos from their descriptors and calls each
without credentials, with every role it does not grant and with every role it does, on real
services: a new RPC without an access rule fails at import (AccessPolicy.declare) and is then
covered here automatically."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from callcenter.api.crm.v1 import crm_pb2
from callcenter.api.recorder.v1 import recorder_pb2
from callcenter.api.router.v1 import campaigns_pb2, conversations_pb2, router_pb2, router_pb2_grpc, segments_pb2
from callcenter.api.stats.v1 import stats_pb2
from callcenter.api.webhooks.v1 import webhooks_pb2
from callcenter.core.audit import ON_BEHALF_KEY, current_actor
from callcenter.core.auth import (
    ROLES,
    AccessPolicy,
    CallerInterceptor,
    CallersFile,
    CallerTable,
    current_caller,
    hash_token,
    new_token,
)
from callcenter.core.grpc_security import GrpcServerSecurity, check_listening
from callcenter.core.settings import ConfigError
from callcenter.services.recorder.access import RECORDER_POLICY
from callcenter.services.router.access import CAMPAIGN_POLICY, CONVERSATION_POLICY, ROUTER_POLICY, SEGMENT_POLICY
from callcenter.services.stats.access import STATS_POLICY
from callcenter.services.webhooks.access import CRM_POLICY, WEBHOOKS_POLICY
from tests.helpers import multi_callable

TOKENS = {role: new_token() for role in ROLES}
SERVICE = "test.v1.Echo"


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def callers_text(tokens: dict[str, str] = TOKENS) -> str:
    return "".join(f"{role}-client {role} {hash_token(token)}\n" for role, token in tokens.items())


# ---- the interceptor on a small real server -----------------------------------------------------


def _echo(request: bytes, context) -> bytes:
    caller, actor = current_caller.get(), current_actor.get()
    return f"{caller.name if caller else '-'}|{actor.name if actor else '-'}|{actor.via if actor else '-'}".encode()


async def _echo_server(callers) -> tuple[grpc.aio.Server, grpc.aio.Channel]:
    policy = AccessPolicy(SERVICE, {"Route": frozenset({"pbx"}), "Pause": frozenset({"gateway"})})
    server = grpc.aio.server(interceptors=[CallerInterceptor(callers, [policy])])
    handlers = {name: grpc.unary_unary_rpc_method_handler(_echo) for name in ("Route", "Pause", "Undeclared")}
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, grpc.aio.insecure_channel(f"127.0.0.1:{port}")


@pytest.fixture
async def echo():
    server, channel = await _echo_server(CallerTable.parse(callers_text()))
    yield channel
    await channel.close()
    await server.stop(0)


async def call(channel, method: str, token: str | None, *metadata: tuple[str, str]) -> str:
    sent = (*(bearer(token) if token else ()), *metadata)
    return (await channel.unary_unary(f"/{SERVICE}/{method}")(b"x", metadata=sent, timeout=5)).decode()


async def code_of(channel, method: str, token: str | None, *metadata: tuple[str, str]) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(channel, method, token, *metadata)
    return refused.value.code()


async def test_a_call_without_a_token_or_with_an_unknown_one_is_unauthenticated(echo):
    assert await code_of(echo, "Route", None) == grpc.StatusCode.UNAUTHENTICATED
    assert await code_of(echo, "Route", "not-a-token") == grpc.StatusCode.UNAUTHENTICATED


async def test_a_role_runs_the_rpcs_declared_for_it_and_nothing_else(echo):
    assert await call(echo, "Route", TOKENS["pbx"]) == "pbx-client|pbx-client|"  # the handler knows its caller
    assert await code_of(echo, "Pause", TOKENS["pbx"]) == grpc.StatusCode.PERMISSION_DENIED
    assert await call(echo, "Pause", TOKENS["gateway"]) == "gateway-client|gateway-client|"


async def test_an_rpc_the_policy_does_not_name_is_closed_to_all_but_admins(echo):
    assert await code_of(echo, "Undeclared", TOKENS["pbx"]) == grpc.StatusCode.PERMISSION_DENIED
    assert await call(echo, "Undeclared", TOKENS["admin"]) == "admin-client|admin-client|"


async def test_health_checks_stay_open(echo):
    reply = await health_pb2_grpc.HealthStub(echo).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_the_gateway_acts_on_behalf_of_its_user_and_nobody_else_may(echo):
    on_behalf = (ON_BEHALF_KEY, "alice")
    assert await call(echo, "Pause", TOKENS["gateway"], on_behalf) == "gateway-client|alice|gateway-client"
    assert await code_of(echo, "Route", TOKENS["pbx"], on_behalf) == grpc.StatusCode.PERMISSION_DENIED
    assert await code_of(echo, "Pause", TOKENS["gateway"], (ON_BEHALF_KEY, "a b")) == grpc.StatusCode.INVALID_ARGUMENT


async def test_without_a_callers_file_nobody_is_authenticated_but_the_stated_user_is_the_actor():
    server, channel = await _echo_server(None)
    try:
        assert await call(channel, "Pause", None) == "-|-|-"
        assert await call(channel, "Pause", None, (ON_BEHALF_KEY, "alice")) == "-|alice|"
    finally:
        await channel.close()
        await server.stop(0)


def test_tokens_are_kept_hashed_and_a_bad_line_names_itself():
    table = CallerTable.parse(
        f"# rotated weekly\nkam pbx {hash_token('one')}\nkam pbx {hash_token('two')}\nk2 pbx cert\n"
    )
    assert table.by_token("one").name == "kam" and table.by_token("two").name == "kam"
    assert table.by_certificate(["other", "k2"]).role == "pbx" and table.by_certificate(["kam"]) is None
    assert "one" not in repr(vars(table))
    with pytest.raises(ValueError, match="line 1"):
        CallerTable.parse("kam pbx")
    with pytest.raises(ValueError, match="line 2: .*role must be one of"):
        CallerTable.parse(f"\nkam root {hash_token('x')}")
    with pytest.raises(ValueError, match="sha256"):
        CallerTable.parse("kam pbx sha256:abc")


async def test_a_changed_callers_file_takes_effect_without_a_restart_and_a_broken_one_is_ignored(tmp_path):
    path = tmp_path / "callers"
    old, new = new_token(), new_token()
    path.write_text(f"kam pbx {hash_token(old)}\n")
    callers = CallersFile(path)
    callers.CHECK_EVERY_S = 0.0  # look at the file on every call (the default is once a second)
    server, channel = await _echo_server(callers)
    try:
        assert await call(channel, "Route", old) == "kam|kam|"
        path.write_text(f"kam pbx {hash_token(old)}\nkam pbx {hash_token(new)}\n")  # rotation: both for a while
        assert await call(channel, "Route", new) == "kam|kam|"
        assert await call(channel, "Route", old) == "kam|kam|"
        path.write_text(f"kam pbx {hash_token(new)}\n")  # the old one revoked
        assert await code_of(channel, "Route", old) == grpc.StatusCode.UNAUTHENTICATED
        path.write_text("kam pbx broken\n")  # half-edited: the last good table stays
        assert await call(channel, "Route", new) == "kam|kam|"
    finally:
        await channel.close()
        await server.stop(0)


def test_a_missing_or_broken_callers_file_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="CALLCENTER_GRPC_CALLERS_FILE"):
        CallersFile(tmp_path / "absent")
    (tmp_path / "bad").write_text("kam pbx\n")
    with pytest.raises(ConfigError, match="line 1"):
        CallersFile(tmp_path / "bad")


# ---- listening off loopback ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "router.example"])
def test_a_service_refuses_to_listen_off_loopback_without_tls_and_authentication(host, tmp_path):
    with pytest.raises(ConfigError, match="refusing to listen .* without TLS .* and authentication"):
        check_listening(host, GrpcServerSecurity())
    callers = tmp_path / "callers"
    callers.write_text(callers_text())
    with pytest.raises(ConfigError, match="without TLS") as refused:
        check_listening(host, GrpcServerSecurity(callers_file=callers))
    assert "authentication" not in str(refused.value).split("without", 1)[1].split(":")[0]
    check_listening(host, GrpcServerSecurity(allow_insecure=True))  # said explicitly


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_loopback_stays_zero_config(host):
    check_listening(host, GrpcServerSecurity())


async def test_a_router_asked_to_listen_on_every_address_unprotected_does_not_start(start_replica):
    with pytest.raises(ConfigError, match="refusing to listen on 0.0.0.0"):
        await start_replica(host="0.0.0.0")


def test_the_router_process_exits_with_the_reason(redis_url, tenant, tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "CALLCENTER_REDIS_URL": redis_url,
        "CALLCENTER_TENANT": tenant,
        "CALLCENTER_ROUTER_HOST": "0.0.0.0",
        "CALLCENTER_ROUTER_PORT": "0",
        "CALLCENTER_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "callcenter.cli", "router"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr and "callcenter credentials init" in done.stderr


# ---- every RPC of the three services, by role ------------------------------------------------

POLICIES = {
    "router": ROUTER_POLICY,
    "stats": STATS_POLICY,
    "recorder": RECORDER_POLICY,
    "webhooks": WEBHOOKS_POLICY,
    "crm": CRM_POLICY,
    "campaigns": CAMPAIGN_POLICY,
    "segments": SEGMENT_POLICY,
    "conversations": CONVERSATION_POLICY,
}
DESCRIPTORS = {
    "router": router_pb2.DESCRIPTOR.services_by_name["RouterService"],
    "stats": stats_pb2.DESCRIPTOR.services_by_name["StatsService"],
    "recorder": recorder_pb2.DESCRIPTOR.services_by_name["RecorderService"],
    "webhooks": webhooks_pb2.DESCRIPTOR.services_by_name["WebhookService"],
    "crm": crm_pb2.DESCRIPTOR.services_by_name["CrmService"],  # served by the webhooks service
    "campaigns": campaigns_pb2.DESCRIPTOR.services_by_name["CampaignService"],  # served by the router
    "segments": segments_pb2.DESCRIPTOR.services_by_name["SegmentService"],  # served by the router
    "conversations": conversations_pb2.DESCRIPTOR.services_by_name["ConversationService"],  # served by the router
}
CASES = [(service, method.name) for service, descriptor in DESCRIPTORS.items() for method in descriptor.methods]


def test_every_rpc_has_a_rule_and_a_pbx_cannot_change_endpoints_or_delete():
    for service, descriptor in DESCRIPTORS.items():
        assert set(POLICIES[service].roles_by_method) == {m.name for m in descriptor.methods}
    only_admin = {("recorder", "DeleteRecording"), ("recorder", "SetLegalHold")}
    for service, method in only_admin:
        assert POLICIES[service].roles_by_method[method] == frozenset({"admin"})
    # Queue and agent administration: admin callers, and the gateway relaying for its admins.
    for method in ("UpsertAgent", "DeleteAgent", "UpsertQueue"):
        assert ROUTER_POLICY.roles_by_method[method] == frozenset({"admin", "gateway"})
    pbx = {(s, m) for s, m in CASES if "pbx" in POLICIES[s].roles_by_method[m]}
    assert pbx == {
        ("router", name)
        for name in (
            "PbxSession",
            "RouteCall",
            "ReportOfferOutcome",
            "HangupCall",
            "GetCall",
            "WatchCall",
            "ReportDialOutcome",
        )
    } | {("recorder", "UploadRecording"), ("recorder", "GetUploadStatus")}


def test_a_policy_must_name_every_rpc_and_only_real_ones():
    descriptor = DESCRIPTORS["recorder"]
    with pytest.raises(ValueError, match="no access rule for"):
        AccessPolicy.declare(descriptor, pbx=["UploadRecording"])
    with pytest.raises(ValueError, match="has no RPC"):
        AccessPolicy.declare(descriptor, pbx=["Nope"])


@pytest.fixture
async def protected(
    start_replica, start_stats, start_recorder, start_webhooks, tmp_path
) -> dict[str, grpc.aio.Channel]:
    """The four services, each with the callers file of one token per role."""
    callers = tmp_path / "callers"
    callers.write_text(callers_text())
    security = GrpcServerSecurity(callers_file=callers)
    router = await start_replica(grpc=security)
    stats = await start_stats(grpc=security)
    recorder = await start_recorder(grpc=security)
    webhooks = await start_webhooks(grpc=security)
    channels = {
        name: grpc.aio.insecure_channel(f"127.0.0.1:{service.port}")
        for name, service in (("router", router), ("stats", stats), ("recorder", recorder), ("webhooks", webhooks))
    }
    channels["crm"] = grpc.aio.insecure_channel(f"127.0.0.1:{webhooks.port}")
    channels["campaigns"] = grpc.aio.insecure_channel(f"127.0.0.1:{router.port}")
    channels["segments"] = grpc.aio.insecure_channel(f"127.0.0.1:{router.port}")
    channels["conversations"] = grpc.aio.insecure_channel(f"127.0.0.1:{router.port}")
    yield channels
    for channel in channels.values():
        await channel.close()


async def _code(channel: grpc.aio.Channel, service: str, method_name: str, token: str | None) -> grpc.StatusCode:
    """The status of one call with an empty request (a stream of one empty message)."""
    method = DESCRIPTORS[service].methods_by_name[method_name]
    metadata = bearer(token) if token else ()
    rpc = multi_callable(channel, method)  # bytes in, bytes out
    request = iter([b""]) if method.client_streaming else b""
    try:
        if method.server_streaming:
            async for _ in rpc(request, metadata=metadata, timeout=5):
                break  # served
        else:
            await rpc(request, metadata=metadata, timeout=5)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_every_rpc_refuses_the_unauthenticated_and_the_roles_it_does_not_grant(protected):
    wrong = []
    for service, method in CASES:
        allowed = POLICIES[service].roles_by_method[method]
        got = await _code(protected[service], service, method, None)
        if got != grpc.StatusCode.UNAUTHENTICATED:
            wrong.append((service, method, "no token", got))
        for role in ROLES:
            got = await _code(protected[service], service, method, TOKENS[role])
            refused = got in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)
            if role in allowed and refused:
                wrong.append((service, method, role, got))
            elif role not in allowed and got != grpc.StatusCode.PERMISSION_DENIED:
                wrong.append((service, method, role, got))
    assert wrong == []
    assert len(CASES) >= 41  # all three protos were enumerated


async def test_a_pbx_token_cannot_point_an_agent_at_another_endpoint(protected):
    stub = router_pb2_grpc.RouterServiceStub(protected["router"])
    agent = router_pb2.Agent(id="anna", endpoint="sip:attacker@evil.example", queues=["sales"])
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.UpsertAgent(router_pb2.UpsertAgentRequest(agent=agent), metadata=bearer(TOKENS["pbx"]), timeout=5)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await stub.GetAgent(router_pb2.GetAgentRequest(agent_id="anna"), metadata=bearer(TOKENS["admin"]), timeout=5)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND  # nothing was stored


async def test_a_pbx_credential_acts_only_as_its_own_pbx(protected):
    stub = router_pb2_grpc.RouterServiceStub(protected["router"])
    token = bearer(TOKENS["pbx"])  # the credential's name is "pbx-client"

    async def hello(pbx_id: str) -> grpc.StatusCode:
        lease = router_pb2.PbxHello(pbx_id=pbx_id)
        lease.lease.FromMilliseconds(5000)
        call = stub.PbxSession(iter([router_pb2.PbxSessionRequest(hello=lease)]), metadata=token, timeout=5)
        try:
            async for _ in call:
                return grpc.StatusCode.OK  # opened
        except grpc.aio.AioRpcError as exc:
            return exc.code()
        return grpc.StatusCode.OK

    assert await hello("other-pbx") == grpc.StatusCode.PERMISSION_DENIED
    assert await hello("pbx-client") == grpc.StatusCode.OK
    assert await hello("pbx-client-2") == grpc.StatusCode.OK  # a replica of a StatefulSet
    route = router_pb2.RouteCallRequest(call_id="c-1", caller="+4930111", queue="sales", pbx_id="other-pbx")
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.RouteCall(route, metadata=token, timeout=5)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED and "pbx_id" in refused.value.details()


async def test_a_pbx_credential_cannot_touch_the_calls_of_another_pbx(protected, tmp_path):
    router = protected["router"]
    stub = router_pb2_grpc.RouterServiceStub(router)
    admin = bearer(TOKENS["admin"])
    await stub.UpsertQueue(router_pb2.UpsertQueueRequest(queue=router_pb2.Queue(name="sales")), metadata=admin)
    ours = bearer(TOKENS["pbx"])
    route = router_pb2.RouteCallRequest(call_id="c-ours", caller="+4930111", queue="sales")
    await stub.RouteCall(route, metadata=ours, timeout=5)
    await stub.GetCall(router_pb2.GetCallRequest(call_id="c-ours"), metadata=ours, timeout=5)  # its own call
    # Another PBX's credential: the callers file is re-read (rotation adds one without a restart).
    callers = next(tmp_path.rglob("callers"))
    other = new_token()
    callers.write_text(callers.read_text() + f"other-pbx pbx {hash_token(other)}\n")
    theirs = bearer(other)

    async def refused(call) -> grpc.StatusCode:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call
        return error.value.code()

    async def admitted() -> bool:  # the new line is read within a second
        for _ in range(100):
            try:
                await stub.GetCall(router_pb2.GetCallRequest(call_id="nope"), metadata=theirs, timeout=5)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    return True
            await asyncio.sleep(0.05)
        return False

    assert await admitted()
    denied = grpc.StatusCode.PERMISSION_DENIED
    assert await refused(stub.GetCall(router_pb2.GetCallRequest(call_id="c-ours"), metadata=theirs)) == denied
    assert await refused(stub.HangupCall(router_pb2.HangupCallRequest(call_id="c-ours"), metadata=theirs)) == denied
    assert await refused(stub.RouteCall(route, metadata=theirs)) == denied  # not even its state
    outcome = router_pb2.ReportOfferOutcomeRequest(
        call_id="c-ours", offer_id="c-ours#1", outcome=router_pb2.OFFER_OUTCOME_ANSWERED
    )
    assert await refused(stub.ReportOfferOutcome(outcome, metadata=theirs)) == denied
    watch = stub.WatchCall(router_pb2.WatchCallRequest(call_id="c-ours"), metadata=theirs, timeout=5)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        async for _ in watch:
            pass
    assert error.value.code() == denied
    # The call is untouched: still waiting, and ours to hang up.
    call = (await stub.GetCall(router_pb2.GetCallRequest(call_id="c-ours"), metadata=admin)).call
    assert call.state != 0
    await stub.HangupCall(router_pb2.HangupCallRequest(call_id="c-ours"), metadata=ours, timeout=5)
