"""Client segments (S1.11) and the do-not-call list for supervisors and admins: the router's
SegmentService. Segments select clients of the caller list by their attributes; the
do-not-call list holds numbers never to be dialled. Agents may do neither (PermissionDenied)."""

from __future__ import annotations

from typing import Any

from callcenter.api.router.v1 import segments_pb2 as spb
from callcenter.core import ids
from callcenter.core.errors import InvalidArgument

from ..backends import Backends
from ..users import User
from . import access

MANAGERS = ("supervisor", "admin")
SEGMENT_FIELDS = ("segment_id", "name", "conditions")
MAX_CONDITIONS = 16  # as the router
MAX_VALUES = 100
MAX_NUMBERS = 1000  # do-not-call numbers a request


async def list_segments(user: User, backends: Backends) -> list[spb.Segment]:
    access.require_role(user, *MANAGERS)
    reply: spb.ListSegmentsResponse = await backends.segments.ListSegments(
        spb.ListSegmentsRequest(), timeout=backends.timeout_s
    )
    return list(reply.segments)


def segment_from_json(body: dict[str, Any]) -> spb.Segment:
    """{segment_id, name, conditions: [{attribute, values: [...]}]}; the router checks the
    attribute names and values again."""
    segment_id, name = body.get("segment_id", ""), body.get("name", "")
    if not isinstance(segment_id, str):
        raise InvalidArgument("segment_id", "must be a string")
    ids.check_name(segment_id, "segment_id")
    if not isinstance(name, str) or len(name) > 128:
        raise InvalidArgument("name", "must be a string of at most 128 characters")
    conditions = body.get("conditions", [])
    if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise InvalidArgument("conditions", f"must be a list of 1-{MAX_CONDITIONS} conditions")
    segment = spb.Segment(segment_id=segment_id, name=name)
    for i, condition in enumerate(conditions):
        field = f"conditions[{i}]"
        if not isinstance(condition, dict) or set(condition) - {"attribute", "values"}:
            raise InvalidArgument(field, "must be an object of attribute and values")
        attribute, values = condition.get("attribute", ""), condition.get("values", [])
        if not isinstance(attribute, str) or not 1 <= len(attribute) <= 64:
            raise InvalidArgument(f"{field}.attribute", "must be an attribute name of 1-64 characters")
        if (
            not isinstance(values, list)
            or not 1 <= len(values) <= MAX_VALUES
            or not all(isinstance(v, str) and 1 <= len(v) <= 256 for v in values)
        ):
            raise InvalidArgument(f"{field}.values", f"must be a list of 1-{MAX_VALUES} strings of 1-256 characters")
        segment.conditions.append(spb.SegmentCondition(attribute=attribute, values=values))
    return segment


async def upsert_segment(user: User, backends: Backends, body: dict[str, Any]) -> spb.Segment:
    access.require_role(user, *MANAGERS)
    reply: spb.UpsertSegmentResponse = await backends.segments.UpsertSegment(
        spb.UpsertSegmentRequest(segment=segment_from_json(body)), timeout=backends.timeout_s
    )
    return reply.segment


def numbers_from_json(body: dict[str, Any]) -> list[str]:
    numbers = body.get("numbers", [])
    if not isinstance(numbers, list) or not all(isinstance(n, str) and 0 < len(n) <= 64 for n in numbers):
        raise InvalidArgument("numbers", "must be a list of phone numbers (strings of 1-64 characters)")
    if not 1 <= len(numbers) <= MAX_NUMBERS:
        raise InvalidArgument("numbers", f"give 1-{MAX_NUMBERS} numbers")
    return numbers


async def list_do_not_call(
    user: User, backends: Backends, page_size: int, page_token: str, numbers: list[str]
) -> spb.ListDoNotCallResponse:
    """The list, oldest first, paged; or, with `numbers`, which of those are on it."""
    access.require_role(user, *MANAGERS)
    if numbers:
        checked: spb.CheckDoNotCallResponse = await backends.segments.CheckDoNotCall(
            spb.CheckDoNotCallRequest(numbers=numbers), timeout=backends.timeout_s
        )
        return spb.ListDoNotCallResponse(entries=checked.entries, total=len(checked.entries))
    reply: spb.ListDoNotCallResponse = await backends.segments.ListDoNotCall(
        spb.ListDoNotCallRequest(page_size=page_size, page_token=page_token), timeout=backends.timeout_s
    )
    return reply


async def add_do_not_call(user: User, backends: Backends, numbers: list[str]) -> int:
    access.require_role(user, *MANAGERS)
    reply: spb.AddDoNotCallResponse = await backends.segments.AddDoNotCall(
        spb.AddDoNotCallRequest(numbers=numbers), timeout=backends.timeout_s
    )
    return reply.added


async def remove_do_not_call(user: User, backends: Backends, numbers: list[str]) -> int:
    access.require_role(user, *MANAGERS)
    reply: spb.RemoveDoNotCallResponse = await backends.segments.RemoveDoNotCall(
        spb.RemoveDoNotCallRequest(numbers=numbers), timeout=backends.timeout_s
    )
    return reply.removed
