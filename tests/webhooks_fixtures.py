"""Fixtures of the webhooks tests: in-process webhooks services on the test's Redis and tenant
(real gRPC on loopback, fast retries) and a real HTTP receiver standing in for the CRM."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import grpc
import pytest

from callcenter.api.webhooks.v1 import webhooks_pb2 as pb
from callcenter.api.webhooks.v1 import webhooks_pb2_grpc
from callcenter.core import event_stream
from callcenter.core.config import CommonConfig
from callcenter.services.webhooks.config import DeliverySettings, WebhooksConfig
from tests.webhook_receiver import Receiver

#: Deliveries to loopback allowed (the test receiver), retries within milliseconds.
FAST = DeliverySettings(allow_private_urls=True, retry_base_ms=50, retry_cap_ms=200, poll_ms=50, timeout_s=3)


def webhooks_config(redis_url: str, tenant: str, **overrides) -> WebhooksConfig:
    config = WebhooksConfig(
        common=CommonConfig(redis_url=redis_url, tenant=tenant), port=0, block_ms=20, shutdown_grace_s=0.5,
        delivery=FAST,
    )  # fmt: skip
    return dataclasses.replace(config, **overrides)


@pytest.fixture(name="start_webhooks")
async def start_webhooks_fixture(redis, redis_url, tenant):
    """Starts in-process webhooks services and stops them at the end of the test. Keyword
    arguments override WebhooksConfig fields."""
    from callcenter.services.webhooks.server import WebhooksService

    started: list[WebhooksService] = []

    async def start(**overrides) -> WebhooksService:
        service = WebhooksService(webhooks_config(redis_url, tenant, **overrides), redis)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()


@pytest.fixture(name="receiver")
async def receiver_fixture():
    """A CRM's webhook endpoint on a loopback port (answers 200 unless told otherwise)."""
    crm = await Receiver().start()
    yield crm
    await crm.stop()


@pytest.fixture(name="stub_for")
async def stub_for_fixture():
    """Makes WebhookService stubs of started services (their channels closed at the end)."""
    from callcenter.services.webhooks.server import WebhooksService

    channels: list[grpc.aio.Channel] = []

    def make(service: WebhooksService) -> webhooks_pb2_grpc.WebhookServiceStub:
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{service.port}")
        channels.append(channel)
        return webhooks_pb2_grpc.WebhookServiceStub(channel)

    yield make
    for channel in channels:
        await channel.close()


async def subscribe(stub, receiver: Receiver, path: str = "/hook", **fields) -> pb.Subscription:
    reply = await stub.CreateSubscription(pb.CreateSubscriptionRequest(url=receiver.url(path), **fields), timeout=5)
    assert reply.secret.startswith("whsec_")
    receiver.secrets[reply.subscription.id] = reply.secret
    return reply.subscription


async def emit(redis, tenant: str, event_type: str, **fields) -> str:
    return await event_stream.append(redis, tenant, event_type, int(time.time() * 1000), **fields)


async def eventually(check, timeout_s: float = 20.0, every_s: float = 0.02):
    """Polls an async check until it returns something true (the deadline fails the test)."""
    async with asyncio.timeout(timeout_s):
        while not (result := await check()):
            await asyncio.sleep(every_s)
    return result
