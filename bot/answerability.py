"""The trained models: which sentence answers, and whether to answer at all.

Trained by `benchmarks/train_answer_model.py` on the SQuAD 2.0 development articles and a
synonym-spun copy of them, stored in `bot/answer_model.json` with how they were measured:
- the ranker, a logistic regression over each sentence's features (`bot/evidence.py`);
- the topic check: refuse when the retrieved passages speak of too little of the question,
  exactly or in other words ("What is the annual budget of the army?" where no passage mentions
  a budget). Its threshold is the coverage under which 1% of answerable training questions fall;
- the answerability model, a logistic regression over the question-level features below,
  whose threshold makes both checks together refuse a stated share of answerable questions.
Nothing here is hand-set: every threshold is read off a measured trade-off curve.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.evidence import SENTENCE_FEATURES, Evidence, Term
from index.errors import NewsbotError

MODEL_FILE = Path(__file__).with_name("answer_model.json")
MODEL_VERSION = 1

# What the answerability model sees of a question and its chosen sentence, in order.
QUESTION_FEATURES = (
    "score",
    "margin",
    "best_other",
    "cos",
    "max_cos",
    "soft",
    "lexical",
    "missing",
    "passage_missing",
    "missing_rel",
    "passage_missing_rel",
    "passage_coverage",
    "passage_content_coverage",
    "unseen",
    "lacks_candidate",
    "polarity_mismatch",
    "names_missing",
    "numbers_missing",
    "passage_dense",
    "top_dense",
    "terms",
)


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def logit(self, values: Mapping[str, float]) -> float:
        x = np.array([values[name] for name in self.features], dtype=np.float64)
        return float(((x - self.mean) / self.scale) @ self.coef + self.intercept)

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LinearModel:
        return cls(
            tuple(d["features"]),
            np.array(d["mean"], dtype=np.float64),
            np.array(d["scale"], dtype=np.float64),
            np.array(d["coef"], dtype=np.float64),
            float(d["intercept"]),
        )


@dataclass(frozen=True)
class AnswerModel:
    ranker: LinearModel  # log-odds that a sentence holds the answer
    answerability: LinearModel  # log-odds that the question is answered by the chosen sentence
    threshold: float  # answer when the answerability probability is at least this
    coverage_threshold: float  # ...and the passages cover at least this share of the question
    info: Mapping[str, Any]  # how it was trained and measured

    def probability(self, values: Mapping[str, float]) -> float:
        return 1.0 / (1.0 + math.exp(-self.answerability.logit(values)))

    def answers(self, values: Mapping[str, float], probability: float) -> bool:
        return values["passage_coverage"] >= self.coverage_threshold and probability >= self.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "version": MODEL_VERSION,
            "ranker": self.ranker.to_json(),
            "answerability": self.answerability.to_json(),
            "threshold": round(self.threshold, 6),
            "coverage_threshold": round(self.coverage_threshold, 6),
            "info": dict(self.info),
        }


@cache
def load_model(path: Path = MODEL_FILE) -> AnswerModel:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        if d.get("version") != MODEL_VERSION:
            raise ValueError(f"version {d.get('version')}, expected {MODEL_VERSION}")
        model = AnswerModel(
            LinearModel.from_json(d["ranker"]),
            LinearModel.from_json(d["answerability"]),
            float(d["threshold"]),
            float(d["coverage_threshold"]),
            d.get("info", {}),
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise NewsbotError(
            f"the answer model {path} cannot be read ({err}); "
            "rebuild it with `python benchmarks/train_answer_model.py`"
        ) from err
    # A model may use a subset of the features this code computes, never one it does not.
    if not set(model.ranker.features) <= set(SENTENCE_FEATURES) or not set(
        model.answerability.features
    ) <= set(QUESTION_FEATURES):
        raise NewsbotError(
            f"the answer model {path} was trained on other features than this code computes; "
            "rebuild it with `python benchmarks/train_answer_model.py`"
        )
    return model


def question_features(
    terms: Sequence[Term], evidence: Sequence[Evidence], chosen: Evidence
) -> dict[str, float]:
    """The answerability model's view: how well the chosen sentence answers, against the rest."""
    weights = np.array([t.weight for t in terms], dtype=np.float32)
    total = float(weights.sum()) or 1.0
    n = len(terms)
    # What the best single passage says of the question's terms: a passage must speak of the
    # whole question; one that names the place and another that mentions a budget do not add up
    # to "the budget of that place".
    by_passage: dict[str, np.ndarray] = {}
    for ev in evidence:
        seen = by_passage.get(ev.passage.id)
        by_passage[ev.passage.id] = ev.matches[:n] if seen is None else np.maximum(seen, ev.matches[:n])
    best = max(by_passage.values(), key=lambda m: float(m @ weights), default=np.zeros(n))
    heaviest = float(weights.max()) if n else 1.0
    content = np.array([0.0 if t.name else t.weight for t in terms], dtype=np.float32)
    own = chosen.matches[:n]
    others = [ev.score for ev in evidence if ev is not chosen]
    best_other = max(others, default=chosen.score - 5.0)
    return {
        "score": chosen.score,
        "margin": chosen.score - best_other,
        "best_other": best_other,
        "cos": chosen.features["cos"],
        "max_cos": max(ev.features["cos"] for ev in evidence),
        "soft": chosen.features["soft"],
        "lexical": chosen.features["lexical"],
        "missing": chosen.features["missing"],
        "passage_missing": float(((1.0 - best) * weights).max()) / total if n else 0.0,
        # The same against the question's heaviest term, so a long question does not dilute it.
        "missing_rel": float(((1.0 - own) * weights).max()) / heaviest if n else 0.0,
        "passage_missing_rel": float(((1.0 - best) * weights).max()) / heaviest if n else 0.0,
        # How much of the question the retrieved text speaks of at all, exactly or in other words.
        "passage_coverage": float(best @ weights) / total if n else 0.0,
        # ...and of its words that are not names: among many articles a rare name ("Kabul") weighs
        # more than what is asked of it ("What is the weather like in Kabul?").
        "passage_content_coverage": float(best @ content) / float(content.sum()) if content.sum() else 1.0,
        "unseen": float(sum(t.weight for t in terms if not t.seen)) / total,
        "lacks_candidate": chosen.features["lacks_candidate"],
        "polarity_mismatch": chosen.features["polarity_mismatch"],
        "names_missing": chosen.features["names_missing"],
        "numbers_missing": chosen.features["numbers_missing"],
        "passage_dense": chosen.passage.dense,
        "top_dense": max(ev.passage.dense for ev in evidence),
        "terms": math.log1p(n),
    }
