"""The customer card (S1.5) and a client's history after reassignment (S1.6, S2.5): whoever sees
a client's personal manager reads the client's whole history - calls whoever took them, with
recordings, leads with their stage history, tasks, comments - in time order; anyone else reads
only what is theirs anyway. Real router, stats, recorder and gateway over gRPC and HTTP."""

from __future__ import annotations

import urllib.parse

import grpc
import pytest

from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.api.router.v1 import router_pb2_grpc
from callcenter.api.stats.v1 import stats_pb2 as spb
from callcenter.api.stats.v1 import stats_pb2_grpc
from tests.browser import base_url, browser_page, check_layout, log_in
from tests.gateway_fixtures import PASSWORD, csrf
from tests.gateway_scenes import setup_team, stored

CLIENT = "+4930111"
CARD = "/api/v1/clients/" + urllib.parse.quote(CLIENT, safe="")


@pytest.fixture
async def backend_addrs(quiet_stats, start_recorder):
    recorder = await start_recorder()
    return {"stats_addr": f"127.0.0.1:{quiet_stats.port}", "recorder_addr": f"127.0.0.1:{recorder.port}"}


async def answered(stub, call_id: str, queue: str, agent_id: str) -> None:
    """A call from the client, offered and answered by the agent the router picks (checked)."""
    call = (await stub.RouteCall(pb.RouteCallRequest(call_id=call_id, caller=CLIENT, queue=queue))).call
    assert call.offer.agent_id == agent_id
    await stub.ReportOfferOutcome(
        pb.ReportOfferOutcomeRequest(call_id=call_id, offer_id=call.offer.offer_id, outcome=pb.OFFER_OUTCOME_ANSWERED)
    )
    await stub.HangupCall(pb.HangupCallRequest(call_id=call_id))


@pytest.fixture
async def history(backend_addrs, quiet_stats, gateway):
    """The client called support (csilla answered), then became boris's client and called
    sales (boris answered, his client, so he was offered first; a recording kept); boris owns
    the client's lead, moved to in_work; sam commented on the sales call and gave boris a task
    about the client."""
    await setup_team(gateway)
    gateway.recorder_addr = backend_addrs["recorder_addr"]
    await gateway.users.create("sue", PASSWORD, "supervisor", teams=("support",))
    await gateway.users.create("csilla", PASSWORD, "agent", agent_id="csilla")
    await gateway.users.create("boris", PASSWORD, "agent", agent_id="boris")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.router_port}") as channel:
        stub = router_pb2_grpc.RouterServiceStub(channel)
        await answered(stub, "support-1", "support", "csilla")
        client = pb.Client(number=CLIENT, name="Kovács", manager_id="boris")
        await stub.UpsertClient(pb.UpsertClientRequest(client=client))
        await answered(stub, "sales-1", "sales", "boris")
    recording = await stored(gateway, "boris", "sales-1")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{quiet_stats.port}") as channel:
        stats = stats_pb2_grpc.StatsServiceStub(channel)
        await stats.CreateLead(spb.CreateLeadRequest(lead_id="L-1", agent_id="boris", client_number=CLIENT))
        await stats.ChangeLeadStage(spb.ChangeLeadStageRequest(lead_id="L-1", stage="in_work"))
    await quiet_stats.consumer.drain()
    sam = await gateway.login("sam")
    reply = await sam.post(
        "/api/v1/comments",
        json={"subject_kind": "call", "subject_id": "sales-1", "text": "asks for a discount"},
        headers=csrf(sam),
    )
    assert reply.status == 201, await reply.text()
    task = {"title": "call back about the offer", "subject_kind": "client", "subject_id": CLIENT, "agent_id": "boris"}
    reply = await sam.post("/api/v1/tasks", json=task, headers=csrf(sam))
    assert reply.status == 201, await reply.text()
    return recording


async def test_the_personal_manager_reads_the_whole_history_in_time_order(history, gateway):
    boris = await gateway.login("boris")
    reply = await boris.get(CARD)
    assert reply.status == 200, await reply.text()
    card = await reply.json()
    assert card["whole_history"] is True
    assert (card["client"]["name"], card["client"]["manager_id"]) == ("Kovács", "boris")
    assert [c["call_id"] for c in card["calls"]] == ["sales-1", "support-1"]  # newest first, csilla's too
    assert card["calls"][1]["agent_id"] == "csilla"
    assert card["calls"][0]["recording_ids"] == [history.id]
    [lead] = card["leads"]
    assert lead["lead"]["lead_id"] == "L-1"
    assert [h.get("to_stage", "") for h in lead["history"]][-1] == "in_work"
    assert [t["title"] for t in card["tasks"]] == ["call back about the offer"]
    assert card["comments"] == []  # comments are the supervisors' (sam's card below has it)
    times = [item["at_ms"] for item in card["timeline"]]
    assert times == sorted(times)
    assert {item["kind"] for item in card["timeline"]} == {"call", "lead_stage", "task"}


