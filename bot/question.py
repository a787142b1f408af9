"""What a question asks for: cleaned text, expected answer type, and follow-up detection."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.errors import NewsbotError

MAX_QUESTION_CHARS = 2000


class BadQuestion(NewsbotError):
    """The question cannot be answered as given (empty, too long)."""


# Slack markup: <!channel>, <!here>, <@U123>, <#C123|name>, <https://x|label>, <https://x>.
_SLACK_MARKUP = re.compile(r"<(?:([!@#])|(?=(?:https?|mailto):))([^<>|\s]*)(?:\|([^<>]*))?>")


def _unmark(m: re.Match[str]) -> str:
    kind, target, label = m.group(1), m.group(2), m.group(3)
    if kind in ("!", "@"):
        return " "  # pings and user mentions carry no question
    return f" {label or target} " if kind is None or label else f" {target} "


def clean_question(raw: str) -> str:
    """Strip control characters, Slack markup and surrounding space; reject empty or overlong questions."""
    text = "".join(ch if ch in "\t\n" or unicodedata.category(ch)[0] != "C" else " " for ch in raw)
    text = _SLACK_MARKUP.sub(_unmark, text)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion('the question is empty: ask something like `newsbot ask "who won the vote?"`')
    if len(text) > MAX_QUESTION_CHARS:
        raise BadQuestion(f"the question is {len(text):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    return text


# Expected answer types, checked in order; the first match wins.
_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("frequency", re.compile(r"\bhow often\b|\bhow frequently\b", re.I)),
    (
        "number",
        re.compile(
            r"\bhow (many|much|far|old|long(?! ago))\b|\bwhat (number|percentage|proportion|amount)\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"^\W*when\b|\bwhat (year|date|day|month|time|decade|century)\b|\bsince when\b|\bhow long ago\b",
            re.I,
        ),
    ),
    (
        "place",
        re.compile(
            r"^\W*where\b|\b(in|which|what) (part|country|city|province|region|state|town|area|continent)\b",
            re.I,
        ),
    ),
    (
        "person",
        re.compile(r"^\W*(who|whom|whose)\b|\bwhat is the name\b|\bwhat's the name\b|\bname of the\b", re.I),
    ),
]

_FOLLOW_UP_START = re.compile(
    r"^\W*(and|also|but|what about|how about|and what|and who|and where|and when)\b", re.I
)
_PRONOUN = re.compile(
    r"\b(it|its|it's|they|them|their|he|him|his|she|her|that|there|this|those|these)\b", re.I
)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # person | date | place | number | frequency | other

    @classmethod
    def parse(cls, text: str) -> Question:
        for kind, pattern in _TYPES:
            if pattern.search(text):
                return cls(text, kind)
        return cls(text, "other")


def is_follow_up(text: str) -> bool:
    """'and who is its deputy?' leans on an earlier turn; 'who is the deputy minister?' does not."""
    return bool(_FOLLOW_UP_START.search(text)) or (bool(_PRONOUN.search(text)) and len(text.split()) <= 8)
