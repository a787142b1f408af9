"""Slack latency: a real `newsbot slack --http` process (real MiniLM, seed index) driven with
signed Events API requests, answering into the fake Slack API from tests/fake_slack.py.

Reports ack time (HTTP response to the event), event-to-answer time (until chat.postMessage
reaches the fake), and 50 concurrent mentions. Writes benchmarks/results/bench_slack.json.

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


async def main_async(events: int) -> dict[str, object]:
    data = WORK / "slack-data"
    shutil.rmtree(data, ignore_errors=True)
    assert run_rss([*NEWSBOT, "index", "--data", str(data)]).returncode == 0
    fake = FakeSlack()
    await fake.start()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": VALID_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "NEWSBOT_SLACK_USER_RATE": "100000",
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
    url = f"http://127.0.0.1:{port}/slack/events"
    verifier = SignatureVerifier(SECRET)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):  # wait for the bot to listen
                try:
                    async with session.get(url.replace("/slack/events", "/")):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)

            async def send(i: int, ts: str) -> float:
                body = json.dumps(
                    {
                        "type": "event_callback",
                        "team_id": "T1",
                        "api_app_id": "A1",
                        "event_id": f"Ev{ts}",
                        "event_time": int(time.time()),
                        "event": {
                            "type": "app_mention",
                            "user": f"U{i % 7}",
                            "ts": ts,
                            "channel": "C1",
                            "text": f"<@{BOT_USER}> {QUESTIONS[i % len(QUESTIONS)]}",
                        },
                    }
                ).encode()
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": str(verifier.generate_signature(timestamp=stamp, body=body)),
                }
                t0 = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    assert resp.status == 200, resp.status
                return t0

            async def answered_at(ts: str) -> float:
                while True:
                    for (method, args), at in zip(fake.calls, fake.call_times, strict=True):
                        if method == "chat.postMessage" and args.get("thread_ts") == ts:
                            return at
                    await asyncio.sleep(0.002)

            await send(0, "1.0")  # warm: models load on the first question
            await asyncio.wait_for(answered_at("1.0"), 60)
            acks, answers = [], []
            for i in range(events):
                ts = f"2.{i}"
                t0 = await send(i, ts)
                acks.append((time.perf_counter() - t0) * 1000)
                answers.append((await asyncio.wait_for(answered_at(ts), 30) - t0) * 1000)

            t0 = time.perf_counter()
            await asyncio.gather(*(send(i, f"3.{i}") for i in range(50)))
            done = await asyncio.gather(*(asyncio.wait_for(answered_at(f"3.{i}"), 60) for i in range(50)))
            burst_s = max(done) - t0
            posts = [a for m, a in fake.calls if m == "chat.postMessage"]
            duplicates = len(posts) - len({a["thread_ts"] for a in posts})
    finally:
        bot.terminate()
        bot.wait(timeout=20)
        await fake.stop()
    return {
        "index": "seeds/, real MiniLM",
        "sequential_events": events,
        "ack_ms_p50": pct(acks, 0.5),
        "ack_ms_p95": pct(acks, 0.95),
        "answer_ms_p50": pct(answers, 0.5),
        "answer_ms_p95": pct(answers, 0.95),
        "concurrent_mentions": 50,
        "concurrent_all_answered_s": round(burst_s, 2),
        "duplicate_posts": duplicates,
        "ack_ms_mean": round(statistics.mean(acks), 1),
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
