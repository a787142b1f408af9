"""Direct messages, and un-mentioned replies in threads the bot has answered (a setting)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot.slack.service import Place, SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.event("message")
    async def on_message(
        event: dict[str, Any], body: dict[str, Any], client: Any, context: AsyncBoltContext
    ) -> None:
        # Edits, deletions, joins and bot posts all carry a subtype or a bot_id: never answer them.
        if event.get("subtype") or event.get("bot_id") or event.get("user") in (None, context.bot_user_id):
            return await service.skip(body)
        channel, ts, text = event["channel"], event["ts"], event.get("text", "")
        thread, user, team = event.get("thread_ts"), event["user"], str(body.get("team_id", ""))
        if event.get("channel_type") == "im":
            place = Place(channel, thread, thread or "dm", ts, user=user, team=team)
        else:
            mentioned = context.bot_user_id and f"<@{context.bot_user_id}>" in text
            if not thread or thread == ts or mentioned:
                # Top-level chatter is not for us; a mention is the app_mention listener's.
                return await service.skip(body)
            if not await service.follows_thread(channel, thread):
                return await service.skip(body)
            place = Place(channel, thread, thread, ts, user=user, team=team)
        keys = (f"event:{body.get('event_id', '')}", f"msg:{channel}:{ts}", event.get("client_msg_id", ""))
        await service.ask(client, user, text, place, keys, body.get("event_id", ""))
