"""Briefings: "what did the articles say about X?", "what's the latest on X?", "summarize the
article (about X)". Not a short answer but what each article says about X, quoted, grouped
by article, newest first.

    request  -> detect()            is it a briefing, which kind, about what
             -> index/search.py     every article that mentions X (and the ones search finds)
             -> Briefer.gather()    per article, the sentences that say most about X, without
                                    repeats (within an article, or across wire copies)
             -> Briefer.answer()    the grouped, cited text (bot/answer.py: Answer.briefing)

Sentence vectors come from the index (made at index time), so a briefing costs one MiniLM pass
for X itself and no more.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property

import numpy as np

from bot import prompts
from bot.answer import Answer, BriefingGroup, Citation, timings
from bot.question import WH
from index.passage import Passage
from index.search import ChunkTerms, Searcher
from index.sync import counted

MAX_ARTICLES = 6  # shown in one briefing; the rest are counted
PER_ARTICLE = 6  # sentences quoted from one article
CANDIDATES = 24  # articles read at most (the best-scoring ones that mention X first)
SEARCH_K = 30  # chunks searched for X, for articles that speak of it in other words
# A sentence "mentions" X when it holds this share of X's term weight (idf); one that does not
# still counts when its vector is this close to X's (the same thing, said differently).
MENTION = 0.5
RELATED = 0.6
SAME_SENTENCE = 0.92  # cosine above which two sentences say the same thing: quote one
SAME_WORDS = 0.8  # or this share of their words in common (Jaccard)
SUMMARY_MIN, SUMMARY_MAX = 5, 8
# A topic longer than this is a question in disguise ("what is known about the complexity
# between L and P that prevents determining..."): answered as one.
MAX_TOPIC_WORDS = 10
# Central sentences: closeness to the article's centroid, plus this much for coming first
# (news puts the most important first), decaying linearly to nothing at the end.
LEAD_WEIGHT = 0.15
LEAD_SENTENCES = 2  # of the first paragraph, always in a summary

_END = r"\s*[?.!]*\s*$"
_TOPIC = r"(?P<topic>.+?)"
_ABOUT = r"(?:about|on|regarding|concerning|of)"
_SOURCES = r"(?:the\s+)?(?:articles?|stories|story|reports?|news|coverage|press|papers?|sources?|reporting)"
_FORMS: list[tuple[str, str]] = [
    (
        "summary",
        rf"(?:(?:can|could|would|will)\s+you\s+|please\s+)?(?:summari[sz]e|sum\s+up|recap|"
        rf"give\s+(?:me\s+)?(?:a\s+)?(?:summary|recap)\s+of|(?:a\s+)?summary\s+of)\s+"
        rf"(?:the|this|that)\s+(?:article|story|piece|report)(?:\s+{_ABOUT}\s+{_TOPIC})?(?:\s+please)?",
    ),
    (
        "latest",
        rf"(?:what(?:'s|’s|\s+is|\s+are)\s+)?(?:the\s+)?(?:latest|newest|most\s+recent)(?:\s+news|\s+updates?)?"
        rf"\s+(?:on|about|with|in|regarding|from)\s+{_TOPIC}",
    ),
    ("latest", rf"(?:any\s+)?(?:news|updates?)\s+(?:on|about)\s+{_TOPIC}"),
    (
        "about",
        rf"what\s+(?:did|do|does|have|has)\s+{_SOURCES}\s+(?:say|said|report|reported|tell\s+us|write|"
        rf"written|cover|covered)\s+{_ABOUT}\s+{_TOPIC}",
    ),
    (
        "about",
        rf"(?:(?:can|could|would)\s+you\s+|please\s+)?tell\s+me\s+(?:more\s+|everything\s+)?about\s+{_TOPIC}",
    ),
    ("about", rf"what\s+(?:do|did|can)\s+(?:we|you|they)\s+(?:know|learn)\s+about\s+{_TOPIC}"),
    ("about", rf"what(?:'s|’s|\s+is)\s+(?:known|reported|being\s+said)\s+about\s+{_TOPIC}"),
    (
        "about",
        rf"(?:(?:can|could|would)\s+you\s+)?(?:give\s+me\s+)?(?:a\s+|an\s+)?"
        rf"(?:(?:quick|short|brief|full|complete|detailed)\s+)?(?:briefing|overview|rundown|run-down|round-?up)\s+"
        rf"{_ABOUT}\s+{_TOPIC}",
    ),
    ("about", rf"brief\s+me\s+(?:on|about)\s+{_TOPIC}"),
    ("about", rf"(?:catch|fill)\s+me\s+(?:up|in)\s+(?:on|about)\s+{_TOPIC}"),
    ("about", rf"bring\s+me\s+up\s+to\s+speed\s+(?:on|about|with)\s+{_TOPIC}"),
    ("about", rf"summari[sz]e\s+(?:the\s+)?(?:articles|stories|news|coverage|reports)\s+{_ABOUT}\s+{_TOPIC}"),
]
_PATTERNS = [(kind, re.compile(rf"^(?:{form}){_END}", re.I)) for kind, form in _FORMS]
# After a briefing: "and about Maimana?", "what about Maimana?", "and Maimana?"
_FOLLOW_UPS = [
    re.compile(rf"^(?:and|what|how)\s+(?:about|of|on)\s+{_TOPIC}{_END}", re.I),
    re.compile(rf"^and\s+(?P<topic>[^?]{{1,40}}?){_END}", re.I),
]


@dataclass(frozen=True)
class Request:
    kind: str  # "about", "latest" or "summary"
    topic: str  # what it is about ("" for "summarize the article")

    def canonical(self) -> str:
        """The request in one standard wording: a later "and about Y?" is read against it."""
        if self.kind == "summary":
            return "Summarize the article" + (f" about {self.topic}" if self.topic else "")
        if self.kind == "latest":
            return f"What's the latest on {self.topic}?"
        return f"What did the articles say about {self.topic}?"


def detect(question: str, previous: str = "") -> Request | None:
    """The briefing `question` asks for, or None for a factoid question. `previous` is the
    conversation's last question as retrieval saw it: after a briefing, "and about Y?" is one."""
    text = " ".join(question.split())
    for kind, pattern in _PATTERNS:
        m = pattern.match(text)
        topic = (m.group("topic") or "") if m else ""
        if m and len(topic.split()) <= MAX_TOPIC_WORDS and not _ASKED.match(topic):
            return Request(kind, _topic(topic))
    before = detect(previous) if previous else None
    if before is not None and before.kind != "summary":
        for pattern in _FOLLOW_UPS:
            m = pattern.match(text)
            if m:
                return Request(before.kind, _topic(m.group("topic")))
    return None


