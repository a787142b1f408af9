""" "Share in channel" on an ephemeral /ask answer: post it for everyone, drop the private copy."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.slack.blocks import answer_blocks, fallback_text
from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.action("share_answer")
    async def on_share(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], client: Any, respond: AsyncRespond
    ) -> None:
        await ack()
        answer_id = action.get("value", "")
        stored = await service.stored_answer(answer_id)
        channel = (body.get("channel") or {}).get("id")
        if not stored or not channel or not service.allowed(channel):
            return
        await client.chat_postMessage(
            channel=channel,
            text=fallback_text(stored),
            blocks=answer_blocks(stored, answer_id),
            unfurl_links=False,
        )
        await respond(delete_original=True)
