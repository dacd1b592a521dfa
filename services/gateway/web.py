"""Shared pieces of the gateway's HTTP layer: typed app keys, JSON replies, reading request
bodies and path segments, the HTTP layer's own errors (ApiError), the middlewares (security
headers, access log, authentication with CSRF). Errors become replies in error_replies.py."""

from __future__ import annotations

import asyncio
import functools
import json
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web
from google.protobuf import json_format

from callcenter.core import tracing
from callcenter.core.audit import Actor, current_actor
from callcenter.core.call_ids import call_id_problem
from callcenter.services.gateway import metrics as gateway_metrics
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.domain.teams import with_router_teams
from callcenter.services.gateway.handovers import HandoverStore
from callcenter.services.gateway.metrics import route_of
from callcenter.services.gateway.sessions import Session, SessionStore
from callcenter.services.gateway.tasks import TaskStore
from callcenter.services.gateway.users import User, UserStore

log = structlog.get_logger("gateway")

CONFIG = web.AppKey("config", GatewayConfig)
USERS = web.AppKey("users", UserStore)
SESSIONS = web.AppKey("sessions", SessionStore)
TASKS = web.AppKey("tasks", TaskStore)
HANDOVERS = web.AppKey("handovers", HandoverStore)
BACKENDS = web.AppKey("backends", Backends)
# What the auth middleware learns about a request.
USER = web.RequestKey("user", User)
SESSION = web.RequestKey("session", Session)
TOKEN = web.RequestKey("token", str)

SESSION_COOKIE = "cc_session"
CSRF_HEADER = "X-CSRF-Token"
# Paths anyone may reach without logging in.
PUBLIC = ("/healthz", "/readyz", "/api/v1/login", "/openapi.json", "/login", "/static/", "/favicon.ico")
PUBLIC += ("/wallboard/", "/api/v1/wallboard/")  # a wallboard link's page and routes: its token is checked there


class ApiError(Exception):
    """A refusal of the HTTP layer itself (a request that does not parse, no session or wrong
    credentials, a bad CSRF token, an unsatisfiable byte range): HTTP status and a message
    (naming the field where one is at fault). The domain refuses with callcenter.core.errors."""

    def __init__(self, status: int, message: str, field: str = "", headers: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.headers = headers or {}


@dataclass(frozen=True)
class Accepts:
    """What one API route takes besides its path: query parameters and JSON body fields.
    Anything else is refused with a 400 naming it (never silently ignored); the OpenAPI
    document lists exactly these (tests/test_gateway_openapi.py checks)."""

    query: frozenset[str] = frozenset()
    body: frozenset[str] = frozenset()


ACCEPTS = web.RequestKey("accepts", Accepts)
BODY = web.RequestKey("body", dict)  # the JSON body, once read and checked
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def accepts(*, query: Iterable[str] = (), body: Iterable[str] = ()) -> Callable[[Handler], Handler]:
    """Declares what an API route takes; put it below the route decorator. Unknown or
    repeated query parameters, and a body with a field the route does not take, are refused
    before the handler runs (also on routes whose handler reads no body: refused, never
    ignored). The declaration stays readable as the handler's `accepts` attribute."""
    spec = Accepts(frozenset(query), frozenset(body))

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            check_query(request, spec.query)
            request[ACCEPTS] = spec
            if request.can_read_body:
                await read_json(request)
            return await handler(request)

        checked.accepts = spec  # type: ignore[attr-defined]
        return checked

    return decorate


def for_messaging(handler: Handler) -> Handler:
    """Marks a route the messaging role may reach (put it below `accepts`): a chat widget's
    backend reaches these and nothing else (auth_middleware refuses every other route, pages
    and the live feed included, with a 403)."""
    handler.messaging = True  # type: ignore[attr-defined]
    return handler


def _takes(names: frozenset[str], what: str) -> str:
    return f"this route takes {what} {', '.join(sorted(names))}" if names else f"this route takes no {what}"


def _label(name: str) -> str:
    """A name from a request as an error names it: at most 64 characters, never empty."""
    return name[:64] or '""'


def check_query(request: web.Request, allowed: frozenset[str]) -> None:
    """Every query parameter is one the route takes, given once; else a 400 naming it."""
    seen: set[str] = set()
    for name, _value in request.query.items():  # every occurrence, repeats included
        if name not in allowed:
            label = _label(name)
            raise ApiError(400, f"{label}: unknown query parameter ({_takes(allowed, 'parameters')})", label)
        if name in seen:
            raise ApiError(400, f"{name}: given more than once", name)
        seen.add(name)


def json_reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, separators=(",", ":")))


