"""Importing chromadb and bm25s without work a cold `newsbot ask` does not need.

Both imports sit on every cold start (benchmarks/bench_answer.py), and each does work this
project never uses:

- chromadb marks its methods with `overrides.override`, which checks every method's signature
  against its base class's as the class is built: development-time checks of chromadb's own
  code, which its released, pinned version has passed. They were about a third of importing
  chromadb and opening a client (0.2-0.3 s here). While chromadb loads, `override` only marks
  the method, which is all `overrides.EnforceOverrides` looks for later; the real decorator is
  put back at once.
- chromadb imports OpenTelemetry's gRPC span exporter (grpc, protobuf, the metrics SDK: about
  0.13 s) to build one only when a collector endpoint is configured, which we never do. It gets
  a stand-in class that imports the real exporter when one is built.
- chromadb tries `import google.colab` to know whether it runs in Colab, which searches every
  folder on the path for the `google` namespace (0.05 s). Outside Colab (its COLAB_RELEASE_TAG
  variable unset) that import is made to fail at once, as it would after the search.
- httpx imports its command-line client (click, pygments, rich's syntax and progress modules)
  when those are installed; chromadb only uses httpx's HTTP client.
- bm25s imports scipy when it is installed (the dev extra brings it, for scikit-learn) and tqdm,
  0.2-0.3 s together. We build BM25 with its numpy backend, which gives the same scores
  (checked on the 2,127 BBC articles), and never show its progress bars.
"""

from __future__ import annotations

import importlib
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


_OTLP = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"
_HTTPX_CLI = "httpx._main"
_COLAB = "google.colab"


class _DeferredSpanExporter:
    """Stands in for `OTLPSpanExporter` in chromadb's telemetry module: building one builds the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        exporter = importlib.import_module(_OTLP).OTLPSpanExporter
        return exporter(*args, **kwargs)


@contextmanager
def loading_chromadb() -> Iterator[None]:
    """For the duration: chromadb's modules imported now skip the work in the module's note."""
    with _lock:
        placed: dict[str, ModuleType | None] = {}
        if _OTLP not in sys.modules:
            stand_in = ModuleType(_OTLP)
            stand_in.OTLPSpanExporter = _DeferredSpanExporter  # type: ignore[attr-defined]
            placed[_OTLP] = stand_in
        # A module set to None in sys.modules makes importing it raise ImportError, which both
        # importers expect: httpx's "from ._main import main" and chromadb's Colab check.
        if _HTTPX_CLI not in sys.modules:
            placed[_HTTPX_CLI] = None
        if _COLAB not in sys.modules and "COLAB_RELEASE_TAG" not in os.environ:
            placed[_COLAB] = None
        sys.modules.update(placed)  # type: ignore[arg-type]  # None: see above
        try:
            with _unchecked_overrides():
                yield
        finally:
            for name, module in placed.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]  # a later import finds the real module


@contextmanager
def _unchecked_overrides() -> Iterator[None]:
    try:
        import overrides
    except ImportError:  # a chromadb that no longer uses it: nothing to skip
        yield
        return
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
