"""Retrieval alone: how often the chunk holding a gold answer is the first passage, or among the
first five, for each fusion weight, on the SQuAD 2.0 development articles and their spun copy
(both indexed by benchmarks/train_answer_model.py). Chooses nothing; prints and writes
benchmarks/results/bench_retrieval.json, from which index/search.py's weights were read.

    .venv/bin/python benchmarks/bench_retrieval.py [--bm25 0.45,0.6] [--sentence 0,0.3,0.5,0.7] [--soft 0,0.3]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import ROOT, squad_dev_searchers

from bot import evaluate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bm25", default="0.45,0.6,0.75")
    parser.add_argument("--sentence", default="0,0.3,0.5,0.7")
    parser.add_argument("--soft", default="0,0.3", help="weights of soft coverage (index/search.py)")
    args = parser.parse_args()
    rows = []
    for name, items, searcher in squad_dev_searchers("ret"):
        for bm25 in (float(x) for x in args.bm25.split(",")):
            for sentence, soft in (
                (float(x), float(y)) for x in args.sentence.split(",") for y in args.soft.split(",")
            ):
                searcher.bm25_weight, searcher.sentence_weight, searcher.soft_weight = bm25, sentence, soft
                hit1 = hit5 = 0
                for item in items:
                    assert item.gold is not None
                    found = [
                        p.article == item.gold[0]
                        and p.start < item.gold[2]
                        and p.end > item.gold[1]
                        and any(evaluate._norm(a) in evaluate._norm(p.text) for g in item.answers for a in g)
                        for p in searcher.search(item.question, 5)
                    ]
                    hit1 += found[:1] == [True]
                    hit5 += any(found)
                row = {
                    "copy": name,
                    "bm25_weight": bm25,
                    "sentence_weight": sentence,
                    "soft_weight": soft,
                    "hit@1": round(hit1 / len(items), 3),
                    "hit@5": round(hit5 / len(items), 3),
                }
                rows.append(row)
                print(row, flush=True)
    (ROOT / "benchmarks" / "results" / "bench_retrieval.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
