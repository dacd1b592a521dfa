"""Which roles may call each stats RPC (docs/security.md; callcenter/core/auth.py checks it).
Admin may call everything; a PBX nothing."""

from __future__ import annotations

from callcenter.api.stats.v1 import stats_pb2
from callcenter.core.auth import AccessPolicy

_LEADS = ["CreateLead", "AssignLead", "ChangeLeadStage", "GetLead", "ListLeads", "GetLeadHistory", "GetLeadFunnel"]
_CALL_RECORDS = ["ListCallRecords", "GetCallRecord"]

STATS_POLICY = AccessPolicy.declare(
    stats_pb2.DESCRIPTOR.services_by_name["StatsService"],
    gateway=[
        "GetBoard",
        "WatchBoard",
        "GetAgentStats",
        "GetAgentTimeline",
        "GetQueueStats",
        "GetQueueSeries",
        *_CALL_RECORDS,
        *_LEADS,
        "ListActions",
    ],
    crm=[*_CALL_RECORDS, *_LEADS],
)
