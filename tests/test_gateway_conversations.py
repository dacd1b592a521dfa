"""Conversations through the gateway (issue 21), on a real gateway, router and Redis: a chat
widget's backend (role messaging) posts customers' messages and reads the replies they may
see; agents list, read, reply to and close only their own conversations (S0.5); bad input is
a 400 naming the field; the messaging role reaches nothing else."""

from __future__ import annotations

import json

import grpc
import pytest

from callcenter.api.router.v1 import conversations_pb2 as cpb
from callcenter.api.router.v1 import conversations_pb2_grpc, router_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.services.gateway.domain import conversations
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team
from tests.sse import next_data

BASE = "/api/v1/conversations"


@pytest.fixture
async def chat(gateway):
    """The team of setup_team (sales: anna, boris; support: csilla), users of every role,
    agents boris and csilla, and the widget's backend "widget" (role messaging, serving both
    queues), logged in."""
    await setup_team(gateway)
    await gateway.users.create("boris", PASSWORD, "agent", agent_id="boris")
    await gateway.users.create("csilla", PASSWORD, "agent", agent_id="csilla")
    await gateway.users.create("widget", PASSWORD, "messaging", teams=("sales", "support"))
    gateway.widget = await gateway.login("widget")
    return gateway


async def post(client, conversation_id: str, message_id: str, text: str = "hello", **fields):
    body = {"conversation_id": conversation_id, "channel": "webchat", "queue": "support", "message_id": message_id}
    return await client.post(BASE + "/messages", json={**body, "text": text, **fields}, headers=csrf(client))


async def opened(client, conversation_id: str, **fields) -> dict:
    reply = await post(client, conversation_id, f"{conversation_id}-m1", **fields)
    assert reply.status == 200, await reply.text()
    return (await reply.json())["conversation"]


