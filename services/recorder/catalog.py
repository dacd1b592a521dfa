"""The recordings' metadata in Redis: one hash per recording, sorted-set indexes by start
time (all, per call, per agent, per lead), and the state of uploads in progress (a session
hash with the committed offset, and a lock with a lease held by the process receiving).

Every change that must be atomic is one Lua script (scripts/); keys are passed as KEYS and
share the tenant's {hash tag}, so the scripts run on Redis Cluster.
"""

from __future__ import annotations

import base64
import importlib.resources
import json
from collections.abc import Iterable
from dataclasses import dataclass

import redis.asyncio as aioredis
import structlog

from callcenter.core import event_stream
from callcenter.core.config import key_prefix
from callcenter.services.recorder.model import (
    AlreadyExists,
    AudioCodec,
    Busy,
    FailedPrecondition,
    InvalidArgument,
    Leg,
    NotFound,
    Recording,
    UploadMetadata,
)

log = structlog.get_logger(__name__)

_SCRIPTS = ("store", "delete", "commit", "discard", "release", "renew", "hold")


def _script_source(name: str) -> str:
    """A script with the shared library (scripts/lib.lua) before it."""
    scripts = importlib.resources.files("callcenter.services.recorder") / "scripts"
    return (scripts / "lib.lua").read_text() + "\n" + (scripts / f"{name}.lua").read_text()


class RecorderKeys:
    def __init__(self, tenant: str) -> None:
        self.prefix = key_prefix(tenant) + "rec:"
        self.all = self.prefix + "all"  # zset: recording id -> start ms
        self.uploads = self.prefix + "uploads"  # zset: upload session key -> last update ms

    def recording(self, recording_id: str) -> str:
        return f"{self.prefix}id:{recording_id}"  # hash: the recording's metadata

    def legs(self, call_id: str) -> str:
        return f"{self.prefix}legs:{call_id}"  # hash: leg -> recording id

    def by_call(self, call_id: str) -> str:
        return f"{self.prefix}call:{call_id}"  # zset: recording id -> start ms

    def by_agent(self, agent_id: str) -> str:
        return f"{self.prefix}agent:{agent_id}"  # zset: recording id -> start ms

    def by_lead(self, lead_id: str) -> str:
        return f"{self.prefix}lead:{lead_id}"  # zset: recording id -> start ms

    def session(self, call_id: str, leg: str) -> str:
        return f"{self.prefix}upload:{leg}:{call_id}"  # hash: upload in progress

    def lock(self, call_id: str, leg: str) -> str:
        return f"{self.prefix}lock:{leg}:{call_id}"  # string: token of the receiving process


@dataclass(frozen=True)
class Session:
    """An upload in progress (or interrupted), as kept in Redis."""

    recording_id: str
    metadata: UploadMetadata
    committed: int
    updated_ms: int


def _recording_fields(r: Recording) -> dict[str, str]:
    return {
        "id": r.id,
        "call_id": r.call_id,
        "leg": r.leg.value,
        "agent_id": r.agent_id,
        "lead_id": r.lead_id,
        "codec": r.codec.value,
        "sample_rate_hz": str(r.sample_rate_hz),
        "channels": str(r.channels),
        "start_ms": str(r.start_ms),
        "duration_ms": str(r.duration_ms),
        "size_bytes": str(r.size_bytes),
        "sha256": r.sha256,
        "content_type": r.content_type,
        "partial": "1" if r.partial else "0",
        "legal_hold": "1" if r.legal_hold else "0",
        "stored_ms": str(r.stored_ms),
        "audio_bytes": str(r.audio_bytes),
        "audio_sha256": r.audio_sha256,
    }


def _recording_from(fields: dict[str, str]) -> Recording:
    return Recording(
        id=fields["id"],
        call_id=fields["call_id"],
        leg=Leg(fields["leg"]),
        agent_id=fields.get("agent_id", ""),
        lead_id=fields.get("lead_id", ""),
        codec=AudioCodec(fields["codec"]),
        sample_rate_hz=int(fields["sample_rate_hz"]),
        channels=int(fields["channels"]),
        start_ms=int(fields["start_ms"]),
        duration_ms=int(fields["duration_ms"]),
        size_bytes=int(fields["size_bytes"]),
        sha256=fields["sha256"],
        content_type=fields["content_type"],
        partial=fields.get("partial") == "1",
        legal_hold=fields.get("legal_hold") == "1",
        stored_ms=int(fields["stored_ms"]),
        audio_bytes=int(fields.get("audio_bytes", "0")),
        audio_sha256=fields.get("audio_sha256", ""),
    )


