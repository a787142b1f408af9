"""The times a text pins itself to: years and month names. Shared by retrieval (a question's
"in May" must find the article's month, not its verb "may") and the answerer's sentence scoring."""

from __future__ import annotations

import re

# The names of months and days, lower case: words of time, never what a question is about.
MONTHS_AND_DAYS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)
# Month names count only capitalised: "may" is a verb.
_TIME_MARK = re.compile(
    r"\b(?:1[5-9]|20)\d\d\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b"
)
# A synonym spinner reads the month "May" as the verb and writes "In Could, ..." or "Since Might
# 1": a capitalised modal after a word of time is that month (a verb there would be lower-case).
SPUN_MAY = re.compile(
    r"\b(?i:in|since|by|until|from|before|after|during|early|late|mid|of)\s+(?:Could|Might)\b"
)


# Typed in lower case ("which city did they enter in may?", as chat users write): a month name
# after a word of time, where no verb or noun of that spelling would stand.
_LOWER_MONTH = re.compile(
    r"\b(?:in|since|by|until|from|before|after|during|early|late|mid|of|last|next|this)\s+"
    r"(january|february|march|april|may|june|july|august|september|october|november|december)\b"
    r"(?!\s+(?:be|have|not|also|well|still|never|i|we|you|he|she|it|they)\b)"
)


def time_marks(text: str) -> frozenset[str]:
    """The years and months `text` names ("in May", "in 2015", "since may 1"), lower-cased."""
    marks = {m.group().lower() for m in _TIME_MARK.finditer(text)}
    marks |= {m.group(1) for m in _LOWER_MONTH.finditer(text)}
    return frozenset(marks | {"may"} if SPUN_MAY.search(text) else marks)
