"""Giving freed memory back to the system: glibc keeps what a build or a model load freed (tens
of MB), which counts against the 500 MB peak-RSS budget."""

from __future__ import annotations

import contextlib
import ctypes


def release_freed_memory() -> None:
    """malloc_trim: every arena's free pages go back to the system. A no-op where the C library
    has none."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)
