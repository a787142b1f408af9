"""The real bolt app, over real loopback HTTP and Socket Mode, against the fake Slack API."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import sqlite3
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from bot.answer import Answerer
from bot.extractive import ExtractiveAnswerer
from bot.settings import Settings
from bot.slack.app import EVENTS_PATH, build_app, check_token
from bot.slack.http_guard import guarded
from bot.slack.service import SlackService
from bot.slack.state import SlackState
from bot.suggest import suggest
from index.errors import NewsbotError
from index.indexer import Index
from tests.fake_slack import BOT_USER, VALID_TOKEN, FakeSlack, callback, chunk_text, settled
from tests.fakes import HashEmbedder
from tests.test_search_answer import STORY

SECRET = "test-signing-secret"
PINGS = (
    "Notice board warning\n\n"
    "The notice board said <!channel> and <!here> and <!everyone> and <@U123> must read the flood warning. "
    "The flood warning covers the river district.\n"
)


@dataclass
class Env:
    fake: FakeSlack
    url: str
    state_path: Path
    settings: Settings
    service: SlackService
    runner: web.AppRunner

    async def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        retry: int | None = None,
    ) -> int:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature
            or str(SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as resp,
        ):
            return resp.status

    async def event(self, event: dict[str, Any], event_id: str, **kw: Any) -> int:
        return await self.post(json.dumps(callback(event_id, event)).encode(), "application/json", **kw)

    async def form(self, fields: dict[str, str]) -> int:
        return await self.post(urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded")

    async def click(
        self,
        action_id: str,
        value: str,
        key: str,
        *,
        user: str = "U1",
        channel: str = "C1",
        kind: str = "button",
    ) -> int:
        """A button click (block_actions) as Slack posts it; replies go to response_url `key`."""
        action = {
            "type": "block_actions",
            "user": {"id": user},
            "channel": {"id": channel},
            "team": {"id": "T1"},
            "response_url": self.fake.response_url(key),
            "trigger_id": "t",
            "actions": [{"action_id": action_id, "value": value, "type": kind}],
        }
        return await self.form({"payload": json.dumps(action)})


def mention(text: str, ts: str, channel: str = "C1", thread_ts: str | None = None) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def thread_reply(text: str, ts: str, thread_ts: str, channel: str = "C1") -> dict[str, Any]:
    """A plain message in a channel thread (no mention): how a follow-up arrives."""
    return {
        "type": "message",
        "channel_type": "channel",
        "user": "U1",
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "channel": channel,
    }


class LoopCheckedState(SlackState):
    """The real state file, noting every call made on the event loop's thread: SQLite may wait
    up to 30 s on another replica's lock, and the loop must keep acknowledging Slack."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.on_loop: list[str] = []

    def __getattribute__(self, name: str) -> Any:
        attr = super().__getattribute__(name)
        if name.startswith("_") or name not in vars(SlackState) or not callable(attr):
            return attr

        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                asyncio.get_running_loop()
                object.__getattribute__(self, "on_loop").append(name)
            except RuntimeError:  # no loop in this thread: a worker thread, as it should be
                pass
            return attr(*args, **kwargs)

        return checked


def _refused_repeats(caplog: pytest.LogCaptureFixture, key: str) -> int:
    """How many deliveries of an event the service turned away as already handled."""
    return sum("already handled" in r.getMessage() and key in r.getMessage() for r in caplog.records)