def _metadata_fields(recording_id: str, m: UploadMetadata) -> list[str]:
    return [
        "recording_id",
        recording_id,
        "call_id",
        m.call_id,
        "leg",
        m.leg.value,
        "agent_id",
        m.agent_id,
        "lead_id",
        m.lead_id,
        "codec",
        m.codec.value,
        "sample_rate_hz",
        str(m.sample_rate_hz),
        "channels",
        str(m.channels),
        "start_ms",
        str(m.start_ms),
    ]


def _session_from(fields: dict[str, str]) -> Session:
    return Session(
        recording_id=fields["recording_id"],
        metadata=UploadMetadata(
            call_id=fields["call_id"],
            codec=AudioCodec(fields["codec"]),
            sample_rate_hz=int(fields["sample_rate_hz"]),
            channels=int(fields["channels"]),
            start_ms=int(fields["start_ms"]),
            leg=Leg(fields["leg"]),
            agent_id=fields.get("agent_id", ""),
            lead_id=fields.get("lead_id", ""),
        ),
        committed=int(fields.get("committed", "0")),
        updated_ms=int(fields.get("updated_ms", "0")),
    )


def encode_page_token(start_ms: int, recording_id: str) -> str:
    return base64.urlsafe_b64encode(f"{start_ms}:{recording_id}".encode()).decode().rstrip("=")


