"""Gateway logins, sessions, CSRF and role-based visibility over real HTTP, in front of a
real router on a real Redis."""

from __future__ import annotations

import grpc

from callcenter.api.events.v1 import events_pb2
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.services.gateway.passwords import hash_password, verify_password
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team
from tests.helpers import read_events


def test_passwords_are_hashed_with_a_salted_kdf_and_verify():
    stored = hash_password("s3cret-pass")
    assert stored.startswith("scrypt$") and "s3cret-pass" not in stored
    assert stored != hash_password("s3cret-pass")  # salted
    assert verify_password("s3cret-pass", stored) and not verify_password("wrong", stored)
    assert not verify_password("s3cret-pass", "garbage")


async def test_without_a_session_the_api_answers_401_and_pages_redirect_to_login(gateway):
    reply = await gateway.client.get("/api/v1/agents")
    assert reply.status == 401 and "log in" in (await reply.json())["error"]
    reply = await gateway.client.get("/", allow_redirects=False)
    assert reply.status == 302 and reply.headers["Location"] == "/login"
    assert (await gateway.client.get("/healthz")).status == 200


async def test_wrong_password_is_refused_and_bad_login_bodies_name_the_field(gateway):
    await gateway.users.create("root", PASSWORD, "admin")
    reply = await gateway.client.post("/api/v1/login", json={"username": "root", "password": "nope"})
    assert reply.status == 401
    reply = await gateway.client.post("/api/v1/login", json={"username": "root"})
    assert reply.status == 400 and (await reply.json())["field"] == "password"
    reply = await gateway.client.post("/api/v1/login", data=b"{not json", headers={"Content-Type": "application/json"})
    assert reply.status == 400 and (await reply.json())["field"] == "body"


