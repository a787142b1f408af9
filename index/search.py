"""Hybrid search: BM25 (bm25s) and dense Chroma search, fused by weighted min-max.

The only search API the rest of the code uses: `Searcher.search(question, k)` returns
plain `Passage` objects. The BM25 side is rebuilt whenever the collection's version
counter moves (every sync that writes bumps it), so it never serves a stale corpus.
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import sys
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from index import imports
from index.articles import dateline_length
from index.chunking import sentence_spans
from index.embedding import Embedder, TokenStates
from index.lemmas import lemmatizer
from index.memory import release_freed_memory
from index.passage import Passage
from index.sentences import SPANS_KEY, VECTORS_KEY, decode_spans, decode_vectors
from index.store import ChunkStore
from index.times import time_marks

log = logging.getLogger(__name__)

# Weight of BM25 in the fused score; dense gets the rest. Chosen on the development data
# (benchmarks/bench_retrieval.py; figures in the README): with soft coverage below, 0.45 beats
# 0.6 on both copies (hit@1 81.5 vs 80.4 plain, 72.3 vs 71.0 spun).
BM25_WEIGHT = 0.45
# Share of the dense side given to the chunk's best sentence (the rest to the chunk's vector).
SENTENCE_WEIGHT = 0.5
# Candidates taken from each side before fusing.
CANDIDATES = 30
# Share of the final score given to soft coverage: how much of the question's weighted terms a
# chunk holds, exactly or by a near word (context-free MiniLM word vectors, so "defense" finds
# "protection" in a reworded article that BM25 cannot match). Chosen on the SQuAD development
# articles and their spun copy (hit@1 78.8 -> 81.5 plain, 68.7 -> 72.3 spun at 0.4; README).
SOFT_WEIGHT = 0.4
# Word-vector cosine from which a word counts as a near match, and at which it counts fully:
# synonyms mostly 0.25-0.65, unrelated words -0.1-0.15.
WORD_LOW, WORD_HIGH = 0.15, 0.5
# A word: two letters or more, or a dotted abbreviation ("U.S.", "U.N.": read as "US", "UN";
# single letters would drop them, and they name the countries news is about).
WORD = re.compile(r"(?u)\b(?:[^\W\d_]\.){2,}|\b\w\w+\b")


# Words as written, for telling names from other words by their case.
_FORMS = re.compile(r"\b[^\W\d_][\w’'-]*")
# After these (or at the start) a sentence, line or quotation starts: its first word is
# capitalised whatever it is.
_OPENERS = frozenset('.!?:;\n—–-“"‘(') | {""}


def split_words(text: str) -> list[str]:
    """The words of `text` as written (case kept), abbreviations without their dots."""
    return [m.group().replace(".", "") for m in WORD.finditer(text)]


# Negations and quantity words ("against", "not", "own", "most") stay: they change what is asked.
# bm25s's English stopwords without its negations ("did not win" is not "did win"), plus the
# pronouns, auxiliaries, question words and reporting verbs that name no topic in a news question,
# and "after"/"before": an article tells the order of two events as often the other way round
# ("seized the entrance before dispersing" answers "what did they do after reaching it?"), so the
# word matched whichever sentence happened to use it (SQuAD dev, cross-validated: no change).
STOPWORDS = (frozenset(imports.bm25s().stopwords.STOPWORDS_EN) - {"no", "not"}) | frozenset(
    """
    about above again all also am any because been being below between both can could did do does
    doing down during each from further had has have having he her here hers herself him himself his
    how i its itself just me my myself now off once our ours ourselves out over said say says she
    should so some than theirs them themselves those through too under until up very we were what
    when where which while who whom why would you your yours yourself yourselves after before
    """.split()
)


class Analyzer:
    """Fold accents, lowercase, drop stopwords, lemmatize, then Snowball-stem: shared by BM25 and
    the answerer's term checks.

    Lemmatizing first (simplemma's dictionary) joins what a stemmer alone cannot: irregular
    forms ("fled"/"flee", "built"/"build") and plurals it cuts unevenly ("buses" -> "buse", "bus").
    """

    def __init__(self, lemma_cache: Path | None = None) -> None:
        import Stemmer

        self._lemma = lemmatizer(lemma_cache)
        self._stemmer = Stemmer.Stemmer("english")
        self._cache: dict[str, str] = {}

    def terms(self, text: str) -> list[str]:
        words = [w for w in split_words(fold(text).lower()) if w not in STOPWORDS]
        return list(self._stemmer.stemWords([self._base(w) for w in words]))

    def stems(self, words: Sequence[str]) -> list[str]:
        """One term per lower-case content word (already split and stopword-free), in order: one
        stemmer call for a whole sentence's words instead of one per word."""
        return list(self._stemmer.stemWords([self._base(fold(w)) for w in words]))

    def lemma(self, word: str) -> str:
        """The dictionary form of a lower-case word ("meeting" -> "meet", "rose" -> "rise")."""
        return _VERB_FORMS.get(word) or self._lemma(word).lower()

    def _base(self, word: str) -> str:
        base = self._cache.get(word)
        if base is None:
            base = self.lemma(word)
            base = _NATIONS.get(base, base)
            # "us" -> "we": a lemma that is a stopword would drop the word ("US" the country).
            if base in STOPWORDS or not base:
                base = word
            if len(self._cache) < 200_000:
                self._cache[word] = base
        return base


# Past tenses simplemma reads as other words, where news nearly always means the verb:
# "the Taliban rose in the south", "she won the seat", "he swore an oath".
_VERB_FORMS = {"rose": "rise", "won": "win", "swore": "swear", "sworn": "swear"}


# "American" and "U.S.", "British" and "U.K." are one term: news writes "U.S. airstrikes" where a
# reader asks about "American airstrikes". Names match only exactly (a paraphrase never turns
# "Kabul" into "Kunduz"), so without this "American" is a name the article lacks. Only these two:
# joining every people to its country ("Afghan" to "Afghanistan") let "the budget of the Afghan
# army" match a U.S. budget's "operations in Iraq and Afghanistan" among the BBC articles.
_NATIONS = {
    **dict.fromkeys(("america", "american", "americans", "usa"), "us"),
    **dict.fromkeys(("britain", "british", "briton", "britons"), "uk"),
}


def fold(text: str) -> str:
    """Strip accents so "Hervé" and "Herve" are one word; leaves other characters alone."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class _Lexical:
    """BM25 over every chunk of one collection version, plus document frequencies."""

    def __init__(self, store: ChunkStore, analyzer: Analyzer):
        self.version = store.version()
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        vectors = _Rows(store.count())
        for page in store.pages(["documents", "metadatas", "embeddings"]):
            ids += page["ids"]
            texts += page["documents"] or []
            metas += [_slim(m) for m in page["metadatas"] or []]
            vectors.add(page["embeddings"])
        self.ids, self.texts, self.metas = ids, texts, metas
        # The dense side searches these exactly. Chroma's HNSW graph is approximate and differs from
        # build to build (it inserts with several threads): among the BBC articles a quarter of the
        # queries lost one of their 30 nearest chunks, and rebuilding the same articles changed answers.
        self.vectors = vectors.unit()
        corpus_terms = [
            analyzer.terms(f"{m.get('title', '')} {t}") for m, t in zip(metas, texts, strict=True)
        ]
        self.df: Counter[str] = Counter(term for terms in corpus_terms for term in set(terms))
        self.n_docs = len(ids)
        self._near: _NearIndex | None = None  # built on first unseen term
        self._resolved: dict[str, str] = {}
        self._by_article: dict[str, list[int]] | None = None
        self._titles: dict[str, str] | None = None
        self._capitalised_forms: frozenset[str] | None = None  # built on first use
        self._articles_using: dict[str, frozenset[str]] = {}
        self._analyzer = analyzer
        self._words: dict[int, ChunkWords] = {}
        self.bm25 = imports.bm25s().BM25(csc_backend="numpy")
        if ids:
            self.bm25.index(corpus_terms, show_progress=False)
        del corpus_terms
        release_freed_memory()  # what building BM25 freed: about 30 MB with the BBC corpus

    def words(self, i: int) -> ChunkWords:
        """Chunk i's analysed terms, names and distinct lower-case content words (recent ones kept)."""
        cached = self._words.get(i)
        if cached is None:
            cached = read_words(self._analyzer, self.texts[i])
            self._words[i] = cached
            if len(self._words) > 256:  # a question's candidates are about 60 chunks
                self._words.pop(next(iter(self._words)))
        return cached

    def resolve(self, term: str) -> str:
        """The corpus's own form of a term it never uses, when one is close enough to be the same
        word: a one-letter slip ("unkown", "arpnet") or the same stem with an ending of at most
        two letters ("colon"/"coloni"). Otherwise the term itself, still unseen."""
        if term in self.df or len(term) < 6:
            return term
        if term in self._resolved:  # search and the answerer both ask, once each per question
            return self._resolved[term]
        if self._near is None:
            self._near = _near_index(self.df)
        vocab = self._near.vocab
        first = bisect.bisect_left(vocab, term)  # terms that extend it sort right after it
        candidates = {t for t in vocab[first : first + 50] if t.startswith(term) and len(t) - len(term) <= 2}
        candidates |= {term[:k] for k in range(len(term) - 2, len(term)) if term[:k] in self.df}
        # The same verb done again, or the other way round: "supplies"/"resupplied", "retake"/"take".
        candidates |= {t for t in ("re" + term, term[2:] if term.startswith("re") else "") if t in self.df}
        for variant in {term, *(term[:i] + term[i + 1 :] for i in range(len(term)))}:
            if variant in self.df and variant != term:
                candidates.add(variant)
            candidates |= self._near.deleted_to(variant)
        best = max(sorted(candidates), key=lambda t: self.df[t], default=term)
        if len(self._resolved) < 10_000:
            self._resolved[term] = best
        return best

    def by_article(self) -> dict[str, list[int]]:
        """Each article's chunk positions, in the article's order (built once per snapshot)."""
        if self._by_article is None:
            groups: dict[str, list[int]] = {}
            for i, meta in enumerate(self.metas):
                groups.setdefault(str(meta["article"]), []).append(i)
            for positions in groups.values():
                positions.sort(key=lambda i: int(self.metas[i]["start"]))
            self._by_article = groups
        return self._by_article

    def titles(self) -> dict[str, str]:
        """Each article by its headline's words (built once per snapshot)."""
        if self._titles is None:
            self._titles = {
                _words(str(self.metas[positions[0]].get("title", ""))): article
                for article, positions in self.by_article().items()
            }
        return self._titles

    def written_capitalised(self, word: str) -> bool:
        """The corpus writes `word` (lower case) and only ever capitalised: a name ("kabul",
        "taliban"), which a question typed in lower case still means. Built on first use."""
        if self._capitalised_forms is None:
            lower: set[str] = set()
            capitalised: set[str] = set()
            for text in self.texts:
                for m in _FORMS.finditer(text):
                    w = m.group()
                    if w[0].islower():
                        lower.add(w)
                    elif text[max(0, m.start() - 8) : m.start()].rstrip(" \t")[-1:] not in _OPENERS:
                        # Not a sentence's first word: "Plans were made..."
                        capitalised.add(w.lower())
            self._capitalised_forms = frozenset(capitalised - lower)
        return word in self._capitalised_forms

    def articles_using(self, term: str) -> frozenset[str]:
        """The articles that use the term in some chunk or in their headline."""
        found = self._articles_using.get(term)
        if found is None:
            hits = np.flatnonzero(self.scores([term]) > 0) if term in self.df else np.zeros(0, dtype=np.int64)
            found = frozenset(str(self.metas[int(i)]["article"]) for i in hits)
            if len(self._articles_using) >= 1024:  # a common name's set holds hundreds of articles
                self._articles_using.pop(next(iter(self._articles_using)))
            self._articles_using[term] = found
        return found

    def count(self, term: str) -> int:
        """How many chunks use the term (0: no indexed article does)."""
        return self.df.get(term, 0)

    def scores(self, terms: list[str]) -> np.ndarray:
        if not self.ids or not terms:
            return np.zeros(len(self.ids), dtype=np.float32)
        known = [t for t in terms if t in self.df]
        if not known:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(known), dtype=np.float32)

    def idf(self, term: str) -> float:
        # BM25's idf, floored so common words still count a little. A term the corpus never
        # uses weighs as much as its rarest word, not more: one unseen word must not outweigh
        # the rest of a question.
        df = max(1, self.df.get(term, 0))
        return max(0.05, math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)))


