"""Which roles may call each webhooks RPC (docs/security.md; callcenter/core/auth.py checks it).
Admin and the CRM manage subscriptions and read deliveries; a PBX and the gateway nothing of
that. The CRM submits its events in; so does the gateway for its admins (POST /api/v1/crm/events,
checked there)."""

from __future__ import annotations

from callcenter.api.crm.v1 import crm_pb2
from callcenter.api.webhooks.v1 import webhooks_pb2
from callcenter.core.auth import AccessPolicy

WEBHOOKS_POLICY = AccessPolicy.declare(
    webhooks_pb2.DESCRIPTOR.services_by_name["WebhookService"],
    crm=[
        "CreateSubscription",
        "ListSubscriptions",
        "DeleteSubscription",
        "RotateSecret",
        "PauseSubscription",
        "ResumeSubscription",
        "ListDeliveries",
        "ListDeadLetters",
        "ReplayDeadLetters",
    ],
)

CRM_POLICY = AccessPolicy.declare(
    crm_pb2.DESCRIPTOR.services_by_name["CrmService"],
    crm=["SubmitCrmEvents"],
    gateway=["SubmitCrmEvents"],  # for the gateway's admins only (checked there)
)