async def supervise(gateway, conversation_id: str, message_id: str, text: str, note: bool) -> None:
    """A supervisor's reply or note, straight to the router (the supervisors' routes are
    another test's)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = conversations_pb2_grpc.ConversationServiceStub(channel)
        request = cpb.PostSupervisorMessageRequest(
            conversation_id=conversation_id, message_id=message_id, text=text, note=note
        )
        await stub.PostSupervisorMessage(request)


async def transfer(gateway, conversation_id: str, agent_id: str) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = conversations_pb2_grpc.ConversationServiceStub(channel)
        await stub.TransferConversation(
            cpb.TransferConversationRequest(conversation_id=conversation_id, agent_id=agent_id)
        )


async def test_a_widgets_message_opens_a_chat_the_agent_sees(chat):
    conversation = await opened(chat.widget, "chat-1", topic="billing", client_number="+4930111")
    assert (conversation["state"], conversation["agent_id"], conversation["queue"]) == ("taken", "csilla", "support")
    csilla = await chat.login("csilla")
    listed = await (await csilla.get(BASE)).json()
    assert [(c["conversation_id"], c["channel"], c["topic"]) for c in listed["conversations"]] == [
        ("chat-1", "webchat", "billing")
    ]
    one = await (await csilla.get(f"{BASE}/chat-1")).json()
    assert [(m["author"], m["text"]) for m in one["conversation"]["messages"]] == [("customer", "hello")]
    assert one["conversation"]["client_number"] == "+4930111"


async def test_posting_the_same_message_id_twice_stores_it_once(chat):
    await opened(chat.widget, "chat-1")
    again = await post(chat.widget, "chat-1", "chat-1-m1")
    assert again.status == 200
    assert (await again.json())["conversation"]["message_count"] == 1
    shown = await (await chat.widget.get(f"{BASE}/chat-1/messages")).json()
    assert [m["message_id"] for m in shown["messages"]] == ["chat-1-m1"]


async def test_an_agent_cannot_read_another_agents_conversation(chat):
    await opened(chat.widget, "chat-1", topic="secret-topic")  # csilla's
    anna = await chat.login("anna")
    for reply in (
        await anna.get(f"{BASE}/chat-1"),
        await anna.post(f"{BASE}/chat-1/reply", json={"message_id": "a1", "text": "hi"}, headers=csrf(anna)),
        await anna.post(f"{BASE}/chat-1/close", headers=csrf(anna)),
    ):
        assert reply.status == 404
        assert "secret-topic" not in await reply.text()
    assert (await (await anna.get(BASE)).json())["conversations"] == []
    # the same answer as for a conversation that never was
    assert (await anna.get(f"{BASE}/never-was")).status == 404


async def test_a_supervisor_sees_the_conversations_of_their_queues_only(chat):
    await opened(chat.widget, "chat-support")
    await opened(chat.widget, "chat-sales", queue="sales")
    sam = await chat.login("sam")  # supervises sales
    listed = await (await sam.get(BASE)).json()
    assert [c["conversation_id"] for c in listed["conversations"]] == ["chat-sales"]
    assert (await sam.get(f"{BASE}/chat-support")).status == 404
    assert (await (await sam.get(BASE, params={"queue": "support"})).json())["conversations"] == []
    root = await chat.login("root")
    everything = await (await root.get(BASE)).json()
    assert sorted(c["conversation_id"] for c in everything["conversations"]) == ["chat-sales", "chat-support"]


async def test_an_agent_replies_and_the_widget_reads_the_reply(chat):
    await opened(chat.widget, "chat-1")
    csilla = await chat.login("csilla")
    reply = await csilla.post(
        f"{BASE}/chat-1/reply", json={"message_id": "r1", "text": "how can I help?"}, headers=csrf(csilla)
    )
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["conversation"]["state"] == "answered"
    await post(chat.widget, "chat-1", "chat-1-m2", "my invoice")
    shown = await (await chat.widget.get(f"{BASE}/chat-1/messages")).json()
    assert [(m["author"], m["text"]) for m in shown["messages"]] == [
        ("customer", "hello"),
        ("agent", "how can I help?"),
        ("customer", "my invoice"),
    ]
    assert all(set(m) == {"message_id", "author", "text", "sent_at"} for m in shown["messages"])
    after = await (await chat.widget.get(f"{BASE}/chat-1/messages", params={"after": "chat-1-m1"})).json()
    assert [m["message_id"] for m in after["messages"]] == ["r1", "chat-1-m2"]


async def test_the_widget_reads_a_supervisors_reply_but_never_a_note_which_the_agent_sees(chat):
    await opened(chat.widget, "chat-1")
    await supervise(chat, "chat-1", "n1", "offer the discount", note=True)
    await supervise(chat, "chat-1", "s1", "a supervisor here", note=False)
    shown = await (await chat.widget.get(f"{BASE}/chat-1/messages")).json()
    assert [(m["author"], m["text"]) for m in shown["messages"]] == [
        ("customer", "hello"),
        ("supervisor", "a supervisor here"),
    ]
    assert "offer the discount" not in json.dumps(shown)
    csilla = await chat.login("csilla")
    mine = await (await csilla.get(f"{BASE}/chat-1")).json()
    assert [m["author"] for m in mine["conversation"]["messages"]] == ["customer", "note", "supervisor"]


async def test_an_agent_closes_their_chat_and_another_agents_close_is_refused(chat):
    await opened(chat.widget, "chat-1")  # csilla's
    boris = await chat.login("boris")
    assert (await boris.post(f"{BASE}/chat-1/close", headers=csrf(boris))).status == 404
    csilla = await chat.login("csilla")
    closed = await csilla.post(f"{BASE}/chat-1/close", headers=csrf(csilla))
    assert closed.status == 200
    assert (await closed.json())["conversation"]["state"] == "closed"
    assert (await (await csilla.get(BASE)).json())["conversations"] == []  # open ones only
    late = await post(chat.widget, "chat-1", "chat-1-m2")
    assert late.status == 409  # no more messages to a closed conversation


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"conversation_id": "bad id!"}, "conversation_id"),
        ({"message_id": ""}, "message_id"),
        ({"text": ""}, "text"),
        ({"text": 5}, "text"),
        ({"queue": ""}, "queue"),
        ({"channel": "no spaces"}, "channel"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_customer_message_is_a_400_naming_the_field(chat, fields, field):
    body = {"conversation_id": "chat-1", "channel": "webchat", "queue": "support", "message_id": "m1", "text": "hi"}
    reply = await chat.widget.post(BASE + "/messages", json={**body, **fields}, headers=csrf(chat.widget))
    assert reply.status == 400, await reply.text()
    assert (await reply.json())["field"] == field


async def test_bad_agent_input_is_a_400_naming_the_field(chat):
    await opened(chat.widget, "chat-1")
    csilla = await chat.login("csilla")
    for body, field in (
        ({"message_id": "r1", "text": ""}, "text"),
        ({"message_id": "no way", "text": "x"}, "message_id"),
    ):
        reply = await csilla.post(f"{BASE}/chat-1/reply", json=body, headers=csrf(csilla))
        assert reply.status == 400 and (await reply.json())["field"] == field
    for params, field in (
        ({"state": "sleeping"}, "state"),
        ({"overdue": "yes"}, "overdue"),
        ({"page_size": "0"}, "page_size"),
        ({"page_token": "garbage"}, "page_token"),
        ({"client": "x"}, "client"),
    ):
        reply = await csilla.get(BASE, params=params)
        assert reply.status == 400 and (await reply.json())["field"] == field, params
    assert (await (await chat.widget.get(f"{BASE}/chat-1/messages", params={"after": "a b"})).json())[
        "field"
    ] == "after"


async def test_the_messaging_role_reaches_only_the_widgets_routes(chat):
    await opened(chat.widget, "chat-1")
    widget = chat.widget
    for path in (BASE, f"{BASE}/chat-1", "/api/v1/agents", "/api/v1/calls", "/api/v1/users", "/api/v1/live"):
        reply = await widget.get(path)
        assert reply.status == 403, path
    assert (await widget.post(f"{BASE}/chat-1/close", headers=csrf(widget))).status == 403
    assert (
        await widget.post(f"{BASE}/chat-1/reply", json={"message_id": "r", "text": "x"}, headers=csrf(widget))
    ).status == 403
    assert (await widget.get("/agent", allow_redirects=False)).status == 403
    assert (await widget.get("/api/v1/me")).status == 200
    # and agents do not post customers' messages nor read the widget's view
    csilla = await chat.login("csilla")
    assert (await post(csilla, "chat-2", "m1")).status == 403
    assert (await csilla.get(f"{BASE}/chat-1/messages")).status == 403


async def test_a_messaging_user_is_no_agent_and_serves_at_least_one_queue(chat):
    root = await chat.login("root")
    body = {"username": "gw2", "password": PASSWORD, "role": "messaging", "teams": []}
    reply = await root.post("/api/v1/users", json=body, headers=csrf(root))
    assert reply.status == 400 and (await reply.json())["field"] == "teams"
    reply = await root.post("/api/v1/users", json={**body, "teams": ["sales"], "agent_id": "anna"}, headers=csrf(root))
    assert reply.status == 400 and (await reply.json())["field"] == "agent_id"
    reply = await root.post("/api/v1/users", json={**body, "teams": ["sales"]}, headers=csrf(root))
    assert reply.status == 201, await reply.text()
    changed = await root.put("/api/v1/users/gw2", json={"role": "messaging", "teams": []}, headers=csrf(root))
    assert changed.status == 400 and (await changed.json())["field"] == "teams"


async def test_a_waiting_conversation_is_seen_by_no_agent_but_by_admins(chat):
    """A conversation waits (NEW) when nobody of its queue has room: no agent sees it, its
    supervisors' and admins' lists do."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{chat.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await stub.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="support", chat_capacity=1)))
    await opened(chat.widget, "chat-1")
    waiting = await opened(chat.widget, "chat-2")
    assert (waiting["state"], waiting["agent_id"]) == ("new", "")
    csilla = await chat.login("csilla")
    assert [c["conversation_id"] for c in (await (await csilla.get(BASE)).json())["conversations"]] == ["chat-1"]
    assert (await csilla.get(f"{BASE}/chat-2")).status == 404
    root = await chat.login("root")
    new = await (await root.get(BASE, params={"state": "new"})).json()
    assert [c["conversation_id"] for c in new["conversations"]] == ["chat-2"]