@dataclass(frozen=True)
class QueryTerm:
    """One content word of a question, as the index sees it."""

    stem: str  # as the index analyses words
    word: str  # as the question wrote it, for its word vector
    weight: float  # 1 + idf in the current corpus
    seen: bool  # some indexed article uses it
    name: bool = False  # a proper name or a number: it must match exactly, never by synonym
    span: tuple[int, int] = (0, 0)  # where the question says it


@dataclass(frozen=True)
class ChunkTerms:
    article: str
    terms: frozenset[str]  # which of the asked-for terms the chunk uses
    score: float  # their BM25 score together


class Searcher:
    def __init__(
        self,
        store: ChunkStore,
        embedder: Embedder,
        *,
        bm25_weight: float = BM25_WEIGHT,
        sentence_weight: float = SENTENCE_WEIGHT,
        soft_weight: float = SOFT_WEIGHT,
        candidates: int = CANDIDATES,
        word_cache: int = 4096,  # word vectors kept: about 3 MB of MiniLM's in half precision
        lemma_cache: Path | None = None,  # the folder for the decoded lemma dictionary
    ):
        self.store = store
        self.embedder = embedder
        self.analyzer = Analyzer(lemma_cache)
        self.bm25_weight = bm25_weight
        self.sentence_weight = sentence_weight
        self.soft_weight = soft_weight
        self.candidates = candidates
        self.word_cache = word_cache
        self._lexical: _Lexical | None = None
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()  # recent questions
        self._words: dict[str, np.ndarray] = {}  # word vectors, the oldest dropped first
        self._states: OrderedDict[str, TokenStates] = OrderedDict()  # recent passages and questions

    # --- vectors ------------------------------------------------------------------------------

    def question_vector(self, text: str) -> np.ndarray:
        """The question's unit vector, remembered: search and the answerer both need it. Its token
        states come from the same model pass when the embedder can give both (the answerer's
        late interaction reads them next)."""
        both = getattr(self.embedder, "embed_with_states", None)
        if not callable(both):
            return self._remember(f"q:{text}", lambda: self.embedder.embed_query(text))

        def make() -> np.ndarray:
            vector, states = both(text)
            self._keep_states({text: states})
            return np.asarray(vector)

        return self._remember(f"q:{text}", make)

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """Context-free unit vectors of single words, for matching a question's words to an
        article's synonyms. From the embedder's word embeddings when it has them, else it embeds
        each word as a text."""
        with self._lock:
            known = {w: v for w in dict.fromkeys(words) if (v := self._words.get(w)) is not None}
        missing = [w for w in dict.fromkeys(words) if w not in known]
        if missing:
            make = getattr(self.embedder, "word_vectors", None)
            vectors = np.asarray(make(missing) if callable(make) else self.embedder.embed(missing))
            made = dict(zip(missing, vectors.astype(np.float16), strict=True))
            known.update(made)
            with self._lock:
                self._words.update(made)
                while len(self._words) > self.word_cache:
                    self._words.pop(next(iter(self._words)))
        if not words:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.array([known[w] for w in words], dtype=np.float32)

    def term_vectors(self, terms: Sequence[QueryTerm]) -> np.ndarray:
        """Each term's word vector, and beside it its dictionary form's, stacked (2, terms, dim).
        An inflected word sits apart from its synonyms' forms: "meeting" is 0.09 from the
        spinner's "fulfill", "meet" 0.27. The dictionary form is used only where the model knows
        it as a whole word; otherwise the word stands twice. Read with `term_cosines`."""
        words = [t.word for t in terms]
        known = getattr(self.embedder, "has_word", None)
        lemmas = []
        for word in words:
            lemma = self.analyzer.lemma(word)
            lemmas.append(lemma if lemma != word and (not callable(known) or known(lemma)) else word)
        return np.stack([self.word_vectors(words), self.word_vectors(lemmas)])

    def token_states(self, texts: Sequence[str]) -> list[TokenStates] | None:
        """Contextual token vectors of each text, remembered for the most recent ones; None when
        the embedder cannot give them (then word vectors stand in)."""
        make = getattr(self.embedder, "token_states", None)
        if not callable(make):
            return None
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._states]
        made = dict(zip(missing, make(missing) if missing else [], strict=True))
        return self._keep_states(made, texts)

    def _keep_states(self, made: dict[str, TokenStates], texts: Sequence[str] = ()) -> list[TokenStates]:
        """Remember `made` (and refresh `texts`, already remembered); the states of `texts`."""
        # Kept in half precision: a MiniLM chunk of 80 tokens is 60 KB so, 240 KB as float32.
        half = {t: TokenStates(st.vectors.astype(np.float16), st.starts, st.ends) for t, st in made.items()}
        with self._lock:
            for text in [*half, *texts]:
                states = half.get(text) or self._states.get(text)
                assert states is not None
                self._states[text] = states
                self._states.move_to_end(text)
            out = [self._states[text] for text in texts]
            while len(self._states) > 256:  # about 15 MB of MiniLM chunk states at most
                self._states.popitem(last=False)
        return out

    def forget(self) -> None:
        """Drop the remembered question vectors, word vectors and token states."""
        with self._lock:
            self._vectors.clear()
            self._words.clear()
            self._states.clear()

    def _remember(self, key: str, make: Any) -> np.ndarray:
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                return vector
        vector = np.asarray(make(), dtype=np.float32)
        with self._lock:
            self._vectors[key] = vector
            while len(self._vectors) > 4096:  # about 6 MB of MiniLM vectors at most
                self._vectors.popitem(last=False)
        return vector

    # --- freshness ----------------------------------------------------------------------------

    def lexical(self) -> _Lexical:
        """The BM25 side for the collection's current version, rebuilt when a sync changed it."""
        version = self.store.refresh_version()
        with self._lock:
            if self._lexical is None or self._lexical.version != version:
                log.info("building BM25 for %s at version %s", self.store.name, version)
                self._lexical = _Lexical(self.store, self.analyzer)
            return self._lexical

    def vocabulary(self) -> _Lexical:
        """The corpus's words: `resolve`, `idf` and `count` of analysed terms. As of the last
        search (which checks the store's version): asking again for each of a question's term
        lists cost a round trip each to a Chroma server."""
        with self._lock:
            current = self._lexical
        return current if current is not None else self.lexical()

    def terms(self, text: str) -> list[str]:
        """Text as the index analyses it: folded, lemmatized, stemmed, stopwords dropped."""
        return self.analyzer.terms(text)

    def question_terms(self, text: str, skip: frozenset[str] = frozenset()) -> list[QueryTerm]:
        """The content words of `text` (one per distinct stem) with their weights in the corpus;
        `skip` names words that shape a question rather than say what it is about."""
        vocabulary = self.vocabulary()
        months = time_marks(text)  # "in may" typed in lower case is the month, a name to match
        # Typed all in lower case, a question loses its names' capitals: take them from how the
        # articles write each word ("kabul"). A question with capitals already says which are names.
        lower_typed = not any(ch.isupper() for ch in text)
        out: dict[str, QueryTerm] = {}
        for m in WORD.finditer(text):
            word = m.group().replace(".", "").lower()
            if word in STOPWORDS or word in skip:
                continue
            stems = self.analyzer.terms(word)
            if not stems:
                continue
            stem = vocabulary.resolve(stems[0])
            if stem not in out:
                # Capitalised inside the question, or a number: a name, a year, an amount.
                name = (
                    (m.group()[0].isupper() and m.start() > 0)
                    or word[0].isdigit()
                    or word in months
                    or (lower_typed and vocabulary.written_capitalised(word))
                )
                weight = 1.0 + vocabulary.idf(stem)
                out[stem] = QueryTerm(stem, word, weight, vocabulary.count(stem) > 0, name, m.span())
        return list(out.values())

    # --- search -------------------------------------------------------------------------------

    def search(self, question: str, k: int = 5) -> list[Passage]:
        with self.store.guard():
            return self._search(question, k)

    def _search(self, question: str, k: int) -> list[Passage]:
        # The question's vector first: on a first question it waits for a model still loading in
        # the background, so that load's memory is given back before BM25's build needs its own.
        qvec = self.question_vector(question)
        lexical = self.lexical()
        if not lexical.ids:
            return []
        n = min(self.candidates, len(lexical.ids))
        lex_scores = lexical.scores([lexical.resolve(t) for t in self.analyzer.terms(question)])
        lex_top = [int(i) for i in np.argsort(-lex_scores)[:n] if lex_scores[i] > 0]

        cosines = lexical.vectors @ (qvec / max(float(np.linalg.norm(qvec)), 1e-12))
        nearest = np.argpartition(-cosines, n - 1)[:n] if n < len(cosines) else np.arange(len(cosines))
        dense = {int(i): float(cosines[i]) for i in nearest}

        pool = set(lex_top) | set(dense)
        lex_norm = _minmax({i: float(lex_scores[i]) for i in pool})
        floor = min(dense.values()) if dense else 0.0
        dense_norm = _minmax({i: dense.get(i, floor) for i in pool})
        # A chunk is also as good as its best sentence: one sentence that answers can sit in a
        # chunk whose other sentences are about something else.
        sentence = {i: self._best_sentence(lexical, i, qvec, dense.get(i, floor)) for i in pool}
        sentence_norm = _minmax(sentence)
        # The sentence signal shares the dense side's weight: a rare name that only BM25 can
        # match ("Who is Sebghatullah Selab?") must still outrank whatever is semantically near.
        w, s = self.bm25_weight, self.sentence_weight
        fused = {
            i: w * lex_norm[i] + (1 - w) * ((1 - s) * dense_norm[i] + s * sentence_norm[i]) for i in pool
        }
        if self.soft_weight:
            soft = _minmax(self._soft_coverage(lexical, sorted(pool), question))
            fused = {i: (1 - self.soft_weight) * fused[i] + self.soft_weight * soft[i] for i in pool}
        top = sorted(pool, key=lambda i: -fused[i])[:k]
        return [_passage(lexical, i, fused[i], dense.get(i, 0.0)) for i in top]

    def articles_using(self, term: str) -> frozenset[str]:
        """The articles that use `term` (a stem, as `question_terms` gives it) anywhere, as of the
        last search: the passages being scored come from that snapshot, and checking the store's
        version again would cost a round trip per name to a Chroma server."""
        return self.vocabulary().articles_using(term)

    def article_ids(self) -> list[str]:
        with self.store.guard():
            return sorted(self.lexical().by_article())

    def titled(self, title: str) -> str | None:
        """The article whose headline is `title` (ignoring case and punctuation), if one is."""
        with self.store.guard():
            return self.lexical().titles().get(_words(title))

    def article_passages(self, articles: Sequence[str]) -> dict[str, list[Passage]]:
        """Every chunk of each article, in the article's order (score 0: nothing was asked)."""
        with self.store.guard():
            lexical = self.lexical()
            groups = lexical.by_article()
            return {a: [_passage(lexical, i, 0.0, 0.0) for i in groups.get(a, [])] for a in articles}

    def term_chunks(self, text: str) -> tuple[list[str], dict[str, ChunkTerms]]:
        """The terms of `text` the corpus uses (as the index analyses them), and every chunk
        using any of them: its article, which of the terms it uses, and their BM25 score."""
        with self.store.guard():
            lexical = self.lexical()
            terms = [
                t
                for t in dict.fromkeys(lexical.resolve(t) for t in self.analyzer.terms(text))
                if lexical.count(t)
            ]
            found: dict[int, set[str]] = {}
            for term in terms:
                for i in np.flatnonzero(lexical.scores([term]) > 0):
                    found.setdefault(int(i), set()).add(term)
            scores = lexical.scores(terms)
            return terms, {
                lexical.ids[i]: ChunkTerms(
                    str(lexical.metas[i]["article"]), frozenset(used), float(scores[i])
                )
                for i, used in found.items()
            }

    def _soft_coverage(self, lexical: _Lexical, pool: list[int], question: str) -> dict[int, float]:
        """Per chunk: the weighted share of the question's terms it holds, a term counting 1 when
        the chunk uses it and, failing that, by its nearest word's cosine (names: exactly only)."""
        terms = self.question_terms(question)
        if not terms:
            return dict.fromkeys(pool, 0.0)
        weights = np.array([t.weight for t in terms], dtype=np.float32)
        names = np.array([t.name for t in terms])
        chunks = [lexical.words(i) for i in pool]
        vocabulary = list(dict.fromkeys(w for chunk in chunks for w in chunk.words))
        # One pass for every word of the pool: cosines of each question term to each word.
        near = term_cosines(self.term_vectors(terms), self.word_vectors(vocabulary))
        column = {w: j for j, w in enumerate(vocabulary)}
        out = {}
        for i, (stems, named, words, _, _) in zip(pool, chunks, strict=True):
            # A name counts only where the chunk writes it as one: "in May" is not "there may be".
            matches = np.array([t.stem in (named if t.name else stems) for t in terms], dtype=np.float32)
            if words and not matches.all():
                matches = near_matches(matches, near[:, [column[w] for w in words]], names)
            out[i] = float(matches @ weights) / float(weights.sum())
        return out

    @staticmethod
    def _best_sentence(lexical: _Lexical, i: int, qvec: np.ndarray, otherwise: float) -> float:
        meta = lexical.metas[i]
        spans = decode_spans(str(meta.get(SPANS_KEY, "")))
        vectors = decode_vectors(str(meta.get(VECTORS_KEY, "")), len(spans))
        return float((vectors @ qvec).max()) if len(vectors) else otherwise


