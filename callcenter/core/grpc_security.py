"""TLS and credentials of gRPC servers and clients (docs/security.md).

A service serves TLS when given a certificate and key (PEM files, re-read when they change: a
renewed certificate is used from the next connection on, without a restart) and authenticates
its callers when given a callers file (callcenter/core/auth.py). On a loopback address it may
run without either (`callcenter up` stays zero-config); on any other address it refuses to
start without both, unless CALLCENTER_GRPC_ALLOW_INSECURE says otherwise.

A client (the gateway, the simulator, the bench, the Kamailio integration) presents a bearer
token read from a file and/or a client certificate, and verifies the services' certificates
against a CA file when one is given.
"""

from __future__ import annotations

import ipaddress
import os
import pathlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

from callcenter.core import tracing
from callcenter.core.audit import ON_BEHALF_KEY, current_actor
from callcenter.core.settings import ConfigError, setting

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class GrpcServerSecurity:
    """How a gRPC service protects its port."""

    tls_cert_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_TLS_CERT_FILE",
        None,
        "the service's certificate chain (PEM); with the key: serve TLS, re-read when the file changes",
        shown_default="unset (no TLS)",
    )
    tls_key_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_TLS_KEY_FILE", None, "the private key of that certificate (PEM)", shown_default="unset"
    )
    tls_client_ca_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_TLS_CLIENT_CA_FILE",
        None,
        "CA that must have signed every client's certificate (mutual TLS: a client without one is refused at"
        " the handshake); a caller is then known by its token, or without one by its certificate's name (callers"
        " file entries `name role cert`)",
        shown_default="unset (no client certificates)",
    )
    callers_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_CALLERS_FILE",
        None,
        "who may call, one `name role credential` per line (roles pbx, gateway, crm, admin; credential"
        " `sha256:<hex>` of a bearer token or `cert`); re-read when it changes. Unset: no authentication",
        shown_default="unset",
    )
    allow_insecure: bool = setting(
        "CALLCENTER_GRPC_ALLOW_INSECURE",
        False,
        "listen on a non-loopback address without TLS or authentication (never in production)",
    )

    def __post_init__(self) -> None:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ConfigError("CALLCENTER_GRPC_TLS_CERT_FILE and CALLCENTER_GRPC_TLS_KEY_FILE go together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ConfigError("CALLCENTER_GRPC_TLS_CLIENT_CA_FILE needs CALLCENTER_GRPC_TLS_CERT_FILE (mutual TLS)")

    @property
    def tls(self) -> bool:
        return self.tls_cert_file is not None


def is_loopback(host: str) -> bool:
    """Whether a listening address reaches only this machine."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name, "0.0.0.0" is an address: only literal loopback counts


def check_listening(host: str, security: GrpcServerSecurity) -> None:
    """Refuses a listening address off loopback without TLS and authentication."""
    if is_loopback(host) or security.allow_insecure:
        return
    missing = [
        what
        for what, present in (
            ("TLS (CALLCENTER_GRPC_TLS_CERT_FILE and CALLCENTER_GRPC_TLS_KEY_FILE)", security.tls),
            ("authentication (CALLCENTER_GRPC_CALLERS_FILE)", security.callers_file is not None),
        )
        if not present
    ]
    if missing:
        raise ConfigError(
            f"refusing to listen on {host} without {' and '.join(missing)}: anyone on the network could call it."
            " `callcenter credentials init` creates them (docs/security.md); CALLCENTER_GRPC_ALLOW_INSECURE=1"
            " listens anyway"
        )


class _CertificateFiles:
    """The PEM files of a TLS server, re-read when one changes (size or modification time)."""

    def __init__(self, security: GrpcServerSecurity) -> None:
        assert security.tls_cert_file is not None and security.tls_key_file is not None
        self.paths = [security.tls_cert_file, security.tls_key_file, security.tls_client_ca_file]
        self._lock = threading.Lock()  # the fetcher runs on gRPC's threads
        self._seen = self._stamp()
        self.initial = self._configuration()

    def _stamp(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for path in self.paths:
            if path is not None:
                st = os.stat(path)
                stamps.append((st.st_mtime_ns, st.st_size))
        return tuple(stamps)

    def _configuration(self) -> Any:
        cert, key, ca = (p.read_bytes() if p is not None else None for p in self.paths)
        return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=ca)

    def fetch(self) -> Any:
        """gRPC asks before each handshake: a new configuration when the files changed, else None."""
        with self._lock:
            try:
                stamp = self._stamp()
                if stamp == self._seen:
                    return None
                configuration = self._configuration()
            except (OSError, ValueError) as exc:  # half-written during a rotation: keep the old one
                log.warning("grpc.tls_reload_failed", error=str(exc))
                return None
            self._seen = stamp
            log.info("grpc.tls_reloaded", cert=str(self.paths[0]))
            return configuration


def server_credentials(security: GrpcServerSecurity) -> grpc.ServerCredentials | None:
    """The port's credentials: None without TLS. With a client CA every client must present a
    certificate it signed (grpcio offers no "request but do not require" mode)."""
    if not security.tls:
        return None
    try:
        files = _CertificateFiles(security)
    except OSError as exc:
        raise ConfigError(f"cannot read the TLS files: {exc}") from exc
    return grpc.dynamic_ssl_server_credentials(
        files.initial, files.fetch, require_client_authentication=security.tls_client_ca_file is not None
    )


# Clients -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrpcClientCredentials:
    """What a client presents to the services it calls, and how it verifies them."""

    token_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_TOKEN_FILE",
        None,
        "file holding this client's bearer token for the services it calls",
        shown_default="unset (no token)",
    )
    ca_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_CA_FILE",
        None,
        "CA that signed the services' certificates; set: connect with TLS",
        shown_default="unset (plain connections)",
    )
    client_cert_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_CLIENT_CERT_FILE", None, "client certificate for mutual TLS (PEM)", shown_default="unset"
    )
    client_key_file: pathlib.Path | None = setting(
        "CALLCENTER_GRPC_CLIENT_KEY_FILE", None, "the client certificate's private key (PEM)", shown_default="unset"
    )
    server_name: str = setting(
        "CALLCENTER_GRPC_SERVER_NAME",
        "",
        "name the services' certificates are checked against instead of the address's host",
        pattern=r"[A-Za-z0-9.-]{0,253}",
    )

    def __post_init__(self) -> None:
        if (self.client_cert_file is None) != (self.client_key_file is None):
            raise ConfigError("CALLCENTER_GRPC_CLIENT_CERT_FILE and CALLCENTER_GRPC_CLIENT_KEY_FILE go together")
        if self.client_cert_file is not None and self.ca_file is None:
            raise ConfigError("a client certificate needs CALLCENTER_GRPC_CA_FILE (mutual TLS)")

    def token(self) -> str:
        if self.token_file is None:
            return ""
        try:
            return self.token_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read CALLCENTER_GRPC_TOKEN_FILE: {exc}") from exc

    def channel_credentials(self) -> grpc.ChannelCredentials | None:
        if self.ca_file is None:
            return None
        try:
            ca = self.ca_file.read_bytes()
            key = self.client_key_file.read_bytes() if self.client_key_file else None
            chain = self.client_cert_file.read_bytes() if self.client_cert_file else None
        except OSError as exc:
            raise ConfigError(f"cannot read the client's TLS files: {exc}") from exc
        return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=chain)

    def channel_options(self) -> list[tuple[str, Any]]:
        return [("grpc.ssl_target_name_override", self.server_name)] if self.server_name else []


def call_metadata(token: str) -> Callable[[], list[tuple[str, str]]]:
    """The metadata every call of a client carries: its token, the user it acts for when one
    is set (callcenter/core/audit.py) and the trace it belongs to (callcenter/core/tracing.py)."""
    fixed = [("authorization", f"Bearer {token}")] if token else []

    def metadata() -> list[tuple[str, str]]:
        actor = current_actor.get()
        on_behalf = [(ON_BEHALF_KEY, actor.name)] if actor is not None and not actor.via else []
        return [*fixed, *on_behalf, *tracing.outgoing_headers()]

    return metadata


def _with_metadata(details: Any, extra: list[tuple[str, str]]) -> Any:
    if not extra:
        return details
    return grpc.aio.ClientCallDetails(
        details.method,
        details.timeout,
        [*(details.metadata or ()), *extra],
        details.credentials,
        details.wait_for_ready,
    )


class _AioMetadata(
    grpc.aio.UnaryUnaryClientInterceptor,  # type: ignore[misc, unused-ignore]
    grpc.aio.UnaryStreamClientInterceptor,  # type: ignore[misc, unused-ignore]
    grpc.aio.StreamUnaryClientInterceptor,  # type: ignore[misc, unused-ignore]
    grpc.aio.StreamStreamClientInterceptor,  # type: ignore[misc, unused-ignore]
):
    def __init__(self, metadata: Callable[[], list[tuple[str, str]]]) -> None:
        self.metadata = metadata

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_metadata(details, self.metadata()), request)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_metadata(details, self.metadata()), request)

    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_with_metadata(details, self.metadata()), requests)

    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_with_metadata(details, self.metadata()), requests)


def aio_channel(
    target: str,
    credentials: GrpcClientCredentials | None = None,
    *,
    options: Sequence[tuple[str, Any]] = (),
    interceptors: Sequence[Any] = (),
) -> grpc.aio.Channel:
    """An asyncio channel to a service with this client's credentials (none: a plain channel
    without a token, as on a zero-config loopback)."""
    credentials = credentials or GrpcClientCredentials()
    every = [_AioMetadata(call_metadata(credentials.token())), *interceptors]
    all_options = [*options, *credentials.channel_options()]
    tls = credentials.channel_credentials()
    if tls is None:
        return grpc.aio.insecure_channel(target, options=all_options, interceptors=every)
    return grpc.aio.secure_channel(target, tls, options=all_options, interceptors=every)


class _SyncMetadata(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc, unused-ignore]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc, unused-ignore]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc, unused-ignore]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc, unused-ignore]
):
    def __init__(self, metadata: list[tuple[str, str]]) -> None:
        self.metadata = metadata

    def _details(self, details: Any) -> Any:
        return _SyncDetails(
            details.method,
            details.timeout,
            [*(details.metadata or ()), *self.metadata, *tracing.outgoing_headers()],
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


@dataclass(frozen=True)
class _SyncDetails(grpc.ClientCallDetails):  # type: ignore[misc, unused-ignore]
    method: str
    timeout: float | None
    metadata: Any
    credentials: Any
    wait_for_ready: Any
    compression: Any


def sync_channel(
    target: str, credentials: GrpcClientCredentials | None = None, *, options: Sequence[tuple[str, Any]] = ()
) -> grpc.Channel:
    """A blocking channel (the Kamailio integration's workers) with this client's credentials."""
    credentials = credentials or GrpcClientCredentials()
    all_options = [*options, *credentials.channel_options()]
    tls = credentials.channel_credentials()
    channel = (
        grpc.insecure_channel(target, options=all_options)
        if tls is None
        else grpc.secure_channel(target, tls, options=all_options)
    )
    token = credentials.token()
    fixed = [("authorization", f"Bearer {token}")] if token else []
    return grpc.intercept_channel(channel, _SyncMetadata(fixed))