def message_dict(message) -> dict:
    """A protobuf message as JSON-ready dict (field names as in the proto, enums by name)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


async def read_json(request: web.Request) -> dict:
    """The request's JSON object body ({} when there is none). Bodies are UTF-8 (RFC 8259);
    anything that does not parse, or nests absurdly deep, is a 400 naming `body`; a field the
    route does not take (its `accepts` declaration) is a 400 naming the field."""
    if BODY in request:
        return request[BODY]
    body = await _parse_json(request)
    allowed = request[ACCEPTS].body if ACCEPTS in request else frozenset()
    for name in body:
        if name not in allowed:
            label = _label(name)
            raise ApiError(400, f"{label}: unknown field ({_takes(allowed, 'fields')})", label)
    request[BODY] = body
    return body


async def _parse_json(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    # JSON only: a form or text/plain body is what a page of another site can send without
    # asking (no CORS preflight), so it is never read as a request (login CSRF).
    if request.content_type != "application/json":
        sent = request.headers.get("Content-Type", "")[:60] or "none"
        raise ApiError(415, f"Content-Type: must be application/json, not {sent}", "Content-Type")
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, f"body: JSON must be UTF-8, not {charset[:40]}", "body")
    raw = await request.read()
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"body: not valid JSON ({str(exc)[:200]})", "body") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "body: must be a JSON object", "body")
    return body


def text_field(body: dict, name: str, default: str = "", limit: int = 4096) -> str:
    """A string field of a JSON body; a value of another type (null included) is a 400."""
    value = body.get(name, default)
    if not isinstance(value, str):
        raise ApiError(400, f"{name}: must be a string", name)
    if len(value) > limit:
        raise ApiError(400, f"{name}: at most {limit} characters", name)
    return value


def text_list(body: dict, name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(400, f"{name}: must be a list of strings", name)
    return value


def number_field(body: dict, name: str) -> float | None:
    """A number field of a JSON body; None when it is missing or no number (true is none)."""
    value = body.get(name)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def action_call_id(request: web.Request) -> str:
    """The call id segment before a route's action (".../{call_id}/<action>"), percent-decoded
    as UTF-8 (a SIP Call-ID may hold "/", sent as %2F), or a 400 naming call_id."""
    raw = request.rel_url.raw_path.rstrip("/").rsplit("/", 2)[-2]
    try:
        return check_call_id(urllib.parse.unquote(raw, errors="strict"))
    except UnicodeDecodeError:
        raise ApiError(400, "call_id: not UTF-8 once percent-decoded", "call_id") from None


def check_call_id(value: str, field: str = "call_id") -> str:
    """A call id from a request (any SIP Call-ID, callcenter/core/call_ids.py), or a 400 naming
    the field."""
    problem = call_id_problem(value)
    if problem:
        raise ApiError(400, f"{field}: {problem}", field)
    return value


# A route's last path segment that may hold any id, "/" (sent as %2F) and "{}" included.
ANY_SEGMENT = "[^/]+"


def last_segment(request: web.Request, field: str) -> str:
    """The route's last path segment percent-decoded as UTF-8 (aiohttp leaves escapes that
    are no UTF-8, such as %FF, as they are): clients send an id with encodeURIComponent."""
    raw = request.rel_url.raw_path.rsplit("/", 1)[-1]
    try:
        return urllib.parse.unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise ApiError(400, f"{field}: not UTF-8 once percent-decoded", field) from None


def set_session_cookie(response: web.StreamResponse, config: GatewayConfig, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=config.secure_cookies,
        max_age=config.session_ttl_s,
        path="/",
    )


def user_of(request: web.Request) -> User:
    return request[USER]


CONTENT_SECURITY_POLICY = "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; frame-ancestors 'none'"
HSTS = "max-age=31536000"  # a year, sent only with CALLCENTER_GATEWAY_SECURE_COOKIES (HTTPS)
SERVER = "callcenter-gateway"  # instead of aiohttp's "Python/3.x aiohttp/3.x"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response as it is prepared (app.on_response_prepare): replies, streamed audio
    and event streams, static files and errors alike. API replies carry personal data (and
    audio): never stored by a browser or proxy, so nothing is left to read after logout."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["Server"] = SERVER
    if request.path.startswith("/api/"):
        headers["Cache-Control"] = "no-store"
    if request.app[CONFIG].secure_cookies:
        headers.setdefault("Strict-Transport-Security", HSTS)


@web.middleware
async def access_log_middleware(request: web.Request, handler):
    """One structured line per request (aiohttp's own access log is off), its metrics and its
    trace span."""
    started = time.perf_counter()
    status = 500
    try:
        with tracing.serving(f"{request.method} {route_of(request)}", request.headers):  # trace ids in the lines
            response = await handler(request)
            status = response.status
            return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except asyncio.CancelledError:
        status = gateway_metrics.CLIENT_GONE
        raise
    finally:
        gateway_metrics.observe(request, status, started)
        user = request.get(USER)
        log.info(
            "http.request",
            method=request.method,
            path=request.path,
            status=status,
            ms=round((time.perf_counter() - started) * 1000, 1),
            user=user.username if user else None,
        )


async def current_user(app: web.Application, token: str) -> tuple[User | None, Session | None]:
    """The user a session token stands for, if the session lives and its user is still the
    one who logged in (not deleted, nor deleted and created anew)."""
    session = await app[SESSIONS].get(token) if token else None
    user = await app[USERS].get(session.username) if session else None
    if user is None or user.uid != session.uid:
        return None, None
    return user, session


def _token(request: web.Request) -> tuple[str, bool]:
    """The session token and whether it came from the cookie (which needs CSRF checks)."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE, ""), True


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """Resolves the session to a user; refuses unauthenticated API calls (401) and
    cookie-authenticated state changes without the session's CSRF token (403)."""
    token, from_cookie = _token(request)
    user, session = await current_user(request.app, token)
    if user is not None and request.path.startswith("/api/"):
        user = await with_router_teams(request.app[BACKENDS], user)  # the router's teams (S2.3)
    if user is not None:
        request[USER], request[SESSION], request[TOKEN] = user, session, token
        current_actor.set(Actor(user.username))  # this request's task: its RPCs and changes (audit.py)
        public = request.path.startswith(PUBLIC)  # logging in again needs no CSRF token
        if from_cookie and not public and request.method not in ("GET", "HEAD", "OPTIONS"):
            if request.headers.get(CSRF_HEADER, "") != session.csrf_token:
                raise ApiError(403, f"missing or wrong {CSRF_HEADER} header")
        if user.role == "messaging" and not public and not getattr(request.match_info.handler, "messaging", False):
            raise ApiError(403, f"role messaging may not use {request.method} {request.path[:200]}")
    elif not request.path.startswith(PUBLIC):
        if request.path.startswith("/api/"):
            raise ApiError(401, "log in first (POST /api/v1/login)")
        raise web.HTTPFound("/login")
    response = await handler(request)
    if user is not None and from_cookie and not response.prepared and SESSION_COOKIE not in response.cookies:
        # The session's expiry slides with use in Redis; the browser's cookie slides with it.
        set_session_cookie(response, request.app[CONFIG], token)
    return response
