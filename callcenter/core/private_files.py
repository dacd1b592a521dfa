"""Files only the service's own user may read: the data directory, the embedded Redis's
append-only and snapshot files (password and session hashes, customer numbers), recordings,
port files.

Directories are 0700 and files 0600, whatever the process's umask: a directory is created
with that mode and an existing one has its group and other bits taken away; a file is
created with 0600 (and fchmod-ed, since the umask only ever narrows a mode). A directory
the process may not chmod (a mounted volume owned by another user: Kubernetes sets its
group with `fsGroup`) is logged and left as it is, never a failure to start.
"""

from __future__ import annotations

import os
import pathlib
import stat

import structlog

log = structlog.get_logger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600
# The umask of a child process that writes private files itself (redis-server).
UMASK = 0o077


def tighten(path: pathlib.Path) -> None:
    """Takes the group and other bits away from an existing file or directory (symbolic
    links are left alone: their target is not ours to change)."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
            return
        os.chmod(path, stat.S_IMODE(mode) & ~0o077)
    except FileNotFoundError:
        return
    except PermissionError as exc:
        log.warning("private_files.not_tightened", path=str(path), error=str(exc))


def private_dir(path: pathlib.Path) -> pathlib.Path:
    """The directory, created 0700 when missing (parents too) or tightened when it exists."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tighten(path)
    return path


def open_private(path: pathlib.Path, flags: int) -> int:
    """os.open of a file created 0600 (an existing one is made 0600 too); returns the fd."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private_text(path: pathlib.Path, text: str) -> None:
    """Writes text to a 0600 file (replacing what it held)."""
    with os.fdopen(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "w") as file:
        file.write(text)