# "What does the article say about who Amruddin Wali is?": a question put as the topic is asked.
_ASKED = re.compile(rf"(?:{WH}|whether)\s+\S", re.I)


def _topic(raw: str) -> str:
    return raw.strip().strip("\"'“”‘’").rstrip("?.!, ").strip()


@dataclass
class _Sentence:
    passage: Passage
    start: int  # offsets into passage.text
    end: int
    order: int  # position in the article
    vector: np.ndarray | None
    coverage: float = 0.0
    dense: float = 0.0

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]

    @property
    def relevance(self) -> float:
        return self.coverage + self.dense

    @cached_property
    def words(self) -> str:
        return _normal(self.text)

    @cached_property
    def word_set(self) -> frozenset[str]:
        return frozenset(self.words.split())


@dataclass
class _Article:
    id: str
    sentences: list[_Sentence]
    picked: list[_Sentence] = field(default_factory=list)

    @property
    def first(self) -> Passage:
        return self.sentences[0].passage

    @property
    def score(self) -> float:
        return sum(s.relevance for s in sorted(self.picked, key=lambda s: -s.relevance)[:3])


class Briefer:
    def __init__(self, searcher: Searcher):
        self.searcher = searcher

    # --- answering ------------------------------------------------------------------------------

    def answer(self, request: Request, question: str, history: Sequence[Answer] = ()) -> Answer:
        return self.brief(request, question, history)[0]

    def brief(
        self, request: Request, question: str, history: Sequence[Answer] = ()
    ) -> tuple[Answer, list[Passage]]:
        """The briefing, and its quoted sentences as passages of their own (verbatim, exact
        offsets), in the order shown: what an LLM writes a briefing from."""
        t0 = time.perf_counter()
        if request.kind == "summary":
            article = self.summary(request.topic, history)
            shown, more = ([article] if article else []), 0
        else:
            shown, more = self.gather(request)
        t1 = time.perf_counter()
        if not shown:
            answer = self._refused(question, request)
            if request.kind == "summary" and not request.topic and len(self.searcher.article_ids()) > 1:
                answer.text = prompts.load("briefing_which_article").render()  # nothing says which
        else:
            answer = self._compose(question, request, self._intro(request, shown), shown, more)
        answer.timings_ms = timings(t0, t1, time.perf_counter())
        sources = [_own_passage(s) for a in shown for s in sorted(a.picked, key=lambda s: s.order)]
        return answer, sources

    def _intro(self, request: Request, shown: list[_Article]) -> str:
        if request.kind == "summary":
            return prompts.load("briefing_summary").render(title=shown[0].first.title or shown[0].id)
        if request.kind != "latest":
            dated = any(a.first.published_at for a in shown)
            return prompts.load("briefing_about").render(
                topic=request.topic, order=", newest first" if dated else ""
            )
        newest = shown[0].first.published_at
        if not newest:
            return prompts.load("briefing_latest_undated").render(topic=request.topic)
        return prompts.load("briefing_latest").render(topic=request.topic, date=newest[:10], age=_age(newest))

    def _compose(
        self,
        question: str,
        request: Request,
        intro: str,
        articles: list[_Article],
        more: int,
    ) -> Answer:
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        groups: list[BriefingGroup] = []
        blocks = [intro]
        for article in articles:
            quotes = []
            for s in sorted(article.picked, key=lambda s: s.order):
                if s.passage.id not in numbers:
                    numbers[s.passage.id] = len(citations) + 1
                    citations.append(Citation.of(numbers[s.passage.id], s.passage))
                quotes.append((s.text, numbers[s.passage.id]))
            p = article.first
            source = p.source or p.url or p.path or p.article
            group = BriefingGroup(p.article, p.title, p.published_at, source, p.url, quotes)
            groups.append(group)
            head = " · ".join(
                x for x in (p.title or p.article, p.published_at[:10] or "undated", group.source) if x
            )
            blocks.append("\n".join([head, *(f"  {quoted(text)} [{n}]" for text, n in quotes)]))
        if more:
            blocks.append(
                prompts.load("briefing_more").render(
                    articles=counted(more, "more article"),
                    verb="mentions" if more == 1 else "mention",
                    topic=request.topic,
                )
            )
        return Answer(
            question,
            "\n\n".join(blocks),
            True,
            citations,
            standalone=request.canonical(),
            briefing=groups,
            more_articles=more,
        )

    def _refused(self, question: str, request: Request) -> Answer:
        hits = self.searcher.search(request.topic, 1) if request.topic else []
        return Answer(
            question,
            prompts.load("answer_not_found").render(),
            False,
            [],
            closest=Citation.of(0, hits[0]) if hits else None,
            standalone=request.canonical(),
        )

    # --- gathering --------------------------------------------------------------------------------

    def gather(self, request: Request) -> tuple[list[_Article], int]:
        """The articles shown (in display order, each with its picked sentences) and how many
        more mention X."""
        topic = request.topic
        if not topic:
            return [], 0
        vector = self.searcher.question_vector(topic)
        terms, chunks = self.searcher.term_chunks(topic)
        mentioning = _mentioning(terms, chunks)
        found = [p.article for p in self.searcher.search(topic, SEARCH_K)]
        examined = list(dict.fromkeys(mentioning + found))[:CANDIDATES]
        names = _names(topic)
        weights = self._weights(terms)
        relevant: list[_Article] = []
        for article_id, passages in self.searcher.article_passages(examined).items():
            if names and not _names_in(passages, names):  # "Time Warner" is not "Tim Warner"
                continue
            article = _article(article_id, passages, self.searcher, weights, chunks, vector)
            pool = [s for s in article.sentences if s.coverage >= MENTION or s.dense >= RELATED]
            if pool:
                article.picked = _distinct(pool, PER_ARTICLE, key=lambda s: -s.relevance)
                relevant.append(article)
        relevant.sort(key=lambda a: -a.score)
        kept = _without_copies(relevant)
        if request.kind == "latest":
            shown = (_dated(kept) + [a for a in kept if not a.first.published_at])[:MAX_ARTICLES]
        else:
            best = kept[:MAX_ARTICLES]
            shown = _dated(best) + [a for a in best if not a.first.published_at]
        # Articles past the ones examined that use every term of X are counted, not read.
        unread = len([a for a in mentioning if a not in set(examined)])
        return shown, len(kept) - len(shown) + unread

    def summary(self, topic: str, history: Sequence[Answer]) -> _Article | None:
        """The article to summarize, with its most central sentences picked."""
        article_id = self._which_article(topic, history)
        if article_id is None:
            return None
        passages = self.searcher.article_passages([article_id])[article_id]
        article = _article(article_id, passages, self.searcher, {}, {}, None)
        sentences = [s for s in article.sentences if s.vector is not None]
        if not sentences:
            return None
        vectors = np.stack([s.vector for s in sentences if s.vector is not None])
        centroid = vectors.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        n = len(sentences)
        for i, s in enumerate(sentences):
            s.dense = float(vectors[i] @ centroid) + LEAD_WEIGHT * (1 - i / n)
        k = min(n, max(SUMMARY_MIN, min(SUMMARY_MAX, round(n / 4))))
        # The lead paragraph always (its first LEAD_SENTENCES sentences): a news article's lede
        # is its own summary (the inverted pyramid); the rest by centrality.
        lead = _lead_paragraph(sentences)
        rest = [s for s in sentences[len(lead) :] if not any(_same(s, x) for x in lead)]
        article.picked = [*lead, *_distinct(rest, k - len(lead), key=lambda s: -s.dense)]
        return article

    def _which_article(self, topic: str, history: Sequence[Answer]) -> str | None:
        if topic:
            titled = self.searcher.titled(topic)  # "summarize the article about <its headline>"
            if titled:
                return titled
            mentioning = _mentioning(*self.searcher.term_chunks(topic))
            if mentioning:
                return mentioning[0]
            hits = self.searcher.search(topic, 1)
            return hits[0].article if hits else None
        if history and history[-1].citations:  # "summarize the article" after a question about one
            return history[-1].citations[0].article
        articles = self.searcher.article_ids()
        return articles[0] if len(articles) == 1 else None

    def _weights(self, terms: list[str]) -> dict[str, float]:
        vocabulary = self.searcher.vocabulary()
        return {t: vocabulary.idf(t) for t in terms}


