"""Sentence vectors two ways, on the SQuAD 2.0 development articles (plain and spun copies):
pooled from the chunk's own MiniLM pass (what the index stores) against each sentence embedded
as a text of its own. Compares how often the sentence closest to the question holds the answer,
among the sentences of the top 5 passages, and what each costs at build time.
Writes benchmarks/results/bench_sentence_vectors.json.

    .venv/bin/python benchmarks/bench_sentence_vectors.py   # after train_answer_model.py built the indexes
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import ROOT, squad_dev_searchers

from bot import evaluate


def main() -> int:
    result: dict[str, object] = {}
    for name, items, searcher in squad_dev_searchers("sv"):
        embedder = searcher.embedder
        hits = {"pooled": 0, "separate": 0}
        texts: dict[str, np.ndarray] = {}
        for item in items:
            assert item.gold is not None
            q = searcher.question_vector(item.question)
            rows = []
            for p in searcher.search(item.question, 5):
                assert p.sentence_vectors is not None
                for (s, e), pooled in zip(p.sentences, p.sentence_vectors, strict=True):
                    text = p.text[s:e]
                    if text not in texts:
                        texts[text] = embedder.embed([text])[0]
                    inside = (
                        p.article == item.gold[0]
                        and p.start + s < item.gold[2]
                        and p.start + e > item.gold[1]
                    )
                    holds = inside and any(
                        evaluate._norm(a) in evaluate._norm(text) for g in item.answers for a in g
                    )
                    rows.append((float(pooled @ q), float(texts[text] @ q), holds))
            if rows:
                hits["pooled"] += max(rows, key=lambda r: r[0])[2]
                hits["separate"] += max(rows, key=lambda r: r[1])[2]
        chunks = [t for t in texts][:400]
        t0 = time.perf_counter()
        embedder.embed(chunks)
        separate_s = time.perf_counter() - t0
        result[name] = {
            "questions": len(items),
            "top1_holds_answer_pooled": round(hits["pooled"] / len(items), 4),
            "top1_holds_answer_separate": round(hits["separate"] / len(items), 4),
            "separate_embedding_s_per_1000_sentences": round(separate_s / len(chunks) * 1000, 2),
        }
        print(name, result[name], flush=True)
    result["pooled_extra_build_cost"] = "none: averaged from the chunk pass's token states"
    (ROOT / "benchmarks" / "results" / "bench_sentence_vectors.json").write_text(
        json.dumps(result, indent=1) + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