async def until(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


def journaled(state_file: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(state_file)) as db:
        return {row[0] for row in db.execute("SELECT event_id FROM inbox")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _index(tmp_path: Path) -> Index:
    return Index(tmp_path / "data", HashEmbedder())


def _answerer(tmp_path: Path) -> ExtractiveAnswerer:
    articles = tmp_path / "articles"
    articles.mkdir(exist_ok=True)
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    (articles / "pings.txt").write_text(PINGS, encoding="utf-8")
    index = _index(tmp_path)
    index.sync(articles, max_bytes=5_000_000)
    return ExtractiveAnswerer(index.searcher())


async def _start(fake: FakeSlack, tmp_path: Path, answerer: Answerer, **service_kw: Any) -> Env:
    settings = Settings.load(env={}, dotenv=None).but(
        slack_bot_token=VALID_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=fake.base_url,
    )
    state_path = tmp_path / "slack.sqlite3"
    index = _index(tmp_path)
    service_kw.setdefault("suggestions", lambda: suggest(index.articles(), answerer))
    service = SlackService(answerer, LoopCheckedState(state_path), index_stats=index.stats, **service_kw)
    port = _free_port()
    runner = web.AppRunner(guarded(build_app(settings, service).server(port=port, path=EVENTS_PATH).web_app))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Env(fake, f"http://127.0.0.1:{port}{EVENTS_PATH}", state_path, settings, service, runner)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def env(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[Env]:
    started = await _start(fake, tmp_path, _answerer(tmp_path))
    yield started
    await started.runner.cleanup()
    state = started.service.state
    assert isinstance(state, LoopCheckedState)
    assert state.on_loop == [], f"SQLite called on the event loop: {state.on_loop}"


def _posted_text(call: dict[str, Any]) -> str:
    return json.dumps([call.get("text"), call.get("blocks")], ensure_ascii=False)


async def test_mention_gets_a_threaded_cited_answer_and_eyes(env: Env) -> None:
    t0 = time.perf_counter()
    assert await env.event(mention("Who led the ferry campaign?", "100.1"), "Ev1") == 200
    ack_ms = (time.perf_counter() - t0) * 1000
    [post] = await env.fake.wait_for("chat.postMessage")
    assert post["channel"] == "C1" and post["thread_ts"] == "100.1"
    text = _posted_text(post)
    assert (
        "Ruth Adeyemi" in text
        and "[1]" in text
        and "Sources" in text
        and "Harbour council backs ferry link" in text
    )
    assert post["unfurl_links"] in (False, "0", "false")
    await env.fake.wait_for("reactions.remove")
    assert env.fake.calls_to("reactions.add")[0]["name"] == "eyes"
    assert ack_ms < 3000


async def test_direct_message_is_answered_in_the_dm(env: Env) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": "U1",
        "text": "How much will the ferry project cost?",
        "ts": "200.1",
        "channel": "D1",
    }
    assert await env.event(dm, "Ev2") == 200
    [post] = await env.fake.wait_for("chat.postMessage")
    assert post["channel"] == "D1" and "thread_ts" not in post and "$12 million" in _posted_text(post)


async def _asked_then_followed_up(env: Env, follow_up: str, thread: str) -> list[dict[str, Any]]:
    """Mention the bot with a question, then reply in its thread; the two posts, in order."""
    await env.event(mention("Who led the ferry campaign?", f"{thread}.1"), f"Ev{thread}a")
    await env.fake.wait_for("chat.postMessage")
    await env.event(thread_reply(follow_up, f"{thread}.5", f"{thread}.1"), f"Ev{thread}b")
    posts = await env.fake.wait_for("chat.postMessage", 2)
    assert posts[1]["thread_ts"] == f"{thread}.1"
    return posts


async def test_thread_follow_up_uses_the_earlier_turn(env: Env) -> None:
    posts = await _asked_then_followed_up(env, "and what did opponents want?", "300")
    assert "sea wall" in _posted_text(posts[1])
    # A reply in a thread the bot never answered is left alone.
    stranger = thread_reply("and what did opponents want?", "400.5", "400.1")
    await env.event(stranger, "Ev5")
    await settled(env.state_path, "Ev5")
    assert len(env.fake.calls_to("chat.postMessage")) == 2


async def test_thanks_in_a_thread_gets_a_short_reply_and_the_conversation_goes_on(env: Env) -> None:
    # Searched, "thanks!" got "I couldn't find that" under an unrelated passage, with feedback buttons.
    posts = await _asked_then_followed_up(env, "thanks! 🙏", "305")
    reply = _posted_text(posts[1])
    assert "Glad to help" in reply and "couldn't find" not in reply and "Closest" not in reply
    assert "feedback" not in json.dumps(posts[1].get("blocks"))
    await env.event(thread_reply("and what did opponents want?", "305.7", "305.1"), "Ev305c")
    posts = await env.fake.wait_for("chat.postMessage", 3)
    assert "sea wall" in _posted_text(posts[2])  # the turn before "thanks" is still the one followed


async def test_a_thread_follow_up_can_point_at_the_article_the_answer_cited(env: Env) -> None:
    # Two articles are indexed; "summarize the article" in the thread means the one just cited.
    posts = await _asked_then_followed_up(env, "summarize the article", "310")
    assert "voted 9 to 4" in _posted_text(posts[1]), _posted_text(posts[1])


def test_thread_turns_keep_what_each_answer_cited_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "slack.sqlite3"
    # A state file from before turns kept citations and marks: it opens, and its turns go on.
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(
            "CREATE TABLE turns (channel TEXT NOT NULL, thread TEXT NOT NULL, at REAL NOT NULL,"
            " question TEXT NOT NULL, standalone TEXT NOT NULL, answer TEXT NOT NULL)"
        )
        db.execute("INSERT INTO turns VALUES ('C1', 'T1', 1.0, 'Who?', 'Who?', 'Ruth.')")
        db.commit()
    state = SlackState(path)
    [old] = state.history("C1", "T1")
    assert (old.question, old.text, old.found, old.citations, old.highlights) == (
        "Who?",
        "Ruth.",
        True,
        [],
        [],
    )
    answerer = _answerer(tmp_path)
    answer = answerer.answer("Who led the ferry campaign?")
    assert answer.found and answer.highlights and answer.citations
    state.add_turn("C1", "T2", answer)
    state.add_turn("C1", "T2", answerer.answer("What is the population of Gull Island?"))
    kept, refused = state.history("C1", "T2")
    assert (kept.highlights, kept.citations, kept.found) == (answer.highlights, answer.citations, True)
    assert not refused.found
    state.close()


async def test_slash_ask_is_ephemeral_and_can_be_shared(env: Env) -> None:
    status = await env.form(
        {
            "command": "/ask",
            "text": "How much will the ferry project cost?",
            "user_id": "U1",
            "channel_id": "C9",
            "response_url": env.fake.response_url("ask1"),
            "trigger_id": "t1",
            "team_id": "T1",
        }
    )
    assert status == 200
    for _ in range(200):
        if env.fake.responses:
            break
        await asyncio.sleep(0.02)
    [ephemeral] = env.fake.responses
    assert ephemeral["response_type"] == "ephemeral" and "$12 million" in json.dumps(ephemeral)
    share = next(
        e
        for b in ephemeral["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "share_answer"
    )
    assert await env.click("share_answer", share["value"], "share1", channel="C9") == 200
    [post] = await env.fake.wait_for("chat.postMessage")
    assert post["channel"] == "C9" and "$12 million" in _posted_text(post)
    for _ in range(200):
        if len(env.fake.responses) > 1:
            break
        await asyncio.sleep(0.02)
    assert env.fake.responses[1].get("delete_original") is True


async def test_feedback_and_full_passages_buttons(env: Env) -> None:
    await env.event(mention("Who led the ferry campaign?", "500.1"), "Ev6")
    [post] = await env.fake.wait_for("chat.postMessage")
    buttons = {
        e["action_id"]: e["value"] for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]
    }
    assert set(buttons) == {"show_passages"}
    [feedback] = [e for b in post["blocks"] if b["type"] == "context_actions" for e in b["elements"]]
    assert feedback["type"] == "feedback_buttons" and feedback["action_id"] == "feedback"
    answer_id = buttons["show_passages"]
    assert feedback["negative_button"]["value"] == f"down:{answer_id}"
    clicks = [
        ("feedback", feedback["negative_button"]["value"], "feedback_buttons", "U7"),  # Slack's element
        ("feedback_up", answer_id, "button", "U8"),  # an answer posted before it: the old button id
        ("show_passages", answer_id, "button", "U7"),
    ]
    for n, (action_id, value, kind, user_id) in enumerate(clicks):
        assert await env.click(action_id, value, f"{action_id}{n}", user=user_id, kind=kind) == 200
    await until(lambda: len(env.fake.responses) >= 3)
    votes = sorted(await asyncio.to_thread(env.service.state.feedback))
    assert [(u, v, q) for u, v, q, _ in votes] == [
        ("U7", "down", "Who led the ferry campaign?"),
        ("U8", "up", "Who led the ferry campaign?"),
    ]
    assert all("Adeyemi" in answer for *_, answer in votes)
    passages = next(r for r in env.fake.responses if r["key"] == "show_passages2")
    assert passages["response_type"] == "ephemeral" and "who led the campaign" in json.dumps(passages)


async def test_retried_event_is_answered_once_even_after_a_restart(
    env: Env, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.service")
    event = mention("Who led the ferry campaign?", "600.1")
    await env.event(event, "EvR")
    await env.fake.wait_for("chat.postMessage")
    # Slack signs each delivery afresh; the very same signed request again would be a replay.
    assert await env.event(event, "EvR", retry=1, timestamp=int(time.time()) - 1) == 200
    # Slack also sends `message` for a mention in a thread; it must not produce a second answer.
    twin = {**event, "type": "message", "channel_type": "channel", "thread_ts": "600.1"}
    await env.event(twin, "EvTwin")
    await settled(env.state_path, "EvTwin")
    await until(lambda: _refused_repeats(caplog, "event:EvR") == 1)
    await env.runner.cleanup()
    restarted = await _start(env.fake, tmp_path, env.service.answerer)
    try:
        assert await restarted.event(event, "EvR", retry=2, timestamp=int(time.time()) - 2) == 200
        await until(lambda: _refused_repeats(caplog, "event:EvR") == 2)
    finally:
        await restarted.runner.cleanup()
    assert len(env.fake.calls_to("chat.postMessage")) == 1


async def test_bad_signature_and_stale_timestamp_get_401_and_no_answer(env: Env) -> None:
    event = mention("Who led the ferry campaign?", "700.1")
    assert await env.event(event, "EvBad", signature="v0=" + "0" * 64) == 401
    assert await env.event(event, "EvOld", timestamp=int(time.time()) - 6 * 60) == 401
    # Refused before any listener ran: never journaled, so nothing can answer them later.
    assert await asyncio.to_thread(journaled, env.state_path) == set()
    assert env.fake.calls_to("chat.postMessage") == []


async def test_channel_pings_inside_articles_are_escaped(env: Env) -> None:
    await env.event(mention("What did the notice board say about the flood warning?", "800.1"), "Ev8")
    [post] = await env.fake.wait_for("chat.postMessage")
    text = _posted_text(post)
    assert "flood warning" in text
    for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U123>"):
        assert ping not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text


async def test_rate_limited_api_call_is_retried(env: Env) -> None:
    env.fake.fail["chat.postMessage"] = [429]
    await env.event(mention("Who led the ferry campaign?", "900.1"), "Ev9")
    posts = await env.fake.wait_for("chat.postMessage", 2)
    assert "Adeyemi" in _posted_text(posts[1])


async def test_answerer_failure_gives_a_safe_message_with_a_reference(
    env: Env, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(env.service.answerer, "answer", boom)
    await env.event(mention("Who led the ferry campaign?", "1000.1"), "Ev10")
    [post] = await env.fake.wait_for("chat.postMessage")
    assert post["text"].startswith("Sorry, something went wrong") and "reference" in post["text"]
    assert "secret internal detail" not in _posted_text(post)
    assert "secret internal detail" in caplog.text


async def test_a_repeat_delivery_does_not_mark_an_unanswered_event_done(
    env: Env, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    caplog.set_level(logging.INFO, logger="bot.slack.service")
    release = threading.Event()
    answer = env.service.answerer.answer

    def held(*args: Any, **kwargs: Any) -> Any:  # the answer takes until the test lets it go
        release.wait(30)
        return answer(*args, **kwargs)

    monkeypatch.setattr(env.service.answerer, "answer", held)
    await env.event(mention("Who led the ferry campaign?", "1050.1"), "EvHeld")
    # Slack's retry: a new request (its own timestamp), the same event.
    await env.event(
        mention("Who led the ferry campaign?", "1050.1"), "EvHeld", retry=1, timestamp=int(time.time()) - 1
    )
    await until(lambda: _refused_repeats(caplog, "event:EvHeld") == 1)

    def done() -> bool:
        with contextlib.closing(sqlite3.connect(env.state_path)) as db:
            return bool(db.execute("SELECT done FROM inbox WHERE event_id='EvHeld'").fetchone()[0])

    # Still answering: were it marked done now, a crash here would lose the answer.
    assert not await asyncio.to_thread(done)
    release.set()
    await settled(env.state_path, "EvHeld")
    assert len(await env.fake.wait_for("chat.postMessage")) == 1


async def test_empty_mention_too_long_and_own_messages(env: Env) -> None:
    await env.event(mention("", "1100.1"), "Ev11")
    [hint] = await env.fake.wait_for("chat.postMessage")
    assert "Ask me about the indexed articles" in hint["text"]
    await env.event(mention("why " * 10_000, "1100.2"), "Ev12")
    posts = await env.fake.wait_for("chat.postMessage", 2)
    assert "please ask it in under 2,000" in posts[1]["text"]
    for i, noise in enumerate(
        [
            {
                "type": "message",
                "channel_type": "im",
                "user": BOT_USER,
                "text": "my own answer",
                "ts": "1.1",
                "channel": "D1",
            },
            {
                "type": "message",
                "channel_type": "im",
                "bot_id": "B9",
                "text": "another bot",
                "ts": "1.2",
                "channel": "D1",
            },
            {
                "type": "message",
                "subtype": "message_changed",
                "channel_type": "im",
                "ts": "1.3",
                "channel": "D1",
            },
            {
                "type": "message",
                "subtype": "message_deleted",
                "channel_type": "im",
                "ts": "1.4",
                "channel": "D1",
            },
        ]
    ):
        assert await env.event(noise, f"EvNoise{i}") == 200
    # A question after the noise: once it is answered, the noise has long been handled.
    question = {"type": "message", "channel_type": "im", "user": "U1", "ts": "1.5", "channel": "D1"}
    await env.event({**question, "text": "Who led the ferry campaign?"}, "EvAfterNoise")
    await settled(env.state_path, "EvAfterNoise")
    # Bot posts, edits and deletions can never be questions: not even journaled.
    assert not {f"EvNoise{i}" for i in range(4)} & await asyncio.to_thread(journaled, env.state_path)
    assert len(env.fake.calls_to("chat.postMessage")) == 3


async def test_fifty_mentions_at_once_get_fifty_answers(env: Env) -> None:
    statuses = await asyncio.gather(
        *(
            env.event(mention("How much will the ferry project cost?", f"2000.{i}"), f"EvMany{i}")
            for i in range(50)
        )
    )
    assert statuses == [200] * 50
    posts = await env.fake.wait_for("chat.postMessage", 50, timeout=30)
    assert sorted(p["thread_ts"] for p in posts) == sorted(f"2000.{i}" for i in range(50))


async def test_app_home_shows_the_index(env: Env) -> None:
    await env.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}, "EvHome")
    [call] = await env.fake.wait_for("views.publish")
    assert call["user_id"] == "U1" and "*2 articles* indexed" in json.dumps(call["view"])


async def test_allowlist_ignores_other_channels(fake: FakeSlack, tmp_path: Path) -> None:
    env = await _start(fake, tmp_path, _answerer(tmp_path), allowed_channels=frozenset({"CALLOWED"}))
    try:
        await env.event(mention("Who led the ferry campaign?", "3000.1", channel="COTHER"), "EvA1")
        await env.event(mention("Who led the ferry campaign?", "3000.2", channel="CALLOWED"), "EvA2")
        [post] = await fake.wait_for("chat.postMessage")
        await settled(env.state_path, "EvA1")
        assert post["channel"] == "CALLOWED" and len(fake.calls_to("chat.postMessage")) == 1
    finally:
        await env.runner.cleanup()


async def test_per_user_rate_limit_replies_politely(fake: FakeSlack, tmp_path: Path) -> None:
    env = await _start(fake, tmp_path, _answerer(tmp_path), user_rate=2)
    try:
        for i in range(3):
            await env.event(mention("Who led the ferry campaign?", f"4000.{i}"), f"EvL{i}")
        posts = await fake.wait_for("chat.postMessage", 3)
        assert sum("faster than I can keep up" in p["text"] for p in posts) == 1
    finally:
        await env.runner.cleanup()


async def test_socket_mode_mention_is_acked_and_answered(
    fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.service")
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    env = await _start(fake, tmp_path, _answerer(tmp_path))
    app = build_app(env.settings, env.service)
    handler = AsyncSocketModeHandler(app, "xapp-test-app-token")
    await handler.connect_async()
    try:
        await fake.wait_for_socket()
        body = callback("EvS1", mention("Who led the ferry campaign?", "5000.1"))
        await fake.push_event("env-1", body)
        [post] = await fake.wait_for("chat.postMessage")
        assert post["thread_ts"] == "5000.1" and "Adeyemi" in _posted_text(post)
        await fake.push_event("env-2", body, retry_attempt=1)  # a socket-mode redelivery
        for _ in range(100):
            if len(fake.acks) >= 2:
                break
            await asyncio.sleep(0.02)
        assert fake.acks[:2] == ["env-1", "env-2"]
        await until(lambda: _refused_repeats(caplog, "event:EvS1") == 1)
        assert len(fake.calls_to("chat.postMessage")) == 1
    finally:
        await handler.close_async()
        await env.runner.cleanup()


async def test_invalid_token_is_one_clear_line(fake: FakeSlack, tmp_path: Path) -> None:
    settings = Settings.load(env={}, dotenv=None).but(
        slack_bot_token="xoxb-wrong", slack_api_url=fake.base_url
    )
    answerer = _answerer(tmp_path)
    service = SlackService(answerer, SlackState(tmp_path / "s.sqlite3"), index_stats=_index(tmp_path).stats)
    app = build_app(settings, service)
    with pytest.raises(NewsbotError, match=r"SLACK_BOT_TOKEN was rejected by Slack \(invalid_auth\)"):
        await check_token(app)


def test_slack_command_reports_missing_settings_in_one_line(tmp_path: Path) -> None:
    from tests.conftest import cli_env, newsbot

    missing = newsbot("slack", "--data", str(tmp_path), env=cli_env())
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip() == (
        "error: SLACK_BOT_TOKEN is not set: create the app from manifest.yaml and put its tokens in .env"
    )
    http = newsbot("slack", "--http", "--data", str(tmp_path), env=cli_env(SLACK_BOT_TOKEN="xoxb-x"))
    assert "SLACK_SIGNING_SECRET is not set" in http.stderr and http.stderr.count("\n") == 1


# Slack's documentation: the bot scopes each Web API method needs, and the subscriptions and
# scopes each bolt listener needs. A method or listener missing here fails the test below.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(),
    "chat_postMessage": {"chat:write"},
    "chat_update": {"chat:write"},
    "chat_stream": {"chat:write"},  # chat.startStream / appendStream / stopStream
    "chat_stopStream": {"chat:write"},
    "assistant_threads_setStatus": {"assistant:write"},
    "assistant_threads_setTitle": {"assistant:write"},
    "assistant_threads_setSuggestedPrompts": {"assistant:write"},
    "reactions_add": {"reactions:write"},
    "reactions_remove": {"reactions:write"},
    "views_publish": set(),
    # Reading back a thread or DM after a crash, in each kind of conversation we answer in.
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
}
EVENT_NEEDS: dict[str, tuple[set[str], set[str]]] = {  # listener -> (subscriptions, scopes)
    "app_mention": ({"app_mention"}, {"app_mentions:read"}),
    "app_home_opened": ({"app_home_opened"}, set()),
    "assistant_thread_started": ({"assistant_thread_started"}, {"assistant:write"}),
    "assistant_thread_context_changed": ({"assistant_thread_context_changed"}, {"assistant:write"}),
    "message": (
        {"message.channels", "message.groups", "message.im"},
        {"channels:history", "groups:history", "im:history"},
    ),
}


# Bolt's listener helpers and the Web API method each one calls.
BOLT_HELPERS = {
    "say": "chat_postMessage",
    "set_status": "assistant_threads_setStatus",
    "set_title": "assistant_threads_setTitle",
    "set_suggested_prompts": "assistant_threads_setSuggestedPrompts",
}
# AsyncAssistant's listener decorators and the event each one is for.
ASSISTANT_EVENTS = {
    "thread_started": "assistant_thread_started",
    "thread_context_changed": "assistant_thread_context_changed",
    "user_message": "message",
}


def _what_the_code_uses() -> tuple[set[str], set[str], set[str], set[str]]:
    """Web API methods called on a client, and the events, commands and actions listened to,
    read from the source of bot/ (so a new call or listener cannot skip the manifest)."""
    import ast

    from tests.conftest import ROOT

    methods: set[str] = set()
    events: set[str] = set()
    commands: set[str] = set()
    actions: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.AsyncFunctionDef):  # bolt's helpers, taken as listener arguments
                methods |= {BOLT_HELPERS[a.arg] for a in node.args.args if a.arg in BOLT_HELPERS}
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Attribute) and decorator.attr in ASSISTANT_EVENTS:
                        events.add(ASSISTANT_EVENTS[decorator.attr])
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "client"
            ):
                methods.add(node.attr)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "app"
                and node.func.attr in ("event", "command", "action")
            ):
                kind = {"event": events, "command": commands, "action": actions}[node.func.attr]
                kind.add(ast.unparse(node.args[0]))
    return methods, {e.strip("'\"") for e in events}, {c.strip("'\"") for c in commands}, actions


