"""Messages that are not questions: thanks, a greeting, goodbye, "help". Each gets a short reply
of its own (prompts/small_talk_*.txt) and no search: searched, "thanks!" in a Slack thread was told
"I couldn't find that in the indexed articles" under an unrelated passage, and "help" was answered
with two quotes about the Taliban. Only a whole message counts: "thanks, who is X?" is a question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot import prompts
from bot.answer import Answer
from bot.question import GREETINGS, NODS, THANKS

MODE = "small_talk"

_ADDRESSEE = r"(?:[\s,]+(?:bot|newsbot|there|all|everyone|team|guys|folks))?"
_KINDS = (
    (
        "thanks",
        re.compile(
            rf"(?:{NODS}[\s,]*)?{THANKS}{_ADDRESSEE}(?:[\s,]*{NODS})?|{NODS}(?:[\s,]+{NODS})*{_ADDRESSEE}"
        ),
    ),
    (
        "greeting",
        re.compile(rf"{GREETINGS}{_ADDRESSEE}"),
    ),
    (
        "bye",
        re.compile(
            rf"(?:(?:{THANKS}|{NODS})[\s,]+)?(?:bye|goodbye|bye\s+bye|see\s+(?:you|ya)(?:\s+later)?|cya|later){_ADDRESSEE}"
        ),
    ),
    (
        "help",
        re.compile(
            r"(?:help(?:\s+me)?|what\s+can\s+you\s+do|what\s+do\s+you\s+do|how\s+do(?:es)?\s+(?:this|it|you)\s+work|"
            r"how\s+do\s+i\s+use\s+(?:this|it|you)|what\s+are\s+you|who\s+are\s+you)"
        ),
    ),
)


def small_talk(text: str) -> str | None:
    """The kind ("thanks", "greeting", "bye", "help") when the whole message is one, else None."""
    # Emoji and symbols, and the punctuation around the words, say nothing here ("thanks! 🙏").
    kept = "".join(" " if unicodedata.category(ch) in ("So", "Sk", "Cs") else ch for ch in text)
    words = re.sub(r"^@\w+[\s,:]*|[\s!.?,:;()\-~]+$|^[\s!.?,:;()\-~]+", "", kept.lower().strip())
    words = " ".join(words.split())
    if not words:
        return None
    for kind, pattern in _KINDS:
        if pattern.fullmatch(words):
            return kind
    return None


def small_talk_answer(asked: str, kind: str, history: Sequence[Answer]) -> Answer:
    """The reply, as an answer with no sources. It keeps the conversation's last question, so a
    follow-up after "thanks" still refers to what was asked before it."""
    return Answer(
        asked,
        prompts.load(f"small_talk_{kind}").render(),
        False,
        [],
        mode=MODE,
        standalone=history[-1].standalone if history else "",
    )
