"""Who is calling a gRPC service, and may they (docs/security.md).

A caller presents a bearer token (`authorization: Bearer <token>` metadata) or a client
certificate. The callers file names each caller with its role; tokens are kept hashed
(SHA-256: they are long random strings, so a plain hash is enough), several per name at once so
they rotate without downtime, and the file is re-read when it changes. Each service declares,
once, which roles may call each of its RPCs (an `AccessPolicy`); the interceptor checks every
call against it: no or an unknown credential -> UNAUTHENTICATED, a role outside the RPC's ->
PERMISSION_DENIED, an RPC the policy does not name -> PERMISSION_DENIED for all but admin (a
new RPC is closed until it is declared). Health checking and reflection stay open. The caller
is bound to the log context and kept in `current_caller`; the actor of the changes the RPC
makes (callcenter/core/audit.py) in `current_actor`. A messaging caller's entry may carry a
scope (`queues=`, `channels=`): the router's conversations domain holds it to those
(`messaging_scope`, services/router/conversations.py).
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import inspect
import os
import pathlib
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

from callcenter.core import ids
from callcenter.core.audit import ON_BEHALF_KEY, RELAYING_ROLES, Actor, current_actor, valid_actor_name
from callcenter.core.errors import PermissionDenied
from callcenter.core.settings import ConfigError

log = structlog.get_logger(__name__)

#: messaging: a chat widget's backend or a messaging gateway relaying customers' messages to
#: the router (services/router/access.py: PostCustomerMessage and GetConversation only).
ROLES = ("pbx", "gateway", "crm", "messaging", "admin")
#: Methods every caller may use without credentials.
OPEN_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection")
_BEARER = "bearer "


#: The role whose callers-file entries may carry a scope (queues=, channels=).
MESSAGING = "messaging"
#: The scope keys of a callers-file entry: the queues and channels a messaging caller serves.
SCOPE_KEYS = ("queues", "channels")


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the token's name (e.g. "kamailio-1") and its role; for role
    messaging, the queues and channels it serves (each empty: every one, as before scopes)."""

    name: str
    role: str
    queues: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()

    @property
    def scoped(self) -> bool:
        return bool(self.queues or self.channels)

    def serves(self, queue: str, channel: str) -> bool:
        """Whether a conversation of this queue and channel is within the caller's scope (the
        rule post_customer_message.lua applies to a post, inside its transition)."""
        return (not self.queues or queue in self.queues) and (not self.channels or channel in self.channels)


current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("current_caller", default=None)


def messaging_scope() -> Caller | None:
    """The current caller when it is a messaging caller limited to some queues or channels,
    else None (every other role, an unscoped messaging caller, no authentication)."""
    caller = current_caller.get()
    return caller if caller is not None and caller.role == MESSAGING and caller.scoped else None


