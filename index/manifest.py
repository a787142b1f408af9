"""A local cache of the per-article manifest, so a sync need not read every chunk's metadata.

The cache is trusted only for the collection version it was written at. Every writing run
bumps that version before its first write and again at the end, so a run that was killed,
or a writer elsewhere, leaves the cache stale and the next sync reads Chroma instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path

from index.store import ArticleState

log = logging.getLogger(__name__)


def load(path: Path | None, version: int) -> dict[str, ArticleState] | None:
    if path is None or not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("version") != version:
            return None
        return {
            aid: ArticleState(**{**fields, "hashes": set(fields["hashes"])})
            for aid, fields in doc["articles"].items()
        }
    except (OSError, ValueError, TypeError, KeyError):
        log.debug("ignoring unreadable manifest cache %s", path, exc_info=True)
        return None


def save(path: Path | None, version: int, states: dict[str, ArticleState]) -> None:
    if path is None:
        return
    articles = {aid: {**asdict(st), "hashes": sorted(st.hashes)} for aid, st in states.items()}
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"version": version, "articles": articles}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        log.debug("cannot write manifest cache %s", path, exc_info=True)


def forget(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()
