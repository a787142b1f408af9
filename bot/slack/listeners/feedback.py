"""👍 / 👎 under an answer (Slack's feedback element): stored with the question, the answer and
the user. Answers posted before the element came carry `feedback_up` / `feedback_down` buttons
whose value is the answer id alone; their votes still land."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import prompts
from bot.slack.blocks import FEEDBACK_ACTION
from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.action(re.compile(rf"^({FEEDBACK_ACTION}|feedback_up|feedback_down)$"))
    async def on_feedback(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        value = action.get("value", "")
        if action["action_id"] == FEEDBACK_ACTION:  # "up:<answer id>" or "down:<answer id>"
            vote, _, answer_id = value.partition(":")
        else:  # the old buttons
            vote, answer_id = ("up" if action["action_id"] == "feedback_up" else "down"), value
        if vote not in ("up", "down"):
            return
        if await service.record_feedback(answer_id, body.get("user", {}).get("id", ""), vote):
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=prompts.load("slack_feedback_thanks").render(),
            )
