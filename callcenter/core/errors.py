"""The one hierarchy of refusals every service's domain raises. Nothing here knows gRPC or
HTTP: callcenter.core.grpc_server maps each class to a status code (for unary and streaming RPCs
alike) and the gateway maps them, and the codes its backends answer, to HTTP statuses."""

from __future__ import annotations


class DomainError(Exception):
    """A request a service refuses; the message is meant for the caller."""


class InvalidArgument(DomainError):
    """A request field is missing or wrong; the message starts with the field's name."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class NotFound(DomainError):
    """No such object."""


class Unauthenticated(DomainError):
    """The caller did not say who they are, or not believably (no or a wrong credential)."""


class PermissionDenied(DomainError):
    """The caller's role may never do this; `field` names the culprit where there is one."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class AlreadyExists(DomainError):
    """The object to create exists already."""


class FailedPrecondition(DomainError):
    """The request does not fit the current state (named in `state` where there is one)."""

    def __init__(self, message: str, state: str = "") -> None:
        super().__init__(message)
        self.state = state


class Aborted(DomainError):
    """A concurrent request holds what this one needs; retry after it ends."""


class OutOfRange(DomainError):
    """A position past what exists (a sequence, an offset)."""

    def __init__(self, message: str, state: str = "") -> None:
        super().__init__(message)
        self.state = state


class ResourceExhausted(DomainError):
    """Over a size or count limit; nothing of the request was kept."""


class Unavailable(DomainError):
    """The service cannot take the request now (stopping); retry elsewhere or later."""


class DataLoss(DomainError):
    """Stored data is gone or damaged (a recording's file is missing)."""
