"""What every surface renders: an Answer with its verbatim Citations, and the Answerer interface.

The offline answerer lives in `bot/extractive.py`, the LLM one in `bot/llm_answer.py`; the
CLI, the REPL and Slack only see these types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from index.passage import Passage

if TYPE_CHECKING:
    from index.search import Searcher


@dataclass(frozen=True)
class Citation:
    n: int
    article: str
    title: str
    url: str
    published_at: str
    text: str
    start: int
    end: int
    score: float

    @classmethod
    def of(cls, n: int, p: Passage) -> Citation:
        return cls(n, p.article, p.title, p.url, p.published_at, p.text, p.start, p.end, p.score)


@dataclass
class BriefingGroup:
    """One article's part of a briefing: its quoted sentences, each with its [n]."""

    article: str
    title: str
    published_at: str
    source: str  # who published it, else the article's URL, else its file
    url: str
    quotes: list[tuple[str, int]]  # (sentence, citation number), in the article's order

    @property
    def citations(self) -> list[int]:
        return list(dict.fromkeys(n for _, n in self.quotes))

    def to_json(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "title": self.title,
            "published_at": self.published_at,
            "source": self.source,
            "url": self.url,
            "citations": self.citations,
            "quotes": [{"text": text, "n": n} for text, n in self.quotes],
        }


@dataclass
class Answer:
    question: str
    text: str  # plain text with [n] markers
    found: bool
    citations: list[Citation]
    mode: str = "extractive"
    # Character spans of `text` holding what a who/when/where/how-many question asked for.
    highlights: list[tuple[int, int]] = field(default_factory=list)
    closest: Citation | None = None  # shown as "closest match" when not found, never as an answer
    standalone: str = ""  # the question as retrieval saw it (follow-ups expanded)
    timings_ms: dict[str, float] = field(default_factory=dict)
    usage: dict[str, int] = field(default_factory=dict)  # LLM prompt/completion tokens, when known
    # A briefing ("what did the articles say about X?"): the quotes grouped by article, in the
    # order shown, and how many more articles mention X than are shown.
    briefing: list[BriefingGroup] | None = None
    more_articles: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "found": self.found,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "timings_ms": self.timings_ms,
            "closest": asdict(self.closest) if self.closest else None,
            **(
                {"briefing": [g.to_json() for g in self.briefing], "more_articles": self.more_articles}
                if self.briefing is not None
                else {}
            ),
        }


class Answerer(Protocol):
    """What every surface needs: an answer for a question and its history, and the search behind it."""

    mode: str

    @property
    def searcher(self) -> Searcher: ...

    def answer(
        self,
        question: str,
        history: Sequence[Answer] = (),
        top_k: int | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer: ...


def timings(start: float, retrieved: float, done: float) -> dict[str, float]:
    """The timings_ms every answer carries, from perf_counter() readings."""
    return {
        "retrieve": round((retrieved - start) * 1000, 2),
        "answer": round((done - retrieved) * 1000, 2),
        "total": round((done - start) * 1000, 2),
    }
