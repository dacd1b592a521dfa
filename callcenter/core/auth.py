"""Who is calling a gRPC service, and may they (issue 15, work in progress).

A caller presents a bearer token (`authorization: Bearer <token>` metadata). Tokens are kept
hashed (SHA-256: they are long random strings, so a plain hash is enough), several per role at
once so they rotate without downtime. Each service declares, once, which roles may call each
of its RPCs (an `AccessPolicy`); the interceptor checks every call against it: no or an unknown
token -> UNAUTHENTICATED, a role outside the RPC's -> PERMISSION_DENIED, an RPC the policy does
not name -> PERMISSION_DENIED (a new RPC is closed until it is declared). Health checking and
reflection stay open. The caller is bound to the log context and kept in `current_caller` for
the audit of actions taken on someone's behalf.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import inspect
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

ROLES = ("pbx", "gateway", "crm", "admin")
#: Methods every caller may use without credentials.
OPEN_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection")
_BEARER = "bearer "


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the token's name (e.g. "kamailio-1") and its role."""

    name: str
    role: str


current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("current_caller", default=None)


def new_token() -> str:
    """A fresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


class TokenTable:
    """Hashed tokens by name and role, read from lines `name role sha256:<hex>` (# comments)."""

    def __init__(self, entries: Iterable[tuple[str, str, str]] = ()) -> None:
        self._by_hash: dict[str, Caller] = {}
        for name, role, hashed in entries:
            self.add(name, role, hashed)

    def add(self, name: str, role: str, hashed: str) -> None:
        if role not in ROLES:
            raise ValueError(f"token {name!r}: role must be one of {', '.join(ROLES)}, not {role!r}")
        if not hashed.startswith("sha256:") or len(hashed) != 7 + 64:
            raise ValueError(f"token {name!r}: the hash must be sha256:<64 hex digits>")
        self._by_hash[hashed] = Caller(name, role)

    @classmethod
    def parse(cls, text: str) -> TokenTable:
        table = cls()
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3:
                raise ValueError(f"line {number}: expected `name role sha256:<hex>`")
            table.add(*parts)
        return table

    def caller_for(self, token: str) -> Caller | None:
        hashed = hash_token(token)
        for known, caller in self._by_hash.items():  # constant time per entry; the table is small
            if hmac.compare_digest(known, hashed):
                return caller
        return None


def interceptors_for(tokens_file: Any, *policies: AccessPolicy) -> list[AuthInterceptor]:
    """The authentication a service installs: none without a tokens file, else one interceptor
    checking the file's tokens against the service's policies."""
    if tokens_file is None:
        return []
    return [AuthInterceptor(TokenTable.parse(tokens_file.read_text()), policies)]


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


def _token_of(metadata: Iterable[tuple[str, Any]] | None) -> str:
    for key, value in metadata or ():
        if key.lower() == "authorization" and isinstance(value, str) and value.lower().startswith(_BEARER):
            return value[len(_BEARER) :].strip()
    return ""


_KINDS = (
    ("unary_unary", grpc.unary_unary_rpc_method_handler),
    ("unary_stream", grpc.unary_stream_rpc_method_handler),
    ("stream_unary", grpc.stream_unary_rpc_method_handler),
    ("stream_stream", grpc.stream_stream_rpc_method_handler),
)


def _refusing(handler: Any, code: grpc.StatusCode, details: str) -> Any:
    """A handler of the same kind that answers `code` without running the RPC."""
    for attr, factory in _KINDS:
        if getattr(handler, attr) is None:
            continue
        streamed = attr.endswith("_stream")

        if streamed:

            async def refuse_stream(request: Any, context: Any) -> Any:
                await context.abort(code, details)
                yield  # pragma: no cover - abort raises

            refuse: Any = refuse_stream
        else:

            async def refuse_unary(request: Any, context: Any) -> Any:
                await context.abort(code, details)

            refuse = refuse_unary
        return factory(
            refuse, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )
    return handler


def _as_caller(handler: Any, caller: Caller) -> Any:
    """The handler, run with the caller in `current_caller` and the log context (inside the
    RPC's own task, after the logging interceptor has bound its fields)."""
    for attr, factory in _KINDS:
        inner = getattr(handler, attr)
        if inner is None:
            continue
        if attr.endswith("_stream"):

            async def streaming(request: Any, context: Any, inner: Any = inner) -> Any:
                current_caller.set(caller)
                structlog.contextvars.bind_contextvars(caller=caller.name, role=caller.role)
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
                current_caller.set(caller)
                structlog.contextvars.bind_contextvars(caller=caller.name, role=caller.role)
                reply = inner(request, context)
                return await reply if inspect.isawaitable(reply) else reply

            behaviour = unary
        return factory(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates every call by its bearer token and checks its role against the policies.
    Goes after the logging interceptor (its wrapper then runs inside the logging one's)."""

    def __init__(self, tokens: TokenTable, policies: Iterable[AccessPolicy]) -> None:
        self.tokens = tokens
        self.policies = list(policies)

    async def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.lstrip("/").startswith(OPEN_SERVICES):
            return handler
        caller = self.tokens.caller_for(_token_of(handler_call_details.invocation_metadata))
        if caller is None:
            return _refusing(handler, grpc.StatusCode.UNAUTHENTICATED, "a valid bearer token is required")
        roles = next((r for p in self.policies if (r := p.allowed(method)) is not None), frozenset())
        if caller.role != "admin" and caller.role not in roles:
            name = method.rsplit("/", 1)[-1]
            return _refusing(handler, grpc.StatusCode.PERMISSION_DENIED, f"role {caller.role} may not call {name}")
        return _as_caller(handler, caller)
