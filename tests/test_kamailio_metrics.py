"""Kamailio's Prometheus page (xhttp_prom, docs/kamailio.md#metrics): real Kamailio, sipp and
the router; the counters the integration moves in its SIP workers and in its session process
show on the one /metrics page, read with prometheus-client's own parser (Kamailio.samples)."""

from __future__ import annotations

import asyncio
import pathlib
import re
import socket
import urllib.error
import urllib.request

import pytest

from callcenter.api.events.v1 import events_pb2
from callcenter.integrations.kamailio import counters
from callcenter.tools.sip.processes import Kamailio, free_tcp_port
from tests.kamailio_fixtures import LEASE_MS, dial, final_response, finished, team

E = events_pb2


def value(samples, counter: counters.Counter, **labels: str) -> float | None:
    return samples.get((f"kamailio_{counter.name}", tuple(sorted(labels.items()))))


def test_kamailio_cfg_declares_every_counter_with_its_labels():
    cfg = (pathlib.Path(counters.__file__).parent / "kamailio.cfg").read_text()
    declared = {
        name: tuple(labels.split(":")) if labels else ()
        for name, labels in re.findall(r'"prom_counter", "name=(\w+)(?:;label=([\w:]+))?"', cfg)
    }
    assert declared == {c.name: c.labels for c in counters.ALL}
    assert all(c.name.startswith("callcenter_") and c.name.endswith("_total") for c in counters.ALL)


async def test_calls_through_kamailio_are_counted_on_its_metrics_page_from_every_process(
    sip_router, kamailio, sip_workdir, phones, stream
):
    _, stub = sip_router
    (agent,) = await team(stub, sip_workdir, phones, {"answer": 100})
    before = kamailio.samples()
    assert value(before, counters.INVITES, result="routed") == 0  # known series start at 0
    assert value(before, counters.OFFERS_RELAYED) == 0
    talking = dial(sip_workdir, kamailio, phones, "caller-a", "caller.xml", "-set", "talk", "600")
    await stream.wait_for(E.EVENT_TYPE_CALL_ANSWERED, agent_id="agent1")
    # The agent is busy: this call is held, and the session process relays it (t_continue)
    waiting = dial(sip_workdir, kamailio, phones, "caller-b", "caller.xml", "-set", "talk", "100")
    assert await finished(talking) == 0
    assert await finished(waiting) == 0

    after = kamailio.samples()
    assert value(after, counters.INVITES, result="routed") == 2
    assert value(after, counters.HOLDS, result="held") == 1
    assert value(after, counters.OFFERS_RELAYED) == 2  # one by a SIP worker, one by the session process
    assert value(after, counters.SESSION, status="opened") == 1  # counted in the session process
    assert value(after, counters.RELAY_FAILURES) == 0
    assert value(after, counters.INVITES, result="unavailable") == 0
    assert value(after, counters.EVENTS_DROPPED, reason="failed") == 0
    # tm's own statistics (their values move as transactions are freed, after the calls end)
    assert {"kamailio_tmx_UAS_transactions", "kamailio_tmx_5xx_transactions"} <= {name for name, _ in after}


def test_the_metrics_socket_serves_only_metrics(kamailio):
    request = urllib.request.Request(f"http://127.0.0.1:{kamailio.metrics_port}/calls")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - a loopback URL
    refused.value.close()  # its response
    assert refused.value.code == 404
    options = (  # SIP over TCP to the same socket: refused, not routed
        "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-probe\r\n"
        "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:probe@127.0.0.1>\r\n"
        "Call-ID: probe@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", kamailio.metrics_port), timeout=5) as sip:
        sip.sendall(options.encode())
        assert sip.recv(4096).decode().startswith("SIP/2.0 403")


async def test_an_invite_while_the_router_is_unreachable_counts_a_503(sip_workdir, phones, tenant):
    nothing_there = free_tcp_port()
    k = Kamailio(sip_workdir, nothing_there, pbx_id=f"kam-{tenant}", lease_ms=LEASE_MS)
    await asyncio.to_thread(k.start, "kamailio.session_broken")  # up, and its session cannot open
    try:
        call = dial(sip_workdir, k, phones, "caller", "caller_refused.xml")
        assert await finished(call) == 0
        assert final_response(call).first_line.startswith("SIP/2.0 503")
        samples = k.samples()
        assert value(samples, counters.INVITES, result="unavailable") == 1
        assert value(samples, counters.INVITES, result="routed") == 0
        assert value(samples, counters.ROUTER_ERRORS, rpc="RouteCall", grpc_code="UNAVAILABLE") == 1
        assert value(samples, counters.SESSION, status="broken") >= 1
        assert value(samples, counters.SESSION, status="opened") == 0
    finally:
        await asyncio.to_thread(k.stop)
