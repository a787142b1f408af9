"""The one path every Slack question takes: gate, dedupe, answer off the event loop, deliver.

Listeners only pull the question and its place (channel, thread) out of a payload and call
the service; they never touch its state. Every SQLite call runs in a worker thread
(`asyncio.to_thread`): a claim may wait on another replica's lock, and the event loop must
keep acknowledging Slack meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot import prompts
from bot.answer import Answer, Answerer
from bot.errors import explain
from bot.question import BadQuestion, clean_question
from bot.slack import delivery
from bot.slack.blocks import answer_blocks, escape, fallback_text
from bot.slack.delivery import Place, Reply, Streaming
from bot.slack.gate import Gate, strip_mentions
from bot.slack.recovery import earlier_reply
from bot.slack.state import SlackState
from bot.suggest import Suggestion
from index.errors import NewsbotError
from index.indexer import IndexStats

log = logging.getLogger(__name__)
ANSWER_THREADS = 16  # questions answered at once; more wait their turn
SUGGESTIONS_TTL_S = 600  # suggested questions follow the index within this long

__all__ = ["Place", "Reply", "SlackService", "strip_mentions"]


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
        suggestions: Callable[[], list[Suggestion]] = list,
        streaming: Streaming | None = None,
    ):
        self.answerer = answerer
        self.state = state
        self.index_stats = index_stats
        self.gate = Gate(allowed_channels, user_rate)
        self.thread_replies = thread_replies
        self._recovering: set[str] = set()  # events acknowledged before a restart, answered now
        self._suggest = suggestions
        self._suggested: tuple[float, list[Suggestion]] | None = None
        self._suggesting: asyncio.Lock | None = None
        self._warming: asyncio.Future[list[Suggestion]] | None = None
        self.streaming = streaming or Streaming()
        self.bot_user = ""  # our own user id in Slack (auth.test), once known
        # Answers get threads of their own: an LLM answer holds one for seconds, and must never
        # queue the state file's quick calls (claims, stream notes) behind it.
        self._answering = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="answer")

    # --- what listeners and middleware call -----------------------------------------------------

    def allowed(self, channel: str) -> bool:
        return self.gate.allowed(channel)

    async def journal(self, body: dict[str, Any]) -> None:
        """Keep a question event before Slack gets its ack (see `recover`)."""
        await asyncio.to_thread(self.state.receive, str(body["event_id"]), body)

    async def skip(self, body: dict[str, Any]) -> None:
        """A journaled event the listener will not answer (a bot post, an edit, chatter)."""
        await asyncio.to_thread(self.state.finish, str(body.get("event_id", "")))

    async def follows_thread(self, channel: str, thread: str) -> bool:
        """Whether an un-mentioned reply in this thread is for the bot (it answered there)."""
        return self.thread_replies and await asyncio.to_thread(self.state.has_thread, channel, thread)

    async def stored_answer(self, answer_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.state.answer, answer_id)

    async def record_feedback(self, answer_id: str, user: str, vote: str) -> bool:
        return await asyncio.to_thread(self.state.record_feedback, answer_id, user, vote)

    async def home_stats(self) -> IndexStats:
        return await asyncio.to_thread(self.index_stats)

    async def save_context(self, channel: str, thread: str, context: dict[str, Any]) -> None:
        await asyncio.to_thread(self.state.save_context, channel, thread, context)

    async def thread_context(self, channel: str, thread: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.state.context, channel, thread)

    def warm(self) -> None:
        """Work the suggested questions out now, not when the first assistant thread opens."""
        self._warming = asyncio.ensure_future(self.suggestions())

    async def suggestions(self) -> list[Suggestion]:
        """Questions about the newest articles, each checked against the answerer; worked out
        off the event loop and kept for SUGGESTIONS_TTL_S (checking them answers each one)."""
        if self._suggesting is None:
            self._suggesting = asyncio.Lock()
        async with self._suggesting:  # one computation at a time; the others wait for it
            if self._suggested is None or time.monotonic() - self._suggested[0] > SUGGESTIONS_TTL_S:
                try:
                    found = await asyncio.to_thread(self._suggest)
                except Exception:  # never fail a greeting over its suggestions
                    log.warning("suggesting questions failed", exc_info=True)
                    found = []
                self._suggested = (time.monotonic(), found)
            return self._suggested[1]

    async def recover(self, dispatch: Callable[[dict[str, Any]], Awaitable[Any]]) -> int:
        """Answer the events a dead process acknowledged but never finished; returns how many."""
        orphans = await asyncio.to_thread(self.state.orphans)
        for event_id, body in orphans:
            log.warning("answering event %s, acknowledged before a restart", event_id)
            self._recovering.add(event_id)
            await dispatch(body)
        return len(orphans)

    # --- answering ------------------------------------------------------------------------------

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
        turned_away = self.gate.turn_away(user, question)
        if turned_away is not None:
            return Reply(turned_away)
        try:
            # The answerer is synchronous: off the event loop so acks stay fast.
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(
                self._answering, self.answerer.answer, question, history, None, on_token
            )
        except NewsbotError as err:  # a bad question, the index unavailable: safe, clear messages
            return Reply(escape(explain(err)))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("answering in %s failed (reference %s)", channel, ref)
            return Reply(prompts.load("slack_error").render(ref=ref))
        payload = {**answer.to_json(), "highlights": answer.highlights}
        answer_id = await asyncio.to_thread(self.state.save_answer, payload, channel)
        return Reply(fallback_text(payload), answer_blocks(payload, answer_id, shareable=shareable), answer)

    async def ask(
        self, client: Any, user: str, text: str, place: Place, keys: tuple[str, ...], event_id: str = ""
    ) -> None:
        """Answer one question event in its thread (or DM), exactly once per event key."""
        if not self.gate.allowed(place.channel):
            log.info("ignoring a question in %s: not in SLACK_ALLOWED_CHANNELS", place.channel)
            await asyncio.to_thread(self.state.finish, event_id)
            return
        if not await asyncio.to_thread(self.state.claim, *keys, event=event_id):
            # Not finished here: the delivery that claimed it marks it done once it has answered
            # (a repeat marking it early would let a crash in between lose the answer).
            log.info("already handled %s; not answering again", keys)
            return
        try:
            await self._answer(client, user, text, place, event_id)
        finally:
            await asyncio.to_thread(self.state.finish, event_id)
            self._recovering.discard(event_id)

    async def _answer(self, client: Any, user: str, text: str, place: Place, event_id: str) -> None:
        earlier = None
        if event_id in self._recovering:
            noted = await asyncio.to_thread(self.state.reply_ts, event_id)
            others = await asyncio.to_thread(self.state.noted_replies, event_id)
            earlier = await earlier_reply(client, place, event_id, noted, others, self.bot_user)
            if earlier is not None and earlier.done:
                log.warning(
                    "event %s was answered before the restart (ts %s); not again", event_id, earlier.ts
                )
                return
        history = await asyncio.to_thread(self.state.history, place.channel, place.history_key)
        await self._working(client, place, first=not history, question=text)
        try:

            def make_reply(on_token: Callable[[str], None] | None = None) -> Awaitable[Reply]:
                return self.reply_to(user, text, place.channel, history, on_token=on_token)

            async def note_stream(ts: str) -> None:
                if ts != delivery.PENDING:
                    log.info("streaming the answer to %s into %s", event_id, ts)
                await asyncio.to_thread(self.state.note_reply, event_id, ts)

            if self.answerer.mode == "llm" or earlier is not None:
                reply = await delivery.stream(
                    client,
                    place,
                    event_id,
                    make_reply,
                    streaming=self.streaming,
                    on_stream=note_stream,
                    ts=earlier.ts if earlier else None,
                )
            else:
                reply = await make_reply()
                await delivery.post(client, place, reply, delivery.tag(event_id))
            if reply.answer is not None:
                await asyncio.to_thread(self.state.add_turn, place.channel, place.history_key, reply.answer)
        except Exception:  # Slack itself failed after its retries: log it; the user saw 👀 go away
            log.exception("posting the answer in %s failed", place.channel)
        finally:
            if not place.assistant:  # Slack clears an assistant thread's status when we reply
                await delivery.react(client.reactions_remove, place)

    async def _working(self, client: Any, place: Place, *, first: bool, question: str) -> None:
        """Show the question is being worked on: 👀 on it, or in an assistant thread the status
        line (and, for its first question, the thread's title)."""
        if not place.assistant:
            await delivery.react(client.reactions_add, place)
            return
        assert place.thread is not None  # assistant threads always have one
        try:
            await client.assistant_threads_setStatus(
                channel_id=place.channel,
                thread_ts=place.thread,
                status=prompts.load("slack_assistant_status").render(),
            )
            title = _title(question)
            if first and title:
                await client.assistant_threads_setTitle(
                    channel_id=place.channel, thread_ts=place.thread, title=title
                )
        except Exception:  # a courtesy, like 👀: never let it block the answer
            log.debug("setting the assistant status in %s failed", place.channel, exc_info=True)


def _title(text: str) -> str:
    """A thread title from the question: Slack markup (pings, mentions) dropped, kept short."""
    try:
        return prompts.clip(clean_question(text), 80)
    except BadQuestion:
        return ""