def decode_page_token(token: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        start, recording_id = raw.split(":", 1)
        return int(start), recording_id
    except ValueError:
        raise InvalidArgument("page_token", "not a token this service returned") from None


class Catalog:
    def __init__(self, redis: aioredis.Redis, tenant: str) -> None:
        self.redis = redis
        self.keys = RecorderKeys(tenant)
        self.events = event_stream.stream_key(tenant)
        self._scripts = {name: redis.register_script(_script_source(name)) for name in _SCRIPTS}

    # Uploads --------------------------------------------------------------------------

    async def acquire_upload(self, call_id: str, leg: Leg, token: str, lease_ms: int) -> None:
        """Takes the lock of a call leg's upload; Busy when another process holds it."""
        if not await self.redis.set(self.keys.lock(call_id, leg), token, nx=True, px=lease_ms):
            raise Busy(f"an upload of call {call_id!r} leg {leg} is in progress; retry when it has ended")

    async def release_uploads(self, locks: Iterable[tuple[str, Leg, str]]) -> int:
        locks = list(locks)
        if not locks:
            return 0
        return await self._scripts["release"](
            keys=[self.keys.lock(c, leg) for c, leg, _ in locks], args=[t for _, _, t in locks]
        )

    async def renew_uploads(self, locks: Iterable[tuple[str, Leg, str]], lease_ms: int) -> int:
        locks = list(locks)
        if not locks:
            return 0
        return await self._scripts["renew"](
            keys=[self.keys.lock(c, leg) for c, leg, _ in locks], args=[lease_ms, *(t for _, _, t in locks)]
        )

    async def stored_id(self, call_id: str, leg: Leg) -> str | None:
        return await self.redis.hget(self.keys.legs(call_id), leg.value)

    async def session(self, call_id: str, leg: Leg) -> Session | None:
        fields = await self.redis.hgetall(self.keys.session(call_id, leg))
        return _session_from(fields) if fields else None

    async def session_and_lock(self, call_id: str, leg: Leg) -> tuple[Session | None, bool]:
        """The upload session and whether a process holds its lock, read atomically (a
        suspension commits the offset, then unlocks: a torn read could pair the old offset
        with "interrupted")."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.keys.session(call_id, leg))
            pipe.exists(self.keys.lock(call_id, leg))
            fields, locked = await pipe.execute()
        return (_session_from(fields) if fields else None), bool(locked)

    async def commit(
        self,
        metadata: UploadMetadata,
        token: str,
        committed: int,
        now_ms: int,
        lease_ms: int,
        *,
        start_recording_id: str | None = None,
    ) -> None:
        """Records the committed offset (and, with start_recording_id, the session's metadata);
        Busy when the upload's lock was lost to another process."""
        c, leg = metadata.call_id, metadata.leg
        extra = _metadata_fields(start_recording_id, metadata) if start_recording_id else []
        keys = [self.keys.lock(c, leg), self.keys.session(c, leg), self.keys.uploads]
        if not await self._scripts["commit"](keys=keys, args=[token, committed, now_ms, lease_ms, *extra]):
            raise Busy(f"the upload of call {c!r} leg {leg} was taken over (its lease ran out)")

    async def discard(self, call_id: str, leg: Leg, token: str) -> None:
        keys = [self.keys.lock(call_id, leg), self.keys.session(call_id, leg), self.keys.uploads]
        await self._scripts["discard"](keys=keys, args=[token])

    async def session_recording_ids(self) -> set[str]:
        """The recording ids of every upload session (uploads that may still resume)."""
        keys = await self.redis.zrange(self.keys.uploads, 0, -1)
        if not keys:
            return set()
        async with self.redis.pipeline(transaction=False) as p:
            for key in keys:
                p.hget(key, "recording_id")
            return {r for r in await p.execute() if r}

    async def idle_uploads(self, before_ms: int, limit: int = 100) -> list[tuple[str, Leg]]:
        """(call id, leg) of uploads last updated before the time, oldest first."""
        session_keys = await self.redis.zrange(self.keys.uploads, "-inf", before_ms, byscore=True, offset=0, num=limit)
        found = []
        for key in session_keys:
            fields = await self.redis.hmget(key, "call_id", "leg")
            if fields[0] is None:
                await self.redis.zrem(self.keys.uploads, key)  # a session that vanished
                continue
            found.append((fields[0], Leg(fields[1])))
        return found

    # Recordings -----------------------------------------------------------------------

    async def store(self, recording: Recording, token: str, event: dict[str, str], stream_maxlen: int) -> None:
        """Adds the recording, ends its upload and appends its RECORDING_STORED `event`, in one
        atomic step (store.lua): both or neither. Storing the same recording again (a retry
        after a lost reply) is a no-op: the event stays in the stream once. AlreadyExists when
        the leg has another recording; Busy when the upload's lock was lost."""
        r = recording
        keys = [
            self.keys.recording(r.id),
            self.keys.legs(r.call_id),
            self.keys.all,
            self.keys.by_call(r.call_id),
            self.keys.by_agent(r.agent_id),
            self.keys.by_lead(r.lead_id),
            self.keys.session(r.call_id, r.leg),
            self.keys.uploads,
            self.keys.lock(r.call_id, r.leg),
            self.events,
        ]
        stored_by = {k.replace("actor", "stored_by"): v for k, v in event.items() if k in ("actor", "actor_via")}
        pairs = [x for item in {**_recording_fields(r), **stored_by}.items() for x in item]
        args = [token, r.id, r.leg.value, r.start_ms, int(bool(r.agent_id)), int(bool(r.lead_id))]
        args += [json.dumps(event), stream_maxlen, *pairs]
        reply = await self._scripts["store"](keys=keys, args=args)
        if reply == "again":
            log.info("recording.stored_already", recording_id=r.id, call_id=r.call_id)
            return
        if reply == "exists":
            raise AlreadyExists(f"call {r.call_id!r} leg {r.leg} already has a recording")
        if reply == "lost":
            raise Busy(f"the upload of call {r.call_id!r} leg {r.leg} was taken over (its lease ran out)")

    async def get(self, recording_id: str) -> Recording:
        fields = await self.redis.hgetall(self.keys.recording(recording_id))
        if not fields:
            raise NotFound(f"no recording {recording_id!r}")
        return _recording_from(fields)

    async def get_many(self, recording_ids: list[str]) -> list[Recording | None]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for recording_id in recording_ids:
                pipe.hgetall(self.keys.recording(recording_id))
            replies = await pipe.execute()
        return [_recording_from(f) if f else None for f in replies]

    async def set_legal_hold(self, recording_id: str, hold: bool, event: dict[str, str], stream_maxlen: int) -> None:
        """Sets or lifts the hold and, when that changes it, appends `event` and records on the
        entry who changed it when (hold.lua, one atomic step). NotFound when gone."""
        keys = [self.keys.recording(recording_id), self.events]
        who = [event.get("actor", ""), event.get("actor_via", ""), event["time"]]
        args = ["1" if hold else "0", json.dumps(event), stream_maxlen, *who]
        if not await self._scripts["hold"](keys=keys, args=args):
            raise NotFound(f"no recording {recording_id!r}")

    async def delete(
        self, recording: Recording, event: dict[str, str], stream_maxlen: int, older_than_ms: int | None = None
    ) -> bool:
        """Removes a recording's entry and appends its RECORDING_DELETED `event`, in one
        atomic step (delete.lua). False when it is not older than older_than_ms; NotFound
        when gone; FailedPrecondition while on legal hold."""
        r = recording
        keys = [
            self.keys.recording(r.id),
            self.keys.legs(r.call_id),
            self.keys.all,
            self.keys.by_call(r.call_id),
            self.keys.by_agent(r.agent_id),
            self.keys.by_lead(r.lead_id),
            self.events,
        ]
        cutoff = "" if older_than_ms is None else older_than_ms
        reply = await self._scripts["delete"](keys=keys, args=[r.id, cutoff, json.dumps(event), stream_maxlen])
        if reply == "not_found":
            raise NotFound(f"no recording {r.id!r}")
        if reply == "held":
            raise FailedPrecondition(f"recording {r.id!r} is on legal hold")
        return reply == "ok"

    async def started_before(self, cutoff_ms: int, limit: int) -> list[str]:
        """Ids of recordings that started before the time, oldest first."""
        return await self.redis.zrange(self.keys.all, "-inf", f"({cutoff_ms}", byscore=True, offset=0, num=limit)

    async def list(
        self,
        *,
        call_id: str = "",
        agent_id: str = "",
        lead_id: str = "",
        from_ms: int | None = None,
        to_ms: int | None = None,
        page_size: int = 50,
        page_token: str = "",
    ) -> tuple[list[Recording], str]:
        """A page of recordings matching every filter given, newest first, and the next
        page's token ("" on the last page). The narrowest index is read; the other filters
        are checked on each entry."""
        if call_id:
            index = self.keys.by_call(call_id)
        elif lead_id:
            index = self.keys.by_lead(lead_id)
        elif agent_id:
            index = self.keys.by_agent(agent_id)
        else:
            index = self.keys.all
        high: int | str = f"({to_ms}" if to_ms is not None else "+inf"
        low: int | str = from_ms if from_ms is not None else "-inf"
        cursor: tuple[int, str] | None = None
        if page_token:
            cursor = decode_page_token(page_token)
            high = cursor[0] if to_ms is None else min(cursor[0], to_ms - 1)
        wanted = page_size + 1  # one more tells whether there is a next page
        batch = max(wanted, 100)
        found: list[Recording] = []
        offset = 0
        while len(found) < wanted:
            entries = await self.redis.zrange(
                index, high, low, desc=True, byscore=True, offset=offset, num=batch, withscores=True
            )
            if not entries:
                break
            offset += len(entries)
            ids = [
                member
                for member, score in entries
                if cursor is None or int(score) < cursor[0] or (int(score) == cursor[0] and member < cursor[1])
            ]
            for recording in await self.get_many(ids):
                if recording is None:
                    continue
                if (
                    (call_id and recording.call_id != call_id)
                    or (agent_id and recording.agent_id != agent_id)
                    or (lead_id and recording.lead_id != lead_id)
                ):
                    continue
                found.append(recording)
                if len(found) == wanted:
                    break
            if len(entries) < batch:
                break
        if len(found) > page_size:
            last = found[page_size - 1]
            return found[:page_size], encode_page_token(last.start_ms, last.id)
        return found, ""
