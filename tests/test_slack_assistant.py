"""The assistant side panel (Agents & AI Apps): the real bolt app and slack_sdk client, over
loopback HTTP and Socket Mode, against the fake Slack API."""
# ruff: noqa: F811  (the `fake` and `env` fixtures are imported from tests/test_slack.py)

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bot import prompts
from bot.suggest import suggest
from tests.fake_slack import FakeSlack, callback, settled
from tests.test_slack import (  # noqa: F401  (fixtures)
    Env,
    _answerer,
    _index,
    _posted_text,
    _start,
    env,
    fake,
    until,
)


def started(thread_ts: str, viewing: str = "C1") -> dict[str, Any]:
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": "U1",
            "context": {"channel_id": viewing, "team_id": "T1", "enterprise_id": None},
            "channel_id": "D1",
            "thread_ts": thread_ts,
        },
        "event_ts": thread_ts,
    }


def asked(text: str, ts: str, thread_ts: str) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "client_msg_id": f"m-{ts}",
    }


def _order(slack: FakeSlack, *methods: str) -> list[str]:
    return [name for name, _ in slack.calls if name in methods]


async def test_thread_start_greets_with_checked_questions_about_the_newest_articles(
    env: Env, tmp_path: Path
) -> None:
    assert await env.event(started("7000.1"), "EvA1") == 200
    [greeting] = await env.fake.wait_for("chat.postMessage")
    assert greeting["channel"] == "D1" and greeting["thread_ts"] == "7000.1"
    assert greeting["text"] == prompts.load("slack_assistant_greeting").render()
    [offer] = await env.fake.wait_for("assistant.threads.setSuggestedPrompts")
    assert offer["channel_id"] == "D1" and offer["thread_ts"] == "7000.1"
    offered = offer["prompts"]
    titles = {p["title"] for p in offered}
    # One per article, from its own headline, and each one answered (not refused) from it.
    assert titles == {"Harbour council backs ferry link", "Notice board warning"}
    checker = env.service.answerer
    by_title = {a.title: a for a in _index(tmp_path).articles()}
    for prompt in offered:
        answer = checker.answer(prompt["message"])
        assert answer.found, prompt
        assert answer.citations[0].title == by_title[prompt["title"]].title
    # What the user was looking at is kept for the thread.
    assert await env.service.thread_context("D1", "7000.1") == {
        "channel_id": "C1",
        "team_id": "T1",
        "enterprise_id": None,
    }


def test_suggestions_come_from_the_index_newest_first_and_skip_what_would_be_refused(tmp_path: Path) -> None:
    from index.store import ArticleState

    checker = _answerer(tmp_path)
    real = {a.title: a for a in _index(tmp_path).articles()}
    ferry, notice = real["Harbour council backs ferry link"], real["Notice board warning"]

    def dated(state: ArticleState, day: str) -> ArticleState:
        return ArticleState(state.id, state.title, state.path, "", day, 1, state.indexed_at)

    # An article the index does not hold cannot be asked about: it is never offered.
    ghost = ArticleState("ghost.txt", "Zebra Quokka Vanishes", "ghost.txt", "", "2030-01-01", 1, "")
    got = suggest([dated(ferry, "2025-01-01"), dated(notice, "2025-06-01"), ghost], checker)
    assert [s.title for s in got] == ["Notice board warning", "Harbour council backs ferry link"]
    assert all("Zebra" not in s.question for s in got)
    assert suggest([], checker) == []
    # A headline that would ping if a user clicked a question quoting it is never quoted.
    pinging = ArticleState(notice.id, "<!channel> must read the flood warning", notice.path, "", "", 1, "")
    assert all("<" not in s.question for s in suggest([pinging], checker))


async def test_question_sets_status_then_title_then_answers_and_follows_up(env: Env) -> None:
    await env.event(started("7100.1"), "EvB0")
    await env.fake.wait_for("chat.postMessage")
    assert await env.event(asked("Who led the ferry campaign?", "7100.2", "7100.1"), "EvB1") == 200
    posts = await env.fake.wait_for("chat.postMessage", 2)
    answer = posts[1]
    assert answer["channel"] == "D1" and answer["thread_ts"] == "7100.1"
    assert "Ruth Adeyemi" in _posted_text(answer) and "feedback_buttons" in _posted_text(answer)
    [status] = env.fake.calls_to("assistant.threads.setStatus")
    assert (
        status["thread_ts"] == "7100.1"
        and status["status"] == prompts.load("slack_assistant_status").render()
    )
    [title] = env.fake.calls_to("assistant.threads.setTitle")
    assert title["title"] == "Who led the ferry campaign?"
    assert _order(env.fake, "assistant.threads.setStatus", "chat.postMessage")[-2:] == [
        "assistant.threads.setStatus",
        "chat.postMessage",
    ]
    assert env.fake.calls_to("reactions.add") == []  # the status line stands in for 👀
    # A follow-up in the same thread is read with the conversation, and keeps the title.
    await env.event(asked("and what did opponents want?", "7100.3", "7100.1"), "EvB2")
    posts = await env.fake.wait_for("chat.postMessage", 3)
    assert "sea wall" in _posted_text(posts[2]) and posts[2]["thread_ts"] == "7100.1"
    assert len(env.fake.calls_to("assistant.threads.setStatus")) == 2
    assert len(env.fake.calls_to("assistant.threads.setTitle")) == 1
    # A redelivery of the question is not answered again.
    await env.event(asked("Who led the ferry campaign?", "7100.2", "7100.1"), "EvB1", retry=1)
    await env.event(asked("Who is the harbour master?", "7100.4", "7100.1"), "EvB3")
    await settled(env.state_path, "EvB1", "EvB3")
    assert len(env.fake.calls_to("chat.postMessage")) == 4


