"""Where CRM events in are applied: the router (clients) and the stats service (leads, invoices,
payments), over gRPC with the webhooks service's own credential (a `crm` role: docs/security.md).

Each method is one change as the CRM states it; a refusal of the service that applies it comes
back as the domain refusal of the same kind (callcenter/core/errors.py), its field named as the
CRM event names it (`client.manager_id` of UpsertClient is `client_changed.personal_manager_agent_id`).

The calls carry no on-behalf actor (the `crm` role may not relay one): the router and the stats
service record this credential as the actor; the CRM_EVENT_APPLIED event records who submitted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import grpc

from callcenter.api.crm.v1 import crm_pb2
from callcenter.api.router.v1 import router_pb2, router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2, stats_pb2_grpc
from callcenter.core import errors
from callcenter.core.audit import current_actor
from callcenter.core.grpc_security import GrpcClientCredentials, aio_channel

#: A refusal's status -> the domain refusal it is here (INVALID_ARGUMENT is built with its field).
_REFUSALS: dict[grpc.StatusCode, type[errors.DomainError]] = {
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.ALREADY_EXISTS: errors.AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: errors.FailedPrecondition,
    grpc.StatusCode.OUT_OF_RANGE: errors.FailedPrecondition,
    grpc.StatusCode.PERMISSION_DENIED: errors.PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.ResourceExhausted,
}

#: The router's field names of a client -> ClientChanged's.
_CLIENT_FIELDS = {
    "client.number": "number",
    "client.name": "name",
    "client.priority": "priority",
    "client.manager_id": "personal_manager_agent_id",
}
#: Stats' field names of leads -> LeadChanged's.
_LEAD_FIELDS = {"agent_id": "owner_agent_id"}


def _field(prefix: str, reported: str, names: dict[str, str]) -> str:
    return f"{prefix}.{names.get(reported, reported.rsplit('.', 1)[-1])}" if reported else prefix


@contextlib.contextmanager
def _refusals(prefix: str, names: dict[str, str] | None = None) -> Iterator[None]:
    """A service's refusal as a domain refusal naming the CRM event's field."""
    try:
        yield
    except grpc.aio.AioRpcError as exc:
        code, message = exc.code(), exc.details() or ""
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            reported, _, problem = message.partition(": ")
            field = reported if problem and " " not in reported else ""
            raise errors.InvalidArgument(_field(prefix, field, names or {}), problem if field else message) from None
        refusal = _REFUSALS.get(code)
        if refusal is not None:
            raise refusal(message) from None
        raise errors.Unavailable(f"{code.name.lower()}: {message}; retry") from None


@contextlib.contextmanager
def _as_own_credential() -> Iterator[None]:
    token = current_actor.set(None)
    try:
        yield
    finally:
        current_actor.reset(token)


class CrmTargets:
    """Channels to the router and the stats service, and the changes a CRM event makes there."""

    def __init__(
        self, router_addr: str, stats_addr: str, timeout_s: float, credentials: GrpcClientCredentials | None = None
    ) -> None:
        self.timeout_s = timeout_s
        self._channels = [aio_channel(addr, credentials) for addr in (router_addr, stats_addr)]
        self.router = router_pb2_grpc.RouterServiceStub(self._channels[0])
        self.stats = stats_pb2_grpc.StatsServiceStub(self._channels[1])

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    async def client(self, c: crm_pb2.ClientChanged) -> None:
        """The router's client becomes what the CRM says (its personal manager included)."""
        client = router_pb2.Client(
            number=c.number,
            name=c.name,
            priority=c.priority,
            manager_id=c.personal_manager_agent_id,
            time_zone=c.time_zone,
            attributes=c.attributes,
        )
        with _as_own_credential(), _refusals("client_changed", _CLIENT_FIELDS):
            await self.router.UpsertClient(router_pb2.UpsertClientRequest(client=client), timeout=self.timeout_s)

    async def lead(self, lead: crm_pb2.LeadChanged) -> None:
        """The stats lead ends in the CRM's state: created when unknown, else assigned to the new
        owner and moved to the new stage when they differ."""
        stage = lead.stage or "lead"
        with _as_own_credential(), _refusals("lead_changed", _LEAD_FIELDS):
            try:
                reply = await self.stats.GetLead(stats_pb2.GetLeadRequest(lead_id=lead.lead_id), timeout=self.timeout_s)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                request = stats_pb2.CreateLeadRequest(
                    lead_id=lead.lead_id, agent_id=lead.owner_agent_id, stage=stage, client_number=lead.client_number
                )
                await self.stats.CreateLead(request, timeout=self.timeout_s)
                return
            now = reply.lead
            if lead.owner_agent_id and lead.owner_agent_id != now.agent_id:
                await self.stats.AssignLead(
                    stats_pb2.AssignLeadRequest(lead_id=lead.lead_id, agent_id=lead.owner_agent_id),
                    timeout=self.timeout_s,
                )
            if stage != now.stage:
                await self.stats.ChangeLeadStage(
                    stats_pb2.ChangeLeadStageRequest(lead_id=lead.lead_id, stage=stage, agent_id=lead.owner_agent_id),
                    timeout=self.timeout_s,
                )

    async def invoice(self, i: crm_pb2.InvoiceIssued, actor: str) -> None:
        request = stats_pb2.ReportInvoiceRequest(
            invoice_id=i.invoice_id,
            lead_id=i.lead_id,
            agent_id=i.agent_id,
            product=i.product,
            queue=i.queue,
            amount_minor=i.amount_minor,
            currency=i.currency,
            actor=actor,
        )
        if i.HasField("issued_at"):
            request.issued_at.CopyFrom(i.issued_at)
        with _as_own_credential(), _refusals("invoice_issued"):
            await self.stats.ReportInvoice(request, timeout=self.timeout_s)

    async def payment(self, p: crm_pb2.PaymentReceived, actor: str) -> None:
        request = stats_pb2.ReportPaymentRequest(
            payment_id=p.payment_id, invoice_id=p.invoice_id, amount_minor=p.amount_minor, actor=actor
        )
        if p.HasField("paid_at"):
            request.paid_at.CopyFrom(p.paid_at)
        with _as_own_credential(), _refusals("payment_received"):
            await self.stats.ReportPayment(request, timeout=self.timeout_s)
