"""One index writer per data folder: an OS file lock (filelock), released if the process dies.

The lock file itself is filelock's; the holder's pid sits beside it, so a second writer can say
who is busy. The pid file is only a message: the OS lock decides.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from index import datadir
from index.errors import IndexLockedError


@contextmanager
def index_lock(data_dir: Path) -> Iterator[None]:
    datadir.check_writable(data_dir, "the index cannot be updated")
    lock = FileLock(data_dir / "index.lock", timeout=0)  # never wait: say who holds it instead
    holder = data_dir / "index.lock.pid"
    try:
        lock.acquire()
    except Timeout:
        try:
            pid = holder.read_text(encoding="utf-8").strip() or "unknown"
        except OSError:
            pid = "unknown"
        raise IndexLockedError(
            f"another indexing process (pid {pid}) is updating {data_dir}; "
            "wait for it to finish and run this again"
        ) from None
    try:
        holder.write_text(str(os.getpid()), encoding="utf-8")
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()
