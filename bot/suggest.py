"""Suggested questions, made from what is indexed: one about each of the newest articles,
built from its headline's names (or the headline itself), and offered only if the answerer
answers it from that article. No canned text, and nothing the bot would then refuse."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot import prompts
from bot.answer import Answerer
from index.store import ArticleState
from index.times import MONTHS_AND_DAYS

log = logging.getLogger(__name__)
TITLE_CHARS = 60  # a suggestion's label; the question itself goes in full
# A run of capitalised words, inner particles allowed: "Time Warner", "Bank of England".
_NAME = re.compile(r"[A-Z][\w’'&.-]*(?:\s+(?:of|de|van|von|al|the)?\s*[A-Z][\w’'&.-]*)*")
_NOT_TOPICS = MONTHS_AND_DAYS | frozenset(
    "the a an in on at and but for of to with by from as after before new how why what who when where".split()
)


@dataclass(frozen=True)
class Suggestion:
    title: str  # the button's label
    question: str  # what is asked when it is clicked


def newest_first(articles: Sequence[ArticleState]) -> list[ArticleState]:
    """Dated articles newest first, then the undated ones, most recently indexed first."""
    dated = sorted((a for a in articles if a.published_at), key=lambda a: a.published_at, reverse=True)
    undated = sorted((a for a in articles if not a.published_at), key=lambda a: a.indexed_at, reverse=True)
    return dated + undated


def topics(headline: str) -> Iterator[str]:
    """The names in a headline ("Time Warner", "Kunduz"), longest first; sentence-initial and
    calendar words are not names."""
    found = []
    for match in _NAME.finditer(headline):
        words = match.group().split()
        while words and words[0].lower() in _NOT_TOPICS:
            words = words[1:]
        while words and words[-1].lower() in _NOT_TOPICS:
            words = words[:-1]
        if words:
            found.append(re.sub(r"[’']s$", "", " ".join(words)))  # "BA's profits": BA
    yield from sorted(dict.fromkeys(found), key=len, reverse=True)


def candidates(article: ArticleState) -> Iterator[str]:
    about = prompts.load("suggested_question")
    for topic in topics(article.title):
        yield about.render(topic=topic)
    if article.title:
        yield about.render(topic=f"“{article.title.rstrip('.')}”")


def suggest(articles: Sequence[ArticleState], answerer: Answerer, limit: int = 4) -> list[Suggestion]:
    """Up to `limit` questions, one per article, newest articles first; each one checked by
    the offline answerer (an LLM answerer's own): checking costs no LLM calls."""
    checker: Answerer = getattr(answerer, "extractive", answerer)
    out: list[Suggestion] = []
    for article in newest_first(articles)[: limit * 3]:
        for question in candidates(article):
            if "<" in question or ">" in question:  # Slack posts a clicked suggestion as the user's
                continue  # own message, unescaped: "<!channel>" from a headline would ping
            try:
                answer = checker.answer(question)
            except Exception:  # a suggestion is a courtesy: skip it, never fail the greeting
                log.warning("checking the suggestion %r failed", question, exc_info=True)
                continue
            if answer.found and answer.citations and answer.citations[0].article == article.id:
                title = prompts.clip(article.title or question, TITLE_CHARS)
                out.append(Suggestion(title, question))
                break
        if len(out) == limit:
            break
    return out