async def test_the_live_feed_tells_an_agent_of_their_conversations_and_a_supervisor_of_their_queues(chat):
    sam = await chat.login("sam")  # supervises sales
    csilla, anna, boris = [await chat.login(name) for name in ("csilla", "anna", "boris")]
    async with (
        sam.get("/api/v1/events") as sam_events,
        csilla.get("/api/v1/events") as csilla_events,
        anna.get("/api/v1/events") as anna_events,
        boris.get("/api/v1/events") as boris_events,
    ):
        await opened(chat.widget, "chat-support", topic="billing")  # csilla's
        sales = await opened(chat.widget, "chat-sales", queue="sales")
        mine = await next_data(csilla_events)
        assert (mine["type"], mine["conversation_id"], mine["channel"], mine["topic"]) == (
            "conversation_assigned",
            "chat-support",
            "webchat",
            "billing",
        )
        seen = [await next_data(sam_events)]
        while seen[-1]["type"] != "conversation_assigned":
            seen.append(await next_data(sam_events))
        assert {e["conversation_id"] for e in seen} == {"chat-sales"}  # nothing of support's
        assert seen[0]["type"] == "conversation_created"
        # the sales chat goes to the other sales agent: they hear of it (its agent_id is theirs)
        holder, other = (anna_events, boris_events) if sales["agent_id"] == "anna" else (boris_events, anna_events)
        assert (await next_data(holder))["conversation_id"] == "chat-sales"
        to = "boris" if sales["agent_id"] == "anna" else "anna"
        await transfer(chat, "chat-sales", to)
        given = await next_data(other)
        assert (given["type"], given["conversation_id"], given["other_agent_id"]) == (
            "conversation_transferred",
            "chat-sales",
            sales["agent_id"],
        )
        assert (await next_data(holder))["type"] == "conversation_transferred"  # the one who had it
        assert (await next_data(sam_events))["type"] == "conversation_transferred"
    new_holder = anna if to == "anna" else boris
    assert (await new_holder.get(f"{BASE}/chat-sales")).status == 200
    assert (await (anna if to == "boris" else boris).get(f"{BASE}/chat-sales")).status == 404


