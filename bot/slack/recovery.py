"""After a crash: find our own earlier reply to an event in Slack, so a recovered event is
never answered twice (and a half-written placeholder or stream is finished, not duplicated)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.slack.delivery import METADATA_TYPE, PENDING, PLACEHOLDER, Place

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Earlier:
    ts: str
    done: bool  # the finished answer is there; False: a placeholder or stream to finish


async def earlier_reply(
    client: Any,
    place: Place,
    event_id: str,
    noted: str = "",
    others: frozenset[str] = frozenset(),
    bot_user: str = "",
) -> Earlier | None:
    """Our reply to `event_id`, if the bot died after posting (part of) it. `noted` is what the
    inbox noted for the event: a stream's ts (a stream has no metadata until it is finished),
    or PENDING if the bot was about to start one. Then the one untagged message of ours
    (`bot_user`'s) in the thread after the question, that no other event noted (`others`), is
    that stream."""
    messages = await _conversation(client, place)
    for message in messages or []:
        payload = _payload(message)
        if payload is not None and payload.get("event_id") == event_id:
            return Earlier(str(message["ts"]), bool(payload.get("done", message.get("text") != PLACEHOLDER)))
    if noted == PENDING:
        strays = [
            m
            for m in messages or []
            if m.get("bot_id")
            and (not bot_user or m.get("user") == bot_user)
            and _payload(m) is None
            and float(m["ts"]) > float(place.message_ts)
            and m["ts"] not in others
        ]
        noted = str(strays[0]["ts"]) if len(strays) == 1 else ""
    if noted:
        try:  # Slack ends an abandoned stream itself in time; ending it now is tidier
            await client.chat_stopStream(channel=place.channel, ts=noted)
        except Exception:
            log.debug("stopping the stream %s left by a crash failed", noted, exc_info=True)
        return Earlier(noted, False)
    return None


def _payload(message: dict[str, Any]) -> dict[str, Any] | None:
    """The newsbot metadata of a message (None: not one of our tagged replies)."""
    meta = message.get("metadata") or {}
    return dict(meta.get("event_payload") or {}) if meta.get("event_type") == METADATA_TYPE else None


async def _conversation(client: Any, place: Place) -> list[dict[str, Any]] | None:
    """The thread (or the DM after the question) with metadata; None if Slack cannot be read."""
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
    return list(found.get("messages") or [])
