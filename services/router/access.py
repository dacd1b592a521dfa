"""Which roles may call each router RPC (docs/security.md, issue 15: work in progress; the
interceptor in callcenter/core/auth.py checks it). Admin may call everything; an RPC missing
here is closed to everyone else. A PBX can never change an agent's endpoint or delete."""

from __future__ import annotations

from callcenter.api.router.v1 import router_pb2
from callcenter.core.auth import AccessPolicy

SERVICE = router_pb2.DESCRIPTOR.services_by_name["RouterService"].full_name

_PBX = {"PbxSession", "RouteCall", "ReportOfferOutcome", "HangupCall", "GetCall", "WatchCall"}
_GATEWAY = {
    "GetQueue",
    "ListQueues",
    "GetAgent",
    "ListAgents",
    "LoginAgent",
    "LogoutAgent",
    "PauseAgent",
    "ResumeAgent",
    "EndWrapUp",
    "ExtendWrapUp",
    "GetCall",
    "WatchCall",
    "GetClient",
    "ListClients",
}
_CRM = {"UpsertClient", "GetClient", "ListClients", "ReassignClients"}
_ADMIN_ONLY = {"UpsertQueue", "UpsertAgent", "DeleteAgent"}


def _roles(method: str) -> frozenset[str]:
    roles = {"admin"}
    roles |= {"pbx"} if method in _PBX else set()
    roles |= {"gateway"} if method in _GATEWAY else set()
    roles |= {"crm"} if method in _CRM else set()
    return frozenset(roles)


ROUTER_POLICY = AccessPolicy(
    SERVICE,
    {m.name: _roles(m.name) for m in router_pb2.DESCRIPTOR.services_by_name["RouterService"].methods},
)
DECLARED = _PBX | _GATEWAY | _CRM | _ADMIN_ONLY
