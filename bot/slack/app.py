"""Build and run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, or HTTP (`--http`)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.settings import Settings
from bot.slack.listeners import register_all
from bot.slack.service import SlackService
from index.errors import NewsbotError

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
JOURNALED = ("app_mention", "message")  # the event types that can carry a question


def web_client(settings: Settings) -> Any:
    from slack_sdk.http_retry.builtin_async_handlers import (
        AsyncConnectionErrorRetryHandler,
        AsyncRateLimitErrorRetryHandler,
        AsyncServerErrorRetryHandler,
    )
    from slack_sdk.web.async_client import AsyncWebClient

    # Bounded retries: 429 honours Retry-After; 5xx and dropped connections back off.
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def _not_token_warning(record: logging.LogRecord) -> bool:
    return "`token` will be unused" not in record.getMessage()


def build_app(settings: Settings, service: SlackService) -> AsyncApp:
    bolt_log = logging.getLogger("newsbot.slack.bolt")
    # Bolt also reads SLACK_BOT_TOKEN from the environment and warns that our client wins;
    # it is the same token, so the warning is only noise on the user's terminal.
    if _not_token_warning not in bolt_log.filters:
        bolt_log.addFilter(_not_token_warning)
    app = AsyncApp(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value() or None,
        request_verification_enabled=bool(settings.slack_signing_secret.get_secret_value()),
        logger=bolt_log,
    )

    # Question events go into the inbox before Slack gets its ack: one acknowledged just before a
    # crash is answered after the restart (see `recover`), since Slack will not send it again.
    @app.middleware
    async def journal(body: dict[str, Any], next: Any) -> None:
        event = body.get("event") or {}
        # Only what a listener may answer: edits, deletions and bot posts are never questions.
        asks = event.get("type") in JOURNALED and not event.get("subtype") and not event.get("bot_id")
        if body.get("type") == "event_callback" and asks and body.get("event_id"):
            await service.journal(body)
        await next()

    register_all(app, service)
    return app


async def recover(app: AsyncApp, service: SlackService) -> int:
    """Answer the events a dead process acknowledged but never finished; returns how many."""
    from slack_bolt.request.async_request import AsyncBoltRequest

    async def dispatch(body: dict[str, Any]) -> Any:
        # Dispatched as Socket Mode so it is not re-verified: it was verified when it arrived.
        return await app.async_dispatch(AsyncBoltRequest(body=body, mode="socket_mode"))

    return await service.recover(dispatch)


def check_settings(settings: Settings, http: bool) -> None:
    if not settings.slack_bot_token.get_secret_value():
        raise NewsbotError(
            "SLACK_BOT_TOKEN is not set: create the app from manifest.yaml and put its tokens in .env"
        )
    if http and not settings.slack_signing_secret.get_secret_value():
        raise NewsbotError("SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request with it")
    if not http and not settings.slack_app_token.get_secret_value():
        raise NewsbotError("SLACK_APP_TOKEN is not set: Socket Mode needs it (or run `newsbot slack --http`)")


async def check_token(app: AsyncApp) -> str:
    """auth.test once at start-up: a bad token is one clear line, not a traceback later."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    try:
        response = await app.client.auth_test()
    except SlackApiError as err:
        raise NewsbotError(
            f"SLACK_BOT_TOKEN was rejected by Slack ({err.response.get('error', 'error')})"
        ) from err
    except (SlackClientError, OSError) as err:
        raise NewsbotError(
            f"cannot reach the Slack API at {app.client.base_url} ({type(err).__name__})"
        ) from err
    return str(response.get("user_id", ""))


async def serve(settings: Settings, service: SlackService, *, http: bool, port: int) -> None:
    app = build_app(settings, service)
    bot_user = service.bot_user = await check_token(app)
    await recover(app, service)
    service.warm()
    if http:
        from aiohttp import web

        from bot.slack.http_guard import guarded

        runner = web.AppRunner(guarded(app.server(port=port, path=EVENTS_PATH).web_app))
        await runner.setup()
        await web.TCPSite(runner, "0.0.0.0", port).start()
        log.warning("newsbot (%s) listening for Slack on port %s at %s", bot_user, port, EVENTS_PATH)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
    else:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(app, settings.slack_app_token.get_secret_value())
        log.warning("newsbot (%s) connected to Slack in Socket Mode", bot_user)
        await handler.start_async()
