"""Briefings on real data (real MiniLM, real Chroma): the seed article, the briefing fixtures
(tests/fixtures/briefing: two more articles about Kunduz, a wire copy, an unrelated one) and the
2,127 BBC articles as everything else. Writes benchmarks/results/bench_briefing.json.

- Coverage: "What did the articles say about <place>?" must quote at least 80% of the sentences
  that mention the place (a wire copy's sentence counts as its original), and nothing from an
  article that does not mention it.
- Summaries: "Summarize the article about <headline>" on 100 BBC articles (every 21st by path):
  whether the right article was summarized, and ROUGE-1 (rouge-score) of the picked sentences
  against the article's first paragraph, next to the lead-3 baseline (its first three sentences).
- Speed: 60 briefings (places and names from BBC headlines), each asked twice in one warm
  process; the first ask of a topic and the repeat are reported separately.

    .venv/bin/python benchmarks/bench_briefing.py
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import NEWSBOT, ROOT, WORK, stage_bbc

FIXTURES = ROOT / "tests" / "fixtures" / "briefing"
PLACES = ["Kunduz", "Maimana"]
COPY = "fixtures/kunduz-day-two-wire-copy.md"


def _corpus() -> tuple[Path, Path]:
    articles, data = WORK / "briefing-articles", WORK / "briefing-data"
    if not articles.is_dir():
        stage_bbc(articles)
    shutil.copytree(FIXTURES, articles / "fixtures", dirs_exist_ok=True)
    if not data.is_dir() and (WORK / "seed-bbc-data").is_dir():
        shutil.copytree(WORK / "seed-bbc-data", data)  # bench_seed.py's index: only the fixtures to add
    run = subprocess.run([*NEWSBOT, "index", "--articles", str(articles), "--data", str(data)], cwd=ROOT)
    assert run.returncode == 0
    return articles, data


def _sentences(article: Any) -> list[str]:
    from index.chunking import sentence_spans

    body = article.text[article.body_start :]
    return [
        body[s.start : s.end] for s in sentence_spans(body) if body[s.start : s.end].strip() != article.title
    ]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def coverage(answerer: Any, articles: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for place in PLACES:
        answer = answerer.answer(f"What did the articles say about {place}?")
        quoted = {_norm(t) for g in answer.briefing or [] for t, _ in g.quotes}
        copy = articles.get(COPY)
        copy_quoted = {_norm(t) for g in answer.briefing or [] if g.article == COPY for t, _ in g.quotes}
        wanted, got = 0, 0
        for article_id, article in articles.items():
            if article_id == COPY:
                continue
            for sentence in _sentences(article):
                if place in sentence:
                    wanted += 1
                    twin = (
                        _twin(sentence, copy) if copy and article_id == "fixtures/kunduz-day-two.md" else None
                    )
                    got += _norm(sentence) in quoted or (twin is not None and _norm(twin) in copy_quoted)
        unrelated = [
            g.article
            for g in answer.briefing or []
            if not any(place in s for s in _sentences(articles[g.article]))
        ]
        out[place] = {
            "mention_sentences": wanted,
            "quoted": got,
            "coverage": round(got / wanted, 3) if wanted else None,
            "articles_shown": [g.article for g in answer.briefing or []],
            "unrelated_articles_quoted": unrelated,
            "ms": answer.timings_ms.get("total"),
        }
    return out


def _twin(sentence: str, copy: Any) -> str | None:
    """The wire copy's version of a sentence (a few words changed)."""
    words = set(_norm(sentence).split())
    best = max(_sentences(copy), key=lambda s: len(words & set(_norm(s).split())))
    return best if len(words & set(_norm(best).split())) >= 0.8 * len(words) else None


def summaries(answerer: Any, articles: dict[str, Any]) -> dict[str, Any]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    bbc = sorted(a for a in articles if a.startswith("bbc/"))[::21][:100]
    rows: list[dict[str, Any]] = []
    for article_id in bbc:
        article = articles[article_id]
        body = article.text[article.body_start :].strip()
        first = body.split("\n\n")[0]
        lead3 = " ".join(_sentences(article)[:3])
        answer = answerer.answer(f"Summarize the article about {article.title}")
        groups = answer.briefing or []
        picked = " ".join(t for g in groups for t, _ in g.quotes)
        ours, base = scorer.score(first, picked)["rouge1"], scorer.score(first, lead3)["rouge1"]
        rows.append(
            {
                "article": article_id,
                "right_article": bool(groups) and groups[0].article == article_id,
                "sentences": sum(len(g.quotes) for g in groups),
                "ours": (ours.precision, ours.recall, ours.fmeasure),
                "lead3": (base.precision, base.recall, base.fmeasure),
            }
        )

    def mean(key: str, i: int) -> float:
        return round(statistics.mean(r[key][i] for r in rows), 4)

    return {
        "articles": len(rows),
        "right_article": sum(r["right_article"] for r in rows),
        "sentences_mean": round(statistics.mean(r["sentences"] for r in rows), 2),
        "rouge1_recall": {"ours": mean("ours", 1), "lead3": mean("lead3", 1)},
        "rouge1_precision": {"ours": mean("ours", 0), "lead3": mean("lead3", 0)},
        "rouge1_f": {"ours": mean("ours", 2), "lead3": mean("lead3", 2)},
        "recall_at_least_lead3": sum(r["ours"][1] >= r["lead3"][1] - 1e-9 for r in rows),
    }


def speed(answerer: Any, articles: dict[str, Any]) -> dict[str, Any]:
    from bot.suggest import topics

    names: list[str] = []
    for article_id in sorted(a for a in articles if a.startswith("bbc/"))[::37]:
        names += list(topics(articles[article_id].title))[:1]
    questions = [f"What did the articles say about {p}?" for p in PLACES]
    questions += [f"What's the latest on {p}?" for p in PLACES]
    questions += [f"Tell me about {n}" for n in dict.fromkeys(names)][: 60 - len(questions)]
    first, repeat = [], []
    for q in questions:
        t0 = time.perf_counter()
        answerer.answer(q)
        first.append((time.perf_counter() - t0) * 1000)
    for q in questions:
        t0 = time.perf_counter()
        answerer.answer(q)
        repeat.append((time.perf_counter() - t0) * 1000)

    def pct(values: list[float], q: float) -> float:
        return round(sorted(values)[min(len(values) - 1, int(q * len(values)))], 1)

    return {
        "briefings": len(questions),
        "first_ask_ms": {"p50": pct(first, 0.5), "p95": pct(first, 0.95), "max": round(max(first), 1)},
        "repeat_ms": {"p50": pct(repeat, 0.5), "p95": pct(repeat, 0.95), "max": round(max(repeat), 1)},
        "slowest_first_asks": sorted(zip(first, questions, strict=True), reverse=True)[:3],
    }


def main() -> int:
    from bot.runtime import index_for, open_answerer
    from bot.settings import Settings
    from index.articles import load_folder

    articles_dir, data = _corpus()
    articles = {a.id: a for a in load_folder(articles_dir).articles}
    settings = Settings.load(dotenv=None).but(articles=articles_dir, data=data)
    answerer = open_answerer(settings, index=index_for(settings))
    answerer.answer("What did the articles say about Kunduz?")  # load the models and BM25 once
    result = {
        "corpus": f"seeds/ + tests/fixtures/briefing + BBC ({len(articles)} articles), real MiniLM",
        "coverage": coverage(answerer, articles),
        "summaries": summaries(answerer, articles),
        "speed": speed(answerer, articles),
    }
    (ROOT / "benchmarks" / "results" / "bench_briefing.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