# What a passage needs of a chunk's metadata; the rest (hashes, counts, stamps) is sync's.
_PASSAGE_KEYS = (
    "article",
    "source",
    "title",
    "url",
    "published_at",
    "path",
    "start",
    "end",
    "offset_base",
    "chunk",
    SPANS_KEY,
    VECTORS_KEY,
)
_SHARED_VALUES = ("article", "title", "url", "published_at", "path", "offset_base", "source")


class _Rows:
    """Chunk vectors gathered page by page into one array sized up front (a list of pages joined
    at the end would hold the BBC corpus's 30 MB twice)."""

    def __init__(self, expected: int) -> None:
        self.rows = np.zeros((0, 0), dtype=np.float32)
        self.expected, self.filled = expected, 0

    def add(self, page: Any) -> None:
        if page is None or len(page) == 0:
            return
        block = np.asarray(page, dtype=np.float32)
        if self.rows.shape[1] != block.shape[1] or self.filled + len(block) > len(self.rows):
            # first page, or chunks written since the count: grow (rare, so a copy is fine)
            grown = np.zeros((max(self.expected, self.filled + len(block)), block.shape[1]), np.float32)
            if self.filled:
                grown[: self.filled] = self.rows[: self.filled]
            self.rows = grown
        self.rows[self.filled : self.filled + len(block)] = block
        self.filled += len(block)

    def unit(self) -> np.ndarray:
        rows = self.rows[: self.filled]
        rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return rows


