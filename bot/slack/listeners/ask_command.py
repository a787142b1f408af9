"""/ask <question>: an ephemeral answer with a "Share in channel" button."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.command("/ask")
    async def on_ask(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()  # within Slack's 3 seconds; the answer follows through response_url
        reply = await service.reply_to(
            command.get("user_id", ""),
            command.get("text", ""),
            command.get("channel_id", ""),
            [],
            shareable=True,
        )
        await respond(response_type="ephemeral", text=reply.text, blocks=reply.blocks, replace_original=False)
