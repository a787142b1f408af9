"""👍 / 👎 under an answer: stored with the question, the answer and the user."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import prompts
from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.action(re.compile(r"^feedback_(up|down)$"))
    async def on_feedback(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        vote = "up" if action["action_id"] == "feedback_up" else "down"
        if await service.record_feedback(action.get("value", ""), body.get("user", {}).get("id", ""), vote):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=prompts.load("slack_feedback_thanks").render(),
            )
