"""CRM webhooks out (S1.12, docs/crm.md): subscriptions with filters, signed deliveries retried
with backoff, in order per subject, queued exactly once per event from the event stream, dead
letters and replay, checked against a real HTTP receiver, real Redis and the real gRPC service."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections import Counter

import grpc
import pytest

from callcenter.api.webhooks.v1 import webhooks_pb2 as pb
from callcenter.api.webhooks.v1 import webhooks_pb2_grpc
from callcenter.core import event_stream
from callcenter.core.auth import ROLES, hash_token, new_token
from callcenter.core.grpc_security import GrpcServerSecurity
from callcenter.services.webhooks.dispatch import Dispatcher
from callcenter.services.webhooks.keys import WebhookKeys
from callcenter.services.webhooks.signing import verify
from callcenter.services.webhooks.subscriptions import Subscriptions
from tests.webhooks_fixtures import FAST, emit, eventually, subscribe, webhooks_config


async def test_a_receiver_failing_twice_gets_the_event_on_the_third_try_signed_and_in_order(
    redis, tenant, start_webhooks, stub_for, receiver
):
    # c1's receiver fails the first two requests; c2's are answered at once
    def answer(seen, path, payload):
        c1_requests = [r for r in seen if r.event.get("call_id") == "c1"]
        return 500 if payload["event"].get("call_id") == "c1" and len(c1_requests) < 2 else 200

    receiver.answer = answer
    service = await start_webhooks(delivery=dataclasses.replace(FAST, retry_base_ms=300, retry_cap_ms=1000))
    stub = stub_for(service)
    sub = await subscribe(stub, receiver)
    ids = [
        await emit(redis, tenant, "call_received", call_id="c1", queue="sales", caller="+4930111"),
        await emit(redis, tenant, "call_queued", call_id="c1", queue="sales"),
        await emit(redis, tenant, "call_received", call_id="c2", queue="sales"),
        await emit(redis, tenant, "call_answered", call_id="c1", queue="sales", agent_id="anna"),
    ]
    await receiver.wait_for(lambda seen: len([r for r in seen if r.ok]) == 4)

    c1 = [r for r in receiver.delivered() if r.event["call_id"] == "c1"]
    assert [r.event["id"] for r in c1] == [ids[0], ids[1], ids[3]]  # in order, each once
    assert [r.event["type"] for r in c1] == [
        "EVENT_TYPE_CALL_RECEIVED",
        "EVENT_TYPE_CALL_QUEUED",
        "EVENT_TYPE_CALL_ANSWERED",
    ]
    first = c1[0]
    assert first.payload["attempt"] == 3 and first.payload["subscription_id"] == sub.id
    assert first.payload["delivery_id"] == f"{sub.id}.{ids[0]}" == first.headers["X-Callcenter-Delivery"]
    assert first.headers["X-Callcenter-Event"] == "EVENT_TYPE_CALL_RECEIVED"
    assert first.event["caller"] == "+4930111" and first.event["queue"] == "sales"
    assert all(r.signed_by == [sub.id] for r in receiver.received)  # every attempt, failed ones too
    # the failing call did not hold up the other one: c2 was delivered before c1 got through
    order = [(r.event["call_id"], r.ok) for r in receiver.received]
    assert order.index(("c2", True)) < order.index(("c1", True))
    assert [r.payload["attempt"] for r in receiver.received if r.event["id"] == ids[0]] == [1, 2, 3]

    log = await stub.ListDeliveries(pb.ListDeliveriesRequest(subscription_id=sub.id), timeout=5)
    of_first = [d for d in log.deliveries if d.event_id == ids[0]]  # newest first
    assert [(d.attempt, d.outcome, d.status_code) for d in of_first] == [
        (3, pb.ATTEMPT_OUTCOME_DELIVERED, 200),
        (2, pb.ATTEMPT_OUTCOME_RETRYING, 500),
        (1, pb.ATTEMPT_OUTCOME_RETRYING, 500),
    ]
    assert of_first[1].error.startswith("HTTP 500") and of_first[0].subject == "c1"
    page = await stub.ListDeliveries(pb.ListDeliveriesRequest(subscription_id=sub.id, page_size=2), timeout=5)
    rest = await stub.ListDeliveries(
        pb.ListDeliveriesRequest(subscription_id=sub.id, page_size=500, page_token=page.next_page_token), timeout=5
    )
    assert [d.attempt for d in [*page.deliveries, *rest.deliveries]] == [d.attempt for d in log.deliveries]
    assert len(log.deliveries) == 6 and rest.next_page_token == ""


async def test_redelivered_stream_entries_queue_each_delivery_once(
    redis, redis_url, tenant, start_webhooks, stub_for, receiver
):
    config = webhooks_config(redis_url, tenant, claim_idle_ms=1)
    subscriptions = Subscriptions(redis, tenant, config)
    sub, secret = await subscriptions.create(receiver.url(), [], "", "")
    receiver.secrets[sub.id] = secret
    first = Dispatcher(redis, tenant, config, name="first")
    await first.ensure_group()
    ids = [await emit(redis, tenant, "agent_paused", agent_id=f"a{i % 3}", reason="break") for i in range(20)]
    batch = await first.read_new()
    assert [entry_id for entry_id, _ in batch] == ids
    await first.dispatch(batch)  # queued, then killed before XACK
    assert first.queued == 20

    second = Dispatcher(redis, tenant, config, name="second")
    assert await second.drain() == 20  # takes the pending entries over
    await first.dispatch(batch)  # and the first one, back, handles its batch again
    assert (second.queued, second.duplicates, first.duplicates) == (0, 20, 20)

    await start_webhooks()
    await receiver.wait_for(lambda seen: len(seen) >= 20)
    listed = await eventually(
        lambda: _settled(subscriptions, sub.id, 20)
    )  # every delivery settled: nothing more to send
    assert listed
    by_delivery = Counter(r.payload["delivery_id"] for r in receiver.received)
    assert sorted(by_delivery) == sorted(f"{sub.id}.{i}" for i in ids) and set(by_delivery.values()) == {1}
    for agent in ("a0", "a1", "a2"):  # one subject each: in stream order
        got = [r.event["id"] for r in receiver.received if r.event["agent_id"] == agent]
        assert got == sorted(got, key=lambda i: tuple(map(int, i.split("-"))))
    assert all(r.signed_by == [sub.id] for r in receiver.received)


async def _settled(subscriptions: Subscriptions, sub_id: str, attempts: int) -> bool:
    sub = await subscriptions.get(sub_id)
    page = await subscriptions.attempts(sub_id, 500, "")
    return sub.queued == 0 and len(page.items) == attempts


async def test_a_receiver_that_always_fails_ends_in_dead_letters_and_replay_delivers_them(
    redis, tenant, start_webhooks, stub_for, receiver
):
    healthy = False
    receiver.answer = lambda seen, path, payload: 200 if healthy else 503
    service = await start_webhooks(
        delivery=dataclasses.replace(FAST, max_attempts=3, retry_base_ms=10, retry_cap_ms=20)
    )
    stub = stub_for(service)
    sub = await subscribe(stub, receiver)
    ids = [
        await emit(redis, tenant, "lead_created", lead_id="L1"),
        await emit(redis, tenant, "lead_assigned", lead_id="L1", agent_id="anna"),
        await emit(redis, tenant, "queue_updated", queue="sales"),
    ]

    async def all_dead():
        reply = await stub.ListDeadLetters(pb.ListDeadLettersRequest(subscription_id=sub.id), timeout=5)
        return reply.dead_letters if len(reply.dead_letters) == 3 else None

    dead = await eventually(all_dead)
    assert {d.event_id for d in dead} == set(ids)
    assert {(d.attempts, d.reason) for d in dead} == {(3, "HTTP 503: nope")}
    assert {d.subject for d in dead} == {"L1", "site"}
    assert len(receiver.received) == 9  # three attempts each, and no more
    # the lead's second event waited for its first to be given up on
    lead = [r.event["id"] for r in receiver.received if r.event.get("lead_id") == "L1"]
    assert lead == [ids[0]] * 3 + [ids[1]] * 3
    listed = (await stub.ListSubscriptions(pb.ListSubscriptionsRequest(), timeout=5)).subscriptions
    assert [(s.id, s.dead_letters, s.queued_deliveries) for s in listed] == [(sub.id, 3, 0)]

    healthy = True
    one = await stub.ReplayDeadLetters(
        pb.ReplayDeadLettersRequest(subscription_id=sub.id, delivery_id=f"{sub.id}.{ids[2]}"), timeout=5
    )
    assert one.replayed == 1
    rest = await stub.ReplayDeadLetters(pb.ReplayDeadLettersRequest(subscription_id=sub.id), timeout=5)
    assert rest.replayed == 2
    await receiver.wait_for(lambda seen: len([r for r in seen if r.ok]) == 3)
    assert [r.event["id"] for r in receiver.delivered() if r.event.get("lead_id")] == ids[:2]
    assert all(r.payload["attempt"] == 1 and r.signed_by == [sub.id] for r in receiver.delivered())
    assert (await stub.ListDeadLetters(pb.ListDeadLettersRequest(subscription_id=sub.id), timeout=5)).dead_letters == []


async def test_only_the_subscribed_event_types_and_queue_are_delivered(
    redis, tenant, start_webhooks, stub_for, receiver
):
    service = await start_webhooks()
    stub = stub_for(service)
    answered_in_sales = await subscribe(
        stub, receiver, "/sales", event_types=["EVENT_TYPE_CALL_ANSWERED"], queue="sales", description="CRM sales"
    )
    everything = await subscribe(stub, receiver, "/all")
    await emit(redis, tenant, "call_received", call_id="c1", queue="sales")
    wanted = await emit(redis, tenant, "call_answered", call_id="c1", queue="sales", agent_id="anna")
    await emit(redis, tenant, "call_answered", call_id="c2", queue="support", agent_id="bob")
    await emit(redis, tenant, "agent_paused", agent_id="anna", reason="lunch")
    await receiver.wait_for(lambda seen: len([r for r in seen if r.path == "/all"]) == 4)

    async def nothing_queued():
        subs = (await stub.ListSubscriptions(pb.ListSubscriptionsRequest(), timeout=5)).subscriptions
        return all(s.queued_deliveries == 0 for s in subs) and subs

    subs = await nothing_queued() or await eventually(nothing_queued)
    assert [r.event["id"] for r in receiver.received if r.path == "/sales"] == [wanted]
    assert {s.id: list(s.event_types) for s in subs} == {
        answered_in_sales.id: ["EVENT_TYPE_CALL_ANSWERED"],
        everything.id: [],
    }
    assert [s.queue for s in subs] == ["sales", ""] and subs[0].description == "CRM sales"


async def test_a_pending_retry_survives_a_restart_and_fires_at_its_time(
    redis, tenant, start_webhooks, stub_for, receiver
):
    receiver.answer = lambda seen, path, payload: 500 if not seen else 200
    slow_retry = dataclasses.replace(FAST, retry_base_ms=1500, retry_cap_ms=1500)
    first = await start_webhooks(delivery=slow_retry)
    sub = await subscribe(stub_for(first), receiver)
    event_id = await emit(redis, tenant, "call_received", call_id="c9", queue="sales")
    await receiver.wait_for(lambda seen: len(seen) == 1)
    delivery_id = f"{sub.id}.{event_id}"
    keys = WebhookKeys(tenant)

    async def retry_scheduled():
        return await redis.hget(keys.delivery(delivery_id), "state") == "retrying"

    await eventually(retry_scheduled)
    due_ms = await redis.zscore(keys.due, delivery_id)
    await first.stop()

    await start_webhooks(delivery=slow_retry)
    await receiver.wait_for(lambda seen: len(seen) == 2)
    now_s, now_us = await redis.time()
    assert now_s * 1000 + now_us // 1000 >= due_ms  # not before its time (the Redis clock)
    second = receiver.received[1]
    assert second.ok and second.payload["attempt"] == 2 and second.signed_by == [sub.id]
    assert second.event["id"] == event_id


async def test_after_rotation_both_secrets_sign_during_the_overlap(redis, tenant, start_webhooks, stub_for, receiver):
    service = await start_webhooks()
    stub = stub_for(service)
    sub = await subscribe(stub, receiver)
    rotated = await stub.RotateSecret(pb.RotateSecretRequest(subscription_id=sub.id), timeout=5)
    receiver.secrets["new"] = rotated.secret
    assert rotated.secret != receiver.secrets[sub.id] and rotated.HasField("previous_secret_expire_time")
    await emit(redis, tenant, "agent_logged_in", agent_id="anna")
    [got] = await receiver.wait_for(lambda seen: len(seen) == 1)
    assert sorted(got.signed_by) == sorted([sub.id, "new"])
    assert got.headers["X-Callcenter-Signature"].count("v1=") == 2
    # the signature covers the exact body and the timestamp
    assert not verify(rotated.secret, got.headers["X-Callcenter-Signature"], got.body + b" ", int(time.time()))
    assert not verify(rotated.secret, got.headers["X-Callcenter-Signature"], got.body, int(time.time()) + 3600)
    assert json.loads(got.body)["event"]["agent_id"] == "anna"


async def test_paused_subscriptions_queue_and_resume_in_order(redis, tenant, start_webhooks, stub_for, receiver):
    service = await start_webhooks()
    stub = stub_for(service)
    sub = await subscribe(stub, receiver)
    paused = await stub.PauseSubscription(pb.PauseSubscriptionRequest(subscription_id=sub.id), timeout=5)
    assert paused.subscription.paused
    ids = [await emit(redis, tenant, "agent_paused", agent_id="anna", reason=str(i)) for i in range(3)]

    async def all_queued():
        [s] = (await stub.ListSubscriptions(pb.ListSubscriptionsRequest(), timeout=5)).subscriptions
        return s.queued_deliveries == 3

    await eventually(all_queued)
    assert receiver.received == []
    await stub.ResumeSubscription(pb.ResumeSubscriptionRequest(subscription_id=sub.id), timeout=5)
    await receiver.wait_for(lambda seen: len(seen) == 3)
    assert [r.event["id"] for r in receiver.received] == ids


async def _code(coro) -> grpc.StatusCode:
    try:
        await coro
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def _refusal(coro) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await coro
    return caught.value.code(), caught.value.details()


async def test_bad_requests_are_refused_naming_the_field(start_webhooks, stub_for, receiver):
    service = await start_webhooks(delivery=dataclasses.replace(FAST, allow_private_urls=False))
    stub = stub_for(service)
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    cases = {
        "ftp://crm.example/hook": "url: must be an http",
        "http://": "url: has no host",
        "https://user:pw@crm.example/": "url: may not hold credentials",
        "http://127.0.0.1:8080/hook": "url: host 127.0.0.1 resolves to a non-public address",
        "http://10.1.2.3/hook": "url: host 10.1.2.3 resolves to a non-public address",
        "http://169.254.169.254/latest/meta-data": "url: host 169.254.169.254 resolves to a non-public",
        "http://[::1]/hook": "url: host ::1 resolves to a non-public address",
        "https://crm.example/" + "x" * 3000: "url: is longer than 2048",
    }
    for url, message in cases.items():
        code, details = await _refusal(stub.CreateSubscription(pb.CreateSubscriptionRequest(url=url), timeout=5))
        assert (code, details[: len(message)]) == (invalid, message), url
    code, details = await _refusal(
        stub.CreateSubscription(
            pb.CreateSubscriptionRequest(url="http://8.8.8.8/", event_types=["EVENT_TYPE_CALL_ANSWERED", "CALL_EATEN"]),
            timeout=5,
        )
    )
    assert code == invalid and details.startswith("event_types[1]: 'CALL_EATEN' is not")
    unknown = "sub_0123456789abcdef"
    for rpc in (
        stub.DeleteSubscription(pb.DeleteSubscriptionRequest(subscription_id=unknown), timeout=5),
        stub.RotateSecret(pb.RotateSecretRequest(subscription_id=unknown), timeout=5),
        stub.ListDeliveries(pb.ListDeliveriesRequest(subscription_id=unknown), timeout=5),
        stub.ReplayDeadLetters(pb.ReplayDeadLettersRequest(subscription_id="nonsense{}"), timeout=5),
        stub.PauseSubscription(pb.PauseSubscriptionRequest(subscription_id=unknown), timeout=5),
    ):
        assert (await _refusal(rpc))[0] == grpc.StatusCode.NOT_FOUND
    code, details = await _refusal(stub.DeleteSubscription(pb.DeleteSubscriptionRequest(), timeout=5))
    assert code == invalid and details.startswith("subscription_id: is required")

    allowing = await start_webhooks(delivery=FAST)
    sub = await subscribe(stub_for(allowing), receiver)
    for request, field in (
        (pb.ListDeliveriesRequest(subscription_id=sub.id, page_size=501), "page_size"),
        (pb.ListDeliveriesRequest(subscription_id=sub.id, page_token="x"), "page_token"),
    ):
        code, details = await _refusal(stub.ListDeliveries(request, timeout=5))
        assert code == invalid and details.startswith(field)
    code, details = await _refusal(
        stub.ListDeadLetters(pb.ListDeadLettersRequest(subscription_id=sub.id, page_size=-1), timeout=5)
    )
    assert code == invalid and details.startswith("page_size")
    await stub.DeleteSubscription(pb.DeleteSubscriptionRequest(subscription_id=sub.id), timeout=5)
    assert (await stub.ListSubscriptions(pb.ListSubscriptionsRequest(), timeout=5)).subscriptions == []


async def test_the_subscription_limit_is_kept(start_webhooks, stub_for, receiver):
    from callcenter.services.webhooks.config import WebhookLimits

    service = await start_webhooks(limits=WebhookLimits(max_subscriptions=2))
    stub = stub_for(service)
    await subscribe(stub, receiver)
    await subscribe(stub, receiver)
    code, _ = await _refusal(stub.CreateSubscription(pb.CreateSubscriptionRequest(url=receiver.url()), timeout=5))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED


async def test_only_admin_and_crm_may_manage_webhooks(start_webhooks, receiver, tmp_path):
    tokens = {role: new_token() for role in ROLES}
    callers = tmp_path / "callers"
    callers.write_text("".join(f"{role}-client {role} {hash_token(t)}\n" for role, t in tokens.items()))
    service = await start_webhooks(grpc=GrpcServerSecurity(callers_file=callers))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stub = webhooks_pb2_grpc.WebhookServiceStub(channel)
        for role, token in tokens.items():
            metadata = (("authorization", f"Bearer {token}"),)
            listed = await _code(stub.ListSubscriptions(pb.ListSubscriptionsRequest(), metadata=metadata, timeout=5))
            created = await _code(
                stub.CreateSubscription(pb.CreateSubscriptionRequest(url=receiver.url()), metadata=metadata, timeout=5)
            )
            expected = grpc.StatusCode.OK if role in ("admin", "crm") else grpc.StatusCode.PERMISSION_DENIED
            assert (role, listed, created) == (role, expected, expected)
        assert await _code(stub.ListSubscriptions(pb.ListSubscriptionsRequest(), timeout=5)) == (
            grpc.StatusCode.UNAUTHENTICATED
        )


async def test_an_unreadable_event_is_skipped_and_counted_and_the_next_ones_are_delivered(
    redis, tenant, start_webhooks, stub_for, receiver
):
    from callcenter.core import metrics

    service = await start_webhooks()
    sub = await subscribe(stub_for(service), receiver)
    await redis.xadd(event_stream.stream_key(tenant), {"type": "call_received", "time": "soon", "call_id": "c0"})
    good = await emit(redis, tenant, "call_received", call_id="c1", queue="sales")
    [got] = await receiver.wait_for(lambda seen: len(seen) == 1)
    assert got.event["id"] == good and got.signed_by == [sub.id]
    assert service.dispatcher.skipped == 1
    kept = await redis.xrange(WebhookKeys(tenant).unreadable)
    assert [fields["call_id"] for _, fields in kept] == ["c0"]
    text = (await metrics.render()).decode()
    assert 'callcenter_webhooks_deliveries_total{outcome="delivered"}' in text
    assert "callcenter_webhooks_subscriptions 1.0" in text


async def test_a_private_address_is_refused_at_sending_too(redis, redis_url, tenant, start_webhooks, receiver):
    # made while private addresses were allowed (or while its name resolved elsewhere)
    subscriptions = Subscriptions(redis, tenant, webhooks_config(redis_url, tenant))
    sub, _ = await subscriptions.create(receiver.url(), [], "", "")
    await start_webhooks(delivery=dataclasses.replace(FAST, allow_private_urls=False, max_attempts=2))
    await emit(redis, tenant, "call_received", call_id="c1", queue="sales")

    async def dead():
        page = await subscriptions.dead_letters(sub.id, 10, "")
        return page.items

    [letter] = await eventually(dead)
    assert letter.attempts == 2 and letter.reason.startswith("address refused: 127.0.0.1")
    assert receiver.received == []


def docs_receiver(secret: str) -> dict:
    """The example receiver of docs/crm.md, as written there (its SECRET set, not started)."""
    import pathlib
    import re

    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "crm.md").read_text()
    (source,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    source = source.replace('SECRET = "whsec_…"', f"SECRET = {secret!r}").replace("web.run_app(app, port=8000)", "")
    namespace: dict = {}
    exec(compile(source, "docs/crm.md", "exec"), namespace)  # noqa: S102 - our own documentation
    return namespace


async def test_the_example_receiver_of_the_docs_accepts_a_real_delivery_and_refuses_a_forged_one(
    redis, tenant, start_webhooks, stub_for
):
    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    service = await start_webhooks()
    stub = stub_for(service)
    placeholder = docs_receiver("unset")
    server = TestServer(placeholder["app"], host="127.0.0.1")
    await server.start_server()
    try:
        reply = await stub.CreateSubscription(
            pb.CreateSubscriptionRequest(url=str(server.make_url("/hooks/callcenter"))), timeout=5
        )
        placeholder["SECRET"] = reply.secret  # the example reads its module-level SECRET
        await emit(redis, tenant, "call_received", call_id="c-docs", queue="sales")
        assert await eventually(lambda: asyncio.sleep(0, placeholder["seen"]))
        (delivery,) = placeholder["seen"]
        assert delivery.startswith(reply.subscription.id)
        async with ClientSession() as client:
            forged = await client.post(
                server.make_url("/hooks/callcenter"),
                data=b"{}",
                headers={"X-Callcenter-Signature": f"t={int(time.time())},v1=00"},
            )
            assert forged.status == 401
    finally:
        await server.close()
