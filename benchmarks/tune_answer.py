"""Sweep the fusion weight and refusal thresholds on development data only.

Uses the SQuAD 2.0 development articles (never the held-out ones), indexed by
`newsbot eval --format squad2`; prints retrieval hit rates per BM25 weight and answer
metrics per threshold pair, so the constants in index/search.py and bot/answer.py are
chosen from measurements, not guesses.

    .venv/bin/python benchmarks/tune_answer.py --data /tmp/sq
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import answer as answer_mod
from bot import evaluate
from bot.answer import ExtractiveAnswerer
from bot.runtime import open_searcher
from bot.settings import Settings

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
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


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", type=Path, required=True, help="data folder used with `newsbot eval --data`"
    )
    parser.add_argument("--weights", default="0,0.3,0.5,0.7,1")
    parser.add_argument("--sentence", default="0.25,0.3,0.35")
    parser.add_argument("--passage", default="0.35,0.4,0.45")
    parser.add_argument("--unseen", default="0.3", help="MAX_UNSEEN_SHARE values")
    parser.add_argument("--ratio", default="0.85", help="SUPPORTED_RATIO values")
    args = parser.parse_args()
    squad = SHARED / "data" / "squad2" / "cs224n_dev-v2.0.json"
    work = evaluate.squad_workdir(args.data, squad, DEV_ARTICLES)
    items = evaluate.load_squad(squad, DEV_ARTICLES, work / "articles")
    settings = replace(Settings.load(dotenv=None), articles=work / "articles", data=work / "data")
    answerer = ExtractiveAnswerer(open_searcher(settings))
    searcher = answerer.searcher

    answerable = [i for i in items if i.answerable]
    best_weight, best_hit = 0.5, -1.0
    for w in (float(x) for x in args.weights.split(",")):
        searcher.bm25_weight = w
        hits1 = hits5 = 0
        for item in answerable:
            assert item.gold is not None
            passages = searcher.search(item.question, 5)
            ok = [
                p.article == item.gold[0] and p.start < item.gold[2] and p.end > item.gold[1]
                for p in passages
            ]
            hits1 += ok[:1] == [True]
            hits5 += any(ok)
        print(f"bm25_weight={w:<4} hit@1={hits1 / len(answerable):.3f} hit@5={hits5 / len(answerable):.3f}")
        if hits1 > best_hit:
            best_weight, best_hit = w, hits1
    searcher.bm25_weight = best_weight
    print(f"using bm25_weight={best_weight} for the threshold sweep")

    retrieved = {item.id: searcher.search(item.question, answerer.top_k) for item in items}
    for s_min, p_min, unseen, ratio in itertools.product(
        (float(x) for x in args.sentence.split(",")),
        (float(x) for x in args.passage.split(",")),
        (float(x) for x in args.unseen.split(",")),
        (float(x) for x in args.ratio.split(",")),
    ):
        answer_mod.MIN_SENTENCE_COVERAGE, answer_mod.MIN_PASSAGE_COVERAGE = s_min, p_min
        answer_mod.MAX_UNSEEN_SHARE, answer_mod.SUPPORTED_RATIO = unseen, ratio
        results = [
            evaluate.score(item, answerer.compose(item.question, item.question, retrieved[item.id]))
            for item in items
        ]
        m = evaluate.metrics(results)
        print(
            f"sentence>={s_min:<4} passage>={p_min:<4} unseen<{unseen:<4} ratio={ratio:<4} "
            f"answer={m['answer_accuracy']:.3f} "
            f"cited={m['citation_accuracy']:.3f} refused(unans)={m['unanswerable_refused']:.3f} "
            f"refused(ans)={m['answerable_refused']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
