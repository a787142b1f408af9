"""@newsbot in a channel: answer in a thread under the question."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.service import Place, SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], client: Any) -> None:
        if event.get("bot_id") or event.get("subtype") or not event.get("user") or not event.get("channel"):
            return await service.skip(body)
        channel, ts = event["channel"], event["ts"]
        thread = event.get("thread_ts") or ts
        user, team = event.get("user", ""), str(body.get("team_id", ""))
        place = Place(channel, thread, thread, ts, user=user, team=team)
        # The message key is shared with the `message` event Slack may also send for it.
        keys = (f"event:{body.get('event_id', '')}", f"msg:{channel}:{ts}")
        await service.ask(client, user, event.get("text", ""), place, keys, body.get("event_id", ""))
