"""After a crash: find our own earlier reply to an event in Slack, so a recovered event is
never answered twice (and a half-written placeholder or stream is finished, not duplicated)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.slack.delivery import METADATA_TYPE, PLACEHOLDER, Place

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Earlier:
    ts: str
    done: bool  # the finished answer is there; False: a placeholder or stream to finish


async def earlier_reply(client: Any, place: Place, event_id: str, stream_ts: str = "") -> Earlier | None:
    """Our reply to `event_id`, if the bot died after posting (part of) it. `stream_ts` is the
    stream the inbox noted for the event: a stream has no metadata until it is finished."""
    message = await posted_before(client, place, event_id)
    if message is not None:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        return Earlier(str(message["ts"]), bool(payload.get("done", message.get("text") != PLACEHOLDER)))
    if stream_ts:
        try:  # Slack ends an abandoned stream itself in time; ending it now is tidier
            await client.chat_stopStream(channel=place.channel, ts=stream_ts)
        except Exception:
            log.debug("stopping the stream %s left by a crash failed", stream_ts, exc_info=True)
        return Earlier(stream_ts, False)
    return None


async def posted_before(client: Any, place: Place, event_id: str) -> dict[str, Any] | None:
    """Our message tagged with `event_id`, if Slack already has it."""
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
        log.warning("cannot read %s to check for an earlier reply; answering", place.channel, exc_info=True)
        return None
    for message in found.get("messages") or []:
        meta = message.get("metadata") or {}
        if (
            meta.get("event_type") == METADATA_TYPE
            and (meta.get("event_payload") or {}).get("event_id") == event_id
        ):
            return dict(message)
    return None
