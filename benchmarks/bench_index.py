"""Indexing benchmark: seed article + deduplicated BBC corpus, real MiniLM, real Chroma.

Reports full-build throughput and peak RSS, the unchanged re-run time, and the cost of
adding one article to the full index (process start included). Writes
benchmarks/results/bench_index.json.

    .venv/bin/python benchmarks/bench_index.py [--limit N] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import NEWSBOT, ROOT, WORK, median, run_rss, stage_bbc

SUMMARY = re.compile(r"([\d,]+) articles?: .*?; ([\d,]+) chunks? embedded in ([\d.]+) s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="index only the first N BBC articles")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    articles = WORK / "index-articles"
    data = WORK / "index-data"
    n_bbc = stage_bbc(articles, args.limit)
    shutil.rmtree(data, ignore_errors=True)
    cmd = [*NEWSBOT, "index", "--articles", str(articles), "--data", str(data)]

    full = run_rss(cmd)
    if full.returncode != 0:
        print(full.stderr, file=sys.stderr)
        return 1
    m = SUMMARY.search(full.stdout)
    assert m, full.stdout
    n_articles, n_chunks = (int(m.group(g).replace(",", "")) for g in (1, 2))

    unchanged = [run_rss(cmd).seconds for _ in range(args.repeats)]
    add_one = []
    for i in range(args.repeats):
        new = articles / f"bench-new-{i}.txt"
        new.write_text(
            f"Benchmark article {i}\n\nThis is a new article added to an index that already holds "
            f"{n_articles} articles. It has a few sentences, like a short news brief. Officials said "
            "the measure would take effect next month. Critics said it went too far.\n",
            encoding="utf-8",
        )
        r = run_rss(cmd)
        assert " 1 added," in r.stdout, r.stdout
        add_one.append(r.seconds)

    result = {
        "corpus": f"seeds/ + {n_bbc} deduplicated BBC articles",
        "articles": n_articles,
        "chunks": n_chunks,
        "full_build_s": round(full.seconds, 1),
        "articles_per_s": round(n_articles / full.seconds, 1),
        "chunks_per_s": round(n_chunks / full.seconds, 1),
        "full_build_peak_rss_mb": round(full.max_rss_mb),
        "unchanged_rerun_s_median": round(median(unchanged), 2),
        "add_one_article_s_median": round(median(add_one), 2),
        "repeats": args.repeats,
    }
    out = ROOT / "benchmarks" / "results" / "bench_index.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
