"""`newsbot eval`: run a question file through the answerer and score it.

Formats: the JSONL of ../shared/eval/seed_qa_dev.jsonl (answers as groups of alternatives,
evidence phrases) and SQuAD 2.0 JSON restricted to chosen articles, which are written out as
.txt articles and indexed into their own data folder first.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.answer import Answer
from index.errors import NewsbotError


@dataclass
class Item:
    id: str
    question: str
    answerable: bool
    answers: list[list[str]]  # every group must appear; any one alternative per group
    evidence: list[str] = field(default_factory=list)  # a citation containing one is correct
    gold: tuple[str, int, int] | None = None  # SQuAD: (article id, paragraph start, end)
    article: str = ""  # SQuAD: the article the question was written for (answerable or not)


@dataclass
class Scored:
    item: Item
    found: bool
    correct: bool
    cited: bool
    ms: float
    answer: str
    mode: str = "extractive"  # "llm" when the LLM's answer was kept
    prompt_tokens: int = 0
    completion_tokens: int = 0


JSONL_FORMAT = (
    'one JSON object per line: {"id", "question", "answerable": true|false, '
    '"answers": [[alternatives of one fact], ...], "evidence": [text a correct citation holds]}'
)


def load_jsonl(path: Path) -> list[Item]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NewsbotError(f"the question file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise NewsbotError(f"the question file {path} cannot be read ({err})") from err
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as err:
            raise NewsbotError(f"{path} line {n} is not JSON ({err}); the format is {JSONL_FORMAT}") from err
        if not isinstance(d, dict):
            raise NewsbotError(f"{path} line {n} is not a JSON object; the format is {JSONL_FORMAT}")
        missing = [k for k in ("id", "question", "answerable") if k not in d]
        if missing:
            raise NewsbotError(
                f"{path} line {n} has no {', '.join(repr(k) for k in missing)}; the format is {JSONL_FORMAT}"
            )
        items.append(
            Item(
                str(d["id"]),
                str(d["question"]),
                bool(d["answerable"]),
                d.get("answers", []),
                d.get("evidence", []),
            )
        )
    return items


def load_squad(path: Path, titles: Iterable[str], articles_dir: Path) -> list[Item]:
    """Write the chosen SQuAD articles as .txt files and return their questions with gold spans."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except FileNotFoundError:
        raise NewsbotError(f"the question file {path} does not exist") from None
    except (OSError, ValueError, KeyError) as err:
        raise NewsbotError(f"{path} is not a SQuAD 2.0 file ({err})") from err
    wanted = set(titles)
    found = {a["title"] for a in data} & wanted
    if wanted - found:
        raise NewsbotError(f"{path} has no article(s) {sorted(wanted - found)}")
    articles_dir.mkdir(parents=True, exist_ok=True)
    items = []
    for article in data:
        if article["title"] not in wanted:
            continue
        name = f"{article['title']}.txt"
        text = article["title"].replace("_", " ") + "\n\n"
        for para in article["paragraphs"]:
            start = len(text)
            text += para["context"].strip()
            end = len(text)
            text += "\n\n"
            for qa in para["qas"]:
                answers = sorted({a["text"] for a in qa.get("answers", [])})
                impossible = bool(qa.get("is_impossible")) or not answers
                items.append(
                    Item(
                        qa["id"],
                        qa["question"],
                        not impossible,
                        [] if impossible else [answers],
                        gold=None if impossible else (name, start, end),
                        article=name,
                    )
                )
        (articles_dir / name).write_text(text, encoding="utf-8")
    return items


def squad_workdir(data_dir: Path, path: Path, titles: list[str]) -> Path:
    digest = hashlib.sha256(f"{path.resolve()}|{sorted(titles)}".encode()).hexdigest()[:12]
    return data_dir / "eval" / f"squad-{digest}"


def score(item: Item, answer: Answer) -> Scored:
    text = _norm(answer.text)
    correct = answer.found and item.answerable and all(any(_norm(a) in text for a in g) for g in item.answers)
    cited = False
    if answer.found and item.answerable:
        for c in answer.citations:
            body = _norm(c.text)
            if item.gold is not None:
                article, start, end = item.gold
                overlaps = c.article == article and c.start < end and c.end > start
                cited = cited or (overlaps and any(_norm(a) in body for g in item.answers for a in g))
            else:
                cited = cited or any(_norm(e) in body for e in item.evidence)
    return Scored(
        item,
        answer.found,
        correct,
        cited,
        answer.timings_ms.get("total", 0.0),
        answer.text,
        answer.mode,
        answer.usage.get("prompt_tokens", 0),
        answer.usage.get("completion_tokens", 0),
    )


def run(items: list[Item], ask: Callable[[str], Answer]) -> list[Scored]:
    return [score(item, ask(item.question)) for item in items]


def metrics(results: list[Scored]) -> dict[str, Any]:
    answerable = [r for r in results if r.item.answerable]
    unanswerable = [r for r in results if not r.item.answerable]
    latencies = sorted(r.ms for r in results) or [0.0]

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "answer_accuracy": share(sum(r.correct for r in answerable), len(answerable)),
        "citation_accuracy": share(sum(r.cited for r in answerable), len(answerable)),
        "unanswerable_refused": share(sum(not r.found for r in unanswerable), len(unanswerable)),
        "answerable_refused": share(sum(not r.found for r in answerable), len(answerable)),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p95": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2),
        "llm_answers": sum(r.mode == "llm" for r in results),
        "prompt_tokens_total": sum(r.prompt_tokens for r in results),
        "completion_tokens_total": sum(r.completion_tokens for r in results),
    }


def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").replace("“", '"').replace("”", '"').split())
