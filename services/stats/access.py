"""Which roles may call each stats RPC (docs/security.md; callcenter/core/auth.py checks it).
Admin may call everything; a PBX nothing."""

from __future__ import annotations

from callcenter.api.stats.v1 import stats_pb2
from callcenter.core.auth import AccessPolicy

_LEADS = ["CreateLead", "AssignLead", "ChangeLeadStage", "GetLead", "ListLeads", "GetLeadHistory", "GetLeadFunnel"]
_CALL_RECORDS = ["ListCallRecords", "GetCallRecord"]
_SALES_REPORTS = ["ReportInvoice", "ReportPayment"]  # the CRM's invoices and payments (S2.1)
# the payroll, and its rules for the gateway's admins only (checked there)
_PAYROLL = ["GetPayroll", "GetCommissionRules", "SetCommissionRules", "GetPayRules", "SetPayRules"]

STATS_POLICY = AccessPolicy.declare(
    stats_pb2.DESCRIPTOR.services_by_name["StatsService"],
    gateway=[
        "GetBoard",
        "WatchBoard",
        "GetAgentStats",
        "GetAgentTimeline",
        "GetQueueStats",
        "GetQueueSeries",
        "GetOutboundStats",
        "ListInvoiceQueue",
        *_CALL_RECORDS,
        *_LEADS,
        "ListActions",
        *_PAYROLL,
        "GetConversationBoard",
        "GetConversationStats",
    ],
    crm=[*_CALL_RECORDS, *_LEADS, *_SALES_REPORTS, "ListInvoiceQueue"],
)