def _slim(meta: Any) -> dict[str, Any]:
    """The metadata a Passage needs, with the strings every chunk of an article repeats shared:
    with 19k chunks this keeps tens of megabytes out of every reader."""
    out = {k: meta[k] for k in _PASSAGE_KEYS if k in meta}
    for key in _SHARED_VALUES:
        if isinstance(out.get(key), str):
            out[key] = sys.intern(out[key])
    return out


@dataclass(frozen=True)
class _NearIndex:
    """The sorted vocabulary, and each 5+ letter term under its one-letter deletions. The
    deletions are kept as sorted 64-bit hashes beside their term's position (12 bytes each, not a
    dict of strings: 5 MB instead of 23 MB for the BBC corpus's 400,000)."""

    vocab: list[str]
    keys: np.ndarray  # hash of a deletion, sorted
    owners: np.ndarray  # position in vocab of the term it was deleted from

    def deleted_to(self, variant: str) -> set[str]:
        """The terms that `variant` is one deletion of."""
        h = hash(variant)
        lo, hi = int(np.searchsorted(self.keys, h, "left")), int(np.searchsorted(self.keys, h, "right"))
        found = (self.vocab[i] for i in self.owners[lo:hi])
        return {t for t in found if any(t[:i] + t[i + 1 :] == variant for i in range(len(t)))}


