"""The Slack bot as a real process under faults: killed mid-answer, Slack 5xx/429 bursts,
malformed and replayed requests. The fake Slack from tests/fake_slack.py stands in for Slack."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import cli_env, newsbot
from tests.fake_slack import BotProcess, FakeSlack, event_body, settled, signed_headers
from tests.test_search_answer import STORY
from tests.test_slack import mention

# Real bot processes killed and flooded: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

SECRET = "faults-signing-secret"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


def _index(tmp_path: Path) -> tuple[Path, Path]:
    articles, data = tmp_path / "articles", tmp_path / "data"
    articles.mkdir()
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    return articles, data


def _bot(fake: FakeSlack, tmp_path: Path, delay: str = "0", **settings: str) -> BotProcess:
    articles, data = tmp_path / "articles", tmp_path / "data"
    env = cli_env(
        NEWSBOT_EMBED_MODEL="python:tests.fakes:SlowHashEmbedder",
        NEWSBOT_FAKE_EMBED_DELAY=delay,  # seconds per question: answers stay in flight a while
        NEWSBOT_ARTICLES=str(articles),
        NEWSBOT_SLACK_USER_RATE="100000",
        **settings,
    )
    return BotProcess(fake, str(data), SECRET, env)


async def _send(session: aiohttp.ClientSession, bot: BotProcess, body: bytes, **kw: object) -> int:
    async with session.post(bot.url, data=body, headers=signed_headers(SECRET, body, **kw)) as resp:  # type: ignore[arg-type]
        return resp.status


async def _until(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


async def test_bot_killed_mid_answer_answers_every_acknowledged_event_exactly_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    _index(tmp_path)
    bot = _bot(fake, tmp_path, delay="0.5")
    await bot.start()
    # The first answer reaches Slack but Slack's reply never reaches the bot before it dies:
    # the case where only Slack knows the answer went out.
    fake.stall["chat.postMessage"] = 8
    # Twelve different texts of one question: the searcher remembers a question's vector, so a
    # repeated text would skip the slow embedder and be answered before the kill. Every third is
    # asked in an assistant-panel thread (a DM thread, D...), the rest as channel mentions.
    events = [(f"EvKill{i}", event_body(f"EvKill{i}", _kill_question(i))) for i in range(12)]
    places = {str(json.loads(body)["event"]["channel"]) for _, body in events}
    async with aiohttp.ClientSession() as session:
        for _, body in events:
            assert await _send(session, bot, body) == 200  # acknowledged: Slack will not resend
            # Staggered: the bot answers many at once, so without it all twelve would finish
            # together; this way the last few are still being answered (0.5 s each) at the kill.
            await asyncio.sleep(0.15)
        await fake.wait_for("chat.postMessage", 3, timeout=30)
        bot.kill()
        before = len(fake.messages)
        assert before < len(events), "some answers must still be in flight when the bot dies"

        bot = _bot(fake, tmp_path)
        await bot.start()
        await _until(lambda: {m["channel"] for m in fake.messages} == places, 30)
        await settled(bot.state_file, *(event_id for event_id, _ in events))
        # Slack retries one (say our ack was lost); it was answered and is not answered again.
        assert await _send(session, bot, events[0][1], retry=1) == 200
        await _until(lambda: bot.logged("already handled ('event:EvKill0'") == 1, 30)
    log = bot.stop()
    per_channel = Counter(m["channel"] for m in fake.messages)
    assert per_channel == dict.fromkeys(places, 1), per_channel
    assert all("Ruth Adeyemi" in m["text"] for m in fake.messages)
    assistant = {c["channel_id"] for c in fake.calls_to("assistant.threads.setStatus")}
    assert assistant == {p for p in places if p.startswith("D")} and len(assistant) == 4
    assert "acknowledged before a restart" in log
    assert "was answered before the restart" in log  # the stalled one, found in Slack, not reposted


def _kill_question(i: int) -> dict[str, object]:
    text, ts = "Who led the ferry campaign" + "?" * (i + 1), f"1700000100.{i:06d}"
    if i % 3:
        return mention(text, ts, f"C{i}")
    thread = f"1700000000.{i:06d}"  # the assistant thread the user opened earlier
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{i}",
        "user": "U1",
        "text": text,
        "ts": ts,
        "thread_ts": thread,
        "client_msg_id": f"msg-{i}",
    }


async def test_bot_killed_mid_stream_finishes_each_streamed_answer_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    from tests.fake_llm import FakeLLM

    _index(tmp_path)
    llm = FakeLLM(default_reply="Deputy mayor Ruth Adeyemi led the campaign for the ferry link [1].").start()
    llm.default_step = {"token_delay": 0.4}  # about 5 s of tokens per answer
    settings = {"NEWSBOT_LLM": "openai-compatible:fake", "NEWSBOT_LLM_BASE_URL": llm.base_url}
    bot = _bot(fake, tmp_path, **settings)
    await bot.start()
    events = [(f"EvStream{i}", event_body(f"EvStream{i}", _kill_question(i + 100))) for i in range(6)]
    places = {str(json.loads(body)["event"]["channel"]) for _, body in events}
    try:
        async with aiohttp.ClientSession() as session:
            for _, body in events:
                assert await _send(session, bot, body) == 200

            # Kill while answers are streaming (each takes about 5 s to write): at a random moment
            # up to 50 ms after the first stream starts, so some streams may not even be noted
            # in the inbox yet (they are found in the thread as the one untagged reply).
            await _until(lambda: bool(fake.streamed_ts), 30)
            await asyncio.sleep(random.uniform(0, 0.05))
            bot.kill()
            streams_before = len(fake.streamed_ts)
            bot = _bot(fake, tmp_path, **settings)
            await bot.start()
            await settled(bot.state_file, *(event_id for event_id, _ in events), timeout=60)
        bot.stop()
    finally:
        llm.stop()
    # Each question has one message: a stream cut off by the kill was stopped and finished in
    # place as the checked answer (its sources, its event's metadata), never posted again.
    assert Counter(m["channel"] for m in fake.messages) == dict.fromkeys(places, 1)
    assert all(m["metadata"]["event_payload"]["done"] is True for m in fake.messages)
    assert all("Ruth Adeyemi" in m["text"] and "[1]" in m["text"] for m in fake.messages)
    cut = fake.streamed_ts[:streams_before]
    assert {c["ts"] for c in fake.calls_to("chat.stopStream")} >= {
        m["ts"] for m in fake.messages if m["ts"] in cut
    }


async def test_slack_5xx_and_429_bursts_are_retried_boundedly_and_the_bot_recovers(
    fake: FakeSlack, tmp_path: Path
) -> None:
    _index(tmp_path)
    bot = _bot(fake, tmp_path)
    await bot.start()
    async with aiohttp.ClientSession() as session:
        # A short burst: retried (Retry-After honoured on 429) and answered once.
        fake.fail["chat.postMessage"] = [503, 429]
        body = event_body("EvBurst1", mention("Who led the ferry campaign?", "1700000200.000001", "C1"))
        assert await _send(session, bot, body) == 200
        await _until(lambda: any(m["channel"] == "C1" for m in fake.messages), 30)
        # An outage longer than the retry budget: given up on, logged, no loop of retries.
        fake.fail["chat.postMessage"] = [500] * 50
        body = event_body("EvBurst2", mention("Who led the ferry campaign?", "1700000200.000002", "C2"))
        assert await _send(session, bot, body) == 200
        # slack_sdk backs off with jitter (about 1 s, then 2 s); the event is done once it gave up.
        await settled(bot.state_file, "EvBurst2")
        attempts = 50 - len(fake.fail["chat.postMessage"])
        fake.fail["chat.postMessage"] = []
        # Slack is back: the next question is answered without a restart.
        body = event_body("EvBurst3", mention("Who led the ferry campaign?", "1700000200.000003", "C3"))
        assert await _send(session, bot, body) == 200
        await _until(lambda: any(m["channel"] == "C3" for m in fake.messages), 30)
    log = bot.stop()
    assert attempts == 3, f"{attempts} attempts in the outage: one try and two bounded retries"
    assert Counter(m["channel"] for m in fake.messages) == {"C1": 1, "C3": 1}
    assert "posting the answer in C2 failed" in log and "Traceback" not in log


async def test_malformed_unknown_and_huge_payloads_get_their_exact_status(
    fake: FakeSlack, tmp_path: Path
) -> None:
    _index(tmp_path)
    bot = _bot(fake, tmp_path)
    await bot.start()
    bodies = {
        "not json": b"{not json",
        "json but not an object": b"[1, 2, 3]",
        "no event": json.dumps({"type": "event_callback", "event_id": "EvX1"}).encode(),
        "event without channel": event_body("EvX2", {"type": "app_mention", "user": "U1", "text": "hi"}),
        "event without text or user": event_body(
            "EvX3", {"type": "app_mention", "ts": "1.0", "channel": "C9"}
        ),
        "unknown event type": event_body("EvX4", {"type": "reaction_added", "user": "U1"}),
        "unknown body type": json.dumps({"type": "something_new"}).encode(),
        "huge body": event_body("EvX5", mention("x" * 5_000_000, "1.1", "C9")),
    }
    statuses = {}
    async with aiohttp.ClientSession() as session:
        for name, body in bodies.items():
            statuses[name] = await _send(session, bot, body)
        # Still healthy: a real question right after is answered.
        body = event_body("EvOK", mention("Who led the ferry campaign?", "1700000300.000001", "C1"))
        assert await _send(session, bot, body) == 200
        await _until(lambda: any(m["channel"] == "C1" for m in fake.messages), 30)
        await settled(bot.state_file, "EvX2", "EvX3", "EvOK")
    log = bot.stop()
    assert statuses == {
        "not json": 400,  # bolt cannot parse it
        "json but not an object": 400,
        "no event": 404,  # no listener matches: bolt's "unhandled request"
        "event without channel": 200,  # a listener ran and skipped it (nothing to answer in)
        "event without text or user": 200,
        "unknown event type": 404,  # not subscribed in manifest.yaml, so Slack never sends it
        "unknown body type": 404,
        "huge body": 413,  # refused by http_guard before bolt reads it
    }, statuses
    # Nothing but the real question was answered; the one "event" lacking a channel got no post.
    assert [m["channel"] for m in fake.messages] == ["C1"]
    assert "C9" not in {m["channel"] for m in fake.messages}
    assert SECRET not in log and "xoxb-" not in log
    assert "Traceback" not in log


async def test_signatures_stale_timestamps_and_replays_are_rejected(fake: FakeSlack, tmp_path: Path) -> None:
    _index(tmp_path)
    bot = _bot(fake, tmp_path)
    await bot.start()
    body = event_body("EvSig1", mention("Who led the ferry campaign?", "1700000400.000001", "C1"))
    async with aiohttp.ClientSession() as session:
        forged = {**signed_headers(SECRET, body), "X-Slack-Signature": "v0=" + "0" * 64}
        async with session.post(bot.url, data=body, headers=forged) as resp:
            assert resp.status == 401
        wrong_key = signed_headers("not-the-secret", body)
        async with session.post(bot.url, data=body, headers=wrong_key) as resp:
            assert resp.status == 401
        stale = int(time.time()) - 6 * 60
        assert await _send(session, bot, body, timestamp=stale) == 401
        headers = signed_headers(SECRET, body)
        async with session.post(bot.url, data=body, headers=headers) as resp:
            assert resp.status == 200
        async with session.post(bot.url, data=body, headers=headers) as resp:  # the same request again
            assert resp.status == 401
        await _until(lambda: len(fake.messages) == 1, 30)
        await settled(bot.state_file, "EvSig1")
    log = bot.stop()
    assert len(fake.messages) == 1
    assert "replayed request" in log and SECRET not in log


def test_a_damaged_slack_state_file_is_one_clear_error(tmp_path: Path) -> None:
    from bot.slack.state import SlackState
    from index.errors import NewsbotError

    path = tmp_path / "slack.sqlite3"
    SlackState(path).close()
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\x00garbage" * 200)
    with pytest.raises(NewsbotError, match=r"slack.sqlite3 is damaged .*move it aside"):
        SlackState(path)


def test_only_events_of_dead_owners_are_taken_over(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    from bot.slack.state import SlackState

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)  # exited: that pid is gone (and not reused this quickly)
    host = socket.gethostname()
    state = SlackState(tmp_path / "slack.sqlite3")
    now = time.time()
    rows = {
        "EvDead": (f"{host}:{dead_pid}:a", now - 5),
        "EvAlive": (f"{host}:{os.getppid()}:b", now - 5),
        "EvOtherHostRecent": ("elsewhere:1:c", now - 60),
        "EvOtherHostStale": ("elsewhere:1:d", now - 900),
        "EvTooOld": (f"{host}:{dead_pid}:e", now - 7200),
    }
    for event_id, (owner, at) in rows.items():
        state._db.execute(
            "INSERT INTO inbox (event_id, at, owner, body) VALUES (?, ?, ?, ?)",
            (event_id, at, owner, json.dumps({"event_id": event_id})),
        )
    state.claim("event:EvDead", "msg:C1:1.0", event="EvDead")
    taken = {event_id for event_id, _ in state.orphans()}
    assert taken == {"EvDead", "EvOtherHostStale"}
    assert state.claim("msg:C1:1.0", event="EvDead"), "the dead owner's claims are released"
    assert state.orphans() == [], "taken once, and the too-old one closed"
