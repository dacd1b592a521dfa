"""Downloads of a period (issue 18): call records, agent, queue and conversation figures as
CSV, the HTTP side of domain/export.py. Rows are written as the domain reads them (one stats page at a
time): an export of a year is streamed, never held."""

from __future__ import annotations

import csv
import io

import structlog
from aiohttp import web

from callcenter.services.gateway.conversation_control_api import CONVERSATION_STATS_PARAMS, conversation_stats_query
from callcenter.services.gateway.domain import export
from callcenter.services.gateway.query import PERIOD_PARAMS, period_from_query, seconds_param, time_zone
from callcenter.services.gateway.stats_api import call_filters
from callcenter.services.gateway.web import BACKENDS, accepts, user_of

log = structlog.get_logger("gateway")
routes = web.RouteTableDef()

# The query parameters of GET /api/v1/export/calls.csv: those of GET /api/v1/calls but paging
# and call_id; from and to are required.
CALL_EXPORT_PARAMS = ("agent_id", "queue", "caller", "outcome", "from", "to", "tz", "min_talk_s", "max_talk_s")
# UTF-8 with a byte order mark: what spreadsheets need to read names that are not ASCII.
BOM = "\ufeff"


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)  # RFC 4180: quoted where needed, CRLF line ends
    return buffer.getvalue().encode("utf-8")


async def stream_csv(request: web.Request, table: export.Table) -> web.StreamResponse:
    """The table as a CSV download. Its first page is read before anything is sent, so a
    refusal (a bad filter, a backend down) is still a JSON error; a failure later cuts the
    connection, so that a client never takes a truncated file for a whole one."""
    pages = table.pages
    try:
        first = await anext(pages, [])
        response = web.StreamResponse(
            headers={"Content-Disposition": f'attachment; filename="{table.name}.csv"'},
        )
        response.content_type, response.charset = "text/csv", "utf-8"
        await response.prepare(request)
        try:
            await response.write(BOM.encode("utf-8") + _csv([table.columns, *first]))
            async for rows in pages:
                await response.write(_csv(rows))
        except Exception as exc:  # noqa: BLE001 - the reply has started: cut it, never end it well
            log.warning("gateway.export_failed", path=request.path, error=str(exc)[:300] or type(exc).__name__)
            if request.transport is not None:
                request.transport.close()
            return response
        await response.write_eof()
        return response
    finally:
        await pages.aclose()


@routes.get("/api/v1/export/calls.csv")
@accepts(query=CALL_EXPORT_PARAMS)
async def export_calls(request: web.Request) -> web.StreamResponse:
    """The period's call records the user may see (from and to required, at most 400 days)."""
    q = request.query
    tz, filters = time_zone(q), call_filters(q)
    table = await export.call_records(user_of(request), request.app[BACKENDS], filters, tz)
    return await stream_csv(request, table)


@routes.get("/api/v1/export/agents.csv")
@accepts(query=(*PERIOD_PARAMS, "agent_id"))
async def export_agents(request: web.Request) -> web.StreamResponse:
    """The agent figures of a period (as GET /api/v1/stats/agents)."""
    q = request.query
    table = await export.agent_figures(
        user_of(request), request.app[BACKENDS], period_from_query(q), q.get("agent_id", "")
    )
    return await stream_csv(request, table)


@routes.get("/api/v1/export/queues.csv")
@accepts(query=(*PERIOD_PARAMS, "queue", "service_level_s"))
async def export_queues(request: web.Request) -> web.StreamResponse:
    """The queue figures of a period (as GET /api/v1/stats/queues; supervisors and admins)."""
    q = request.query
    table = await export.queue_figures(
        user_of(request),
        request.app[BACKENDS],
        period_from_query(q),
        queue=q.get("queue", ""),
        service_level_s=seconds_param(q, "service_level_s"),
    )
    return await stream_csv(request, table)


@routes.get("/api/v1/export/conversations.csv")
@accepts(query=CONVERSATION_STATS_PARAMS)
async def export_conversations(request: web.Request) -> web.StreamResponse:
    """The conversation figures of a period (as GET /api/v1/stats/conversations; supervisors and admins)."""
    query = conversation_stats_query(request.query)
    table = await export.conversation_figures(user_of(request), request.app[BACKENDS], **query)
    return await stream_csv(request, table)
