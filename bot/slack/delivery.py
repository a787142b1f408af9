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
# The metadata type on every answer, so after a crash the bot can see in Slack whether its
# reply went out before it died (and never posts it twice).
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


def tag(event_id: str) -> dict[str, Any] | None:
    return {"event_type": METADATA_TYPE, "event_payload": {"event_id": event_id}} if event_id else None


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


async def stream(
    client: Any,
    place: Place,
    metadata: dict[str, Any] | None,
    make_reply: Callable[[Callable[[str], None]], Awaitable[Reply]],
    ts: str | None = None,
) -> Reply:
    """A placeholder (or the one a crashed run left, `ts`), edited at most once per
    STREAM_UPDATE_S as tokens arrive, then replaced by the final reply with its sources."""
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
    task = asyncio.ensure_future(make_reply(tokens.append))
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


async def react(method: Any, place: Place) -> None:
    try:
        await method(channel=place.channel, timestamp=place.message_ts, name="eyes")
    except Exception:  # the 👀 is a courtesy; never let it block or break an answer
        log.debug("reaction on %s failed", place.message_ts, exc_info=True)
