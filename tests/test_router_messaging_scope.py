"""A messaging credential limited to its queues and channels (docs/security.md, "Messaging
scope"), on a real router with authentication on (real gRPC on loopback, real Redis): its
callers-file entry's `queues=` and `channels=` decide where it may open a conversation, post
into one and read one, as the gateway does for its messaging users. A refused post stores
nothing; another's conversation reads as one that never was; a changed scope applies without a
restart; a scope on another role, or an unknown field, is refused with its line number."""

from __future__ import annotations

import argparse

import grpc
import pytest
from structlog.testing import capture_logs

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2, router_pb2_grpc
from callcenter.core.auth import CallersFile, CallerTable, hash_token, new_token
from callcenter.core.grpc_security import GrpcServerSecurity
from callcenter.core.settings import ConfigError
from callcenter.tools.credentials import add_arguments, run_from_args
from tests.helpers import read_events

ADMIN, SUPPORT, WEBCHAT, ANYWHERE = (new_token() for _ in range(4))
DENIED, NOT_FOUND = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND


def callers_text(support_scope: str = "queues=support") -> str:
    return (
        f"ops admin {hash_token(ADMIN)}\n"
        f"widget-support messaging {hash_token(SUPPORT)} {support_scope}\n"
        f"widget-webchat messaging {hash_token(WEBCHAT)} queues=support,sales channels=webchat\n"
        f"# before scopes: every queue and channel, as it always did\n"
        f"widget-any messaging {hash_token(ANYWHERE)}\n"
    )


class Router:
    """One replica with a callers file, and calls made as one of its callers (by token)."""

    def __init__(self, channel: grpc.aio.Channel, callers) -> None:
        self.router = router_pb2_grpc.RouterServiceStub(channel)
        self.conversations = conversations_pb2_grpc.ConversationServiceStub(channel)
        self.callers = callers

    async def post(self, token: str, conversation_id: str, message_id: str = "m1", **fields: str) -> cpb.Conversation:
        request = cpb.PostCustomerMessageRequest(
            conversation_id=conversation_id, message_id=message_id, text="hello", **fields
        )
        reply = await self.conversations.PostCustomerMessage(request, metadata=_bearer(token), timeout=5)
        return reply.conversation

    async def get(self, token: str, conversation_id: str) -> cpb.Conversation:
        request = cpb.GetConversationRequest(conversation_id=conversation_id)
        return (await self.conversations.GetConversation(request, metadata=_bearer(token), timeout=5)).conversation

    async def refusal(self, call) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call
        return refused.value


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture
async def router(start_replica, tmp_path, monkeypatch):
    # The callers file is looked at on every call (once a second by default): a change applies
    # at the next call, with no waiting.
    monkeypatch.setattr(CallersFile, "CHECK_EVERY_S", 0.0)
    callers = tmp_path / "callers"
    callers.write_text(callers_text())
    replica = await start_replica(grpc=GrpcServerSecurity(callers_file=callers))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{replica.port}") as channel:
        r = Router(channel, callers)
        for queue in ("support", "sales"):
            upsert = router_pb2.UpsertQueueRequest(queue=router_pb2.Queue(name=queue))
            await r.router.UpsertQueue(upsert, metadata=_bearer(ADMIN), timeout=5)
        yield r


async def _created(redis, tenant) -> list[str]:
    """The conversation ids of every CONVERSATION_CREATED event so far."""
    events = await read_events(redis, tenant)
    return [e.conversation_id for e in events if e.type == events_pb2.EVENT_TYPE_CONVERSATION_CREATED]


async def _keys_of(redis, tenant, conversation_id) -> list[str]:
    """The router's keys that name the conversation (its hash, messages, message ids)."""
    return [key async for key in redis.scan_iter(match=f"*{{{tenant}}}*{conversation_id}*")]