@pytest.fixture
async def backend_addrs(quiet_stats):
    """Stats for the customer card's calls and leads (tests naming it before `chat`)."""
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}"}


async def test_the_customer_card_shows_the_clients_conversations_each_user_may_see(backend_addrs, chat):
    await opened(chat.widget, "chat-support", client_number="+4930111")  # csilla's
    await opened(chat.widget, "chat-sales", queue="sales", client_number="+4930111")
    await opened(chat.widget, "chat-other", client_number="+4930999")
    await supervise(chat, "chat-support", "n1", "mind the VIP", note=True)
    csilla = await chat.login("csilla")
    for i in range(2, 8):  # more than the card shows of one conversation
        await post(chat.widget, "chat-support", f"m{i}", f"message {i}")
    closed = await csilla.post(f"{BASE}/chat-support/close", headers=csrf(csilla))
    assert closed.status == 200

    root = await chat.login("root")
    card = await (await root.get("/api/v1/clients/+4930111")).json()
    assert sorted(c["conversation_id"] for c in card["conversations"]) == ["chat-sales", "chat-support"]
    support = next(c for c in card["conversations"] if c["conversation_id"] == "chat-support")
    assert support["state"] == "closed"
    assert [m["text"] for m in support["messages"]] == [f"message {i}" for i in range(3, 8)]  # the newest five
    assert any(item["kind"] == "conversation" for item in card["timeline"])

    listed = await (await root.get(BASE, params={"client_number": "+4930111"})).json()
    assert [c["conversation_id"] for c in listed["conversations"]] == ["chat-sales"]  # the open ones
    bad = await root.get(BASE, params={"client_number": "not a number"})
    assert bad.status == 400 and (await bad.json())["field"] == "client_number"

    mine = await (await csilla.get("/api/v1/clients/+4930111")).json()
    assert [c["conversation_id"] for c in mine["conversations"]] == ["chat-support"]
    sam = await chat.login("sam")  # supervises sales
    theirs = await (await sam.get("/api/v1/clients/+4930111")).json()
    assert [c["conversation_id"] for c in theirs["conversations"]] == ["chat-sales"]
    # a client known only by a conversation another agent holds is no client of anna's (404)
    assert (await csilla.get("/api/v1/clients/+4930999")).status == 200  # chat-other is csilla's
    anna = await chat.login("anna")
    assert (await anna.get("/api/v1/clients/+4930999")).status == 404


async def test_every_route_but_the_widgets_refuses_the_messaging_role(chat):
    """All of them, pages included, read from the app's router: a route added later for people
    refuses the role without knowing of it."""
    import re

    widget, allowed, checked = chat.widget, set(), 0
    for route in chat.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or re.sub(r"\{([^}:]+)(:[^}]*)?\}", "x", info.get("formatter", ""))
        if not path or route.method == "HEAD" or path.startswith(("/static", "/healthz", "/readyz")):
            continue
        if path in ("/login", "/api/v1/login", "/api/v1/logout", "/openapi.json", "/favicon.ico") or path.startswith(
            ("/wallboard/", "/api/v1/wallboard/")
        ):
            continue  # public: no session needed at all (and logging out ends this one)
        reply = await widget.request(route.method, path, json={}, headers=csrf(widget), allow_redirects=False)
        if reply.status != 403:
            allowed.add((route.method, route.resource.canonical))
        checked += 1
    assert allowed == {
        ("POST", "/api/v1/conversations/messages"),
        ("GET", "/api/v1/conversations/{conversation_id}/messages"),
        ("GET", "/api/v1/conversations/{conversation_id}/messages/stream"),
        ("GET", "/api/v1/me"),
    }
    assert checked > 100
    assert (await widget.post("/api/v1/logout", headers=csrf(widget))).status == 200


