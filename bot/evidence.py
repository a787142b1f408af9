"""Sentence scoring: every sentence of the retrieved passages as evidence for one question.

Each sentence gets a few measured signals, none of which decides anything alone:
- its dense similarity to the question (the sentence's own vector, made at index time);
- how much of the question's weighted terms it holds, exactly (lemmas) and softly: a question
  word with no exact match counts by its nearest word in the sentence, by word-vector cosine,
  so "defense" finds "protection" in a synonym-spun article;
- the heaviest question term it has no counterpart for, and the question's names it lacks
  (names match exactly and as names: the month "May" is not the verb "may");
- whether it, or its whole passage, is pinned to another time than the question ("in 2015"
  against "in May");
- what it and its better neighbour hold together, and whether the question's neighbouring words
  stay together in it ("Kunduz city" as "Kunduz metropolis");
- its passage's retrieval score and rank;
- whether it holds the kind of thing asked for (a name, a date, a role, a reason...).
The ranker model (`bot/answer_model.json`, `bot/answerability.py`) turns these into one score per
sentence. Before any of it, passages from articles that never use a name the question asks about
are set aside when another retrieved article does (`on_topic`).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.candidates import find_candidate
from bot.numbers import numbers_in
from bot.question import NEGATION, QUESTION_WORDS, Question, item_count
from index.embedding import TokenStates
from index.search import Passage, QueryTerm, Searcher, near_matches, read_words, term_cosines
from index.times import MONTHS_AND_DAYS, time_marks

# A question word's best counterpart in a sentence counts from LOW (nothing) to HIGH (a full
# match), by cosine of MiniLM's contextual token states (late interaction, as in ColBERT). On the
# seed article, words the article paraphrases find 0.5-0.9 ("country" -> "nation" 0.65, "defend"
# -> "protection" 0.53), words it never speaks of 0.2-0.45 ("budget" 0.23, "mayor" 0.45).
SOFT_LOW, SOFT_HIGH = 0.4, 0.7
_WH = frozenset("what which who whom whose when where why how".split())
_SHAPE_WORDS = QUESTION_WORDS | _WH  # words that shape a question, not what it is about

# The features each sentence gets, in the order the ranker model expects them.
SENTENCE_FEATURES = (
    "cos",
    "cos_gap",
    "lexical",
    "lexical_gap",
    "soft",
    "soft_gap",
    "missing",
    "passage_soft",
    "passage_score",
    "passage_dense",
    "passage_rank",
    "has_candidate",
    "lacks_candidate",
    "polarity_mismatch",
    "names_missing",
    "sentence_names_missing",
    "time_conflict",
    "passage_time_conflict",
    "numbers_missing",
    "length",
    "neighbour_cos",
    "neighbour_soft",
    "pair_soft",
    "proximity",
    "first_in_passage",
)


Term = QueryTerm  # a question's content word, its weight, and whether it is a name


@dataclass
class Evidence:
    """One sentence of a retrieved passage, scored for one question."""

    passage: Passage
    rank: int  # the passage's rank in retrieval
    index: int  # the sentence's position in its passage
    start: int  # offsets into passage.text
    end: int
    candidate: tuple[int, int] | None  # the asked-for thing, as offsets into the sentence
    matches: np.ndarray  # per question term: 1 exact, 0-1 soft, 0 nothing
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0  # the ranker's log-odds that this sentence holds the answer

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


@dataclass
class Sentences:
    """The words of a passage's sentences, as the soft matcher needs them (cached per passage)."""

    words: list[tuple[str, ...]]  # lower-case content words per sentence, in order, each once
    word_stems: list[tuple[str, ...]]  # the stem of each of those words
    stems: list[frozenset[str]]
    names: list[frozenset[str]]  # terms of the words written capitalised or as numbers, months named
    times: list[frozenset[str]]  # the years and months each sentence names
    numbers: list[frozenset[str]]  # the numbers each sentence states (`numbers_in`)
    vectors: np.ndarray  # the passage's sentence vectors, one row per sentence


