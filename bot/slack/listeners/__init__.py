"""Listeners, registered by type, one handler per file."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import (
    app_home,
    app_mention,
    ask_command,
    assistant,
    errors,
    feedback,
    message,
    share,
    show_more,
    show_passages,
)
from bot.slack.service import SlackService


def register_all(app: AsyncApp, service: SlackService) -> None:
    for module in (
        assistant,
        app_mention,
        message,
        ask_command,
        feedback,
        show_passages,
        show_more,
        share,
        app_home,
        errors,
    ):
        module.register(app, service)
