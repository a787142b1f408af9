"""Importing chromadb and bm25s without work a cold `newsbot ask` does not need.

Both imports sit on every cold start (benchmarks/bench_answer.py), and each does work this
project never uses:

- chromadb marks its methods with `overrides.override`, which checks every method's signature
  against its base class's as the class is built: development-time checks of chromadb's own
  code, which its released, pinned version has passed. They were about a third of importing
  chromadb and opening a client (0.2-0.3 s here). While chromadb loads, `override` only marks
  the method, which is all `overrides.EnforceOverrides` looks for later; the real decorator is
  put back at once.
- bm25s imports scipy when it is installed (the dev extra brings it, for scikit-learn) and tqdm,
  0.2-0.3 s together. We build BM25 with its numpy backend, which gives the same scores
  (checked on the 2,127 BBC articles), and never show its progress bars.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

_lock = threading.RLock()


def _mark(method: Callable[..., Any] | None = None, **_options: Any) -> Any:
    """`@override` and `@override(check_signature=...)` without the checks."""
    if method is None:
        return _mark
    method.__override__ = True  # type: ignore[attr-defined]
    return method


@contextmanager
def unchecked_overrides() -> Iterator[None]:
    """For the duration: chromadb's modules imported now build their classes unchecked."""
    try:
        import overrides
    except ImportError:  # a chromadb that no longer uses it: nothing to skip
        yield
        return
    with _lock:
        real = overrides.override, overrides.overrides
        overrides.override = overrides.overrides = _mark
        try:
            yield
        finally:
            overrides.override, overrides.overrides = real


def bm25s() -> ModuleType:
    """The bm25s module, imported without scipy or tqdm (see the module's note)."""
    if "bm25s" in sys.modules:
        return sys.modules["bm25s"]
    os.environ.setdefault("DISABLE_TQDM", "1")  # bm25s's own switch; only bm25s reads it
    with _lock:
        hidden = {name: sys.modules.get(name) for name in ("scipy", "scipy.sparse")}
        for name in hidden:
            sys.modules[name] = None  # type: ignore[assignment]  # "import scipy" raises ImportError
        try:
            import bm25s as module
        finally:
            for name, was in hidden.items():
                if was is None:
                    del sys.modules[name]
                else:
                    sys.modules[name] = was
    return module