def new_token() -> str:
    """A fresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


#: The credential of a callers-file entry that authenticates by client certificate.
CERTIFICATE = "cert"
_NAME = re.compile(r"[A-Za-z0-9_.@:-]{1,128}")


def parse_scope(fields: Iterable[str]) -> dict[str, frozenset[str]]:
    """The `key=name,name` fields after an entry's credential (SCOPE_KEYS), each name a queue
    or channel name (callcenter/core/ids.py)."""
    scope: dict[str, frozenset[str]] = {}
    for field in fields:
        key, sep, value = field.partition("=")
        if not sep or key not in SCOPE_KEYS:
            raise ValueError(f"unknown field {field[:40]!r} (after the credential: {'=, '.join(SCOPE_KEYS)}=)")
        if key in scope:
            raise ValueError(f"{key}= given twice")
        names = value.split(",")
        for name in names:
            if not name:
                raise ValueError(f"{key}=: an empty name (names separated by commas, no spaces)")
            if problem := ids.name_problem(name):
                raise ValueError(f"{key}=: {problem}")
        scope[key] = frozenset(names)
    return scope


def entry_line(name: str, role: str, credential: str, queues: Iterable[str] = (), channels: Iterable[str] = ()) -> str:
    """One line of the callers file, as CallerTable.parse reads it (no line break)."""
    fields = [name, role, credential]
    for key, names in zip(SCOPE_KEYS, (queues, channels), strict=True):
        if names := sorted(set(names)):
            fields.append(f"{key}={','.join(names)}")
    return " ".join(fields)


class CallerTable:
    """Who may call: lines `name role credential [queues=a,b] [channels=x,y]` (# starts a
    comment), the credential being `sha256:<hex>` of a bearer token or `cert` (a client
    certificate whose common name or a subject alternative name is `name`, signed by the
    service's client CA). A name may have several tokens at once: that is how they rotate.
    `queues=` and `channels=` limit a messaging caller to those queues' and channels'
    conversations (services/router/conversations.py); no other role takes them."""

    def __init__(self, entries: Iterable[tuple[str, str, str]] = ()) -> None:
        self._by_hash: dict[str, Caller] = {}
        self._by_certificate: dict[str, Caller] = {}
        for name, role, credential in entries:
            self.add(name, role, credential)

    def add(
        self,
        name: str,
        role: str,
        credential: str,
        queues: Iterable[str] = (),
        channels: Iterable[str] = (),
    ) -> None:
        if not _NAME.fullmatch(name):
            raise ValueError(f"caller {name!r}: a name is 1-128 letters, digits or _.@:-")
        if role not in ROLES:
            raise ValueError(f"caller {name!r}: role must be one of {', '.join(ROLES)}, not {role!r}")
        caller = Caller(name, role, frozenset(queues), frozenset(channels))
        if caller.scoped and role != MESSAGING:
            raise ValueError(f"caller {name!r}: only role {MESSAGING} takes queues= or channels=, not {role}")
        if credential == CERTIFICATE:
            self._by_certificate[name] = caller
            return
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", credential):
            raise ValueError(f"caller {name!r}: the credential must be sha256:<64 hex digits> or {CERTIFICATE}")
        self._by_hash[credential] = caller

    @classmethod
    def parse(cls, text: str) -> CallerTable:
        table = cls()
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) < 3:
                raise ValueError(f"line {number}: expected `name role credential [queues=…] [channels=…]`")
            try:
                scope = parse_scope(parts[3:])
                name, role, credential = parts[:3]
                table.add(name, role, credential, scope.get("queues", ()), scope.get("channels", ()))
            except ValueError as exc:
                raise ValueError(f"line {number}: {exc}") from None
        return table

    def by_token(self, token: str) -> Caller | None:
        if not token:
            return None
        hashed = hash_token(token)
        found = None
        for known, caller in self._by_hash.items():  # compare every entry: no timing by position
            if hmac.compare_digest(known, hashed):
                found = caller
        return found

    def by_certificate(self, names: Iterable[str]) -> Caller | None:
        return next((self._by_certificate[n] for n in names if n in self._by_certificate), None)


class CallersFile:
    """The caller table of a file, re-read when the file changes (looked at once a second at
    most). A file that no longer parses keeps the previous table and is logged."""

    CHECK_EVERY_S = 1.0

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        try:
            self._stamp = self._stat()
            self._table = CallerTable.parse(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"CALLCENTER_GRPC_CALLERS_FILE {path}: {exc}") from exc
        self._checked = time.monotonic()

    def _stat(self) -> tuple[int, int]:
        st = os.stat(self.path)
        return st.st_mtime_ns, st.st_size

    def table(self) -> CallerTable:
        now = time.monotonic()
        if now - self._checked >= self.CHECK_EVERY_S:
            self._checked = now
            try:
                stamp = self._stat()
                if stamp != self._stamp:
                    self._table, self._stamp = CallerTable.parse(self.path.read_text()), stamp
                    log.info("grpc.callers_reloaded", path=str(self.path))
            except (OSError, ValueError) as exc:
                log.warning("grpc.callers_reload_failed", path=str(self.path), error=str(exc))
        return self._table


@dataclass(frozen=True)
class AccessPolicy:
    """Which roles may call each RPC of one service (method names without the service)."""

    service: str
    roles_by_method: Mapping[str, frozenset[str]]

    def allowed(self, full_method: str) -> frozenset[str] | None:
        """The roles for "/pkg.Service/Method"; None when the method is not this service's."""
        service, _, method = full_method.lstrip("/").partition("/")
        if service != self.service:
            return None
        return self.roles_by_method.get(method, frozenset())

    @classmethod
    def declare(cls, service: Any, **methods_by_role: Iterable[str]) -> AccessPolicy:
        """The policy of a service (its protobuf ServiceDescriptor) from the methods each role
        may call; `admin=` lists those only admin may (admin may call every one). Every method
        of the service must be named at least once, and only its methods: a new RPC without a
        rule fails here, at import."""
        unknown_roles = set(methods_by_role) - set(ROLES)
        if unknown_roles:
            raise ValueError(f"{service.full_name}: unknown roles {sorted(unknown_roles)}")
        names = {m.name for m in service.methods}
        roles: dict[str, set[str]] = {name: {"admin"} for name in names}
        named: set[str] = set()
        for role, methods in methods_by_role.items():
            for method in methods:
                if method not in names:
                    raise ValueError(f"{service.full_name} has no RPC {method}")
                roles[method].add(role)
                named.add(method)
        if names - named:
            raise ValueError(f"{service.full_name}: no access rule for {sorted(names - named)}")
        return cls(service.full_name, {name: frozenset(r) for name, r in roles.items()})


def _metadata_value(metadata: Iterable[tuple[str, Any]] | None, key: str) -> str | None:
    for k, value in metadata or ():
        if k.lower() == key and isinstance(value, str):
            return value
    return None


def _token_of(metadata: Iterable[tuple[str, Any]] | None) -> str:
    value = _metadata_value(metadata, "authorization") or ""
    return value[len(_BEARER) :].strip() if value.lower().startswith(_BEARER) else ""


def _certificate_names(context: Any) -> list[str]:
    """The common name and subject alternative names of the peer's verified certificate."""
    try:
        auth = context.auth_context() or {}
    except Exception:  # noqa: BLE001 - no TLS on this call
        return []
    return [
        value.decode(errors="replace")
        for key in ("x509_common_name", "x509_subject_alternative_name")
        for value in auth.get(key, ())
    ]


class Refusal(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


_KINDS = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler),
    ("unary_stream", grpc.unary_stream_rpc_method_handler),
    ("stream_unary", grpc.stream_unary_rpc_method_handler),
    ("stream_stream", grpc.stream_stream_rpc_method_handler),
)


