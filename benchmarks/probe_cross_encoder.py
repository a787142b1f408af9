"""Does MiniLM, fine-tuned as a cross-encoder on the SQuAD development articles, tell answerable
questions from unanswerable ones better than the answerability model's word-level features?

A measurement, not part of the bot: it needs torch, which the project never installs. The
machines here keep a CPU build of torch 2.13.0 on disk, so a throwaway venv takes it without a
download. Three steps, two environments:

    # 1. the training questions, with the deployed ranker's top sentences (project venv; reads a
    #    cache written by `benchmarks/train_answer_model.py --cache`, and writes its out-of-fold dump)
    .venv/bin/python benchmarks/probe_cross_encoder.py pairs --cache /tmp/c.pkl --work /tmp/ce
    # 2. fine-tune and score, two folds of four articles (both copies of an article in one fold)
    python3 -m venv /tmp/tv && /tmp/tv/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl \
        numpy safetensors tokenizers
    /tmp/tv/bin/python benchmarks/probe_cross_encoder.py train --work /tmp/ce --mode bitfit --lr 1e-3
    # 3. the refusal curve with the cross-encoder's scores beside the deployed features (project venv)
    .venv/bin/python benchmarks/probe_cross_encoder.py score --work /tmp/ce --mode bitfit --lr 1e-3

The sentences come from the deployed ranker, which was trained on these articles (in-sample), so the
cross-encoder's figures lean optimistic. `--mode bitfit` trains only biases, LayerNorms and a linear
head on the mean-pooled output (31k parameters, a file small enough to version); `--mode full`
trains every weight. The pair is "[CLS] question [SEP] sentence [SEP]"; positives are the
sentences holding a gold answer among the ranker's best 8, negatives the ranker's best 4 that do
not (3 for an unanswerable question).
Results: README, Answer quality.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
TOP_SCORED = 4  # sentences per question the cross-encoder scores (the ranker's best)


def pairs(args: argparse.Namespace) -> None:
    """Step 1 (project venv): the questions and their ranked sentences, and the out-of-fold dump."""
    sys.path[:0] = [str(HERE), str(HERE.parent)]
    import train_answer_model as train  # a script beside this one

    import __main__
    from bot.answerability import load_model

    __main__.Row = train.Row  # the cache pickled its rows as __main__.Row
    args.work.mkdir(parents=True, exist_ok=True)
    kept = train.RESULTS.read_bytes()  # the training command rewrites the versioned curve: keep it
    try:
        subprocess.run(
            [
                sys.executable,
                str(HERE / "train_answer_model.py"),
                "--cache",
                str(args.cache),
                "--out",
                str(args.work / "model.json"),
                "--dump",
                str(args.work / "dump.pkl"),
            ],
            check=True,
        )
    finally:
        train.RESULTS.write_bytes(kept)
    ranker = load_model().ranker
    _, rows = pickle.loads(args.cache.read_bytes())
    out = []
    for r in rows:
        evidence = r.analysis.evidence
        if not evidence:
            continue  # the dump leaves these out too
        scores = [ranker.logit(ev.features) for ev in evidence]
        order = sorted(range(len(evidence)), key=lambda i: -scores[i])[:8]
        out.append(
            {
                "q": r.item.question,
                "corpus": r.corpus,
                "article": r.item.article,
                "answerable": bool(r.item.answerable),
                "sents": [{"t": evidence[i].text, "y": bool(r.sentence_labels[i])} for i in order],
            }
        )
    (args.work / "pairs.json").write_text(json.dumps(out), encoding="utf-8")
    print(f"{len(out)} questions -> {args.work / 'pairs.json'}")


def train(args: argparse.Namespace) -> None:
    """Step 2 (torch venv): fine-tune on four articles, score the other four, and the other way."""
    import torch
    import torch.nn.functional as F
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    torch.set_num_threads(2)
    torch.manual_seed(0)
    random.seed(0)
    folder = args.model
    weights = {k: torch.tensor(v) for k, v in load_file(str(folder / "model.safetensors")).items()}
    config = json.loads((folder / "config.json").read_text())
    hidden, heads, layers = config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()

    class Bert(torch.nn.Module):
        """BERT as MiniLM runs it (checked: the pooled output equals the bot's embedding)."""

        def __init__(self) -> None:
            super().__init__()
            self.p = torch.nn.ParameterDict(
                {
                    k.replace(".", "__"): torch.nn.Parameter(v.clone())
                    for k, v in weights.items()
                    if "position_ids" not in k
                }
            )
            self.head = torch.nn.Linear(hidden, 1)

        def g(self, k: str) -> Any:
            return self.p[k.replace(".", "__")]

        def ln(self, x: Any, pre: str) -> Any:
            return F.layer_norm(x, (hidden,), self.g(pre + ".weight"), self.g(pre + ".bias"), 1e-12)

        def lin(self, x: Any, pre: str) -> Any:
            return F.linear(x, self.g(pre + ".weight"), self.g(pre + ".bias"))

        def forward(self, ids: Any, types: Any, mask: Any) -> Any:
            b, t = ids.shape
            d = hidden // heads
            x = (
                self.g("embeddings.word_embeddings.weight")[ids]
                + self.g("embeddings.position_embeddings.weight")[:t][None]
                + self.g("embeddings.token_type_embeddings.weight")[types]
            )
            x = self.ln(x, "embeddings.LayerNorm")
            blocked = (1.0 - mask[:, None, None, :].float()) * -1e4
            for i in range(layers):
                p = f"encoder.layer.{i}."
                q, k, v = (
                    self.lin(x, p + f"attention.self.{n}").view(b, t, heads, d).transpose(1, 2)
                    for n in ("query", "key", "value")
                )
                a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + blocked, -1)
                c = (a @ v).transpose(1, 2).reshape(b, t, hidden)
                x = self.ln(self.lin(c, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
                h = F.gelu(self.lin(x, p + "intermediate.dense"))
                x = self.ln(self.lin(h, p + "output.dense") + x, p + "output.LayerNorm")
            m = mask[:, :, None].float()
            return self.head((x * m).sum(1) / m.sum(1)).squeeze(-1)

    def encode(batch: list[tuple[str, str]]) -> tuple[Any, Any, Any]:
        encs = [tok.encode(q, s) for q, s in batch]
        t = min(128, max(len(e.ids) for e in encs))
        ids = torch.zeros(len(encs), t, dtype=torch.long)
        types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
        for i, e in enumerate(encs):
            n = min(t, len(e.ids))
            ids[i, :n], types[i, :n], mask[i, :n] = (torch.tensor(e.ids[:n]), torch.tensor(e.type_ids[:n]), 1)
        return ids, types, mask

    questions = json.loads((args.work / "pairs.json").read_text())
    articles = sorted({q["article"] for q in questions})
    scored: list[list[float]] = [[] for _ in questions]
    for fold, held in enumerate((articles[0::2], articles[1::2])):
        data = []
        for q in questions:
            if q["article"] in held:
                continue
            ss = q["sents"]
            if q["answerable"]:
                data += [(q["q"], s["t"], 1.0) for s in ss if s["y"]]
                data += [(q["q"], s["t"], 0.0) for s in ss[:4] if not s["y"]]
            else:
                data += [(q["q"], s["t"], 0.0) for s in ss[:3]]
        model = Bert()
        for name, p in model.p.items():
            p.requires_grad = args.mode == "full" or name.endswith("__bias") or "LayerNorm" in name
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
        positives = sum(y for *_, y in data)
        pos_weight = torch.tensor((len(data) - positives) / positives)
        steps, bs, t0 = math.ceil(len(data) / 32), 32, time.time()
        random.shuffle(data)
        model.train()
        for step, start in enumerate(range(0, len(data), bs)):
            batch = data[start : start + bs]
            ids, types, mask = encode([(q, s) for q, s, _ in batch])
            for group in opt.param_groups:  # warm up, then decay linearly
                group["lr"] = args.lr * min(1.0, (step + 1) / 50) * (1 - step / steps)
            loss = F.binary_cross_entropy_with_logits(
                model(ids, types, mask), torch.tensor([y for *_, y in batch]), pos_weight=pos_weight
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 50 == 0:
                print(
                    f"fold {fold}: step {step}/{steps}, loss {loss.item():.3f}, {time.time() - t0:.0f} s",
                    flush=True,
                )
        model.eval()
        todo = [
            (i, s["t"])
            for i, q in enumerate(questions)
            if q["article"] in held
            for s in q["sents"][:TOP_SCORED]
        ]
        with torch.no_grad():
            for start in range(0, len(todo), 64):
                chunk = todo[start : start + 64]
                logits = model(*encode([(questions[i]["q"], s) for i, s in chunk])).tolist()
                for (i, _), value in zip(chunk, logits, strict=True):
                    scored[i].append(value)
    out = args.work / f"scores_{args.mode}_{args.lr:g}.json"
    out.write_text(json.dumps(scored))
    print(f"wrote {out}")


def score(args: argparse.Namespace) -> None:
    """Step 3 (project venv): the refusal curve out of fold, with and without the cross-encoder."""
    sys.path[:0] = [str(HERE), str(HERE.parent)]
    import train_answer_model as train
    from sklearn.metrics import roc_auc_score

    from bot.answerability import QUESTION_FEATURES

    xq, _, real, answerable, groups, questions, _, vetoed = pickle.loads(
        (args.work / "dump.pkl").read_bytes()
    )
    asked = json.loads((args.work / "pairs.json").read_text())
    assert [q["q"] for q in asked] == list(questions), "pairs.json and the dump come from different caches"
    scored = json.loads((args.work / f"scores_{args.mode}_{args.lr:g}.json").read_text())
    first = np.array([s[0] for s in scored])
    best = np.array([max(s) for s in scored])
    coverage = xq[:, QUESTION_FEATURES.index("passage_coverage")]
    coverage_threshold = float(np.quantile(coverage[real & answerable], train.TOPIC_FALSE_REFUSAL))
    used = [QUESTION_FEATURES.index(f) for f in train.ANSWERABILITY_FEATURES]
    print(
        "AUC, real questions: cross-encoder on the chosen sentence "
        f"{roc_auc_score(answerable[real], first[real]):.3f}, "
        f"best of {TOP_SCORED} {roc_auc_score(answerable[real], best[real]):.3f}"
    )

    def curve(x: np.ndarray, names: tuple[str, ...]) -> str:
        p = train.out_of_fold(x, answerable, groups, names)
        out = []
        for rate in (0.05, 0.07, 0.08, 0.10):
            _, refused = train.refusals(
                p[real], coverage[real], vetoed[real], answerable[real], coverage_threshold, rate
            )
            out.append(f"{rate:.0%}: {refused[~answerable[real]].mean():.1%}")
        return ", ".join(out)

    base = xq[:, used]
    names = train.ANSWERABILITY_FEATURES
    print("unanswerable refused at answerable refused, leave one article out:")
    print("  deployed features        ", curve(base, names))
    print("  + cross-encoder (chosen) ", curve(np.c_[base, first], (*names, "ce")))
    print("  + both cross-encoder     ", curve(np.c_[base, first, best], (*names, "ce", "ce_best")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    for name in ("pairs", "train", "score"):
        p = sub.add_parser(name)
        p.add_argument("--work", type=Path, required=True)
        if name == "pairs":
            p.add_argument("--cache", type=Path, required=True)
        else:
            p.add_argument("--mode", choices=("bitfit", "full"), default="bitfit")
            p.add_argument("--lr", type=float, default=1e-3)
        if name == "train":
            p.add_argument(
                "--model", type=Path, default=Path.home() / ".cache/newsbot/models/all-MiniLM-L6-v2"
            )
    args = parser.parse_args()
    {"pairs": pairs, "train": train, "score": score}[args.step](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