def _near_index(df: Counter[str]) -> _NearIndex:
    vocab = sorted(df)
    keys: list[int] = []
    owners: list[int] = []
    for position, t in enumerate(vocab):
        if len(t) >= 5:
            for i in range(len(t)):
                keys.append(hash(t[:i] + t[i + 1 :]))
                owners.append(position)
    hashed = np.array(keys, dtype=np.int64)
    order = np.argsort(hashed, kind="stable")
    return _NearIndex(vocab, hashed[order], np.array(owners, dtype=np.int32)[order])


def _words(text: str) -> str:
    """Lowercased words only: "Ad sales boost Time-Warner profit!" ~ "ad sales boost time warner profit"."""
    return " ".join(re.findall(r"\w+", text.lower()))


class ChunkWords(NamedTuple):
    """What soft matching reads of a chunk or a sentence (`read_words`)."""

    stems: frozenset[str]  # every analysed term
    names: frozenset[str]  # the terms of words written capitalised or as numbers, and months named
    words: tuple[str, ...]  # distinct lower-case content words, in order
    word_stems: tuple[str, ...]  # the term of each of `words`
    times: frozenset[str]  # the years and months it names (`time_marks`)


def read_words(analyzer: Analyzer, text: str) -> ChunkWords:
    """`text`'s words, read once: its terms, its names (the words it writes capitalised or as
    numbers, and the months it names, a spinner's "In Could," included: what a question's names
    may match), its distinct content words with their terms, and its times."""
    written = split_words(text)
    words = list(dict.fromkeys(w for w in (x.lower() for x in written) if w not in STOPWORDS))
    stems = analyzer.stems(words)
    times = time_marks(text)
    named = [w.lower() for w in written if w[0].isupper() or w[0].isdigit()]
    named = [w for w in dict.fromkeys([*named, *times]) if w not in STOPWORDS]
    names = frozenset(analyzer.stems(named))
    return ChunkWords(frozenset(stems), names, tuple(words), tuple(stems), times)