def _guarded(handler: Any, admit: Any) -> Any:
    """The handler, run only once `admit(context)` accepts the call (it returns the caller and
    actor, or raises Refusal); inside the RPC's own task, with both in their context variables
    and the log context (bound after the logging interceptor's fields)."""

    async def enter(context: Any) -> None:
        try:
            caller, actor = admit(context)
        except Refusal as refusal:
            await context.abort(refusal.code, refusal.details)
        current_caller.set(caller)
        current_actor.set(actor)
        fields = {"caller": caller.name, "role": caller.role} if caller else {}
        if actor is not None and actor.via:
            fields["actor"] = actor.name
        if fields:
            structlog.contextvars.bind_contextvars(**fields)

    for attr, factory in _KINDS:
        inner = getattr(handler, attr)
        if inner is None:
            continue
        if attr.endswith("_stream"):

            async def streaming(request: Any, context: Any, inner: Any = inner) -> Any:
                await enter(context)
                replies = inner(request, context)
                if hasattr(replies, "__aiter__"):
                    async for item in replies:
                        yield item
                else:  # a plain generator
                    for item in replies:
                        yield item

            behaviour: Any = streaming
        else:

            async def unary(request: Any, context: Any, inner: Any = inner) -> Any:
                await enter(context)
                reply = inner(request, context)
                return await reply if inspect.isawaitable(reply) else reply

            behaviour = unary
        return factory(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler


class CallerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc, unused-ignore]
    """Authenticates every call (bearer token, else client certificate) and checks its role
    against the policies; sets the actor (callcenter/core/audit.py). Without a callers file
    nobody is authenticated (a loopback-only service) and the actor is the user a client says
    it acts for, if any. Goes after the logging interceptor."""

    def __init__(self, callers: CallersFile | CallerTable | None, policies: Iterable[AccessPolicy]) -> None:
        self.callers = callers
        self.policies = list(policies)

    def _table(self) -> CallerTable | None:
        return self.callers.table() if isinstance(self.callers, CallersFile) else self.callers

    async def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.lstrip("/").startswith(OPEN_SERVICES):
            return handler
        metadata = handler_call_details.invocation_metadata
        return _guarded(handler, lambda context: self.admit(method, metadata, context))

    def roles_for(self, method: str) -> frozenset[str]:
        return next((r for p in self.policies if (r := p.allowed(method)) is not None), frozenset())

    def admit(self, method: str, metadata: Any, context: Any) -> tuple[Caller | None, Actor | None]:
        on_behalf = _metadata_value(metadata, ON_BEHALF_KEY)
        if on_behalf is not None and not valid_actor_name(on_behalf):
            raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, f"{ON_BEHALF_KEY}: not a user name")
        table = self._table()
        if table is None:
            return None, Actor(on_behalf) if on_behalf else None
        caller = table.by_token(_token_of(metadata)) or table.by_certificate(_certificate_names(context))
        if caller is None:
            raise Refusal(grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token or client certificate is required")
        name = method.rsplit("/", 1)[-1]
        if caller.role != "admin" and caller.role not in self.roles_for(method):
            raise Refusal(grpc.StatusCode.PERMISSION_DENIED, f"role {caller.role} may not call {name}")
        if on_behalf is None:
            return caller, Actor(caller.name)
        if caller.role not in RELAYING_ROLES:
            raise Refusal(grpc.StatusCode.PERMISSION_DENIED, f"role {caller.role} may not act on behalf of a user")
        return caller, Actor(on_behalf, via=caller.name)


def interceptors_for(security: Any, *policies: AccessPolicy) -> list[CallerInterceptor]:
    """The caller check a service installs (its GrpcServerSecurity: the callers file, if any)."""
    path = security.callers_file
    return [CallerInterceptor(CallersFile(path) if path is not None else None, policies)]


def check_pbx_identity(pbx_id: str, field: str) -> None:
    """A `pbx` credential acts only as its own PBX: the PBX id it opens a session or routes a
    call with is its name, or its name followed by `-` and anything (`kamailio` may be
    `kamailio-0`, `kamailio-1` … of a StatefulSet). Other roles, and no authentication, pass."""
    caller = current_caller.get()
    if caller is None or caller.role != "pbx" or not pbx_id:
        return
    if pbx_id != caller.name and not pbx_id.startswith(caller.name + "-"):
        raise PermissionDenied(
            f"{field}: the pbx credential {caller.name} acts only as PBX {caller.name} or {caller.name}-…", field
        )
