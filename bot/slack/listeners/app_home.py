"""The App Home tab: how many articles, the newest ones, when the index last changed."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.blocks import home_view
from bot.slack.service import SlackService


def register(app: AsyncApp, service: SlackService) -> None:
    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        stats = await service.home_stats()
        await client.views_publish(
            user_id=event["user"], view=home_view(stats.articles, stats.newest, stats.updated_at)
        )