async def test_a_supervisors_page_is_page_size_in_all_newest_first_across_their_queues(chat):
    await chat.users.create("sue", PASSWORD, "supervisor", teams=("sales", "support"))
    created = []
    for n in range(3):
        for queue in ("sales", "support"):
            created.append(await opened(chat.widget, f"{queue}-{n}", queue=queue))
    newest_first = [
        c["conversation_id"]
        for c in sorted(created, key=lambda c: (c["created_at"], c["conversation_id"]), reverse=True)
    ]
    sue = await chat.login("sue")
    first = await (await sue.get(BASE, params={"page_size": "4"})).json()
    assert [c["conversation_id"] for c in first["conversations"]] == newest_first[:4]
    second = await (await sue.get(BASE, params={"page_size": "4", "page_token": first["next_page_token"]})).json()
    assert [c["conversation_id"] for c in second["conversations"]] == newest_first[4:]
    assert second["next_page_token"] == ""


async def test_a_page_token_of_the_former_per_queue_format_is_a_400_naming_page_token(chat):
    import base64

    await chat.users.create("sue", PASSWORD, "supervisor", teams=("sales", "support"))
    sue = await chat.login("sue")
    stale = base64.urlsafe_b64encode(json.dumps([[0, "1764800000000|sales-1"]]).encode()).decode()
    reply = await sue.get(BASE, params={"page_size": "4", "page_token": stale})
    assert reply.status == 400 and (await reply.json())["field"] == "page_token"


async def test_a_supervisor_lists_the_chats_their_router_teams_agents_hold_in_other_queues(chat):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{chat.router_port}") as channel:
        team = pb.Team(team_id="helpers", member_agent_ids=["csilla"], supervisor_usernames=["sam"])
        await router_pb2_grpc.RouterServiceStub(channel).UpsertTeam(pb.UpsertTeamRequest(team=team))
    await opened(chat.widget, "chat-sales", queue="sales")
    await opened(chat.widget, "chat-csilla")  # support: csilla's, of sam's router team
    sam = await chat.login("sam")  # supervises sales
    listed = await (await sam.get(BASE)).json()
    assert [c["conversation_id"] for c in listed["conversations"]] == ["chat-csilla", "chat-sales"]
    only_sales = await (await sam.get(BASE, params={"queue": "sales"})).json()
    assert [c["conversation_id"] for c in only_sales["conversations"]] == ["chat-sales"]


async def test_a_conversation_says_its_routing_stage_a_waiting_vip_chat_vip(chat):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{chat.router_port}") as channel:
        router = router_pb2_grpc.RouterServiceStub(channel)
        await router.UpsertQueue(pb.UpsertQueueRequest(queue=pb.Queue(name="vip", vip_min_tier=5)))
        await router.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number="+4930900", priority=3)))
    taken = await opened(chat.widget, "chat-plain")
    assert (taken["state"], taken["stage"]) == ("taken", "anyone")
    root = await chat.login("root")
    waiting = await opened(root, "chat-vip", queue="vip", client_number="+4930900")  # nobody of tier 5
    assert (waiting["state"], waiting["stage"]) == ("new", "vip")
    listed = await (await root.get(BASE, params={"queue": "vip"})).json()
    assert [(c["conversation_id"], c["stage"]) for c in listed["conversations"]] == [("chat-vip", "vip")]
    one = await (await root.get(f"{BASE}/chat-vip")).json()
    assert one["conversation"]["stage"] == "vip"


async def test_a_conversations_json_has_exactly_the_fields_the_openapi_document_gives_it(chat):
    await opened(chat.widget, "chat-1")
    schema = (await (await chat.client.get("/openapi.json")).json())["components"]["schemas"]["Conversation"]
    documented = set(schema["properties"])
    csilla = await chat.login("csilla")
    listed = (await (await csilla.get(BASE)).json())["conversations"][0]
    assert set(listed) == documented - {"messages"}
    one = (await (await csilla.get(f"{BASE}/chat-1")).json())["conversation"]
    assert set(one) == documented
    assert set(schema["properties"]["stage"]["enum"]) == {*conversations.STAGE_NAMES.values(), None}
    assert set(schema["properties"]["state"]["enum"]) == {*conversations.STATE_NAMES.values(), "unknown"}
