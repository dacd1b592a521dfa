"""Which roles may call each webhooks RPC (docs/security.md; callcenter/core/auth.py checks it).
Admin and the CRM manage subscriptions and read deliveries; a PBX and the gateway nothing."""

from __future__ import annotations

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