def _article(
    article_id: str,
    passages: list[Passage],
    searcher: Searcher,
    weights: dict[str, float],
    chunks: dict[str, ChunkTerms],
    vector: np.ndarray | None,
) -> _Article:
    """The article's sentences (not its headline), each scored against X: its share of X's term
    weight and its vector's cosine to X's."""
    sentences: list[_Sentence] = []
    total = sum(weights.values()) or 1.0
    for passage in passages:
        vectors = passage.sentence_vectors
        dense = vectors @ vector if vectors is not None and vector is not None else None
        used = chunks[passage.id].terms if passage.id in chunks else frozenset()
        for j, (start, end) in enumerate(passage.sentences):
            text = passage.text[start:end]
            if not text.strip() or text.strip() == passage.title.strip():
                continue  # the headline is shown as the group's title, not quoted
            row = vectors[j] if vectors is not None and j < len(vectors) else None
            s = _Sentence(passage, start, end, len(sentences), row)
            if used:  # only a chunk that uses some of X's terms can have a sentence that does
                stems = set(searcher.terms(text))
                s.coverage = sum(w for t, w in weights.items() if t in used and t in stems) / total
            if dense is not None and j < len(dense):
                s.dense = float(dense[j])
            sentences.append(s)
    return _Article(article_id, sentences)