def test_manifest_declares_what_the_code_uses() -> None:
    import yaml

    from tests.conftest import ROOT

    methods, events, commands, actions = _what_the_code_uses()
    assert {"chat_postMessage", "reactions_add", "views_publish"} <= methods  # the scan sees calls
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"add the scopes of {unknown} to METHOD_SCOPES and manifest.yaml"
    assert events <= set(EVENT_NEEDS), f"add {events - set(EVENT_NEEDS)} to EVENT_NEEDS and the manifest"
    scopes = set().union(*(METHOD_SCOPES[m] for m in methods))
    scopes |= set().union(*(EVENT_NEEDS[e][1] for e in events))
    subscriptions = set().union(*(EVENT_NEEDS[e][0] for e in events))
    if commands:
        scopes.add("commands")

    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == scopes
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == subscriptions
    assert {c["command"] for c in manifest["features"]["slash_commands"]} == commands
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(actions)
    assistant = {"assistant_thread_started", "assistant_thread_context_changed"} & events
    assert ("assistant_view" in manifest["features"]) is bool(assistant)


async def test_llm_answers_stream_natively_and_end_as_the_checked_answer(
    fake: FakeSlack, tmp_path: Path
) -> None:

    async with llm_env(fake, tmp_path) as (env, llm_server):
        reply = "Deputy mayor Ruth Adeyemi led the campaign for the ferry link to Gull Island [1]. See [7]."
        llm_server.script = [{"match": "Who led the ferry campaign?", "reply": reply, "token_delay": 0.05}]
        await env.event(mention("Who led the ferry campaign?", "6000.1"), "EvLLM")
        await fake.wait_for("chat.startStream")
        ts = fake.streamed_ts[0]
        final = await _final_update(fake, ts)
        start = fake.calls_to("chat.startStream")[0]
        assert start["thread_ts"] == "6000.1" and start["recipient_user_id"] == "U1"
        assert start["recipient_team_id"] == "T1"
        appended = fake.calls_to("chat.appendStream")
        assert len(appended) >= 3, "the answer arrives as several stream chunks, not one"
        streamed = "".join(chunk_text(c) for c in fake.calls_to("chat.startStream") + appended)
        assert streamed.startswith("Deputy mayor Ruth Adeyemi") and "[1]" in streamed
        assert fake.calls_to("chat.stopStream") and not fake.messages[0]["streaming"]
        # The final message is the checked answer: [7] cites nothing and is gone; sources follow.
        assert "Ruth Adeyemi" in final["text"] and "[1]" in final["text"] and "[7]" not in final["text"]
        assert "Sources" in json.dumps(final["blocks"]) and "feedback_buttons" in json.dumps(final["blocks"])
        assert final["metadata"]["event_payload"] == {"event_id": "EvLLM", "done": True}
        assert fake.calls_to("chat.postMessage") == []  # no placeholder: the stream is the message
        await settled(env.state_path, "EvLLM")
        # The inbox noted the stream while it was open: after a crash it is found and finished.
        assert await asyncio.to_thread(env.service.state.reply_ts, "EvLLM") == ts


