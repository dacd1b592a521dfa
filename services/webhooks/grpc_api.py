"""The webhooks gRPC servicer: each handler reads the request, calls one domain method and
renders the answer; domain errors become status codes in one place (`domain_errors`)."""

from __future__ import annotations

from typing import Any

from callcenter.api.webhooks.v1 import webhooks_pb2 as pb
from callcenter.api.webhooks.v1 import webhooks_pb2_grpc
from callcenter.core.event_stream import duration_ms, timestamp_ms
from callcenter.core.grpc_server import domain_errors
from callcenter.services.webhooks.model import Attempt, DeadLetter, Subscription
from callcenter.services.webhooks.subscriptions import Subscriptions

_domain_errors = domain_errors("the webhooks store")

OUTCOME_TO_PB = {
    "delivered": pb.ATTEMPT_OUTCOME_DELIVERED,
    "retrying": pb.ATTEMPT_OUTCOME_RETRYING,
    "dead": pb.ATTEMPT_OUTCOME_DEAD_LETTERED,
}


def _type(short: str) -> str:
    return "EVENT_TYPE_" + short if short else ""


def subscription_pb(s: Subscription) -> pb.Subscription:
    return pb.Subscription(
        id=s.id,
        url=s.url,
        event_types=[_type(t) for t in s.event_types],
        queue=s.queue,
        description=s.description,
        paused=s.paused,
        create_time=timestamp_ms(s.created_ms),
        queued_deliveries=s.queued,
        dead_letters=s.dead_letters,
    )


def attempt_pb(a: Attempt) -> pb.DeliveryAttempt:
    return pb.DeliveryAttempt(
        delivery_id=a.delivery_id,
        event_id=a.event_id,
        event_type=_type(a.event_type),
        subject=a.subject,
        attempt=a.attempt,
        outcome=OUTCOME_TO_PB.get(a.outcome, pb.ATTEMPT_OUTCOME_UNSPECIFIED),
        status_code=a.status_code,
        error=a.error,
        time=timestamp_ms(a.time_ms),
        duration=duration_ms(max(0, a.duration_ms)),
    )


def dead_letter_pb(d: DeadLetter) -> pb.DeadLetter:
    return pb.DeadLetter(
        delivery_id=d.delivery_id,
        event_id=d.event_id,
        event_type=_type(d.event_type),
        subject=d.subject,
        attempts=d.attempts,
        reason=d.reason,
        dead_time=timestamp_ms(d.dead_ms),
    )


class WebhookServicer(webhooks_pb2_grpc.WebhookServiceServicer):
    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions

    @_domain_errors
    async def CreateSubscription(self, request: pb.CreateSubscriptionRequest, context: Any) -> Any:
        created, secret = await self.subscriptions.create(
            request.url, list(request.event_types), request.queue, request.description
        )
        return pb.CreateSubscriptionResponse(subscription=subscription_pb(created), secret=secret)

    @_domain_errors
    async def ListSubscriptions(self, request: pb.ListSubscriptionsRequest, context: Any) -> Any:
        listed = await self.subscriptions.all()
        return pb.ListSubscriptionsResponse(subscriptions=[subscription_pb(s) for s in listed])

    @_domain_errors
    async def DeleteSubscription(self, request: pb.DeleteSubscriptionRequest, context: Any) -> Any:
        await self.subscriptions.delete(request.subscription_id)
        return pb.DeleteSubscriptionResponse()

    @_domain_errors
    async def RotateSecret(self, request: pb.RotateSecretRequest, context: Any) -> Any:
        secret, until_ms = await self.subscriptions.rotate(request.subscription_id)
        return pb.RotateSecretResponse(
            secret=secret, previous_secret_expire_time=timestamp_ms(until_ms) if until_ms else None
        )

    @_domain_errors
    async def PauseSubscription(self, request: pb.PauseSubscriptionRequest, context: Any) -> Any:
        paused = await self.subscriptions.set_paused(request.subscription_id, True)
        return pb.PauseSubscriptionResponse(subscription=subscription_pb(paused))

    @_domain_errors
    async def ResumeSubscription(self, request: pb.ResumeSubscriptionRequest, context: Any) -> Any:
        resumed = await self.subscriptions.set_paused(request.subscription_id, False)
        return pb.ResumeSubscriptionResponse(subscription=subscription_pb(resumed))

    @_domain_errors
    async def ListDeliveries(self, request: pb.ListDeliveriesRequest, context: Any) -> Any:
        page = await self.subscriptions.attempts(request.subscription_id, request.page_size, request.page_token)
        return pb.ListDeliveriesResponse(
            deliveries=[attempt_pb(a) for a in page.items], next_page_token=page.next_token
        )

    @_domain_errors
    async def ListDeadLetters(self, request: pb.ListDeadLettersRequest, context: Any) -> Any:
        page = await self.subscriptions.dead_letters(request.subscription_id, request.page_size, request.page_token)
        return pb.ListDeadLettersResponse(
            dead_letters=[dead_letter_pb(d) for d in page.items], next_page_token=page.next_token
        )

    @_domain_errors
    async def ReplayDeadLetters(self, request: pb.ReplayDeadLettersRequest, context: Any) -> Any:
        replayed = await self.subscriptions.replay(request.subscription_id, request.delivery_id)
        return pb.ReplayDeadLettersResponse(replayed=replayed)
