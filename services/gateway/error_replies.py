"""The one place failures become HTTP replies, all JSON: {"error": "...", "field": "..."} (field
when one is at fault). Three kinds reach it: the HTTP layer's own ApiError, the domain's
refusals (callcenter.core.errors and domain/errors.py) and the backends' gRPC statuses."""

from __future__ import annotations

import re

import grpc
import redis.exceptions
import structlog
from aiohttp import web

from callcenter.core.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from callcenter.services.gateway.web import ApiError, json_reply

log = structlog.get_logger("gateway")

# The domain's refusals, the most specific first (a taken username is AlreadyExists and an
# InvalidArgument). One of a kind not listed is still a refusal, never a 500: 409.
_REFUSALS: tuple[tuple[type[DomainError], int], ...] = (
    (PermissionDenied, 403),
    (AlreadyExists, 409),
    (InvalidArgument, 400),
    (NotFound, 404),
    (FailedPrecondition, 409),
    (Unavailable, 503),
)

_GRPC_TO_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 416,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

# The services start a bad argument's message with the field's name ("call_id: …").
MAX_DETAILS = 500
_FIELD = re.compile(r"([a-z_][a-z0-9_.]*(?:\[[0-9]+\](?:\.[a-z_][a-z0-9_]*)?)*): ")  # "reasons[2].code: …"


def _error(status: int, message: str, field: str = "") -> web.Response:
    body = {"error": message}
    if field:
        body["field"] = field
    return json_reply(body, status)


def refusal_reply(exc: DomainError) -> web.Response:
    status = next((status for kind, status in _REFUSALS if isinstance(exc, kind)), 409)
    return _error(status, str(exc), getattr(exc, "field", ""))


def _backend_reply(exc: grpc.aio.AioRpcError, path: str) -> web.Response:
    status = _GRPC_TO_HTTP.get(exc.code(), 502)
    if status >= 500:
        log.warning("gateway.backend_error", code=exc.code().name, details=exc.details(), path=path)
    details = (exc.details() or exc.code().name)[:MAX_DETAILS]  # a backend may quote a long input back
    named = _FIELD.match(details) if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else None
    return _error(status, details, named.group(1) if named else "")


@web.middleware
async def errors_middleware(request: web.Request, handler):
    """Every failure becomes a JSON reply with a message; nothing escapes as a 500 page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        return _error(exc.status, exc.reason)
    except ApiError as exc:
        response = _error(exc.status, str(exc), exc.field)
        response.headers.update(exc.headers)
        return response
    except DomainError as exc:
        return refusal_reply(exc)
    except grpc.aio.AioRpcError as exc:
        return _backend_reply(exc, request.path)
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
        # The gateway's own store (users, sessions, tasks) did not answer: try again later.
        log.warning("gateway.redis_unavailable", error=str(exc) or type(exc).__name__, path=request.path)
        return _error(503, "the gateway's store (Redis) is unavailable; try again shortly")
    except Exception:
        log.exception("gateway.unhandled", path=request.path)
        return _error(500, "internal error; see the gateway's log")
