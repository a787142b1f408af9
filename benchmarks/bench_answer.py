"""Answer latency on the seed index, real MiniLM: warm (models loaded, as in the REPL or Slack)
and cold (a whole `newsbot ask` process). Writes benchmarks/results/bench_answer.json.

Warm questions are each asked as new: the searcher's remembered vectors and token states are
dropped before every round, so a round pays for embedding each question and reading each
passage's token states once, as a fresh question would.

    .venv/bin/python benchmarks/bench_answer.py [--rounds 20] [--cold 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import NEWSBOT, ROOT, SHARED, WORK, run_rss

QUESTIONS = [
    # Generic questions: latency does not depend much on whether they are answerable.
    "Who proposed the plan?",
    "How much will it cost?",
    "When does the fighting start?",
    "What did the officials say?",
    "Who is the governor?",
    "Where are the troops?",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold", type=int, default=7)
    args = parser.parse_args()
    data = WORK / "answer-data"
    shutil.rmtree(data, ignore_errors=True)
    built = run_rss([*NEWSBOT, "index", "--data", str(data)])
    assert built.returncode == 0, built.stderr
    questions = list(QUESTIONS)
    for path in (SHARED / "eval" / "seed_qa_dev.jsonl", ROOT / "benchmarks" / "seed_questions.jsonl"):
        if path.is_file():
            questions += [json.loads(line)["question"] for line in path.read_text().splitlines() if line]

    from bot.runtime import open_answerer
    from bot.settings import Settings

    answerer = open_answerer(Settings.load(dotenv=None, data=data))
    answerer.answer("warm up")
    warm = []
    for _ in range(args.rounds):
        answerer.searcher.forget()
        for q in questions:
            t0 = time.perf_counter()
            answerer.answer(q)
            warm.append((time.perf_counter() - t0) * 1000)
    warm.sort()

    cold = []
    for i in range(args.cold):
        r = run_rss([*NEWSBOT, "ask", questions[i % len(questions)], "--json", "--data", str(data)])
        assert r.returncode == 0, r.stderr
        cold.append(r.seconds)
    result = {
        "index": "seeds/ (" + built.stdout.strip() + ")",
        "warm_questions": len(warm),
        "warm_ms_p50": round(statistics.median(warm), 1),
        "warm_ms_p95": round(warm[int(0.95 * (len(warm) - 1))], 1),
        "cold_ask_s_median": round(statistics.median(cold), 2),
        "cold_ask_s_max": round(max(cold), 2),
        "cold_runs": args.cold,
    }
    (ROOT / "benchmarks" / "results" / "bench_answer.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:20} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
