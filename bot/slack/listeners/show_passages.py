""" "Show full passages": the cited passages in full, only to the person who asked for them."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.blocks import passages_blocks
from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.action("show_passages")
    async def on_show(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        stored = await service.stored_answer(action.get("value", ""))
        if stored and stored["citations"]:
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text="Full passages",
                blocks=passages_blocks(stored),
            )