def _lead_paragraph(sentences: list[_Sentence]) -> list[_Sentence]:
    """The article's first paragraph, up to LEAD_SENTENCES sentences: those before the first
    blank line (between two chunks, a gap of more than one character is one)."""
    lead = sentences[:1]
    for prev, s in itertools.pairwise(sentences[:LEAD_SENTENCES]):
        if prev.passage.id == s.passage.id:
            broken = "\n\n" in s.passage.text[prev.end : s.start]
        else:
            broken = s.passage.start - prev.passage.end > 1
        if broken:
            break
        lead.append(s)
    return lead


def _own_passage(s: _Sentence) -> Passage:
    """A quoted sentence as a passage of its own: still `file[start:end]`, exactly."""
    p = s.passage
    return replace(
        p,
        id=f"{p.id}@{s.start}",
        text=s.text,
        start=p.start + s.start,
        end=p.start + s.end,
        sentences=((0, s.end - s.start),),
        sentence_vectors=None if s.vector is None else s.vector[None, :],
    )


def _mentioning(terms: list[str], chunks: dict[str, ChunkTerms]) -> list[str]:
    """Articles with a chunk using every term, best-scoring first."""
    best: dict[str, float] = {}
    for chunk in chunks.values():
        if terms and len(chunk.terms) == len(terms):
            best[chunk.article] = max(best.get(chunk.article, 0.0), chunk.score)
    return sorted(best, key=lambda a: -best[a])


