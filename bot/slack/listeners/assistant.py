"""The assistant side panel (Slack's Agents & AI Apps): a greeting with suggested questions
about the newest articles, and questions answered in its threads through the same path as
every other question (inbox, dedupe, status line, feedback)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncAssistant
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.async_store import AsyncAssistantThreadContextStore

from bot import prompts
from bot.slack.service import Place, SlackService


class StoredContexts(AsyncAssistantThreadContextStore):
    """What each thread is looking at, kept in the bot's state file (bolt's default would
    rewrite the greeting message's metadata through the Web API on every change)."""

    def __init__(self, service: SlackService):
        self.service = service

    async def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        await self.service.save_context(channel_id, thread_ts, dict(context))

    async def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = await self.service.thread_context(channel_id, thread_ts)
        return AssistantThreadContext(found) if found else None


def register(app: AsyncApp, service: SlackService) -> None:
    assistant = AsyncAssistant(thread_context_store=StoredContexts(service), logger=app.logger)

    @assistant.thread_started
    async def on_thread_started(event: dict[str, Any], say: Any, set_suggested_prompts: Any) -> None:
        thread = event["assistant_thread"]
        if thread.get("context"):
            await service.save_context(thread["channel_id"], thread["thread_ts"], dict(thread["context"]))
        await say(prompts.load("slack_assistant_greeting").render())
        suggestions = await service.suggestions()
        if suggestions:
            await set_suggested_prompts(
                prompts=[{"title": s.title, "message": s.question} for s in suggestions],
                title=prompts.load("slack_assistant_prompts_title").render(),
            )

    @assistant.thread_context_changed
    async def on_context_changed(event: dict[str, Any]) -> None:
        thread = event["assistant_thread"]
        await service.save_context(
            thread["channel_id"], thread["thread_ts"], dict(thread.get("context") or {})
        )

    @assistant.user_message
    async def on_user_message(event: dict[str, Any], body: dict[str, Any], client: Any) -> None:
        # Bolt routes every DM reply in a thread here; edits and file shares carry a subtype.
        if event.get("subtype") or not event.get("user"):
            return await service.skip(body)
        channel, ts, thread = event["channel"], event["ts"], event["thread_ts"]
        team = str(body.get("team_id") or event.get("team") or "")
        place = Place(channel, thread, thread, ts, user=event["user"], team=team, assistant=True)
        keys = (f"event:{body.get('event_id', '')}", f"msg:{channel}:{ts}", event.get("client_msg_id", ""))
        await service.ask(client, event["user"], event.get("text", ""), place, keys, body.get("event_id", ""))

    app.assistant(assistant)
