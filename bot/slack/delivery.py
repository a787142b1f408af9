"""Putting a reply into Slack: one message, or a placeholder edited as LLM tokens arrive, and
the 👀 reaction while the bot works. Every reply is tagged with the event it answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.answer import Answer
from bot.slack.blocks import escape

log = logging.getLogger(__name__)
# Streaming edits go out at most this often (chat.update is rate limited per channel).
STREAM_UPDATE_S = 1.0
PLACEHOLDER = "…"  # the first text of a streamed answer
# Noted in the inbox before a native stream starts: a crash between Slack creating the stream
# and the bot noting its ts still leaves a trace to find the stream by.
PENDING = "pending"
# The metadata type on every answer, so after a crash the bot can see in Slack whether its
# reply went out before it died (and never posts it twice).
METADATA_TYPE = "newsbot_answer"


@dataclass(frozen=True)
class Place:
    channel: str
    thread: str | None  # reply in this thread (None: top level, as in a DM)
    history_key: str  # conversation identity for follow-ups
    message_ts: str  # the question's own message, for the 👀 reaction
    user: str = ""  # who asked: a native stream in a channel is addressed to them
    team: str = ""
    assistant: bool = False  # an assistant-panel thread: a status line instead of 👀


@dataclass(frozen=True)
class Reply:
    text: str  # plain, escaped: the whole message, or the notification fallback for blocks
    blocks: list[dict[str, Any]] | None = None
    answer: Answer | None = None


def tag(event_id: str, *, done: bool = True) -> dict[str, Any] | None:
    """Metadata naming the event a message answers; `done` is False on a placeholder still to
    be finished (messages from before the flag have none and count as done unless a placeholder)."""
    if not event_id:
        return None
    return {"event_type": METADATA_TYPE, "event_payload": {"event_id": event_id, "done": done}}


async def post(client: Any, place: Place, reply: Reply, metadata: dict[str, Any] | None) -> None:
    await client.chat_postMessage(
        channel=place.channel,
        thread_ts=place.thread,
        text=reply.text,
        blocks=reply.blocks,
        metadata=metadata,
        unfurl_links=False,
        unfurl_media=False,
    )


class Tokens:
    """LLM tokens from the answering thread to the event loop, taken in batches: whatever
    arrived while the previous Slack call was in flight goes out in the next one."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    def put(self, token: str) -> None:  # called from the answering thread
        self._loop.call_soon_threadsafe(self._queue.put_nowait, token)

    def drain(self) -> str:
        out = []
        while not self._queue.empty():
            out.append(self._queue.get_nowait())
        return "".join(out)

    async def batch(self, task: asyncio.Future[Any]) -> str:
        """The tokens waiting, after waiting for one if there are none; "" once `task` is done
        (its last tokens were queued before it finished, so none are missed)."""
        if self._queue.empty() and not task.done():
            getter = asyncio.ensure_future(self._queue.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                return getter.result() + self.drain()
            getter.cancel()
        return self.drain()


class Streaming:
    """Where Slack's native streaming (chat.startStream) works. A workspace without it answers
    `unknown_method`; some conversations refuse it by type: those get the placeholder edits."""

    UNAVAILABLE = frozenset(
        {
            "unknown_method",
            "method_not_supported_for_channel_type",
            "feature_not_enabled",
            "not_allowed_token_type",
        }
    )

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.refused: set[str] = set()  # channels that refused it

    def possible(self, place: Place) -> bool:
        # A stream must be a reply in a thread; a top-level DM answer is edited instead.
        return self.enabled and place.thread is not None and place.channel not in self.refused

    def unavailable(self, place: Place, error: str) -> None:
        if error == "unknown_method":
            self.enabled = False
        else:
            self.refused.add(place.channel)
        log.warning(
            "native streaming unavailable in %s (%s); editing a placeholder instead", place.channel, error
        )


async def stream(
    client: Any,
    place: Place,
    event_id: str,
    make_reply: Callable[[Callable[[str], None]], Awaitable[Reply]],
    *,
    streaming: Streaming,
    on_stream: Callable[[str], Awaitable[None]],
    ts: str | None = None,
) -> Reply:
    """An LLM answer as it is written: streamed natively where Slack offers it, else a
    placeholder edited at most once per STREAM_UPDATE_S. Either way the message ends as the
    checked reply with its sources, tagged with the event. `ts` is a message a crashed run left
    (placeholder or stream): it is finished, never duplicated. `on_stream` hears PENDING before a
    native stream may start, and the stream's ts as soon as it exists."""
    tokens = Tokens()
    task = asyncio.ensure_future(make_reply(tokens.put))
    unsent = ""
    if ts is None and streaming.possible(place):
        await on_stream(PENDING)  # while the LLM is still reading: costs the first token nothing
        ts, unsent = await _native(client, place, tokens, task, streaming, on_stream)
    # Partial text is the stream's (or the placeholder's) so far; a broken stream keeps its ts.
    if ts is None and not task.done():
        placeholder = await client.chat_postMessage(
            channel=place.channel,
            thread_ts=place.thread,
            text=PLACEHOLDER,
            metadata=tag(event_id, done=False),
            unfurl_links=False,
            unfurl_media=False,
        )
        ts = placeholder["ts"]
    partial, shown = unsent, ""
    while not task.done():
        await asyncio.wait({task}, timeout=STREAM_UPDATE_S)
        partial += tokens.drain()
        if not task.done() and partial and partial != shown:
            await client.chat_update(channel=place.channel, ts=ts, text=escape(partial) + " …")
            shown = partial
    reply = task.result()
    if ts is None:  # nothing was streamed (a refusal before the LLM was asked): one message
        await post(client, place, reply, tag(event_id))
    else:
        await client.chat_update(
            channel=place.channel, ts=ts, text=reply.text, blocks=reply.blocks or [], metadata=tag(event_id)
        )
    return reply


async def _native(
    client: Any,
    place: Place,
    tokens: Tokens,
    task: asyncio.Future[Any],
    streaming: Streaming,
    on_stream: Callable[[str], Awaitable[None]],
) -> tuple[str | None, str]:
    """Stream the tokens with chat.startStream / appendStream / stopStream; the message's ts,
    or None if Slack does not offer streaming here (then nothing was posted), with the text
    the caller must still show (all of it, if a started stream broke)."""
    from slack_sdk.errors import SlackApiError

    streamer = await client.chat_stream(
        channel=place.channel,
        thread_ts=place.thread,
        recipient_team_id=place.team or None,
        recipient_user_id=place.user or None,
        buffer_size=1,  # every batch goes out at once: batching comes from `Tokens`
    )
    sent = ""
    while text := await tokens.batch(task):
        started = streamer.ts is not None
        try:
            await streamer.append(markdown_text=escape(text))
        except SlackApiError as err:
            error = str(err.response.get("error", ""))
            if not started and error in Streaming.UNAVAILABLE:
                streaming.unavailable(place, error)
                return None, text
            if not started:
                raise
            # The stream broke (expired, say): the rest goes in as edits of the same message.
            log.warning("streaming into %s stopped (%s); editing it instead", place.channel, error)
            return str(streamer.ts), sent + text
        sent += text
        if not started:
            await on_stream(str(streamer.ts))
    if streamer.ts is None:
        return None, ""
    try:
        await streamer.stop()  # the final chat.update (with blocks and metadata) follows
    except SlackApiError as err:  # an expired stream still takes the final edit
        log.warning("stopping the stream in %s failed (%s)", place.channel, err.response.get("error"))
    return str(streamer.ts), ""


async def react(method: Any, place: Place) -> None:
    try:
        await method(channel=place.channel, timestamp=place.message_ts, name="eyes")
    except Exception:  # the 👀 is a courtesy; never let it block or break an answer
        log.debug("reaction on %s failed", place.message_ts, exc_info=True)
