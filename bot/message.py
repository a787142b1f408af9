"""A chat message, read once for both answerers (`bot/extractive.py`, `bot/llm_answer.py`):
small talk, a briefing request, or a question with what was typed around it set aside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer import Answer
from bot.briefing import Request, detect
from bot.question import clean_question, core_question
from bot.small_talk import small_talk


@dataclass(frozen=True)
class Message:
    asked: str  # as typed, cleaned of control characters and Slack markup
    question: str  # the question inside it: "Can you tell me who X is, please?" -> "who is X?"
    small_talk: str | None = None  # "thanks", "greeting", "bye" or "help": a reply of its own
    briefing: Request | None = None  # "what did the articles say about X?": a briefing, not one quote


def read_message(raw: str, history: Sequence[Answer] = ()) -> Message:
    """Raises BadQuestion for an empty or overlong message."""
    asked = clean_question(raw)
    chat = small_talk(asked)
    if chat is not None:
        return Message(asked, asked, small_talk=chat)
    question = core_question(asked)
    # After a briefing, "and about Y?" is one too: detect reads the turn before.
    return Message(asked, question, briefing=detect(question, history[-1].standalone if history else ""))
