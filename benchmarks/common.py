"""Helpers shared by the benchmark scripts: corpus staging and measured subprocess runs."""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
BBC = SHARED / "data" / "bbc"
WORK = ROOT / "benchmarks" / ".work"  # git-ignored; corpora are copied here, never committed
NEWSBOT = [sys.executable, "-m", "bot.cli"]
# The SQuAD 2.0 development split (../shared/data/README.md): the only articles we tune or train
# on. The other articles of the file are held out for measuring.
DEV_ARTICLES = [
    "Normans",
    "Computational_complexity_theory",
    "Huguenot",
    "Steam_engine",
    "1973_oil_crisis",
    "European_Union_law",
    "Packet_switching",
    "Harvard_University",
]


# The SQuAD development articles as written and as synonym-spun (train_answer_model.py builds
# both indexes under WORK/train/<name>/data).
SQUAD_DEV = {
    "plain": SHARED / "data" / "squad2" / "cs224n_dev-v2.0.json",
    "spun": WORK / "train" / "squad_dev_spun.json",
}


def squad_dev_searchers(staging: str) -> Iterator[tuple[str, list[Any], Any]]:
    """(corpus name, its answerable questions, a searcher over its index) for each SQuAD_DEV
    corpus, over the indexes train_answer_model.py built; exits if it has not."""
    from bot import evaluate
    from bot.runtime import index_for
    from bot.settings import Settings

    for name, source in SQUAD_DEV.items():
        work = WORK / "train" / name
        if not (work / "data").is_dir():
            raise SystemExit(f"{work} is not built: run benchmarks/train_answer_model.py first")
        items = [i for i in evaluate.load_squad(source, DEV_ARTICLES, WORK / staging / name) if i.answerable]
        settings = Settings.load(dotenv=None).but(articles=work / "articles", data=work / "data")
        yield name, items, index_for(settings).searcher()


def stage_bbc(dest: Path, limit: int | None = None) -> int:
    """Copy the seed articles and the BBC corpus (identical files once) into `dest`."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(ROOT / "seeds", dest)
    return copy_bbc(dest, limit)


def copy_bbc(dest: Path, limit: int | None = None) -> int:
    """Copy the BBC corpus (identical files once) into `dest`/bbc, leaving files already there."""
    seen: set[str] = set()
    count = 0
    for path in sorted(BBC.glob("*/*.txt")):
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        target = dest / "bbc" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:  # an unchanged file keeps its mtime
            target.write_bytes(data)
        count += 1
        if limit is not None and count >= limit:
            break
    return count


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    stdout: str
    stderr: str
    returncode: int


def run_rss(args: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command to completion: wall time and the child's own peak RSS (wait4, Linux)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=out, stderr=err, text=True, env={**os.environ, **(env or {})}
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, out.read(), err.read(), proc.returncode)


def median(values: list[float]) -> float:
    return statistics.median(values)
