"""Slack latency: a real `newsbot slack --http` process (real MiniLM, seed index) driven with
signed Events API requests, answering into the fake Slack API from tests/fake_slack.py.

Reports ack time (HTTP response to the event), event-to-answer time (until chat.postMessage
reaches the fake), 50 concurrent mentions, assistant-panel questions (to the status line and to
the answer), and in LLM mode (a second process, against tests/fake_llm.py) the delay between
the fake LLM sending an answer's first token and that token reaching Slack in chat.startStream.
Writes benchmarks/results/bench_slack.json.

    .venv/bin/python benchmarks/bench_slack.py [--events 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from slack_sdk.signature import SignatureVerifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import NEWSBOT, ROOT, WORK, run_rss

from tests.fake_slack import BOT_USER, VALID_TOKEN, FakeSlack

SECRET = "bench-signing-secret"
QUESTIONS = [
    "Who is the defense ministry spokesman?",
    "How many districts are there in Afghanistan?",
    "Who is the mayor of Kabul?",
    "When did the U.S. withdrawal begin?",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def _start_bot(data: Path, fake: FakeSlack, **settings: str) -> tuple[subprocess.Popen[str], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": VALID_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "NEWSBOT_SLACK_USER_RATE": "100000",
        **settings,
    }
    env.pop("SLACK_APP_TOKEN", None)
    bot = subprocess.Popen(
        [*NEWSBOT, "slack", "--http", "--port", str(port), "--data", str(data)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return bot, f"http://127.0.0.1:{port}/slack/events"


class Driver:
    """Signed Events API requests to one bot process, and what reached the fake Slack when."""

    def __init__(self, session: aiohttp.ClientSession, url: str, fake: FakeSlack):
        self.session, self.url, self.fake = session, url, fake
        self.verifier = SignatureVerifier(SECRET)

    async def ready(self) -> None:
        for _ in range(300):
            try:
                async with self.session.get(self.url.replace("/slack/events", "/")):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        raise RuntimeError("the bot did not start")

    async def send(self, event: dict[str, object]) -> float:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T1",
                "api_app_id": "A1",
                "event_id": f"Ev{event['ts']}",
                "event_time": int(time.time()),
                "event": event,
            }
        ).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(self.verifier.generate_signature(timestamp=stamp, body=body)),
        }
        t0 = time.perf_counter()
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            assert resp.status == 200, resp.status
        return t0

    async def arrived(self, method: str, thread_ts: str, key: str = "thread_ts") -> float:
        """When `method` first reached the fake for this thread."""
        while True:
            for (name, args), at in zip(self.fake.calls, self.fake.call_times, strict=True):
                if name == method and args.get(key) == thread_ts:
                    return at
            await asyncio.sleep(0.002)


def mention(i: int, ts: str) -> dict[str, object]:
    text = f"<@{BOT_USER}> {QUESTIONS[i % len(QUESTIONS)]}"
    return {"type": "app_mention", "user": f"U{i % 7}", "ts": ts, "channel": "C1", "text": text}


def in_assistant_thread(i: int, ts: str, thread_ts: str) -> dict[str, object]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": f"U{i % 7}",
        "ts": ts,
        "thread_ts": thread_ts,
        "text": QUESTIONS[i % len(QUESTIONS)],
    }


async def offline(data: Path, events: int) -> dict[str, object]:
    fake = FakeSlack()
    await fake.start()
    bot, url = _start_bot(data, fake)
    try:
        async with aiohttp.ClientSession() as session:
            drive = Driver(session, url, fake)
            await drive.ready()
            await drive.send(mention(0, "1.0"))  # warm: models load on the first question
            await asyncio.wait_for(drive.arrived("chat.postMessage", "1.0"), 60)
            acks, answers = [], []
            for i in range(events):
                ts = f"2.{i}"
                t0 = await drive.send(mention(i, ts))
                acks.append((time.perf_counter() - t0) * 1000)
                answers.append(
                    (await asyncio.wait_for(drive.arrived("chat.postMessage", ts), 30) - t0) * 1000
                )

            t0 = time.perf_counter()
            await asyncio.gather(*(drive.send(mention(i, f"3.{i}")) for i in range(50)))
            done = await asyncio.gather(
                *(asyncio.wait_for(drive.arrived("chat.postMessage", f"3.{i}"), 60) for i in range(50))
            )
            burst_s = max(done) - t0
            posts = [a for m, a in fake.calls if m == "chat.postMessage"]
            duplicates = len(posts) - len({a["thread_ts"] for a in posts})

            # The assistant panel: each question in its own thread, as users open them.
            to_status, to_answer = [], []
            for i in range(events):
                thread = f"4.{i}"
                t0 = await drive.send(in_assistant_thread(i, f"4.{i}5", thread))
                status = await asyncio.wait_for(drive.arrived("assistant.threads.setStatus", thread), 30)
                answer = await asyncio.wait_for(drive.arrived("chat.postMessage", thread), 30)
                to_status.append((status - t0) * 1000)
                to_answer.append((answer - t0) * 1000)
    finally:
        bot.terminate()
        bot.wait(timeout=20)
        await fake.stop()
    return {
        "sequential_events": events,
        "ack_ms_p50": pct(acks, 0.5),
        "ack_ms_p95": pct(acks, 0.95),
        "answer_ms_p50": pct(answers, 0.5),
        "answer_ms_p95": pct(answers, 0.95),
        "concurrent_mentions": 50,
        "concurrent_all_answered_s": round(burst_s, 2),
        "duplicate_posts": duplicates,
        "ack_ms_mean": round(statistics.mean(acks), 1),
        "assistant_to_status_ms_p50": pct(to_status, 0.5),
        "assistant_to_status_ms_p95": pct(to_status, 0.95),
        "assistant_to_answer_ms_p50": pct(to_answer, 0.5),
        "assistant_to_answer_ms_p95": pct(to_answer, 0.95),
    }


async def llm_streaming(data: Path, events: int) -> dict[str, object]:
    """First token: from the fake LLM writing it to the socket, to chat.startStream reaching Slack."""
    from tests.fake_llm import FakeLLM

    llm = FakeLLM(default_reply="The defense ministry spokesman is named in the article [1].").start()
    llm.default_step = {"token_delay": 0.02}
    fake = FakeSlack()
    await fake.start()
    bot, url = _start_bot(data, fake, NEWSBOT_LLM="openai-compatible:fake", NEWSBOT_LLM_BASE_URL=llm.base_url)
    delays = []
    try:
        async with aiohttp.ClientSession() as session:
            drive = Driver(session, url, fake)
            await drive.ready()
            for i in range(events + 1):  # the first one warms the models
                thread = f"5.{i}"
                sent = len(llm.first_token_at)
                await drive.send(in_assistant_thread(i, f"5.{i}5", thread))
                started = await asyncio.wait_for(drive.arrived("chat.startStream", thread), 60)
                assert len(llm.first_token_at) == sent + 1, "one LLM stream per question"
                if i:
                    delays.append((started - llm.first_token_at[sent]) * 1000)
                # Let the answer finish (its final edit) before the next question.
                await asyncio.wait_for(drive.arrived("chat.update", fake.streamed_ts[-1], key="ts"), 60)
    finally:
        bot.terminate()
        bot.wait(timeout=20)
        await fake.stop()
        llm.stop()
    return {
        "llm_streams": events,
        "llm_first_token_to_slack_ms_p50": pct(delays, 0.5),
        "llm_first_token_to_slack_ms_p95": pct(delays, 0.95),
    }


async def main_async(events: int) -> dict[str, object]:
    data = WORK / "slack-data"
    shutil.rmtree(data, ignore_errors=True)
    assert run_rss([*NEWSBOT, "index", "--data", str(data)]).returncode == 0
    return {
        "index": "seeds/, real MiniLM",
        **await offline(data, events),
        **await llm_streaming(data, min(events, 30)),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100)
    result = asyncio.run(main_async(parser.parse_args().events))
    (ROOT / "benchmarks" / "results" / "bench_slack.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:26} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