async def test_a_caller_scoped_to_support_posts_there_and_is_refused_in_sales_with_nothing_stored(
    router, redis, tenant
):
    posted = await router.post(SUPPORT, "web-1", queue="support", channel="webchat")
    assert (posted.conversation_id, posted.queue) == ("web-1", "support")
    refused = await router.refusal(router.post(SUPPORT, "web-2", queue="sales", channel="webchat"))
    assert refused.code() == DENIED and refused.details().startswith("queue: this caller serves only support")
    missing = await router.refusal(router.get(ADMIN, "web-2"))
    assert missing.code() == NOT_FOUND  # nothing stored: no conversation, no message, no event
    assert await _keys_of(redis, tenant, "web-2") == [] and await _keys_of(redis, tenant, "web-1") != []
    assert await _created(redis, tenant) == ["web-1"]
    assert (await router.get(SUPPORT, "web-1")).queue == "support"  # it reads its own


async def test_its_message_to_another_callers_sales_conversation_is_refused_and_reading_it_is_not_found(router):
    await router.post(ANYWHERE, "web-sales", queue="sales", channel="webchat")
    for fields in ({}, {"queue": "support"}):  # naming no queue, or its own, changes nothing
        refused = await router.refusal(router.post(SUPPORT, "web-sales", message_id="m2", **fields))
        assert refused.code() == DENIED and refused.details().startswith("conversation_id: ")
    # Not even the retry of a message already there, which would answer the conversation.
    assert (await router.refusal(router.post(SUPPORT, "web-sales", message_id="m1"))).code() == DENIED
    assert (await router.get(ADMIN, "web-sales")).message_count == 1  # nothing written
    hidden = await router.refusal(router.get(SUPPORT, "web-sales"))
    never = await router.refusal(router.get(SUPPORT, "web-never"))
    assert (hidden.code(), hidden.details().replace("web-sales", "ID")) == (
        never.code(),
        never.details().replace("web-never", "ID"),
    )  # as one that never was
    assert never.code() == NOT_FOUND


async def test_a_channel_scoped_caller_cannot_open_or_read_a_conversation_on_another_channel(router, redis, tenant):
    refused = await router.refusal(router.post(WEBCHAT, "mail-1", queue="support", channel="email"))
    assert refused.code() == DENIED and refused.details().startswith("channel: this caller serves only webchat")
    assert (await router.refusal(router.get(ADMIN, "mail-1"))).code() == NOT_FOUND
    assert await _keys_of(redis, tenant, "mail-1") == []
    await router.post(ANYWHERE, "mail-2", queue="sales", channel="email")  # another caller's, by e-mail
    assert (await router.refusal(router.post(WEBCHAT, "mail-2", message_id="m2"))).code() == DENIED
    assert (await router.refusal(router.get(WEBCHAT, "mail-2"))).code() == NOT_FOUND
    both = await router.post(WEBCHAT, "chat-1", queue="sales", channel="webchat")  # its queues, its channel
    assert both.queue == "sales" and (await router.get(WEBCHAT, "chat-1")).channel == "webchat"
    assert await _created(redis, tenant) == ["mail-2", "chat-1"]


async def test_an_unscoped_messaging_caller_still_reaches_every_queue_and_channel(router):
    await router.post(SUPPORT, "web-1", queue="support", channel="webchat")
    await router.post(ANYWHERE, "any-1", queue="sales", channel="sms")
    await router.post(ANYWHERE, "web-1", message_id="m2")
    assert (await router.get(ANYWHERE, "web-1")).message_count == 2
    assert (await router.get(ANYWHERE, "any-1")).queue == "sales"


async def test_a_changed_scope_applies_without_a_restart(router):
    await router.post(ANYWHERE, "web-sales", queue="sales", channel="webchat")
    assert (await router.refusal(router.get(SUPPORT, "web-sales"))).code() == NOT_FOUND
    router.callers.write_text(callers_text("queues=support,sales"))  # widened
    assert (await router.get(SUPPORT, "web-sales")).queue == "sales"
    assert (await router.post(SUPPORT, "web-sales", message_id="m2")).message_count == 2
    router.callers.write_text(callers_text("queues=support channels=email"))  # narrowed again
    assert (await router.refusal(router.get(SUPPORT, "web-sales"))).code() == NOT_FOUND
    refused = await router.refusal(router.post(SUPPORT, "web-3", queue="support", channel="webchat"))
    assert refused.code() == DENIED and refused.details().startswith("channel:")
    router.callers.write_text(callers_text("queues=support colour=blue"))  # broken: the last table stays
    with capture_logs() as logs:
        refused = await router.refusal(router.post(SUPPORT, "web-3", queue="support", channel="webchat"))
    assert refused.code() == DENIED
    failed = [e for e in logs if e["event"] == "grpc.callers_reload_failed"]
    assert failed and failed[0]["error"].startswith("line 2: unknown field 'colour=blue'")