async def test_llm_answers_fall_back_to_throttled_edits_without_native_streaming(
    fake: FakeSlack, tmp_path: Path
) -> None:

    fake.unknown.add("chat.startStream")  # an older workspace: Slack does not know the method
    async with llm_env(fake, tmp_path) as (env, llm_server):
        reply = "Deputy mayor Ruth Adeyemi led the campaign for the ferry link to Gull Island [1]."
        second = "The project will cost about $12 million over three years [1]."
        llm_server.script = [
            {"match": "Who led the ferry campaign?", "reply": reply, "token_delay": 0.25},  # ~3.5 s of tokens
            {"match": "How much will the ferry project cost?", "reply": second},
        ]
        await env.event(mention("Who led the ferry campaign?", "6000.1"), "EvLLM")
        [placeholder] = await fake.wait_for("chat.postMessage")
        assert placeholder["text"] == "…" and placeholder["thread_ts"] == "6000.1"
        assert len(fake.calls_to("chat.startStream")) == 1  # tried once, then remembered
        # A new question while the first answer is still streaming: both finish, neither breaks.
        await env.event(mention("How much will the ferry project cost?", "6000.2"), "EvLLM2")
        for _ in range(400):
            finals = [u for u in fake.calls_to("chat.update") if u.get("blocks")]
            if len(finals) == 2:
                break
            await asyncio.sleep(0.02)
        assert sorted("$12 million" in f["text"] for f in finals) == [False, True]
        assert len(fake.calls_to("chat.startStream")) == 1
        first = fake.posted_ts[0]
        updates = [u for u in fake.calls_to("chat.update") if u["ts"] == first]
        partial, final = updates[:-1], updates[-1]
        assert partial and all(u["text"].endswith(" …") for u in partial)
        assert any(u["text"].startswith("Deputy mayor") for u in partial)
        times = [
            t
            for (m, a), t in zip(fake.calls, fake.call_times, strict=True)
            if m == "chat.update" and not a.get("blocks") and a["ts"] == first
        ]
        assert all(b - a >= 0.9 for a, b in itertools.pairwise(times)), "about one edit per second"
        assert "[1]" in final["text"] and "Sources" in json.dumps(final["blocks"])
        assert len(fake.calls_to("chat.postMessage")) == 2  # each placeholder became its answer


