"""The offline answerer: quote the 1-3 sentences that answer the question, cite them, or say
plainly that the articles don't contain it.

Refusal rests on what the best sentence can supply, not on a similarity threshold alone:
it must cover the question's weighted key terms, and for who/when/where/how-many questions
it must contain a name, date, place or number that the question does not already hold.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from bot import prompts
from bot.question import Question, clean_question, is_follow_up
from index.chunking import sentence_spans
from index.search import Passage, Searcher, term_weights

# A found answer's sentence must cover this share of the question's IDF-weighted terms, and
# its passage this share. Chosen by benchmarks/tune_answer.py on the SQuAD development
# articles (the README has the sweep), kept low because a synonym-rich article (the seed)
# lowers coverage of real answers.
MIN_SENTENCE_COVERAGE = 0.3
MIN_PASSAGE_COVERAGE = 0.4
# Refuse when at least this share of the question's weight is on words that no indexed
# article uses at all ("population", "founded"): the articles cannot be about that.
MAX_UNSEEN_SHARE = 0.3
# An answering sentence must score this share of the best-matching sentence's score.
SUPPORTED_RATIO = 0.85
# Further sentences join the answer only when nearly as good as the best one.
EXTRA_SENTENCE_RATIO = 0.9
MAX_SENTENCES = 3


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

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "found": self.found,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "timings_ms": self.timings_ms,
            "closest": asdict(self.closest) if self.closest else None,
        }


@dataclass
class _Sentence:
    passage: Passage
    start: int  # offsets inside passage.text
    end: int
    score: float
    coverage: float
    passage_coverage: float
    span: tuple[int, int] | None  # the answer candidate inside the sentence

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


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


class ExtractiveAnswerer:
    mode = "extractive"

    def __init__(self, searcher: Searcher, *, top_k: int = 5):
        self.searcher = searcher
        self.top_k = top_k

    def answer(
        self,
        question: str,
        history: Sequence[Answer] = (),
        top_k: int | None = None,
        on_token: Callable[[str], None] | None = None,  # nothing streams offline; kept for one interface
    ) -> Answer:
        t0 = time.perf_counter()
        text = clean_question(question)
        standalone = f"{history[-1].standalone} {text}" if history and is_follow_up(text) else text
        passages = self.searcher.search(standalone, top_k or self.top_k)
        t1 = time.perf_counter()
        answer = self.compose(text, standalone, passages)
        answer.timings_ms = timings(t0, t1, time.perf_counter())
        return answer

    def compose(self, question: str, standalone: str, passages: list[Passage]) -> Answer:
        kind = Question.parse(question).kind
        if not passages:
            return self._refuse(question, standalone, None)
        # The new question's own terms lead; earlier turns' terms help at half weight.
        weights = term_weights(self.searcher, question)
        if unseen_share(self.searcher, weights) >= MAX_UNSEEN_SHARE:
            return self._refuse(question, standalone, passages[0])
        for term, weight in term_weights(self.searcher, standalone).items():
            weights.setdefault(term, 0.5 * weight)
        sentences = [s for p in passages for s in self._sentences(p, weights, question, kind)]
        # The best sentence that can answer, if it is close to the best match overall: "every 30
        # minutes" beats a sentence that matches a word more but holds no frequency; a far better
        # match that lacks what was asked means the articles probably don't say it.
        top = max((s.score for s in sentences), default=0.0)
        best = max((s for s in sentences if _supports(s, kind)), key=lambda s: s.score, default=None)
        if best is None or best.score < SUPPORTED_RATIO * top:
            return self._refuse(question, standalone, passages[0])
        runners_up = [
            s
            for s in sorted(sentences, key=lambda s: -s.score)
            if s is not best and s.score >= EXTRA_SENTENCE_RATIO * best.score and _supports(s, kind)
        ]
        chosen = [best, *runners_up[: MAX_SENTENCES - 1]]
        return self._quote(question, standalone, chosen)

    def _sentences(self, p: Passage, weights: dict[str, float], question: str, kind: str) -> list[_Sentence]:
        analyzer = self.searcher.analyzer
        total = sum(weights.values()) or 1.0
        passage_terms = set(analyzer.terms(f"{p.title} {p.text}"))
        passage_cov = sum(w for t, w in weights.items() if t in passage_terms) / total
        out = []
        for span in sentence_spans(p.text):
            sentence = p.text[span.start : span.end]
            terms = set(analyzer.terms(sentence))
            coverage = sum(w for t, w in weights.items() if t in terms) / total
            candidate = find_candidate(sentence, question, kind)
            score = 0.6 * coverage + 0.25 * passage_cov + 0.15 * p.score + (0.1 if candidate else 0.0)
            out.append(_Sentence(p, span.start, span.end, score, coverage, passage_cov, candidate))
        return out

    def _quote(self, question: str, standalone: str, chosen: list[_Sentence]) -> Answer:
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        pieces: list[str] = []
        highlights: list[tuple[int, int]] = []
        offset = 0
        for s in chosen:
            if s.passage.id not in numbers:
                numbers[s.passage.id] = len(citations) + 1
                citations.append(Citation.of(numbers[s.passage.id], s.passage))
            piece = f"“{s.text}” [{numbers[s.passage.id]}]"
            if s.span is not None:
                highlights.append((offset + 1 + s.span[0], offset + 1 + s.span[1]))
            pieces.append(piece)
            offset += len(piece) + 1
        quotes = " ".join(pieces)
        text = prompts.load("answer_found").render(quotes=quotes)
        shift = text.index(quotes)
        return Answer(
            question,
            text,
            True,
            citations,
            highlights=[(a + shift, b + shift) for a, b in highlights],
            standalone=standalone,
        )

    def _refuse(self, question: str, standalone: str, closest: Passage | None) -> Answer:
        return Answer(
            question,
            prompts.load("answer_not_found").render(),
            False,
            [],
            closest=Citation.of(0, closest) if closest else None,
            standalone=standalone,
        )


def unseen_share(searcher: Searcher, weights: dict[str, float]) -> float:
    df = searcher.lexical().df
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if df.get(t, 0) == 0) / total if total else 0.0


def timings(start: float, retrieved: float, done: float) -> dict[str, float]:
    """The timings_ms every answer carries, from perf_counter() readings."""
    return {
        "retrieve": round((retrieved - start) * 1000, 2),
        "answer": round((done - retrieved) * 1000, 2),
        "total": round((done - start) * 1000, 2),
    }


def _supports(s: _Sentence, kind: str) -> bool:
    """Can this sentence answer the question? Key terms covered, and the asked-for thing present."""
    if s.coverage < MIN_SENTENCE_COVERAGE or s.passage_coverage < MIN_PASSAGE_COVERAGE:
        return False
    return kind == "other" or s.span is not None


# --- answer candidates by type ------------------------------------------------------------------

_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|several"
)
# A capitalised word, accented letters included ("Jumièges"), and the particles inside names
# ("Robert of Jumièges", "Guy de Lusignan").
_CAP = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ’'-]+"
_PARTICLE = r"(?:of|de|da|di|du|del|della|der|van|von|la|le|bin|ibn|al)"
_PATTERNS = {
    "frequency": re.compile(
        r"\bevery\s+(?:\d[\d,.]*|other|few|\w+)(?:\s+\w+)?|\b(?:daily|weekly|monthly|yearly|annually|hourly|"
        r"nightly|once|twice|thrice)\b|\b(?:\d+|\w+)\s+times\s+(?:a|an|per|each)\s+\w+|\b(?:a|per)\s+"
        r"(?:day|week|month|year|hour|night)\b",
        re.I,
    ),
    "number": re.compile(
        rf"(?:[$£€]\s?)?\b\d[\d,.]*(?:\s?(?:%|percent|per cent|million|billion|thousand|bn|m)\b)?"
        rf"|\b(?:{_NUMBER_WORDS})\b",
        re.I,
    ),
    "date": re.compile(
        rf"\b(?:{_MONTHS})\.?(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?\b"
        rf"|\b\d{{1,2}}\s+(?:{_MONTHS})\b(?:\s+\d{{4}})?|\b(?:{_DAYS})\b|\b(?:1[5-9]|20)\d\d(?:s)?\b"
        r"|\b(?i:in|since|by|until|from|after|before|around|circa|of|during)\s+(?:the\s+)?\d{3,4}s?\b"
        r"|\b(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
        r"eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|"
        r"twentieth|twenty-first)(?:\s+and\s+\w+)?\s+centur(?:y|ies)\b"
        r"|\b(?:last|next|this) (?:week|month|year|spring|summer|autumn|fall|winter)\b"
        r"|\byesterday\b|\btoday\b|\bmidnight\b|\bnoon\b"
        r"|\b\d{1,2}(?::\d\d)?\s?(?:a\.m\.|p\.m\.|am\b|pm\b|GMT\b)",
    ),
    "place": re.compile(
        r"\b(?:north|south|east|west|northern|southern|eastern|western|central|northeast|northwest|southeast|"
        r"southwest)(?:ern)?\b|\b(?:in|at|near|from|to|into|across|outside|inside)\s+((?:the\s+)?"
        r"[A-Z][\w’'-]+(?:\s+(?:of\s+)?[A-Z][\w’'-]+)*)"
    ),
    "person": re.compile(
        rf"\b{_CAP}(?:\s+(?:[A-Z]\.\s*|{_PARTICLE}\s+)?{_CAP})+(?![\w’'-])|\b(?:Mr|Mrs|Ms|Dr)\.?\s+{_CAP}"
    ),
}
_TITLED_NAME = re.compile(
    r"\b(?:President|Minister|Gen|General|Gov|Governor|Sen|Senator|Mr|Mrs|Ms|Dr)\.?\s+([A-Z][\w’'-]+)"
)
_LEADING_TITLE = re.compile(
    r"(?:President|Prime Minister|Minister|General|Gen|Governor|Gov|Senator|Sen|Mayor|Deputy|Council member|"
    r"Mr|Mrs|Ms|Dr|Director|Chief|Judge|Justice)\.?\s+"
)
_PROPER = re.compile(rf"\b{_CAP}(?:\s+(?:{_PARTICLE}\s+)?{_CAP})*")
_NOT_NAMES = re.compile(rf"^(?:The|A|An|In|On|At|But|And|He|She|They|It|This|That|{_MONTHS}|{_DAYS})\b")


def find_candidate(sentence: str, question: str, kind: str) -> tuple[int, int] | None:
    """The span of `sentence` that could answer a `kind` question, not already in the question."""
    pattern = _PATTERNS.get(kind)
    if pattern is None:
        return None
    asked = question.lower()
    for m in pattern.finditer(sentence):
        group = 1 if kind == "place" and m.group(1) else 0
        text = m.group(group)
        if kind == "person":
            titled = _LEADING_TITLE.match(text)
            if titled:  # "President Ashraf Ghani" -> "Ashraf Ghani"
                text = text[titled.end() :]
                if not text or (len(text.split()) < 2 and not text[0].isupper()):
                    continue
                if text.lower() not in asked:
                    return m.start() + titled.end(), m.end()
                continue
            if _NOT_NAMES.match(text) and len(text.split()) < 3:
                continue
        if text.lower() in asked:
            continue
        return m.start(group), m.end(group)
    if kind == "person":  # a single surname after a title: "President Biden", "Gen. Miller"
        for titled in _TITLED_NAME.finditer(sentence):
            if titled.group(1).lower() not in asked:
                return titled.start(1), titled.end(1)
    if kind == "place":  # a proper name with no preposition before it: "Sweden rationed petrol"
        for proper in _PROPER.finditer(sentence):
            if not _NOT_NAMES.match(proper.group()) and proper.group().lower() not in asked:
                return proper.start(), proper.end()
    return None
