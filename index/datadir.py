"""The data folder on disk: whether it can be written, whether there is room, whether the
index that was built there is still there, and moving a damaged one aside.

Disk trouble must never cost the user an index: writers check before they write, readers
fall back to a private copy when the folder is read-only, and a damaged store is renamed,
never deleted.
"""

from __future__ import annotations

import atexit
import errno
import json
import logging
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from index.errors import DataFolderError

log = logging.getLogger(__name__)

MARKER = "index.json"  # written after each successful sync: "an index was built here"
_FULL = ("no space left", "disk is full", "database or disk is full", "quota exceeded")
_READ_ONLY = ("read-only file system", "readonly database", "permission denied")


def disk_problem(err: BaseException) -> str | None:
    """'full' or 'read-only' when `err` (or what caused it) is one of those, else None."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return "full"
        if isinstance(seen, OSError) and seen.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return "read-only"
        text = str(seen).lower()
        if any(s in text for s in _FULL):
            return "full"
        if any(s in text for s in _READ_ONLY):
            return "read-only"
        seen = seen.__cause__ or seen.__context__
    return None


def folder_error(data_dir: Path, problem: str, doing: str) -> DataFolderError:
    if problem == "full":
        return DataFolderError(
            f"the disk holding the data folder {data_dir} is full, so {doing}; "
            "free some space and try again (the index already built is kept)"
        )
    return DataFolderError(
        f"the data folder {data_dir} is read-only, so {doing}; "
        "make it writable or point NEWSBOT_DATA elsewhere (the index already built is kept)"
    )


def check_writable(data_dir: Path, doing: str) -> None:
    """Fail clearly, before anything is written, when `data_dir` cannot take a write."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-") as fh:
            fh.write(b"x")
            fh.flush()
    except OSError as err:
        raise folder_error(data_dir, disk_problem(err) or "read-only", doing) from err


# Below this much free space a disk counts as full: Chroma needs room to apply its write log.
RESERVE = 1_000_000


def write_problem(data_dir: Path) -> str | None:
    """'full' or 'read-only' when `data_dir` cannot take a write now, else None."""
    try:
        check_writable(data_dir, "")
    except DataFolderError as err:
        return disk_problem(err) or "read-only"
    return "full" if free_bytes(data_dir) < RESERVE else None


def free_bytes(data_dir: Path) -> int:
    return shutil.disk_usage(data_dir).free


def ensure_room(data_dir: Path, need: int) -> None:
    """Refuse a sync the disk cannot hold: a store that fills its disk mid-write cannot be
    read again until space is freed, so it is far better never to start one."""
    free = free_bytes(data_dir)
    if free < need:
        raise DataFolderError(
            f"not enough free space for the index in {data_dir}: this sync needs about "
            f"{_mb(need)} and {_mb(free)} are free; nothing was changed (free some space and index again)"
        )


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def record_built(data_dir: Path, collection: str, chunks: int) -> None:
    doc = {"collection": collection, "chunks": chunks, "built_at": datetime.now(UTC).isoformat()}
    tmp = data_dir / (MARKER + ".tmp")
    try:
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, data_dir / MARKER)
    except OSError:
        log.warning("cannot record the index marker in %s", data_dir, exc_info=True)


def was_built(data_dir: Path) -> bool:
    return (data_dir / MARKER).is_file()


def move_aside(path: Path) -> Path:
    """Rename a damaged store out of the way, keeping it for inspection."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    path.rename(target)
    log.warning("moved the damaged index %s aside to %s", path, target)
    return target


def private_copy(folder: Path) -> Path:
    """A throw-away copy of `folder` (for reading a store whose own folder is read-only)."""
    target = Path(tempfile.mkdtemp(prefix="newsbot-readonly-")) / folder.name
    shutil.copytree(folder, target)
    atexit.register(shutil.rmtree, target.parent, True)
    return target