@contextlib.asynccontextmanager
async def llm_env(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[tuple[Env, Any]]:
    """The bot in LLM mode against a fresh tests/fake_llm.py server (script it in the block)."""
    from tests.fake_llm import FakeLLM

    llm_server = FakeLLM().start()
    env = await _start(fake, tmp_path, _llm_answerer(tmp_path, llm_server))
    try:
        yield env, llm_server
    finally:
        await env.runner.cleanup()
        llm_server.stop()


def _llm_answerer(tmp_path: Path, llm_server: Any) -> Answerer:
    from bot.llm import make_llm
    from bot.llm_answer import LLMAnswerer

    settings = Settings.load(env={}, dotenv=None).but(
        llm="openai-compatible:fake", llm_base_url=llm_server.base_url, llm_timeout=10.0
    )
    return LLMAnswerer(_answerer(tmp_path), make_llm(settings))


async def _final_update(fake: FakeSlack, ts: str) -> dict[str, Any]:
    """The chat.update that finished the message at `ts` (the one carrying blocks)."""
    await until(lambda: any(u["ts"] == ts and u.get("blocks") for u in fake.calls_to("chat.update")))
    return next(u for u in fake.calls_to("chat.update") if u["ts"] == ts and u.get("blocks"))


async def test_llm_failing_mid_stream_leaves_the_offline_answer_not_the_fragment(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from bot import prompts

    async with llm_env(fake, tmp_path) as (env, llm_server):
        words = "The campaign for the link was led by Ruth Adeyemi [1]."
        llm_server.script = [{"reply": words, "token_delay": 0.3, "break_after": 6}]  # ~2 s of tokens
        await env.event(mention("Who led the ferry campaign?", "6100.1"), "EvBreak")
        await fake.wait_for("chat.startStream")
        final = await _final_update(fake, fake.streamed_ts[0])
        streamed = fake.calls_to("chat.startStream") + fake.calls_to("chat.appendStream")
        assert "".join(map(chunk_text, streamed)).startswith("The campaign")  # tokens were shown
        # Then the provider broke: the message becomes the quoted answer, saying why.
        assert "The campaign for the link" not in final["text"]
        assert "Ruth Adeyemi" in final["text"] and prompts.load("llm_unavailable").render() in final["text"]
        assert "Sources" in json.dumps(final["blocks"])
        assert fake.calls_to("chat.postMessage") == [] and len(fake.messages) == 1


@pytest.mark.parametrize("left", ["placeholder", "stream", "edited placeholder", "stream not yet noted"])
async def test_llm_mode_recovery_finishes_what_a_crash_left(
    fake: FakeSlack, tmp_path: Path, left: str
) -> None:
    import os
    import socket as socket_

    from bot.slack.app import recover
    from bot.slack.delivery import PENDING, PLACEHOLDER, tag

    # A process died part-way through an answer: its event is still open in the inbox, and in
    # the thread is its placeholder (tagged with the event, maybe already edited with a few
    # tokens) or a native stream (no metadata until stopped; the inbox noted its ts).
    body = callback("EvDead", mention("Who led the ferry campaign?", "6200.1"))
    dead = SlackState(tmp_path / "slack.sqlite3")
    dead.owner = f"{socket_.gethostname()}:{os.getpid() + 4_000_000}:gone"  # no such process
    dead.receive("EvDead", body)
    assert dead.claim("event:EvDead", "msg:C1:6200.1", event="EvDead")
    message = {"channel": "C1", "ts": "6200.5", "thread_ts": "6200.1", "text": PLACEHOLDER}
    if left.startswith("stream"):
        # Noted, or killed between Slack creating the stream and the note: only "pending" is
        # in the inbox. Another event's stream in the same thread is not taken for it.
        dead.note_reply("EvDead", "6200.5" if left == "stream" else PENDING)
        fake.messages.append({**message, "text": "Deputy may", "metadata": None, "streaming": True})
        other = callback("EvOther", mention("How much will it cost?", "6200.6", thread_ts="6200.1"))
        dead.receive("EvOther", other)
        dead.note_reply("EvOther", "6200.7")
        dead.finish("EvOther")
        fake.messages.append(
            {**message, "ts": "6200.7", "text": "It will", "metadata": None, "streaming": True}
        )
        # Nor is another app's reply in the thread.
        other_app = {"text": "Hi", "metadata": None, "user": "U9", "bot_id": "B9"}
        fake.messages.append({**message, "ts": "6200.8", **other_app})
    else:
        text = PLACEHOLDER if left == "placeholder" else "Deputy may …"
        fake.messages.append({**message, "text": text, "metadata": tag("EvDead", done=False)})
    dead.close()

    async with llm_env(fake, tmp_path) as (env, llm_server):
        llm_server.script = [{"reply": "Deputy mayor Ruth Adeyemi led the campaign [1]."}]
        env.service.bot_user = BOT_USER  # as `serve` learns it from auth.test
        assert await recover(build_app(env.settings, env.service), env.service) == 1
        final = await _final_update(fake, "6200.5")
        assert "Ruth Adeyemi" in final["text"] and "[1]" in final["text"]
        # The old message was finished, not duplicated.
        assert fake.calls_to("chat.postMessage") == [] and fake.calls_to("chat.startStream") == []
        assert fake.messages[0]["metadata"]["event_payload"]["done"] is True
        assert len(fake.messages) == (3 if left.startswith("stream") else 1)
        if left.startswith("stream"):
            assert [c["ts"] for c in fake.calls_to("chat.stopStream")] == ["6200.5"]
        await settled(env.state_path, "EvDead")


async def test_thread_replies_off_answers_only_mentions_in_threads(fake: FakeSlack, tmp_path: Path) -> None:
    env = await _start(fake, tmp_path, _answerer(tmp_path), thread_replies=False)
    try:
        await env.event(mention("Who led the ferry campaign?", "6300.1"), "EvT1")
        await fake.wait_for("chat.postMessage")
        reply = thread_reply("and what did opponents want?", "6300.5", "6300.1")
        await env.event(reply, "EvT2")
        await settled(env.state_path, "EvT2")
        assert len(fake.calls_to("chat.postMessage")) == 1  # the setting keeps the bot out of the thread
        # A DM is still answered (the setting is about channel threads).
        dm = {**reply, "channel_type": "im", "channel": "D1", "ts": "6300.9", "thread_ts": None}
        await env.event(dm, "EvT3")
        await fake.wait_for("chat.postMessage", 2)
    finally:
        await env.runner.cleanup()


def test_the_per_user_rate_window_slides_and_expires() -> None:
    from bot.slack.ratelimit import UserRateLimit

    limit = UserRateLimit(2)
    assert limit.allow("U1", now=0.0) and limit.allow("U1", now=10.0)
    assert not limit.allow("U1", now=59.9)  # two in the last minute already
    assert limit.allow("U2", now=59.9)  # per user
    assert limit.allow("U1", now=60.0)  # the first question has left the window
    assert not limit.allow("U1", now=60.5)
    assert limit.allow("U1", now=70.0)  # and so has the second