async def test_a_cookie_session_needs_the_csrf_token_to_change_anything(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    reply = await sam.post("/api/v1/agents/anna/pause", json={"reason": "coaching"})
    assert reply.status == 403 and "X-CSRF-Token" in (await reply.json())["error"]
    reply = await sam.post("/api/v1/agents/anna/pause", json={"reason": "coaching"}, headers=csrf(sam))
    assert reply.status == 200 and (await reply.json())["status"]["state"] == "AGENT_STATE_PAUSED"


async def test_a_bearer_token_works_for_api_clients_without_csrf(gateway):
    await setup_team(gateway)
    reply = await gateway.client.post("/api/v1/login", json={"username": "root", "password": PASSWORD})
    token = (await reply.json())["token"]
    reply = await gateway.client.post(
        "/api/v1/agents/csilla/pause", json={"reason": "meeting"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status == 200
    # After logout the token is dead.
    await gateway.client.post("/api/v1/logout", headers={"Authorization": f"Bearer {token}"})
    reply = await gateway.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert reply.status == 401


async def test_a_supervisor_sees_only_their_teams_agents_and_queues(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    agents = (await (await sam.get("/api/v1/agents")).json())["agents"]
    assert sorted(a["id"] for a in agents) == ["anna", "boris"]
    queues = (await (await sam.get("/api/v1/queues")).json())["queues"]
    assert [q["name"] for q in queues] == ["sales"]
    assert (await sam.get("/api/v1/agents/csilla")).status == 404
    reply = await sam.post("/api/v1/agents/csilla/pause", json={"reason": "x"}, headers=csrf(sam))
    assert reply.status == 404


async def test_an_agent_sees_only_themselves_and_may_not_act_on_others(gateway):
    await setup_team(gateway)
    anna = await gateway.login("anna")
    agents = (await (await anna.get("/api/v1/agents")).json())["agents"]
    assert [a["id"] for a in agents] == ["anna"]
    assert (await anna.get("/api/v1/agents/boris")).status == 404
    assert (await anna.post("/api/v1/agents/boris/pause", json={"reason": "x"}, headers=csrf(anna))).status == 404
    reply = await anna.post("/api/v1/agents/anna/pause", json={"reason": "lunch"}, headers=csrf(anna))
    assert reply.status == 200
    reply = await anna.post("/api/v1/agents/anna/clients/reassign", json={"to_agent_id": ""}, headers=csrf(anna))
    assert reply.status == 403
    assert (await anna.get("/api/v1/users")).status == 403


async def test_only_admins_create_users_and_bad_users_name_the_field(gateway):
    await setup_team(gateway)
    root = await gateway.login("root")
    reply = await root.post(
        "/api/v1/users",
        json={"username": "sue", "password": PASSWORD, "role": "supervisor", "teams": ["support"]},
        headers=csrf(root),
    )
    assert reply.status == 201
    reply = await root.post(
        "/api/v1/users", json={"username": "sue", "password": PASSWORD, "role": "admin"}, headers=csrf(root)
    )
    assert reply.status == 409
    reply = await root.post(
        "/api/v1/users", json={"username": "x", "password": "short", "role": "admin"}, headers=csrf(root)
    )
    assert reply.status == 400 and (await reply.json())["field"] == "password"
    reply = await root.post(
        "/api/v1/users", json={"username": "y", "password": PASSWORD, "role": "agent"}, headers=csrf(root)
    )
    assert reply.status == 400 and (await reply.json())["field"] == "agent_id"


async def test_supervisor_actions_pause_resume_logout_reassign(gateway):
    await setup_team(gateway)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        for number in ("+491", "+492"):
            await stub.UpsertClient(pb.UpsertClientRequest(client=pb.Client(number=number, manager_id="anna")))
    sam = await gateway.login("sam")
    h = csrf(sam)
    assert (await sam.post("/api/v1/agents/boris/pause", json={}, headers=h)).status == 400
    assert (await sam.post("/api/v1/agents/boris/pause", json={"reason": "coaching"}, headers=h)).status == 200
    reply = await sam.post("/api/v1/agents/boris/pause", json={"reason": "meeting"}, headers=h)
    assert reply.status == 200
    assert (await sam.post("/api/v1/agents/boris/resume", headers=h)).status == 200
    reply = await sam.post("/api/v1/agents/boris/resume", headers=h)
    assert reply.status == 409 and "available" in (await reply.json())["error"]
    reply = await sam.post("/api/v1/agents/anna/clients/reassign", json={"to_agent_id": "boris"}, headers=h)
    assert reply.status == 200 and (await reply.json())["clients_moved"] == 2
    clients = (await (await sam.get("/api/v1/agents/boris/clients")).json())["clients"]
    assert [c["number"] for c in clients] == ["+491", "+492"]
    reply = await sam.post("/api/v1/agents/boris/clients/reassign", json={"to_agent_id": "csilla"}, headers=h)
    assert reply.status == 404  # csilla is not in sam's teams
    assert (await sam.post("/api/v1/agents/boris/wrap-up/extend", json={"seconds": 30}, headers=h)).status == 409
    assert (await sam.post("/api/v1/agents/boris/logout", headers=h)).status == 200


async def test_comments_tag_agents_who_see_and_close_their_tasks(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    reply = await sam.post(
        "/api/v1/comments",
        json={
            "subject_kind": "agent",
            "subject_id": "anna",
            "text": "Call back, offer the discount",
            "tag_agent_ids": ["anna"],
        },
        headers=csrf(sam),
    )
    assert reply.status == 201
    reply = await sam.post(
        "/api/v1/comments",
        json={"subject_kind": "agent", "subject_id": "anna", "text": "x", "tag_agent_ids": ["csilla"]},
        headers=csrf(sam),
    )
    assert reply.status == 400 and (await reply.json())["field"] == "tag_agent_ids"
    anna = await gateway.login("anna")
    tasks = (await (await anna.get("/api/v1/tasks")).json())["tasks"]
    assert [(t["subject_id"], t["text"], t["author"]) for t in tasks] == [
        ("anna", "Call back, offer the discount", "sam")
    ]
    assert (await anna.get("/api/v1/tasks?agent_id=boris")).status == 404
    reply = await anna.post(f"/api/v1/tasks/{tasks[0]['id']}/close", headers=csrf(anna))
    assert reply.status == 200 and (await reply.json())["task"]["status"] == "done"  # close is done's older name
    assert (await (await anna.get("/api/v1/tasks")).json())["tasks"] == []
    assert (await anna.post("/api/v1/comments", json={}, headers=csrf(anna))).status == 403


async def test_health_and_readiness(gateway):
    assert (await gateway.client.get("/healthz")).status == 200
    reply = await gateway.client.get("/readyz")
    assert reply.status == 200, await reply.text()


async def test_passwords_can_be_changed_and_users_deleted(gateway):
    await setup_team(gateway)
    anna = await gateway.login("anna")
    reply = await anna.post(
        "/api/v1/users/anna/password", json={"old_password": "wrong", "password": "a new long one"}, headers=csrf(anna)
    )
    assert reply.status == 403 and (await reply.json())["field"] == "old_password"
    reply = await anna.post(
        "/api/v1/users/anna/password",
        json={"old_password": PASSWORD, "password": "a new long one"},
        headers=csrf(anna),
    )
    assert reply.status == 200
    anna.csrf = (await reply.json())["csrf_token"]  # her sessions ended; this one is new
    assert (await anna.get("/api/v1/me")).status == 200
    assert (
        await anna.post("/api/v1/users/sam/password", json={"password": "x" * 10}, headers=csrf(anna))
    ).status == 404
    reply = await gateway.client.post("/api/v1/login", json={"username": "anna", "password": PASSWORD})
    assert reply.status == 401
    anna2 = await gateway.login("anna", "a new long one")
    root = await gateway.login("root")
    # An admin setting a password ends the user's sessions.
    sam = await gateway.login("sam")
    assert (
        await root.post("/api/v1/users/sam/password", json={"password": "y" * 12}, headers=csrf(root))
    ).status == 200
    assert (await sam.get("/api/v1/me")).status == 401
    assert (await root.delete("/api/v1/users/anna", headers=csrf(root))).status == 200
    assert (await anna2.get("/api/v1/me")).status == 401  # the session ended with the user
    assert (await root.delete("/api/v1/users/anna", headers=csrf(root))).status == 404
    assert (await root.delete("/api/v1/users/root", headers=csrf(root))).status == 409
    assert (await anna2.delete("/api/v1/users/sam")).status == 401


async def test_an_admin_changes_a_users_role_and_teams_and_their_sessions_end(gateway, redis, tenant):
    await setup_team(gateway)
    root, sam = await gateway.login("root"), await gateway.login("sam")
    reply = await root.put("/api/v1/users/sam", json={"role": "supervisor", "teams": ["support"]}, headers=csrf(root))
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["user"] == {
        "username": "sam",
        "role": "supervisor",
        "agent_id": "",
        "teams": ["support"],
        "channels": [],
    }
    assert (await sam.get("/api/v1/me")).status == 401  # what the old session could see was the old teams
    sam = await gateway.login("sam")
    assert (await (await sam.get("/api/v1/me")).json())["user"]["teams"] == ["support"]
    (event,) = [e for e in await read_events(redis, tenant) if e.type == events_pb2.EVENT_TYPE_USER_UPDATED]
    assert event.actor == "root" and event.attributes["username"] == "sam"
    # Bad profiles name the field; nobody but an admin changes users; an admin stays one.
    for body, field in (
        ({"role": "boss"}, "role"),
        ({"role": "agent"}, "agent_id"),
        ({"role": "supervisor", "teams": []}, "teams"),
        ({"role": "admin", "password": "x" * 12}, "password"),
    ):
        reply = await root.put("/api/v1/users/sam", json=body, headers=csrf(root))
        assert reply.status == 400 and (await reply.json())["field"] == field, (body, await reply.text())
    assert (await root.put("/api/v1/users/nobody", json={"role": "admin"}, headers=csrf(root))).status == 404
    assert (
        await root.put("/api/v1/users/root", json={"role": "supervisor", "teams": ["sales"]}, headers=csrf(root))
    ).status == 409
    assert (await sam.put("/api/v1/users/sam", json={"role": "admin"}, headers=csrf(sam))).status == 403


async def test_the_session_cookie_slides_with_use(gateway):
    await setup_team(gateway)
    sam = await gateway.login("sam")
    reply = await sam.get("/api/v1/me")
    cookie = reply.cookies.get("cc_session")
    assert cookie is not None and cookie["max-age"] == str(8 * 3600) and cookie["httponly"]