def term_cosines(term_vectors: np.ndarray, word_vectors: np.ndarray) -> np.ndarray:
    """Cosines of each term (by the nearer of its two forms, `Searcher.term_vectors`) to each word."""
    return np.asarray((term_vectors @ word_vectors.T).max(axis=0))


def near_matches(exact: np.ndarray, cosines: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Per question word: 1 where `exact`, else how near its nearest word comes (`cosines`: one
    row per question word, one column per candidate word), from WORD_LOW (nothing) to WORD_HIGH
    (a synonym); never for names ("Kabul" is not a synonym of "Kunduz")."""
    soft = np.clip((cosines.max(axis=1) - WORD_LOW) / (WORD_HIGH - WORD_LOW), 0.0, 1.0)
    soft[names] = 0.0
    return np.maximum(exact, soft)


def _minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-9:
        return {i: 1.0 if hi > 0 else 0.0 for i in scores}
    return {i: (s - lo) / (hi - lo) for i, s in scores.items()}


def _passage(lexical: _Lexical, i: int, score: float, dense: float) -> Passage:
    m = lexical.metas[i]
    text = lexical.texts[i]
    spans = decode_spans(str(m.get(SPANS_KEY, "")))
    vectors = decode_vectors(str(m.get(VECTORS_KEY, "")), len(spans)) if spans else None
    if not spans:  # an index from before sentence vectors: the answerer embeds them itself
        spans = tuple((s.start, s.end) for s in sentence_spans(text))
    if m.get("chunk") == 0 and spans:
        # An article's first sentence without its dateline: "KABUL, Afghanistan —" says where the
        # story was filed, not that the Taliban took Kabul. Neither evidence nor quoted.
        (s, e), rest = spans[0], spans[1:]
        cut = dateline_length(text[s:e])
        spans = ((s + cut, e), *rest) if 0 < cut < e - s else spans
    return Passage(
        id=lexical.ids[i],
        article=str(m["article"]),
        title=str(m.get("title", "")),
        url=str(m.get("url", "")),
        published_at=str(m.get("published_at", "")),
        text=text,
        start=int(m["start"]),
        end=int(m["end"]),
        score=round(float(score), 4),
        path=str(m.get("path", "")),
        source=str(m.get("source", "")),
        offset_base=str(m.get("offset_base", "file")),
        dense=round(dense, 4),
        sentences=spans,
        sentence_vectors=vectors,
    )
