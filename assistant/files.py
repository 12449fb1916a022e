"""Writing files so that a crash, a kill or a full disk never leaves half of one: atomic JSON, flushed
folders, and the cleaning of temporary files left by a process that died before its rename."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from assistant import faults


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path, pattern: str, pid_of: Callable[[str], str]) -> None:
    """Delete the files or folders matching ``pattern`` whose writer (``pid_of(name)``) is dead."""
    for left in folder.glob(pattern):
        pid = pid_of(left.name)
        if pid.isdigit() and not pid_alive(int(pid)):
            if left.is_dir():
                shutil.rmtree(left, ignore_errors=True)
            else:
                left.unlink(missing_ok=True)


def fsync_tree(folder: Path) -> None:
    """Flush every file of a folder, then the folder itself, to the disk."""
    for path in [*folder.iterdir(), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json_atomic(path: Path, data: object) -> None:
    """``data`` as JSON at ``path``: written beside it, flushed, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise
    faults.point("manifest")
    os.replace(tmp, path)
    remove_stale(path.parent, f".{path.name}.*.tmp", lambda name: name.rsplit(".", 2)[-2])


def read_json(path: Path, default: object) -> object:
    """The JSON at ``path``, or ``default`` when it is absent or unreadable (left empty by a power cut)."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return default
