""" "Show more" under a briefing cut to Slack's limits: the whole of it, only to whoever asks."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.blocks import more_blocks
from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.action("show_more")
    async def on_more(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        stored = await service.stored_answer(action.get("value", ""))
        if stored and stored.get("briefing"):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text="The whole briefing",
                blocks=more_blocks(stored),
            )