async def test_a_token_issued_with_queue_is_scoped_by_the_running_router(router, capsys):
    parser = argparse.ArgumentParser(prog="callcenter credentials")
    add_arguments(parser)
    args = ["token", "widget-2", "messaging", "--callers", str(router.callers), "--queue", "support"]
    assert run_from_args(parser.parse_args(args)) == 0
    token = capsys.readouterr().out.strip()
    assert (await router.post(token, "web-1", queue="support", channel="webchat")).queue == "support"
    assert (await router.refusal(router.post(token, "web-2", queue="sales", channel="webchat"))).code() == DENIED


# ---- the callers file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("kamailio pbx {hash} queues=support", "only role messaging takes queues= or channels=, not pbx"),
        ("crm-1 crm {hash} channels=webchat", "only role messaging takes queues= or channels=, not crm"),
        ("widget messaging {hash} queue=support", "unknown field 'queue=support'"),
        ("widget messaging {hash} support", "unknown field 'support'"),
        ("widget messaging {hash} queues=support queues=sales", "queues= given twice"),
        ("widget messaging {hash} queues=support,", "queues=: an empty name"),
        ("widget messaging {hash} channels=web/chat", "channels=: 'web/chat' must be 1-64 letters"),
    ],
)
def test_a_scope_on_another_role_or_an_unknown_field_is_refused_with_its_line_number(line, why, tmp_path):
    text = f"# callers\nops admin {hash_token(ADMIN)}\n{line.format(hash=hash_token(new_token()))}\n"
    with pytest.raises(ValueError, match=f"^line 3: .*{why}"):
        CallerTable.parse(text)
    (tmp_path / "callers").write_text(text)
    with pytest.raises(ConfigError, match=f"line 3: .*{why}"):  # a service does not start with it
        CallersFile(tmp_path / "callers")


def test_a_scope_is_read_into_the_caller_and_three_field_lines_stay_valid():
    table = CallerTable.parse(
        f"w messaging {hash_token('a')} queues=support,sales channels=webchat\n"
        f"v messaging cert channels=email\n"
        f"k pbx {hash_token('b')}\n"
    )
    w = table.by_token("a")
    assert (w.queues, w.channels) == ({"support", "sales"}, {"webchat"})
    assert w.serves("sales", "webchat") and not w.serves("sales", "email") and not w.serves("billing", "webchat")
    v = table.by_certificate(["v"])
    assert v.serves("anything", "email") and not v.serves("anything", "webchat")  # every queue, one channel
    k = table.by_token("b")
    assert (k.role, k.scoped) == ("pbx", False)


async def test_a_router_does_not_start_with_a_scope_on_another_role(start_replica, tmp_path):
    callers = tmp_path / "callers"
    callers.write_text(f"ops admin {hash_token(ADMIN)}\nkamailio pbx {hash_token(new_token())} queues=support\n")
    with pytest.raises(ConfigError, match="line 2: caller 'kamailio': only role messaging"):
        await start_replica(grpc=GrpcServerSecurity(callers_file=callers))


async def test_a_messaging_caller_reads_no_supervisors_note_and_no_staff_names(router):
    await router.post(SUPPORT, "web-note", queue="support", channel="webchat")
    for message_id, note in (("n1", True), ("s1", False)):
        request = cpb.PostSupervisorMessageRequest(
            conversation_id="web-note", message_id=message_id, text=f"{message_id} from olga", note=note
        )
        await router.conversations.PostSupervisorMessage(request, metadata=_bearer(ADMIN), timeout=5)
    staff = await router.get(ADMIN, "web-note")
    assert [m.message_id for m in staff.messages] == ["m1", "n1", "s1"] and staff.messages[1].actor == "ops"
    for token in (SUPPORT, ANYWHERE):  # scoped or not, the customer's side
        seen = await router.get(token, "web-note")
        assert [(m.message_id, m.actor) for m in seen.messages] == [("m1", ""), ("s1", "")]
