"""The embedded Redis (callcenter/core/embedded_redis.py): a real redis-server child process that
keeps its data in an append-only file under the data directory, found again by a second
process on the same directory, and usable from data directories with long paths."""

from __future__ import annotations

import os
import pathlib
import signal
import tempfile

import pytest
import redis as sync_redis

from callcenter.core.embedded_redis import EmbeddedRedis, socket_path_for


def client(server: EmbeddedRedis) -> sync_redis.Redis:
    return sync_redis.Redis.from_url(server.url, decode_responses=True)


def answers(url: str) -> bool:
    try:
        with sync_redis.Redis.from_url(url, socket_connect_timeout=0.5) as c:
            return bool(c.ping())
    except (sync_redis.ConnectionError, FileNotFoundError):
        return False


@pytest.fixture
def data_dir(tmp_path) -> pathlib.Path:
    return tmp_path / "data"


def test_data_written_before_a_stop_is_read_back_from_the_append_only_file_after_a_restart(data_dir):
    with EmbeddedRedis(data_dir) as server:
        assert server.owned and server.socket_path == data_dir.resolve() / "redis.sock"
        with client(server) as c:
            c.hset("cc:{t1}:agent:anna", mapping={"id": "anna", "state": "available"})
            c.xadd("cc:{t1}:events", {"type": "agent_logged_in", "time": "1"})
    assert not answers(server.url), "stop() must end the server it started"
    aof = data_dir / "appendonly.aof"
    assert aof.exists() and b"cc:{t1}:agent:anna" in aof.read_bytes()

    with EmbeddedRedis(data_dir) as again:
        assert again.owned
        with client(again) as c:
            assert c.hgetall("cc:{t1}:agent:anna") == {"id": "anna", "state": "available"}
            assert c.xlen("cc:{t1}:events") == 1


def test_a_second_embedded_redis_on_the_same_data_dir_attaches_and_never_stops_the_first_ones_server(data_dir):
    first = EmbeddedRedis(data_dir).start()
    try:
        with client(first) as c:
            c.set("written-by", "first")
        second = EmbeddedRedis(data_dir).start()
        assert not second.owned and second.url == first.url
        with client(second) as c:
            assert c.get("written-by") == "first"
        second.stop()
        assert answers(first.url), "a process that only attached must leave the server running"
    finally:
        first.stop()
    assert not answers(first.url)


def test_a_data_dir_too_long_for_a_unix_socket_path_still_works(tmp_path):
    # sun_path holds ~107 bytes; this directory alone is longer than that.
    data_dir = tmp_path / ("a-rather-long-folder-name-" * 3) / ("and-another-one-" * 3) / "data"
    assert len(str(data_dir / "redis.sock")) > 108
    socket_path = socket_path_for(data_dir)
    assert socket_path.parent == pathlib.Path(tempfile.gettempdir()) and len(str(socket_path)) <= 100
    assert socket_path_for(data_dir) == socket_path, "the same directory must always map to the same socket"

    with EmbeddedRedis(data_dir) as server:
        assert server.socket_path == socket_path
        with client(server) as c:
            c.set("k", "v")
        attached = EmbeddedRedis(data_dir).start()
        assert not attached.owned, "a second process must find the server through the same short socket"
    assert (data_dir / "appendonly.aof").exists() and (data_dir / "redis.log").exists()
    with EmbeddedRedis(data_dir) as again, client(again) as c:
        assert c.get("k") == "v"


def test_a_stale_socket_left_by_a_killed_server_is_replaced_by_a_new_server(data_dir):
    server = EmbeddedRedis(data_dir).start()
    with client(server) as c:
        pid = int(c.info("server")["process_id"])
    os.kill(pid, signal.SIGKILL)  # a crash: redis-server cannot remove its socket file
    server.stop()  # reaps the dead child
    assert server.socket_path.exists() and not answers(server.url)

    with EmbeddedRedis(data_dir) as again:
        assert again.owned, "a socket nobody answers on must not be taken for a running server"
        with client(again) as c:
            assert c.ping()


def test_two_starts_at_once_on_one_data_dir_give_one_server(tmp_path):
    import concurrent.futures

    from callcenter.core.embedded_redis import EmbeddedRedis

    servers = [EmbeddedRedis(tmp_path / "race") for _ in range(4)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda s: s.start(), servers))
    try:
        assert sum(s.owned for s in servers) == 1
    finally:
        for s in servers:
            s.stop()