async def test_context_change_is_kept_and_a_vote_on_an_assistant_answer_is_stored(env: Env) -> None:
    await env.event(started("7200.1", viewing="C1"), "EvC0")
    await env.fake.wait_for("chat.postMessage")
    changed = {**started("7200.1", viewing="C2"), "type": "assistant_thread_context_changed"}
    assert await env.event(changed, "EvC1") == 200
    for _ in range(200):
        context = await env.service.thread_context("D1", "7200.1")
        if context and context["channel_id"] == "C2":
            break
        await asyncio.sleep(0.02)
    assert context == {"channel_id": "C2", "team_id": "T1", "enterprise_id": None}
    await env.event(asked("How much will the ferry project cost?", "7200.2", "7200.1"), "EvC2")
    posts = await env.fake.wait_for("chat.postMessage", 2)
    [feedback] = [e for b in posts[1]["blocks"] if b["type"] == "context_actions" for e in b["elements"]]
    vote = feedback["positive_button"]["value"]
    assert await env.click("feedback", vote, "vote", channel="D1", kind="feedback_buttons") == 200
    await until(lambda: bool(env.fake.responses))
    [(user, vote, question, answer)] = await asyncio.to_thread(env.service.state.feedback)
    assert (user, vote, question) == ("U1", "up", "How much will the ferry project cost?")
    assert "$12 million" in answer


async def test_an_assistant_question_over_socket_mode_is_answered_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    from bot.slack.app import build_app

    env = await _start(fake, tmp_path, _answerer(tmp_path))
    handler = AsyncSocketModeHandler(build_app(env.settings, env.service), "xapp-test-app-token")
    await handler.connect_async()
    try:
        await fake.wait_for_socket()
        await fake.push_event("env-a", callback("EvS0", started("7300.1")))
        await fake.wait_for("assistant.threads.setSuggestedPrompts")
        body = callback("EvS1", asked("Who led the ferry campaign?", "7300.2", "7300.1"))
        await fake.push_event("env-b", body)
        await fake.push_event("env-c", body, retry_attempt=1)
        await settled(env.state_path, "EvS1")
        await until(lambda: len(fake.acks) >= 3)
        posts = fake.calls_to("chat.postMessage")
        assert len(posts) == 2 and "Ruth Adeyemi" in _posted_text(posts[1])
        assert fake.calls_to("assistant.threads.setStatus")[0]["thread_ts"] == "7300.1"
    finally:
        await handler.close_async()
        await env.runner.cleanup()


async def test_a_thread_title_never_carries_a_ping(env: Env) -> None:
    await env.event(asked("<!channel> <@U7> Who led the ferry campaign?", "7500.2", "7500.1"), "EvT1")
    [title] = await env.fake.wait_for("assistant.threads.setTitle")
    assert title["title"] == "Who led the ferry campaign?"


async def test_streamed_llm_answer_in_an_assistant_thread_pings_nobody(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from tests.test_slack import _final_update, llm_env

    async with llm_env(fake, tmp_path) as (env, llm_server):
        reply = "The notice board said <!channel> and <@U123> must read the flood warning [1]."
        llm_server.script = [{"reply": reply, "token_delay": 0.02}]
        await env.event(asked("What did the notice board say?", "7400.2", "7400.1"), "EvP1")
        await fake.wait_for("chat.startStream")
        final = await _final_update(fake, fake.streamed_ts[0])
        sent = [json.dumps(c) for c in fake.calls_to("chat.startStream") + fake.calls_to("chat.appendStream")]
        sent += [json.dumps(final)]
        assert "flood warning" in "".join(sent)
        assert not any(ping in s for s in sent for ping in ("<!channel>", "<@U123>", "<!here>"))
        assert fake.calls_to("chat.startStream")[0]["thread_ts"] == "7400.1"
        assert fake.calls_to("assistant.threads.setStatus")  # status first, then the stream
