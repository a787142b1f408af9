"""One index writer per data folder: an advisory file lock, released if the process dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import IndexLockedError


@contextmanager
def index_lock(data_dir: Path) -> Iterator[None]:
    from index import datadir

    datadir.check_writable(data_dir, "the index cannot be updated")
    path = data_dir / "index.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise IndexLockedError(
                f"another indexing process (pid {holder}) is updating {data_dir}; "
                "wait for it to finish and run this again"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)
            fcntl.flock(fh, fcntl.LOCK_UN)
