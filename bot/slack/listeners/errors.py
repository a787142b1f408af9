"""Anything a listener did not handle: logged with a reference; users see only the reference."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot import prompts
from bot.slack.service import SlackService

log = logging.getLogger(__name__)


def register(app: AsyncApp, service: SlackService) -> None:
    @app.error
    async def on_error(error: Exception, body: dict[str, Any], client: Any) -> None:
        ref = uuid.uuid4().hex[:8]
        log.error("unhandled error in a Slack listener (reference %s)", ref, exc_info=error)
        event = body.get("event") or {}
        channel = event.get("channel") or (body.get("channel") or {}).get("id")
        if not channel:
            return
        try:
            await client.chat_postMessage(
                channel=channel,
                thread_ts=event.get("thread_ts") or event.get("ts"),
                text=prompts.load("slack_error").render(ref=ref),
            )
        except Exception:
            log.warning("could not tell the user about error %s", ref)
