"""The one path every Slack question takes: filter, dedupe, answer off the event loop, post.

Listeners only pull the question and its place (channel, thread) out of a payload and call
`ask`; the answer itself comes from the answerer, as in the terminal.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import prompts
from bot.answer import Answer, Answerer
from bot.errors import explain
from bot.question import MAX_QUESTION_CHARS
from bot.slack.blocks import answer_blocks, escape, fallback_text
from bot.slack.ratelimit import UserRateLimit
from bot.slack.state import SlackState
from index.errors import NewsbotError
from index.indexer import IndexStats

log = logging.getLogger(__name__)
# Streaming edits go out at most this often (chat.update is rate limited per channel).
STREAM_UPDATE_S = 1.0
_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
PLACEHOLDER = "…"  # the first text of a streamed answer
# Every answer is tagged with the event it answers, so after a crash the bot can see in Slack
# whether its reply went out before it died (and never posts it twice).
METADATA_TYPE = "newsbot_answer"


@dataclass(frozen=True)
class Place:
    channel: str
    thread: str | None  # reply in this thread (None: top level, as in a DM)
    history_key: str  # conversation identity for follow-ups
    message_ts: str  # the question's own message, for the 👀 reaction


@dataclass(frozen=True)
class Reply:
    text: str  # plain, escaped: the whole message, or the notification fallback for blocks
    blocks: list[dict[str, Any]] | None = None
    answer: Answer | None = None


def strip_mentions(text: str) -> str:
    return " ".join(_MENTION.sub(" ", text or "").split())


class SlackService:
    def __init__(
        self,
        answerer: Answerer,
        state: SlackState,
        *,
        index_stats: Callable[[], IndexStats],
        allowed_channels: frozenset[str] = frozenset(),
        user_rate: int = 20,
        thread_replies: bool = True,
    ):
        self.answerer = answerer
        self.state = state
        self.index_stats = index_stats
        self.allowed_channels = allowed_channels
        self.limiter = UserRateLimit(user_rate)
        self.thread_replies = thread_replies
        self.recovering: set[str] = set()  # events acknowledged before a restart, answered now

    def skip(self, body: dict[str, Any]) -> None:
        """A journaled event the listener will not answer (a bot post, an edit, chatter)."""
        self.state.finish(str(body.get("event_id", "")))

    def allowed(self, channel: str) -> bool:
        # DMs (D...) are always allowed; the allowlist is about shared channels.
        return not self.allowed_channels or channel.startswith("D") or channel in self.allowed_channels

    async def answer_payload(
        self, question: str, history: list[Answer], on_token: Callable[[str], None] | None = None
    ) -> tuple[Answer, dict[str, Any]]:
        # The answerer is CPU-bound and synchronous: run it off the event loop so acks stay fast.
        answer = await asyncio.to_thread(self.answerer.answer, question, history, None, on_token)
        return answer, {**answer.to_json(), "highlights": answer.highlights}

    async def reply_to(
        self,
        user: str,
        text: str,
        channel: str,
        history: list[Answer],
        *,
        shareable: bool = False,
        on_token: Callable[[str], None] | None = None,
    ) -> Reply:
        """What to say to one question: an answer with its blocks, or a short message."""
        question = strip_mentions(text)
        if not question:
            return Reply(prompts.load("slack_usage").render())
        if len(question) > MAX_QUESTION_CHARS:
            return Reply(prompts.load("slack_too_long").render(length=f"{len(question):,}"))
        if not self.limiter.allow(user):
            return Reply(prompts.load("slack_rate_limited").render())
        try:
            answer, payload = await self.answer_payload(question, history, on_token)
        except NewsbotError as err:  # a bad question, the index unavailable: safe, clear messages
            return Reply(escape(explain(err)))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("answering in %s failed (reference %s)", channel, ref)
            return Reply(prompts.load("slack_error").render(ref=ref))
        answer_id = self.state.save_answer(payload, channel)
        return Reply(fallback_text(payload), answer_blocks(payload, answer_id, shareable=shareable), answer)

    async def ask(
        self, client: Any, user: str, text: str, place: Place, keys: tuple[str, ...], event_id: str = ""
    ) -> None:
        """Answer one question event in its thread (or DM), exactly once per event key."""
        try:
            if not self.allowed(place.channel):
                log.info("ignoring a question in %s: not in SLACK_ALLOWED_CHANNELS", place.channel)
                return
            if not self.state.claim(*keys, event=event_id):
                log.info("already handled %s; not answering again", keys)
                return
            await self._answer(client, user, text, place, event_id)
        finally:
            self.state.finish(event_id)
            self.recovering.discard(event_id)

    async def _answer(self, client: Any, user: str, text: str, place: Place, event_id: str) -> None:
        existing = await self._posted_before(client, place, event_id) if event_id in self.recovering else None
        if existing is not None and existing.get("text") != PLACEHOLDER:
            log.warning(
                "event %s was answered before the restart (ts %s); not again", event_id, existing["ts"]
            )
            return
        metadata = (
            {"event_type": METADATA_TYPE, "event_payload": {"event_id": event_id}} if event_id else None
        )
        await self._react(client.reactions_add, place)
        try:
            history = self.state.history(place.channel, place.history_key)
            if self.answerer.mode == "llm":
                ts = existing["ts"] if existing else None
                reply = await self._streamed(client, user, text, place, history, metadata, ts)
            else:
                reply = await self.reply_to(user, text, place.channel, history)
                await client.chat_postMessage(
                    channel=place.channel,
                    thread_ts=place.thread,
                    text=reply.text,
                    blocks=reply.blocks,
                    metadata=metadata,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            if reply.answer is not None:
                self.state.add_turn(place.channel, place.history_key, reply.answer)
        except Exception:  # Slack itself failed after its retries: log it; the user saw 👀 go away
            log.exception("posting the answer in %s failed", place.channel)
        finally:
            await self._react(client.reactions_remove, place)

    async def _posted_before(self, client: Any, place: Place, event_id: str) -> dict[str, Any] | None:
        """Our reply to `event_id`, if Slack already has it (the bot died after posting it)."""
        try:
            if place.thread:
                found = await client.conversations_replies(
                    channel=place.channel, ts=place.thread, include_all_metadata=True, limit=200
                )
            else:
                found = await client.conversations_history(
                    channel=place.channel, oldest=place.message_ts, include_all_metadata=True, limit=200
                )
        except Exception:  # cannot tell: answering risks a repeat, silence loses the answer
            log.warning(
                "cannot read %s to check for an earlier reply; answering", place.channel, exc_info=True
            )
            return None
        for message in found.get("messages") or []:
            meta = message.get("metadata") or {}
            if (
                meta.get("event_type") == METADATA_TYPE
                and (meta.get("event_payload") or {}).get("event_id") == event_id
            ):
                return dict(message)
        return None

    async def _streamed(
        self,
        client: Any,
        user: str,
        text: str,
        place: Place,
        history: list[Answer],
        metadata: dict[str, Any] | None,
        ts: str | None = None,
    ) -> Reply:
        """LLM mode: a placeholder (or the one a crashed run left), edited at most once per
        STREAM_UPDATE_S as tokens arrive, then the final answer with its sources in it."""
        if ts is None:
            placeholder = await client.chat_postMessage(
                channel=place.channel,
                thread_ts=place.thread,
                text=PLACEHOLDER,
                metadata=metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
            ts = placeholder["ts"]
        tokens: list[str] = []  # appended from the answering thread; list.append is atomic
        task = asyncio.create_task(self.reply_to(user, text, place.channel, history, on_token=tokens.append))
        shown = ""
        while not task.done():
            await asyncio.wait({task}, timeout=STREAM_UPDATE_S)
            partial = "".join(tokens)
            if not task.done() and partial and partial != shown:
                await client.chat_update(channel=place.channel, ts=ts, text=escape(partial) + " …")
                shown = partial
        reply = task.result()
        await client.chat_update(channel=place.channel, ts=ts, text=reply.text, blocks=reply.blocks or [])
        return reply

    async def _react(self, method: Any, place: Place) -> None:
        try:
            await method(channel=place.channel, timestamp=place.message_ts, name="eyes")
        except Exception:  # the 👀 is a courtesy; never let it block or break an answer
            log.debug("reaction on %s failed", place.message_ts, exc_info=True)
