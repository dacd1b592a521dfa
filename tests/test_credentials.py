"""`callcenter credentials` (tools/credentials.py): the files `init` writes and their modes, the
CA verifying every certificate it issued, a real router serving TLS with them (a token of
DIR/tokens is accepted, a client trusting another CA is refused at the handshake), token
rotation without a restart (`token` adds a working token, `revoke` removes it), renewal, and
bad options refused with exit status 2 naming the option."""

from __future__ import annotations

import argparse
import asyncio
import pathlib
import ssl
import stat
import subprocess
import sys

import grpc
import pytest
from cryptography import x509
from cryptography.x509 import verification

from callcenter.api.router.v1 import conversations_pb2, conversations_pb2_grpc, router_pb2, router_pb2_grpc
from callcenter.core.auth import CallerTable, hash_token
from callcenter.core.grpc_security import GrpcServerSecurity
from callcenter.tools.credentials import add_arguments, run_from_args

SERVICES = ("router", "stats", "recorder")
DEFAULT_CALLERS = {
    "gateway": "gateway",
    "kamailio": "pbx",
    "simulator": "pbx",
    "crm": "crm",
    "webhooks": "crm",
    "messaging": "messaging",
    "admin": "admin",
}


def credentials(*args: str) -> int:
    """`callcenter credentials ARGS` in this process (cli.main would also set up logging on the
    test's captured stdout; the subprocess test below goes through it)."""
    parser = argparse.ArgumentParser(prog="callcenter credentials")
    add_arguments(parser)
    return run_from_args(parser.parse_args([str(a) for a in args]))


def mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def certificate(path: pathlib.Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    """One `credentials init` with a client certificate and an extra name, for the tests that only read."""
    folder = tmp_path_factory.mktemp("issued") / "creds"
    assert credentials("init", folder, "--client-cert", "kam-tls:pbx", "--dns", "pbx-gw.example.com") == 0
    return folder


# ---- what init writes ----------------------------------------------------------------------------


def test_init_writes_keys_and_tokens_readable_only_by_the_owner(issued):
    assert mode(issued) == 0o700
    for folder in [*SERVICES, "tokens", "clients", "clients/kam-tls"]:
        assert mode(issued / folder) == 0o700, folder
    secret = [issued / "ca.key", issued / "callers", *(issued / s / "tls.key" for s in SERVICES)]
    secret += [issued / "clients/kam-tls/tls.key", *(issued / "tokens").iterdir()]
    for path in secret:
        assert mode(path) == 0o600, path
    assert sorted(p.name for p in (issued / "tokens").iterdir()) == sorted(f"{n}.token" for n in DEFAULT_CALLERS)
    for service in SERVICES:
        assert sorted(p.name for p in (issued / service).iterdir()) == ["ca.crt", "tls.crt", "tls.key"]
        assert (issued / service / "ca.crt").read_bytes() == (issued / "ca.crt").read_bytes()


def test_the_callers_file_holds_the_hashes_of_the_tokens_and_the_certificate(issued):
    table = CallerTable.parse((issued / "callers").read_text())
    for name, role in DEFAULT_CALLERS.items():
        token = (issued / "tokens" / f"{name}.token").read_text().strip()
        assert len(token) >= 43
        caller = table.by_token(token)
        assert caller is not None and (caller.name, caller.role) == (name, role)
        assert hash_token(token) in (issued / "callers").read_text()
        assert token not in (issued / "callers").read_text()
    assert table.by_certificate(["kam-tls"]).role == "pbx"


def test_the_ca_verifies_every_server_certificate_for_each_name_of_its_service(issued):
    ca = certificate(issued / "ca.crt")
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    store = verification.Store([ca])
    for service in SERVICES:
        cert = certificate(issued / service / "tls.crt")
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(usage) == [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = names.get_values_for_type(x509.DNSName)
        for name in (service, f"{service}.callcenter.svc", f"{service}.callcenter.svc.cluster.local", "localhost"):
            assert name in dns
            verifier = verification.PolicyBuilder().store(store).build_server_verifier(x509.DNSName(name))
            verifier.verify(cert, [])
        assert "pbx-gw.example.com" in dns
        assert {str(ip) for ip in names.get_values_for_type(x509.IPAddress)} >= {"127.0.0.1"}
        wrong = verification.PolicyBuilder().store(store).build_server_verifier(x509.DNSName("evil.example"))
        with pytest.raises(verification.VerificationError):
            wrong.verify(cert, [])
    client = certificate(issued / "clients/kam-tls/tls.crt")
    assert client.subject.rfc4514_string() == "CN=kam-tls"
    usage = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
    verification.PolicyBuilder().store(store).build_client_verifier().verify(client, [])


def test_init_prints_what_it_wrote_and_the_kubectl_commands_but_no_token(tmp_path, capsys):
    assert credentials("init", tmp_path / "c", "--namespace", "callcenter-dev", "--caller", "gateway:gateway") == 0
    out = capsys.readouterr().out
    assert "kubectl -n callcenter-dev create secret generic callcenter-router-tls" in out
    assert "callcenter-gateway-grpc" in out and "callers" in out
    assert (tmp_path / "c" / "tokens" / "gateway.token").read_text().strip() not in out
    # --caller replaces the default callers.
    assert [p.name for p in (tmp_path / "c" / "tokens").iterdir()] == ["gateway.token"]


def test_init_refuses_an_existing_folder_unless_forced(tmp_path, capsys):
    folder = tmp_path / "c"
    assert credentials("init", folder) == 0
    ca = (folder / "ca.crt").read_bytes()
    assert credentials("init", folder) == 2
    assert "--force" in capsys.readouterr().err
    assert (folder / "ca.crt").read_bytes() == ca
    assert credentials("init", folder, "--force", "--service", "router") == 0
    assert (folder / "ca.crt").read_bytes() != ca
    assert not (folder / "stats").exists()  # a certificate of the old CA would be left to mislead
    (folder / "notes.txt").write_text("mine")
    assert credentials("init", folder, "--force") == 0
    assert (folder / "notes.txt").read_text() == "mine"  # only what init writes is replaced


# ---- a real router with these files --------------------------------------------------------------


def tls_for(ca: pathlib.Path, client: pathlib.Path | None = None) -> grpc.ChannelCredentials:
    if client is None:
        return grpc.ssl_channel_credentials(root_certificates=ca.read_bytes())
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=(client / "tls.key").read_bytes(),
        certificate_chain=(client / "tls.crt").read_bytes(),
    )


async def list_queues(port: int, tls: grpc.ChannelCredentials, token: str | None, target: str = "127.0.0.1"):
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    async with grpc.aio.secure_channel(f"{target}:{port}", tls) as channel:
        return await router_pb2_grpc.RouterServiceStub(channel).ListQueues(
            router_pb2.ListQueuesRequest(), metadata=metadata, timeout=5
        )


async def status_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return refused.value.code()


def server_security(folder: pathlib.Path, *, mutual: bool = False) -> GrpcServerSecurity:
    return GrpcServerSecurity(
        tls_cert_file=folder / "router" / "tls.crt",
        tls_key_file=folder / "router" / "tls.key",
        tls_client_ca_file=folder / "ca.crt" if mutual else None,
        callers_file=folder / "callers",
    )


def token_of(folder: pathlib.Path, name: str) -> str:
    return (folder / "tokens" / f"{name}.token").read_text().strip()


async def test_a_router_serves_tls_with_the_files_and_accepts_their_tokens(tmp_path, start_replica):
    folder, other = tmp_path / "creds", tmp_path / "other"
    assert credentials("init", folder) == 0 and credentials("init", other) == 0
    replica = await start_replica(grpc=server_security(folder))
    tls = tls_for(folder / "ca.crt")
    await list_queues(replica.port, tls, token_of(folder, "gateway"))
    await list_queues(replica.port, tls, token_of(folder, "admin"), target="localhost")
    assert await status_of(list_queues(replica.port, tls, None)) == grpc.StatusCode.UNAUTHENTICATED
    assert await status_of(list_queues(replica.port, tls, token_of(other, "gateway"))) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    assert await status_of(list_queues(replica.port, tls, token_of(folder, "kamailio"))) == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    # A client trusting another CA refuses the router's certificate at the handshake.
    assert await status_of(list_queues(replica.port, tls_for(other / "ca.crt"), token_of(folder, "gateway"))) == (
        grpc.StatusCode.UNAVAILABLE
    )
    # Plaintext does not get through either.
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        call = router_pb2_grpc.RouterServiceStub(channel).ListQueues(router_pb2.ListQueuesRequest(), timeout=5)
        assert await status_of(call) == grpc.StatusCode.UNAVAILABLE


async def test_a_client_certificate_authenticates_its_caller_under_mutual_tls(issued, start_replica):
    replica = await start_replica(grpc=server_security(issued, mutual=True))
    ca = issued / "ca.crt"
    # Known by its certificate's name, as a pbx: not allowed to list queues, but authenticated.
    with_cert = tls_for(ca, issued / "clients" / "kam-tls")
    assert await status_of(list_queues(replica.port, with_cert, None)) == grpc.StatusCode.PERMISSION_DENIED
    await list_queues(replica.port, with_cert, token_of(issued, "gateway"))
    # Mutual TLS: no certificate, no connection.
    assert await status_of(list_queues(replica.port, tls_for(ca), token_of(issued, "gateway"))) == (
        grpc.StatusCode.UNAVAILABLE
    )


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as refused:
        return refused.code()
    return grpc.StatusCode.OK


async def becomes(expected: grpc.StatusCode, make_call, timeout_s: float = 5.0) -> None:
    """Calls until the answer is `expected`: the router re-reads its callers file once a second."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (code := await code_of(make_call())) != expected:
        assert asyncio.get_running_loop().time() < deadline, code
        await asyncio.sleep(0.1)


async def test_token_rotation_add_then_revoke_without_a_restart(tmp_path, start_replica, capsys):
    folder = tmp_path / "creds"
    assert credentials("init", folder) == 0
    replica = await start_replica(grpc=server_security(folder))
    tls, callers = tls_for(folder / "ca.crt"), folder / "callers"
    old = token_of(folder, "gateway")
    capsys.readouterr()

    # Add the new token; both work while the clients roll over.
    assert credentials("token", "gateway", "gateway", "--callers", callers, "--out", tmp_path / "new.token") == 0
    new = (tmp_path / "new.token").read_text().strip()
    assert mode(tmp_path / "new.token") == 0o600 and mode(callers) == 0o600
    printed = capsys.readouterr()
    assert new not in printed.out + printed.err
    assert f"--hash {hash_token(old)}" in printed.err  # how to revoke the earlier token, once rolled over
    await becomes(grpc.StatusCode.OK, lambda: list_queues(replica.port, tls, new))
    await list_queues(replica.port, tls, old)

    # Revoke the old one: refused within a second, the new one still works.
    assert credentials("revoke", "gateway", "--callers", callers, "--hash", hash_token(old)) == 0
    await becomes(grpc.StatusCode.UNAUTHENTICATED, lambda: list_queues(replica.port, tls, old))
    await list_queues(replica.port, tls, new)
    assert CallerTable.parse(callers.read_text()).by_token(token_of(folder, "admin")) is not None  # others kept

    # Revoke the caller: every token of it goes.
    assert credentials("revoke", "gateway", "--callers", callers) == 0
    await becomes(grpc.StatusCode.UNAUTHENTICATED, lambda: list_queues(replica.port, tls, new))
    assert "gateway" not in callers.read_text()
    assert credentials("revoke", "gateway", "--callers", callers) == 1  # nothing left to remove


def test_token_without_out_prints_the_token_once_on_stdout(issued, tmp_path, capsys):
    callers = tmp_path / "callers"
    callers.write_bytes((issued / "callers").read_bytes())
    assert credentials("token", "crm-2", "crm", "--callers", callers) == 0
    printed = capsys.readouterr()
    token = printed.out.strip()
    assert CallerTable.parse(callers.read_text()).by_token(token).name == "crm-2"
    assert hash_token(token) in printed.err and token not in printed.err


def test_a_messaging_gateway_is_issued_a_token_of_role_messaging(issued, tmp_path, capsys):
    callers = tmp_path / "callers"
    callers.write_bytes((issued / "callers").read_bytes())
    assert credentials("token", "chat-widget", "messaging", "--callers", callers) == 0
    printed = capsys.readouterr()
    caller = CallerTable.parse(callers.read_text()).by_token(printed.out.strip())
    assert (caller.name, caller.role, caller.scoped) == ("chat-widget", "messaging", False)
    assert "serves every queue and channel: --queue and --channel limit" in printed.err


def test_token_with_queue_and_channel_writes_a_scoped_entry_that_rotation_keeps(issued, tmp_path, capsys):
    callers = tmp_path / "callers"
    callers.write_bytes((issued / "callers").read_bytes())
    scope = ["--queue", "support", "--queue", "sales", "--channel", "webchat"]
    assert credentials("token", "chat-widget", "messaging", "--callers", callers, *scope) == 0
    first = capsys.readouterr().out.strip()
    line = callers.read_text().splitlines()[-1]
    assert line == f"chat-widget messaging {hash_token(first)} queues=sales,support channels=webchat"
    caller = CallerTable.parse(callers.read_text()).by_token(first)
    assert (caller.queues, caller.channels) == ({"support", "sales"}, {"webchat"})

    # Rotation without the options: the new token keeps the scope, never every queue.
    assert credentials("token", "chat-widget", "messaging", "--callers", callers) == 0
    printed = capsys.readouterr()
    second = CallerTable.parse(callers.read_text()).by_token(printed.out.strip())
    assert (second.queues, second.channels) == (caller.queues, caller.channels)
    assert "the scope of its earlier token" in printed.err and f"--hash {hash_token(first)}" in printed.err
    assert "serves every queue" not in printed.err
    assert credentials("revoke", "chat-widget", "--callers", callers, "--hash", hash_token(first)) == 0
    assert CallerTable.parse(callers.read_text()).by_token(first) is None
    assert callers.read_text().count("chat-widget messaging") == 1


async def test_the_messaging_token_init_issues_posts_customers_messages_and_nothing_else(tmp_path, start_replica):
    folder = tmp_path / "creds"
    assert credentials("init", folder) == 0
    replica = await start_replica(grpc=server_security(folder))
    metadata = (("authorization", f"Bearer {token_of(folder, 'messaging')}"),)
    admin = (("authorization", f"Bearer {token_of(folder, 'admin')}"),)
    async with grpc.aio.secure_channel(f"127.0.0.1:{replica.port}", tls_for(folder / "ca.crt")) as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        queue = router_pb2.UpsertQueueRequest(queue=router_pb2.Queue(name="sales"))
        await router.UpsertQueue(queue, metadata=admin, timeout=5)
        conversations = conversations_pb2_grpc.ConversationServiceStub(channel)
        message = conversations_pb2.PostCustomerMessageRequest(
            conversation_id="chat-1", message_id="m1", text="hello", channel="webchat", queue="sales"
        )
        posted = await conversations.PostCustomerMessage(message, metadata=metadata, timeout=5)
        got = await conversations.GetConversation(
            conversations_pb2.GetConversationRequest(conversation_id="chat-1"), metadata=metadata, timeout=5
        )
        assert posted.conversation.conversation_id == got.conversation.conversation_id == "chat-1"
        listing = router.ListQueues(router_pb2.ListQueuesRequest(), metadata=metadata, timeout=5)
        assert await status_of(listing) == grpc.StatusCode.PERMISSION_DENIED
        listing = conversations.ListConversations(
            conversations_pb2.ListConversationsRequest(), metadata=metadata, timeout=5
        )
        assert await status_of(listing) == grpc.StatusCode.PERMISSION_DENIED


async def served_certificate(port: int) -> x509.Certificate:
    """The certificate a new TLS handshake with the port gets."""
    pem = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", port))
    return x509.load_pem_x509_certificate(pem.encode())


async def test_renew_issues_new_certificates_the_running_router_picks_up(tmp_path, start_replica, capsys):
    folder = tmp_path / "creds"
    assert credentials("init", folder, "--days", "2") == 0
    replica = await start_replica(grpc=server_security(folder))
    tls = tls_for(folder / "ca.crt")
    before = certificate(folder / "router" / "tls.crt")
    await list_queues(replica.port, tls, token_of(folder, "admin"))
    assert (await served_certificate(replica.port)).serial_number == before.serial_number
    assert credentials("renew", folder, "--days", "30") == 0
    after = certificate(folder / "router" / "tls.crt")
    assert after.serial_number != before.serial_number and after.not_valid_after_utc > before.not_valid_after_utc
    assert after.extensions.get_extension_for_class(x509.SubjectAlternativeName) == (
        before.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    )
    assert mode(folder / "router" / "tls.key") == 0o600
    assert (await served_certificate(replica.port)).serial_number == after.serial_number  # no restart
    await list_queues(replica.port, tls, token_of(folder, "admin"))
    assert "router" in capsys.readouterr().out


# ---- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["init", "{dir}/x", "--caller", "gateway:root"], "--caller"),
        (["init", "{dir}/x", "--caller", "gateway"], "--caller"),
        (["init", "{dir}/x", "--caller", "bad/name:pbx"], "--caller"),
        (["init", "{dir}/x", "--client-cert", "kam:superuser"], "--client-cert"),
        (["init", "{dir}/x", "--service", "Router_1"], "--service"),
        (["init", "{dir}/x", "--service", "tokens"], "--service"),
        (["init", "{dir}/x", "--namespace", "Call.Center"], "--namespace"),
        (["init", "{dir}/x", "--dns", "not a name"], "--dns"),
        (["init", "{dir}/x", "--days", "0"], "--days"),
        (["init", "{dir}/x", "--caller", "a:pbx", "--caller", "a:crm"], "--caller"),
        (["token", "kam", "superuser", "--callers", "{dir}/callers"], "ROLE"),
        (["token", "kam", "pbx", "--callers", "{dir}/absent"], "--callers"),
        (["token", "admin", "pbx", "--callers", "{dir}/callers"], "role admin"),
        (["revoke", "kam", "--callers", "{dir}/callers", "--hash", "md5:abc"], "--hash"),
        (["token", "kam", "pbx", "--callers", "{dir}/callers", "--queue", "support"], "--queue"),
        (["token", "w", "messaging", "--callers", "{dir}/callers", "--queue", "bad/queue"], "--queue"),
        (["token", "w", "messaging", "--callers", "{dir}/callers", "--channel", ""], "--channel"),
    ],
)
def test_bad_options_exit_2_naming_the_option(issued, tmp_path, args, named, capsys):
    (tmp_path / "callers").write_bytes((issued / "callers").read_bytes())
    try:
        code = credentials(*(a.format(dir=tmp_path) for a in args))
    except SystemExit as exit_:  # argparse's refusals
        code = exit_.code
    assert code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
    assert (tmp_path / "callers").read_bytes() == (issued / "callers").read_bytes()


def test_the_callcenter_command_runs_it_and_exits_2_on_an_unknown_role(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "callcenter.cli", "credentials", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60)

    refused = run("init", str(tmp_path / "x"), "--caller", "gw:root")
    assert refused.returncode == 2
    assert "argument --caller: unknown role 'root'" in refused.stderr
    assert not (tmp_path / "x").exists()
    done = run("init", str(tmp_path / "x"), "--caller", "gw:gateway")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x" / "tokens" / "gw.token").exists()
