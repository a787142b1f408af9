"""The SQuAD 2.0 development articles, plain and synonym-spun, through the real CLI: each copy
is one `newsbot eval --format squad2 --json` process over the 8 articles indexed together.
The deployed model was trained on these articles, so the figures are in-sample; the honest
estimate is the cross-validated curve in benchmarks/results/answer_model.json.
Writes benchmarks/results/eval_squad_dev.json.

    .venv/bin/python benchmarks/bench_squad_dev.py   # ~4 minutes; needs train_answer_model.py's spun copy
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEV_ARTICLES, NEWSBOT, ROOT, SQUAD_DEV, WORK, run_rss


def main() -> int:
    out: dict[str, Any] = {
        "split": "SQuAD 2.0 development articles (8), cs224n_dev-v2.0.json; the deployed model was "
        "trained on them (in-sample), see answer_model.json for cross-validated figures",
        "command": "newsbot eval <file> --format squad2 --articles-filter <the 8 dev articles> --json",
    }
    for name, source in SQUAD_DEV.items():
        if not source.is_file():
            raise SystemExit(f"{source} is missing: run benchmarks/train_answer_model.py first")
        run = run_rss(
            [
                *NEWSBOT,
                "eval",
                str(source),
                "--format",
                "squad2",
                "--articles-filter",
                ",".join(DEV_ARTICLES),
                "--json",
                "--data",
                str(WORK / f"squad-dev-{name}"),
            ]
        )
        assert run.returncode == 0, run.stderr
        out[name] = json.loads(run.stdout)["metrics"]
        m = out[name]
        print(
            f"{name:5} answers {m['answer_accuracy']:.1%} cited {m['citation_accuracy']:.1%} "
            f"unanswerable refused {m['unanswerable_refused']:.1%} answerable refused "
            f"{m['answerable_refused']:.1%} p50 {m['latency_ms_p50']} ms",
            flush=True,
        )
    (ROOT / "benchmarks" / "results" / "eval_squad_dev.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