class EvidenceScorer:
    def __init__(self, searcher: Searcher, cache_size: int = 384):  # passages; 1024 cost 13 MB for no speed
        self.searcher = searcher
        self._cache: OrderedDict[str, Sentences] = OrderedDict()
        self._cache_size = cache_size

    def terms(self, text: str) -> list[Term]:
        """The question's content terms with their weights, one per distinct stem."""
        count = item_count(text)  # "two" in "Which two cities...?" shapes the question
        return self.searcher.question_terms(text, skip=_SHAPE_WORDS | {count} if count else _SHAPE_WORDS)

    def on_topic(self, terms: list[Term], passages: list[Passage]) -> list[Passage]:
        """The passages whose articles use some of the names the question asks about, when any
        does. Among 2,000 other articles, "When did Biden announce the end of the war?" found a
        sentence about Tony Blair ending a phoney war, from a story that never names Biden. A
        passage may lack the name (it says "he"); its article does not. Months and days are no
        such names ("on Saturday" is in many stories), nor numbers."""
        names = [t for t in terms if t.name and t.seen and t.word.isalpha() and t.word not in MONTHS_AND_DAYS]
        if not names or len({p.article for p in passages}) < 2:
            return passages
        using = [self.searcher.articles_using(t.stem) for t in names]
        held = {p.article: sum(p.article in articles for articles in using) for p in passages}
        if max(held.values()) == 0:
            return passages
        return [p for p in passages if held[p.article] > 0]

    def score(
        self, question: Question, terms: list[Term], passages: list[Passage], extra: list[Term] | None = None
    ) -> list[Evidence]:
        """Every sentence of `passages` with its features. `extra` terms (from earlier turns of a
        follow-up) count at half weight."""
        all_terms = terms + [Term(t.stem, t.word, 0.5 * t.weight, t.seen) for t in extra or []]
        weights = np.array([t.weight for t in all_terms], dtype=np.float32)
        total = float(weights.sum()) or 1.0
        names = [t for t in terms if t.name]
        # The noun a typed question is about must be spoken of where its answer is.
        focus = next((k for k, t in enumerate(terms) if question.focus and t.word == question.focus), None)
        names_total = sum(t.weight for t in names) or 1.0
        qvec = self.searcher.question_vector(question.text)
        asked_times = time_marks(question.text)
        asked_numbers = numbers_in(question.text, asked=True) - numbers_in(item_count(question.text))
        states = self.searcher.token_states([question.text, *(p.text for p in passages)])
        pieces = _term_pieces(terms, states[0]) if states is not None else None
        # Earlier turns' terms match only exactly.
        qwords = self.searcher.term_vectors(terms) if terms else None
        name_mask = np.array([t.name for t in terms], dtype=bool)
        out: list[Evidence] = []
        for rank, p in enumerate(passages):
            sentences = self._sentences(p)
            sims = None
            if states is not None and pieces is not None:
                passage_states = states[rank + 1]
                sims = pieces.vectors @ passage_states.vectors.astype(np.float32).T
            title_stems = set(self.searcher.terms(p.title))
            passage_names = title_stems.union(*sentences.names)
            # The passage is pinned to other times than the question, in every sentence that names
            # one: its sentences without a date speak of those times too.
            passage_time_conflict = _time_conflict(asked_times, frozenset().union(*sentences.times))
            # Names and numbers of the question that the passage never uses ("Hastings" asked,
            # "Sicily" told): paraphrase cannot explain those away.
            names_missing = sum(t.weight for t in names if t.stem not in passage_names) / names_total
            passage_best = np.zeros(len(all_terms), dtype=np.float32)
            found: list[Evidence] = []
            for i, (s, e) in enumerate(p.sentences):
                exact = np.array(
                    [t.stem in (sentences.names[i] if t.name else sentences.stems[i]) for t in all_terms],
                    dtype=np.float32,
                )
                # A term counts by its nearest counterpart, in context (token states) or out of
                # it (word vectors): each finds synonyms the other misses ("worsening" ->
                # "deteriorating" 0.22 in context, 0.34 as words).
                matches = exact.copy()
                cosines = self._near(qwords, sentences.words[i], exact[: len(terms)])
                if cosines is not None:
                    matches[: len(terms)] = near_matches(exact[: len(terms)], cosines, name_mask)
                if sims is not None and pieces is not None:
                    inside = (states[rank + 1].starts >= s) & (states[rank + 1].starts < e)  # type: ignore[index]
                    matches = np.maximum(
                        matches, _late_interaction(all_terms, pieces, sims[:, inside], exact)
                    )
                passage_best = np.maximum(passage_best, matches)
                text = p.text[s:e]
                anchors = _anchors(text, sentences.words[i], matches, all_terms, self.searcher)
                counted: list[int] = []
                if focus is not None and question.kind == "number":
                    counted = _anchors(
                        text, sentences.words[i], matches[focus : focus + 1], [terms[focus]], self.searcher
                    )
                    if not counted and cosines is not None and not _AMOUNT.fullmatch(question.focus):
                        # The counted noun matched in other words ("soldiers" -> "forces", "equipment"
                        # -> "gear"): the number must count that word, not another ("50 districts",
                        # "two provincial capitals"). Not an amount of money ("how much money": "6
                        # million lira ... in damages").
                        counted = _positions(text, sentences.words[i][int(np.argmax(cosines[focus]))])
                candidate = find_candidate(
                    text, question.text, question.kind, question.subject, anchors, counted
                )
                if focus is not None and matches[focus] < 0.5:
                    candidate = None  # "20 of the elite forces" holds no number of civilians
                lexical = float(exact @ weights) / total
                times = sentences.times[i]
                soft = float(matches @ weights) / total
                missing = float(((1.0 - matches) * weights).max()) / total if all_terms else 0.0
                found.append(
                    Evidence(
                        p,
                        rank,
                        i,
                        s,
                        e,
                        candidate,
                        matches,
                        {
                            "cos": float(sentences.vectors[i] @ qvec),
                            "lexical": lexical,
                            "soft": soft,
                            "missing": missing,
                            "passage_score": p.score,
                            "passage_dense": p.dense,
                            "passage_rank": 1.0 / (1 + rank),
                            "has_candidate": float(question.typed and candidate is not None),
                            "lacks_candidate": float(question.typed and candidate is None),
                            # The question asks about what did not happen; the sentence says nothing of it.
                            "polarity_mismatch": float(question.negated and not NEGATION.search(text)),
                            "names_missing": names_missing,
                            "sentence_names_missing": sum(
                                t.weight for t, m in zip(terms, matches, strict=False) if t.name and m < 1.0
                            )
                            / names_total,
                            # "...in May?" against a sentence about 2015: another time, another event.
                            "time_conflict": _time_conflict(asked_times, times),
                            "passage_time_conflict": passage_time_conflict,
                            # "What meets every 3 months?" against "It meets each six months".
                            "numbers_missing": (
                                len(asked_numbers - sentences.numbers[i]) / len(asked_numbers)
                                if asked_numbers
                                else 0.0
                            ),
                            "length": math.log1p(len(text)),
                            "proximity": _proximity(terms, matches, sentences.word_stems[i], cosines),
                        },
                    )
                )
            title = np.array([1.0 if t.stem in title_stems else 0.0 for t in all_terms], dtype=np.float32)
            passage_soft = float(np.maximum(passage_best, title) @ weights) / total if all_terms else 0.0
            for k, ev in enumerate(found):
                ev.features["passage_soft"] = passage_soft
                # The answer often sits next to the sentence that matches ("...He was born in 1850.").
                near = [found[j] for j in (k - 1, k + 1) if 0 <= j < len(found)]
                ev.features["neighbour_cos"] = max((n.features["cos"] for n in near), default=0.0)
                ev.features["neighbour_soft"] = max((n.features["soft"] for n in near), default=0.0)
                # What the sentence and its better neighbour hold together: the answer's sentence
                # may say "the insurgents" where the one before named the place and the month.
                ev.features["pair_soft"] = max(
                    (float(np.maximum(ev.matches, n.matches) @ weights) / total for n in near),
                    default=ev.features["soft"],
                )
                ev.features["first_in_passage"] = float(k == 0)
            out += found
        for key in ("cos", "lexical", "soft"):
            best = max((ev.features[key] for ev in out), default=0.0)
            for ev in out:
                ev.features[f"{key}_gap"] = ev.features[key] - best
        return out

    def _near(self, qwords: np.ndarray | None, words: Sequence[str], exact: np.ndarray) -> np.ndarray | None:
        """Cosines of each question term's word vector to each of the sentence's words."""
        if qwords is None or not words or exact.all():
            return None
        return term_cosines(qwords, self.searcher.word_vectors(words))

    def _sentences(self, p: Passage) -> Sentences:
        cached = self._cache.get(p.id)
        if cached is not None:
            self._cache.move_to_end(p.id)
            return cached
        texts = [p.text[s:e] for s, e in p.sentences]
        read = [read_words(self.searcher.analyzer, t) for t in texts]
        vectors = p.sentence_vectors
        if vectors is None or len(vectors) != len(texts):  # an index built before sentence vectors
            vectors = self.searcher.embedder.embed(texts)
        entry = Sentences(
            [r.words for r in read],
            [r.word_stems for r in read],
            [r.stems for r in read],
            [r.names for r in read],
            [r.times for r in read],
            [numbers_in(t) for t in texts],
            vectors,
        )
        self._cache[p.id] = entry
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return entry


