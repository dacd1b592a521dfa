"""The gateway's domain (services/gateway/domain/) works without HTTP: it imports no aiohttp,
not even through a gateway module it uses, and its functions answer by role against a real
router and recorder; its refusals become HTTP statuses in one place (error_replies.py)."""

from __future__ import annotations

import ast
import json
import pathlib

import grpc
import pytest

from callcenter.api.common.v1 import states_pb2
from callcenter.api.recorder.v1 import recorder_pb2 as rpb
from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.api.router.v1 import router_pb2 as pb
from callcenter.core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from callcenter.services.gateway.backends import Backends
from callcenter.services.gateway.domain import actions, agents, clients, recordings
from callcenter.services.gateway.domain.errors import Conflict
from callcenter.services.gateway.error_replies import refusal_reply
from callcenter.services.gateway.users import User, UserExists
from tests.gateway_scenes import team_in_router
from tests.recorder_fixtures import metadata, tone, upload

GATEWAY = pathlib.Path(__file__).parent.parent / "services" / "gateway"
PACKAGE = "callcenter.services.gateway"


def _imported(path: pathlib.Path) -> set[str]:
    """The modules a file imports (relative ones resolved; `from x import y` names x and x.y)."""
    parts = path.relative_to(GATEWAY).with_suffix("").parts
    package = [*PACKAGE.split("."), *(parts if path.name == "__init__.py" else parts[:-1])]
    package = [p for p in package if p != "__init__"]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _gateway_file(module: str) -> pathlib.Path | None:
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    path = GATEWAY.joinpath(*module.removeprefix(PACKAGE).strip(".").split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_the_domain_never_imports_aiohttp_not_even_through_a_gateway_module():
    domain = sorted((GATEWAY / "domain").glob("*.py"))
    assert len(domain) > 5
    reached: set[pathlib.Path] = set()
    todo = list(domain)
    offenders = {}
    while todo:
        path = todo.pop()
        if path in reached:
            continue
        reached.add(path)
        imported = _imported(path)
        if bad := sorted(m for m in imported if m.split(".")[0] == "aiohttp"):
            offenders[str(path.relative_to(GATEWAY))] = bad
        todo += [f for f in map(_gateway_file, imported) if f is not None]
    assert offenders == {}
    assert GATEWAY / "users.py" in reached  # the walk does follow the domain into the gateway


SAM = User(username="sam", role="supervisor", teams=("sales",))
ANNA = User(username="anna", role="agent", agent_id="anna")


@pytest.fixture
async def recorder_service(start_recorder):
    return await start_recorder()


@pytest.fixture
async def backends(start_replica, recorder_service):
    """The gateway's backends on a real router (with the sales/support team) and recorder."""
    router, recorder = await start_replica(), recorder_service
    await team_in_router(router.port)
    found = Backends(f"127.0.0.1:{router.port}", "127.0.0.1:1", f"127.0.0.1:{recorder.port}", timeout_s=5)
    yield found
    await found.close()


async def test_agents_and_actions_answer_by_role_without_http(backends):
    seen = await agents.visible_agents(SAM, backends)
    assert sorted(a.id for a in seen) == ["anna", "boris"] and all(isinstance(a, pb.Agent) for a in seen)
    with pytest.raises(NotFound, match="agent csilla does not exist"):
        await agents.get_agent(SAM, backends, "csilla")  # another team's: as if she did not exist
    assert [q.name for q in await agents.visible_queues(ANNA, backends)] == ["sales"]

    status = await actions.pause(SAM, backends, "boris", "coaching")
    assert isinstance(status, pb.AgentStatus) and status.state == states_pb2.AGENT_STATE_PAUSED
    with pytest.raises(InvalidArgument) as no_reason:
        await actions.pause(SAM, backends, "anna", "")
    assert no_reason.value.field == "reason"
    with pytest.raises(PermissionDenied):
        await clients.reassign_clients(ANNA, backends, "anna", "boris", [])  # her own, but no agent's to move
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await actions.resume(SAM, backends, "anna")  # the router's own refusal passes through
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_recordings_are_listed_and_read_by_role_without_http(recorder_service, backends):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{recorder_service.port}") as channel:
        stub = recorder_pb2_grpc.RecorderServiceStub(channel)
        annas = await upload(stub, tone(0.5), metadata("c1", agent_id="anna"))
        csillas = await upload(stub, tone(0.5), metadata("c2", agent_id="csilla"))
    found, token = await recordings.list_recordings(SAM, backends, rpb.ListRecordingsRequest(page_size=10))
    assert ([r.id for r in found], token) == ([annas.id], "")
    with pytest.raises(NotFound):
        await recordings.open_audio(SAM, backends, csillas.id)
    audio = await recordings.open_audio(ANNA, backends, annas.id)
    head = b"".join([chunk async for chunk in audio.read(0, 11)])
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE"


@pytest.mark.parametrize(
    ("refusal", "status", "field"),
    [
        (NotFound("agent x does not exist"), 404, None),
        (PermissionDenied("role agent may not do this"), 403, None),
        (InvalidArgument("reason", "is required"), 400, "reason"),
        (UserExists("username", "sam already exists"), 409, "username"),
        (Conflict("username", "an admin cannot delete themselves"), 409, "username"),
        (FailedPrecondition("agent is available"), 409, None),
    ],
)
def test_every_refusal_of_the_domain_has_one_http_status(refusal, status, field):
    reply = refusal_reply(refusal)
    assert reply.status == status
    assert json.loads(reply.body) == {"error": str(refusal), **({"field": field} if field else {})}