_NAME = re.compile(r"[A-Z][\w’'&.-]*(?:\s+[A-Z][\w’'&.-]*)*")
_NOT_NAMES = frozenset({"The", "A", "An", "What", "Who", "How"})


def _names(topic: str) -> list[str]:
    """The proper names in X as written ("Time Warner", "Kunduz"): an article about X has them."""
    names = []
    for m in _NAME.finditer(topic):
        words = m.group().split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if words:
            names.append(" ".join(words).rstrip(".’'"))
    return names


def _names_in(passages: list[Passage], names: list[str]) -> bool:
    text = "\n".join([passages[0].title if passages else "", *(p.text for p in passages)])
    return all(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text) for n in names)


def _dated(articles: list[_Article]) -> list[_Article]:
    """The dated ones, newest first."""
    return sorted(
        (a for a in articles if a.first.published_at), key=lambda a: a.first.published_at, reverse=True
    )


def quoted(sentence: str) -> str:
    """The sentence in quotation marks, unless it opens with its own (a quote inside a quote
    would read as “““)."""
    return sentence if sentence[:1] in "“\"‘'" else f"“{sentence}”"


def _distinct(pool: list[_Sentence], limit: int, key: Callable[[_Sentence], float]) -> list[_Sentence]:
    """Up to `limit` sentences in `key` order, skipping any that repeats one already picked."""
    picked: list[_Sentence] = []
    for s in sorted(pool, key=key):
        if len(picked) == limit:
            break
        if not any(_same(s, p) for p in picked):
            picked.append(s)
    return picked


def _without_copies(articles: list[_Article]) -> list[_Article]:
    """Drop quotes that repeat one from a better-scoring article, and articles that are copies
    of one (wire copies of a story are common): half or more of their quotes repeat it."""
    kept: list[_Article] = []
    quoted: list[_Sentence] = []
    for article in articles:
        fresh = [s for s in article.picked if not any(_same(s, q) for q in quoted)]
        if fresh and len(fresh) > len(article.picked) / 2:
            article.picked = fresh
            quoted += fresh
            kept.append(article)
    return kept


def _same(a: _Sentence, b: _Sentence) -> bool:
    """Two sentences that say the same: the same words (a copy with a word or two changed), or
    vectors this close."""
    if a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= SAME_SENTENCE:
        return True
    x, y = a.word_set, b.word_set
    return bool(x and y) and len(x & y) >= SAME_WORDS * len(x | y)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _age(published_at: str, now: datetime | None = None) -> str:
    """ "3 days", "5 hours": how old an ISO 8601 date or time is."""
    try:
        when = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
    except ValueError:
        return "age unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = ((now or datetime.now(UTC)) - when).total_seconds()
    if seconds < 0:
        return "dated in the future"
    for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600)):
        if seconds >= size:
            return counted(int(seconds // size), unit) + " old"
    return "less than an hour old"
