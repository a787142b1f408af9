"""Scale: the SQuAD 2.0 development articles alone, then buried among the deduplicated BBC
corpus (~2,100 articles), then the same index served by `chroma run` (server mode).

The seed article has a benchmark of its own (bench_seed.py, with and without BBC); here the
SQuAD development questions (gold paragraphs, unanswerable ones included) measure scale.
Each stage runs a real `newsbot ask --json -` process over every question: quality, warm
per-question latency from its timings, and that process's peak RSS. Writes
benchmarks/results/bench_scale.json.

    .venv/bin/python benchmarks/bench_scale.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import BBC, DEV_ARTICLES, NEWSBOT, ROOT, SHARED, WORK, run_rss, stage_bbc

from bot import evaluate
from bot.answer import Answer, Citation


def stage(folder: Path, with_bbc: int | None) -> list[evaluate.Item]:
    if with_bbc is not None:
        stage_bbc(folder, None if with_bbc < 0 else with_bbc)
    else:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(ROOT / "seeds", folder)
    items = evaluate.load_squad(
        SHARED / "data" / "squad2" / "cs224n_dev-v2.0.json", DEV_ARTICLES, folder / "squad"
    )
    for item in items:  # article ids are paths relative to the articles folder
        if item.gold is not None:
            item.gold = (f"squad/{item.gold[0]}", item.gold[1], item.gold[2])
    return items


def ask_all(items: list[evaluate.Item], data: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    questions = "\n".join(" ".join(i.question.split()) for i in items) + "\n"
    qfile = data.parent / "questions.txt"
    qfile.write_text(questions, encoding="utf-8")
    cmd = ["/bin/sh", "-c", f"exec {' '.join(NEWSBOT)} ask --json - --data {data} < {qfile}"]
    run = run_rss(cmd, env)
    assert run.returncode in (0, 2), run.stderr[-2000:]
    docs = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(docs) == len(items), (len(docs), len(items))
    results = []
    for item, doc in zip(items, docs, strict=True):
        if "error" in doc:
            continue
        citations = [Citation(**c) for c in doc["citations"]]
        answer = Answer(doc["question"], doc["answer"], doc["found"], citations, timings_ms=doc["timings_ms"])
        results.append(evaluate.score(item, answer))
    m = evaluate.metrics(results[1:])  # the first question pays for loading the models
    cited = [len(c["text"]) for d in docs if "citations" in d for c in d["citations"]]
    lat = sorted(r.ms for r in results[1:])
    return {
        "answer_accuracy": m["answer_accuracy"],
        "citation_accuracy": m["citation_accuracy"],
        "unanswerable_refused": m["unanswerable_refused"],
        "answerable_refused": m["answerable_refused"],
        "warm_ms_p50": round(statistics.median(lat), 2),
        "warm_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 2),
        "process_peak_rss_mb": round(run.max_rss_mb),
        "mean_citation_chars": round(statistics.mean(cited)) if cited else 0,
        "questions": len(results),
    }


def index(folder: Path, data: Path) -> str:
    run = run_rss([*NEWSBOT, "index", "--articles", str(folder), "--data", str(data)])
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=-1, help="BBC articles to add (-1: all)")
    args = parser.parse_args()
    assert BBC.is_dir(), f"{BBC} is missing"
    folder, data = WORK / "scale-articles", WORK / "scale-data"
    shutil.rmtree(data, ignore_errors=True)
    items = stage(folder, None)
    small_index = index(folder, data)
    small = ask_all(items, data)
    items = stage(folder, args.limit)  # the same SQuAD files, now with the BBC corpus around them
    full_index = index(folder, data)
    full = ask_all(items, data)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "chroma"),
            "run",
            "--path",
            str(data / "chroma"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        served = ask_all(
            items,
            WORK / "scale-client-data",
            {**os.environ, "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(port)},
        )
    finally:
        server.terminate()
        server.wait(timeout=30)

    result = {
        "questions": "SQuAD 2.0 development articles (8), cs224n_dev-v2.0.json",
        "small_index": small_index,
        "full_index": full_index,
        "squad_only": small,
        "with_bbc_distractors": full,
        "with_bbc_server_mode": served,
        "answer_accuracy_change_pts": round(100 * (full["answer_accuracy"] - small["answer_accuracy"]), 1),
        "citation_accuracy_change_pts": round(
            100 * (full["citation_accuracy"] - small["citation_accuracy"]), 1
        ),
    }
    (ROOT / "benchmarks" / "results" / "bench_scale.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
