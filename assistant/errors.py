"""The one error type for problems a user can fix; its message is French and says what to do."""

from __future__ import annotations

import errno


class CapacitiesError(Exception):
    """A problem the user can fix (bad file, missing index, bad setting). Message in French."""


class StorageFault(CapacitiesError):
    """The vector index cannot be opened (a full disk, mostly): readers go on with BM25 alone."""


def storage_errno(e: BaseException) -> int | None:
    """The errno of a storage fault (full disk, read-only folder, write error), whether Python raised it
    or Chroma reported it in SQLite's or its own words; None for anything else."""
    if isinstance(e, OSError):
        return e.errno or errno.EIO
    msg = str(e).lower()
    if any(k in msg for k in ("disk is full", "no space left", "os error 28")):
        return errno.ENOSPC
    if any(k in msg for k in ("readonly", "read-only", "read only")):
        return errno.EROFS
    if "compact" in msg:  # Chroma's words when its log could not be written or applied (a full disk, mostly)
        return errno.EIO
    return None
