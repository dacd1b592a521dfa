"""Where recordings' bytes live.

Uploads are staged on local disk (`Staging`): the raw audio the PBX sends is appended to a
file and fsynced at every commit, so the committed offset survives a crash. When an upload
ends, the WAV file is written next to it in the staging folder, fsynced, and handed to a
`RecordingStorage` backend, whose `publish` makes it visible atomically.

`LocalDirectoryStorage` (the default) keeps recordings under a folder on the same file
system as the staging folder, so publishing is a rename. A backend for an S3-compatible
object store implements the same four methods (publish = one PUT of the staged file, which
an object store makes visible atomically; read = a ranged GET).

Recordings are customers' voices: every folder here is 0700 and every file 0600, whatever
the umask (callcenter/core/private_files.py).
"""

from __future__ import annotations

import abc
import asyncio
import os
import pathlib
import re
import time
from collections.abc import AsyncIterator

from callcenter.core import private_files

_KEY = re.compile(r"^[0-9a-f]{32}$")


def _check_key(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"not a recording key: {key!r}")
    return key


def fsync_dir(path: pathlib.Path) -> None:
    """Makes a rename or a new file in a folder durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class RecordingStorage(abc.ABC):
    """A backend holding finished recordings by key (the recording id)."""

    @abc.abstractmethod
    async def publish(self, key: str, staged: pathlib.Path) -> None:
        """Makes the fsynced file `staged` the recording `key`, atomically and durably; the
        staged file is gone afterwards. Publishing the same key again replaces it."""

    @abc.abstractmethod
    async def size(self, key: str) -> int:
        """Size in bytes; FileNotFoundError when missing."""

    @abc.abstractmethod
    def read(self, key: str, offset: int, length: int, chunk_bytes: int) -> AsyncIterator[bytes]:
        """Yields bytes [offset, offset + length) in pieces of at most chunk_bytes."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Removes the recording; a missing one is no error."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the recordings are, for the log."""


class LocalDirectoryStorage(RecordingStorage):
    """Recordings as WAV files under a folder: <root>/<first 2 digits of id>/<id>.wav."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = private_files.private_dir(root)

    def path(self, key: str) -> pathlib.Path:
        key = _check_key(key)
        return self.root / key[:2] / f"{key}.wav"

    def describe(self) -> str:
        return f"local:{self.root}"

    async def publish(self, key: str, staged: pathlib.Path) -> None:
        await asyncio.to_thread(self._publish, self.path(key), staged)

    @staticmethod
    def _publish(target: pathlib.Path, staged: pathlib.Path) -> None:
        target.parent.mkdir(mode=private_files.DIR_MODE, exist_ok=True)
        os.chmod(staged, private_files.FILE_MODE)  # whoever wrote it, only the recorder reads it
        os.replace(staged, target)
        fsync_dir(target.parent)
        fsync_dir(staged.parent)

    async def size(self, key: str) -> int:
        return (await asyncio.to_thread(self.path(key).stat)).st_size

    async def read(self, key: str, offset: int, length: int, chunk_bytes: int) -> AsyncIterator[bytes]:
        file = await asyncio.to_thread(open, self.path(key), "rb")
        try:
            await asyncio.to_thread(file.seek, offset)
            remaining = length
            while remaining > 0:
                data = await asyncio.to_thread(file.read, min(chunk_bytes, remaining))
                if not data:
                    break
                remaining -= len(data)
                yield data
        finally:
            file.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)


class Staging:
    """The local folder of uploads in progress: <id>.raw holds the audio as sent, <id>.wav
    the finished file about to be published. Nothing here is visible to listeners."""

    def __init__(self, root: pathlib.Path) -> None:
        self.root = private_files.private_dir(root)

    def raw_path(self, key: str) -> pathlib.Path:
        return self.root / f"{_check_key(key)}.raw"

    def wav_path(self, key: str) -> pathlib.Path:
        return self.root / f"{_check_key(key)}.wav"

    def open_raw(self, key: str, keep_bytes: int):
        """Opens (creating if needed) the raw file for appending after its first keep_bytes
        bytes; anything beyond them (written but never committed) is cut off. Blocking."""
        path = self.raw_path(key)
        # Only a new upload creates its file: resuming into a missing file is an error, and
        # must not leave an empty one behind.
        fd = private_files.open_private(path, os.O_RDWR | (os.O_CREAT if keep_bytes == 0 else 0))
        file = os.fdopen(fd, "r+b")
        try:
            size = os.fstat(fd).st_size
            if size < keep_bytes:
                raise FileNotFoundError(f"{path} holds {size} bytes, fewer than the {keep_bytes} committed")
            file.truncate(keep_bytes)
            file.seek(keep_bytes)
            os.fsync(fd)
            fsync_dir(self.root)
        except BaseException:
            file.close()
            raise
        return file

    def older_than(self, age_s: float) -> list[pathlib.Path]:
        """Staged files not modified for age_s seconds (wall clock). Blocking."""
        cutoff = time.time() - age_s
        return [p for p in self.root.iterdir() if p.is_file() and p.stat().st_mtime < cutoff]

    def has_raw(self, key: str) -> bool:
        return self.raw_path(key).exists()

    def remove(self, key: str) -> None:
        """Removes the staged files of an upload. Blocking."""
        self.raw_path(key).unlink(missing_ok=True)
        self.wav_path(key).unlink(missing_ok=True)
