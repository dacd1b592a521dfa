"""The invoice queue (S2.7): unpaid invoices nobody reached yet, oldest first (stats'
ListInvoiceQueue), and the call about one: an outbound call of the invoice's queue offered
to its deal owner first (then the team), which records its result on the invoice.

An agent sees and calls their own invoices (the call is dialled at once: they chose it); a
supervisor those of their teams' queues (the call is the owner's preview); an admin all."""

from __future__ import annotations

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.core.errors import InvalidArgument, NotFound

from ..backends import Backends
from ..users import User
from . import access
from .errors import Conflict


def _scope(user: User, queue: str) -> tuple[str, str]:
    """The (agent, queue) filter the user's role allows."""
    access.require_role(user, "agent", "supervisor", "admin")
    if user.role == "agent":
        if not user.agent_id:
            raise Conflict("agent_id", f"user {user.username} has no agent")
        return user.agent_id, queue
    if user.role == "supervisor":
        if not queue:
            raise InvalidArgument("queue", "required: one of your teams' queues")
        if not access.sees_queue(user, queue):
            raise NotFound(f"queue {queue} does not exist")
    return "", queue


async def list_invoices(
    user: User, backends: Backends, queue: str, uncalled_only: bool, page_size: int, page_token: str
) -> spb.ListInvoiceQueueResponse:
    agent_id, queue = _scope(user, queue)
    reply: spb.ListInvoiceQueueResponse = await backends.stats.ListInvoiceQueue(
        spb.ListInvoiceQueueRequest(
            agent_id=agent_id, queue=queue, uncalled_only=uncalled_only, page_size=page_size, page_token=page_token
        ),
        timeout=backends.timeout_s,
    )
    return reply


async def call_invoice(user: User, backends: Backends, invoice_id: str) -> pb.Call:
    """The call about the invoice: to its client, offered to its owner first. Asking again
    while a call about it is on gives that call (the call id is the invoice's attempt)."""
    agent_id, _ = _scope(user, "") if user.role == "agent" else ("", "")
    reply: spb.ListInvoiceQueueResponse = await backends.stats.ListInvoiceQueue(
        spb.ListInvoiceQueueRequest(invoice_id=invoice_id, agent_id=agent_id), timeout=backends.timeout_s
    )
    if not reply.invoices or (user.role == "supervisor" and not access.sees_queue(user, reply.invoices[0].queue)):
        raise NotFound(f"invoice {invoice_id} is not in the invoice queue")
    inv = reply.invoices[0]
    if not inv.client_number:
        raise Conflict("invoice_id", f"invoice {invoice_id}: its lead has no client number to call")
    if not inv.queue:
        raise Conflict("invoice_id", f"invoice {invoice_id} names no queue to call it from")
    attempt = inv.call_attempts + (0 if inv.calling else 1)
    mode = pb.OUTBOUND_MODE_PROGRESSIVE if user.agent_id and user.agent_id == inv.agent_id else pb.OUTBOUND_MODE_PREVIEW
    created: pb.CreateOutboundCallResponse = await backends.router.CreateOutboundCall(
        pb.CreateOutboundCallRequest(
            call_id=f"invoice-{invoice_id}-{max(attempt, 1)}",
            number=inv.client_number,
            queue=inv.queue,
            mode=mode,
            agent_id=inv.agent_id,
            deal_id=inv.lead_id,
            attributes={"invoice_id": invoice_id},
        ),
        timeout=backends.timeout_s,
    )
    return created.call
