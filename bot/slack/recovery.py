"""After a crash: find our own earlier reply to an event in Slack, so a recovered event is
never answered twice (and a half-streamed placeholder is finished, not duplicated)."""

from __future__ import annotations

import logging
from typing import Any

from bot.slack.delivery import METADATA_TYPE, Place

log = logging.getLogger(__name__)


async def posted_before(client: Any, place: Place, event_id: str) -> dict[str, Any] | None:
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