def _time_conflict(asked: frozenset[str], told: frozenset[str]) -> float:
    """1 when the question and the text are each pinned to times, and to none in common."""
    return float(bool(asked and told and not asked & told))


@dataclass(frozen=True)
class _Pieces:
    vectors: np.ndarray  # the question's token states of its terms' words, one row per token
    owner: np.ndarray  # which term each row belongs to


def _term_pieces(terms: list[Term], question: TokenStates) -> _Pieces:
    rows, owner = [], []
    for k, t in enumerate(terms):
        inside = np.flatnonzero((question.starts >= t.span[0]) & (question.starts < t.span[1]))
        rows += list(inside)
        owner += [k] * len(inside)
    return _Pieces(question.vectors[rows].astype(np.float32), np.array(owner, dtype=np.int32))


def _late_interaction(terms: list[Term], pieces: _Pieces, sims: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Per term: 1 for an exact match; else how close its best counterpart among the sentence's
    tokens comes (each word piece's best match, averaged over the word's pieces)."""
    matches = exact.copy()
    if sims.shape[1] == 0 or len(pieces.owner) == 0:
        return matches
    best = sims.max(axis=1)
    for k, t in enumerate(terms):
        if matches[k] == 1.0 or t.name or k >= len(terms):
            continue
        mine = best[pieces.owner == k]
        if len(mine):
            matches[k] = float(np.clip((mine.mean() - SOFT_LOW) / (SOFT_HIGH - SOFT_LOW), 0.0, 1.0))
    return matches


# Two question words count as said together when their counterparts sit at most this many
# content words apart ("Kunduz city" -> "Kunduz metropolis", not "west of Kunduz ... the city").
NEAR_WORDS = 2


def _proximity(
    terms: list[Term], matches: np.ndarray, stems: Sequence[str], near: np.ndarray | None
) -> float:
    """The weighted share of the question's neighbouring term pairs whose counterparts sit close
    together in the sentence: a phrase kept, not just its words scattered."""
    where: list[int | None] = []
    for k, t in enumerate(terms):
        if t.stem in stems:
            where.append(stems.index(t.stem))
        elif near is not None and matches[k] >= 0.5 and not t.name:
            where.append(int(near[k].argmax()))
        else:
            where.append(None)
    total = held = 0.0
    for k in range(len(terms) - 1):
        weight = min(terms[k].weight, terms[k + 1].weight)
        total += weight
        a, b = where[k], where[k + 1]
        if a is not None and b is not None and abs(a - b) <= NEAR_WORDS:
            held += weight
    return held / total if total else 0.0


def _positions(text: str, word: str) -> list[int]:
    """The middle of each place `word` (lower case) is written in `text`."""
    lower = text.lower()
    out = []
    at = lower.find(word)
    while at >= 0:
        out.append(at + len(word) // 2)
        at = lower.find(word, at + 1)
    return out


# What "how much" asks of money: an amount, written in a currency rather than before the noun.
_AMOUNT = re.compile(
    r"money|cash|funding|funds?|revenue|revenues|income|profit|profits|budget|cost|costs|price|prices|"
    r"salary|salaries|pay|spending|debt|aid|investment|tax|taxes|value|worth"
)


def _anchors(
    text: str, words: Sequence[str], matches: np.ndarray, terms: list[Term], searcher: Searcher
) -> list[int]:
    """Where in the sentence the question's exactly matched words sit (character offsets)."""
    wanted = {t.stem for t, m in zip(terms, matches, strict=True) if m == 1.0}
    if not wanted:
        return []
    out = []
    for word in words:
        stems = searcher.terms(word)
        if stems and stems[0] in wanted:
            out += _positions(text, word)
    return out
