"""The CrmService servicer (events in from a CRM): reads the request, calls the domain
(crm_in.py) and renders one result per event; a malformed request is refused as a whole."""

from __future__ import annotations

from typing import Any

from callcenter.api.crm.v1 import crm_pb2 as pb
from callcenter.api.crm.v1 import crm_pb2_grpc
from callcenter.core.grpc_server import bounded_details, domain_errors, status_for
from callcenter.services.webhooks.crm_in import CrmIn, CrmResult

_domain_errors = domain_errors("the webhooks store")

OUTCOME_TO_PB = {
    "accepted": pb.CRM_EVENT_OUTCOME_ACCEPTED,
    "duplicate": pb.CRM_EVENT_OUTCOME_DUPLICATE,
    "refused": pb.CRM_EVENT_OUTCOME_REFUSED,
}


def result_pb(r: CrmResult) -> pb.CrmEventResult:
    out = pb.CrmEventResult(event_id=r.event_id, outcome=OUTCOME_TO_PB[r.outcome])
    if r.refusal is not None:
        out.field = r.field
        out.reason = bounded_details(str(r.refusal))
        out.code = status_for(r.refusal).name
    return out


class CrmServicer(crm_pb2_grpc.CrmServiceServicer):
    def __init__(self, crm_in: CrmIn) -> None:
        self.crm_in = crm_in

    @_domain_errors
    async def SubmitCrmEvents(self, request: pb.SubmitCrmEventsRequest, context: Any) -> Any:
        results = await self.crm_in.submit(list(request.events))
        return pb.SubmitCrmEventsResponse(results=[result_pb(r) for r in results])
