"""Which questions the bot takes: channel allowlist, per-user rate, and the question's length."""

from __future__ import annotations

import re

from bot import prompts
from bot.question import MAX_QUESTION_CHARS
from bot.slack.ratelimit import UserRateLimit

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text or "").split())


class Gate:
    def __init__(self, allowed_channels: frozenset[str] = frozenset(), user_rate: int = 20):
        self.allowed_channels = allowed_channels
        self.limiter = UserRateLimit(user_rate)

    def allowed(self, channel: str) -> bool:
        # DMs (D...) are always allowed; the allowlist is about shared channels.
        return not self.allowed_channels or channel.startswith("D") or channel in self.allowed_channels

    def turn_away(self, user: str, question: str) -> str | None:
        """The polite reply instead of an answer (no question, too long, too many), or None."""
        if not question:
            return prompts.load("slack_usage").render()
        if len(question) > MAX_QUESTION_CHARS:
            return prompts.load("slack_too_long").render(length=f"{len(question):,}")
        if not self.limiter.allow(user):  # counted only for questions that would be answered
            return prompts.load("slack_rate_limited").render()
        return None