async def test_after_reassignment_the_new_manager_reads_the_clients_calls_and_lead(history, gateway):
    anna = await gateway.login("anna")
    assert (await anna.get("/api/v1/leads/L-1")).status == 404  # not hers yet
    assert (await anna.get("/api/v1/calls/support-1")).status == 404
    sam = await gateway.login("sam")
    reply = await sam.post("/api/v1/agents/boris/clients/reassign", json={"to_agent_id": "anna"}, headers=csrf(sam))
    assert reply.status == 200, await reply.text()

    reply = await anna.get("/api/v1/leads/L-1")
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["lead"]["client_number"] == CLIENT
    assert (await anna.get("/api/v1/leads/L-1/history")).status == 200
    call = await anna.get("/api/v1/calls/support-1")
    assert call.status == 200 and (await call.json())["call"]["agent_id"] == "csilla"
    card = await (await anna.get(CARD)).json()
    assert card["whole_history"] is True and card["client"]["manager_id"] == "anna"
    assert [c["call_id"] for c in card["calls"]] == ["sales-1", "support-1"]
    audio = await anna.get(f"/api/v1/recordings/{history.id}/audio")
    assert audio.status == 200 and len(await audio.read()) > 0

    boris = await gateway.login("boris")  # the old manager keeps only what was his anyway
    old = await (await boris.get(CARD)).json()
    assert old["whole_history"] is False
    assert [c["call_id"] for c in old["calls"]] == ["sales-1"]
    assert (await boris.get("/api/v1/calls/support-1")).status == 404


async def test_the_card_hides_what_a_user_may_not_see(history, gateway):
    csilla = await gateway.login("csilla")
    card = await (await csilla.get(CARD)).json()
    assert card["whole_history"] is False
    assert [c["call_id"] for c in card["calls"]] == ["support-1"]  # not boris's sales call
    assert card["leads"] == [] and card["tasks"] == [] and card["comments"] == []
    assert {item["kind"] for item in card["timeline"]} == {"call"}

    sue = await gateway.login("sue")  # supervises support, not the manager's team
    card = await (await sue.get(CARD)).json()
    assert [c["call_id"] for c in card["calls"]] == ["support-1"] and card["leads"] == []
    assert card["comments"] == []  # the comment is on the sales call

    sam = await gateway.login("sam")  # supervises boris: the whole history
    card = await (await sam.get(CARD)).json()
    assert card["whole_history"] is True and len(card["calls"]) == 2
    assert [c["text"] for c in card["comments"]] == ["asks for a discount"]


async def test_an_unknown_client_is_not_found_and_a_bad_number_names_the_field(history, gateway):
    anna = await gateway.login("anna")
    assert (await anna.get("/api/v1/clients/%2B4999")).status == 404
    assert (await anna.get(CARD)).status == 404  # boris's client, no call of hers
    reply = await anna.get("/api/v1/clients/a%20b")
    assert reply.status == 400 and (await reply.json())["field"] == "number"
    reply = await anna.get("/api/v1/clients/" + "9" * 65)
    assert reply.status == 400 and (await reply.json())["field"] == "number"
    root = await gateway.login("root")
    assert (await root.get("/api/v1/clients/%2B4999")).status == 404
    assert (await root.get(CARD + "?x=1")).status == 400


async def test_the_card_page_shows_the_history_and_plays_a_recording(history, gateway):
    async with browser_page() as page:
        await log_in(page, base_url(gateway), "sam")
        await page.goto(base_url(gateway) + "/calls")
        await page.locator('#calls tr[data-call="sales-1"] td.caller a').click()
        await page.wait_for_url(base_url(gateway) + "/clients/" + urllib.parse.quote(CLIENT, safe=""))
        await page.locator('body[data-loaded="1"]').wait_for()
        assert "Kovács" in await page.locator("#details").inner_text()
        assert await page.locator("#partial").is_hidden()
        kinds = await page.locator("#timeline tbody tr").evaluate_all("rows => rows.map(r => r.dataset.kind)")
        assert sorted(set(kinds)) == ["call", "comment", "lead_stage", "task"]
        assert await page.locator('#leads tr[data-lead="L-1"]').count() == 1
        assert "asks for a discount" in await page.locator("#comments").inner_text()
        await page.locator('#calls tr[data-call="sales-1"] button.play').click()
        await page.wait_for_function("() => document.getElementById('player').readyState >= 1")
        await check_layout(page, "client-card")
    async with browser_page() as page:
        await log_in(page, base_url(gateway), "csilla")
        await page.goto(base_url(gateway) + "/clients/" + urllib.parse.quote(CLIENT, safe=""))
        await page.locator('body[data-loaded="1"]').wait_for()
        assert await page.locator("#partial").is_visible()
        assert await page.locator("#calls tbody tr[data-call]").evaluate_all("r => r.map(x => x.dataset.call)") == [
            "support-1"
        ]
