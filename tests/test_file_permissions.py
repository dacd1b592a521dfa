"""What the platform writes to disk only its own user can read: the data directory is 0700,
the embedded Redis's append-only file, snapshot and log (password and session hashes,
customer numbers), recordings, staged uploads, port files and the first admin password are
0600, whatever the umask (here the usual 022), and files an older version left readable to
all are tightened at start. Real redis-server, real recorder, router and gateway."""

from __future__ import annotations

import asyncio
import os
import pathlib
import stat

import grpc
import pytest

from callcenter.api.recorder.v1 import recorder_pb2_grpc
from callcenter.core.config import CommonConfig
from callcenter.core.embedded_redis import EmbeddedRedis
from callcenter.core.redis_connection import client_for
from callcenter.services.gateway.config import GatewayConfig
from callcenter.services.gateway.server import GatewayServer
from tests.recorder_fixtures import metadata, tone, upload


def mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask():
    """The umask most shells have (022: new files 0644, world-readable), for the test."""
    before = os.umask(0o022)
    yield
    os.umask(before)


async def _until_persisted(redis, flag: str) -> None:
    async with asyncio.timeout(30):
        while (await redis.info("persistence"))[flag]:
            await asyncio.sleep(0.01)


async def test_the_embedded_redis_keeps_its_directory_0700_and_every_file_0600(tmp_path, usual_umask):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    (data / "appendonly.aof").touch()  # what an older version left, world-readable
    os.chmod(data / "appendonly.aof", 0o644)
    server = EmbeddedRedis(data).start()
    try:
        redis = client_for(server.url)
        try:
            await redis.set("cc:{t}:user:root", "scrypt$...")  # a password hash, as the gateway stores it
            await redis.bgsave()
            await _until_persisted(redis, "rdb_bgsave_in_progress")
            await redis.bgrewriteaof()  # the append-only file written anew, then renamed into place
            await _until_persisted(redis, "aof_rewrite_in_progress")
            await _until_persisted(redis, "aof_rewrite_scheduled")
        finally:
            await redis.aclose()
    finally:
        server.stop()
    assert mode(data) == 0o700
    files = {p.name: mode(p) for p in data.iterdir() if p.is_file() and not p.is_socket()}
    assert {"appendonly.aof", "dump.rdb", "redis.log", "redis.lock"} <= set(files), files
    assert files == dict.fromkeys(files, 0o600), files


async def test_recordings_and_staged_uploads_are_0600_in_0700_folders(start_recorder, tmp_path, usual_umask):
    old = tmp_path / "recordings"
    old.mkdir(mode=0o755)
    os.chmod(old, 0o755)  # as an older version made it
    service = await start_recorder()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{service.port}") as channel:
        stored = await upload(recorder_pb2_grpc.RecorderServiceStub(channel), tone(0.1), metadata("c1"))
    root = service.config.recordings_dir
    wav = service.storage.path(stored.id)
    assert wav.is_file() and mode(wav) == 0o600
    for folder in (root, wav.parent, root / ".staging"):
        assert mode(folder) == 0o700, folder
    # A staged upload's raw audio, made as an upload starts.
    staged = service.recorder.staging
    file = staged.open_raw("0" * 32, 0)
    file.close()
    assert mode(staged.raw_path("0" * 32)) == 0o600


async def test_port_files_are_0600(start_replica, redis, redis_url, tenant, tmp_path, usual_umask):
    router = await start_replica(port_file=tmp_path / "router.port")
    gateway = GatewayServer(
        GatewayConfig(
            common=CommonConfig(redis_url=redis_url, tenant=tenant),
            port=0,
            port_file=tmp_path / "gateway.port",
            router_addr=f"127.0.0.1:{router.port}",
            shutdown_grace_s=0.2,
        ),
        redis,
    )
    await gateway.start()
    try:
        for name, port in (("router.port", router.port), ("gateway.port", gateway.port)):
            assert (tmp_path / name).read_text() == str(port)
            assert mode(tmp_path / name) == 0o600
    finally:
        await gateway.stop()


async def test_the_first_admin_password_is_0600_in_a_0700_data_dir(redis, tenant, tmp_path, usual_umask):
    from callcenter.cli import _first_admin

    data = tmp_path / "fresh"
    password = await _first_admin(redis, tenant, data)
    secret = data / "admin-password.txt"
    assert secret.read_text() == f"{password}\n"
    assert mode(secret) == 0o600 and mode(data) == 0o700
