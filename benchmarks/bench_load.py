"""Load: a real `newsbot slack --http` process (real MiniLM, seed index) under a steady stream
of signed Events API requests, answering into the fake Slack API from tests/fake_slack.py.

20 events/s for 60 s by default; every 10th event is also redelivered 3 s later as a Slack
retry (a fresh signature, X-Slack-Retry-Num: 1), which must not be answered again.
Reports ack p50/p99, answer p50/p99, errors, duplicates, lost events, and the bot's RSS
(after warm-up, peak, at the end). Writes benchmarks/results/bench_load.json.

    .venv/bin/python benchmarks/bench_load.py [--rate 20] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import NEWSBOT, ROOT, WORK, run_rss

from tests.fake_slack import BOT_USER, BotProcess, FakeSlack, event_body, signed_headers

SECRET = "load-signing-secret"
QUESTIONS = [
    "Which provincial capitals did the Taliban enter?",
    "Who is the defense ministry spokesman?",
    "How many districts are there in Afghanistan?",
    "Why has U.S. air support been reduced?",
    "What is the capital of Takhar province?",
    "Who is the mayor of Kabul?",  # not in the articles: a refusal is an answer too
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1) if ordered else 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main_async(rate: float, seconds: float) -> dict[str, object]:
    data = WORK / "load-data"
    shutil.rmtree(data, ignore_errors=True)
    assert run_rss([*NEWSBOT, "index", "--data", str(data)]).returncode == 0
    fake = FakeSlack()
    await fake.start()
    bot = BotProcess(fake, str(data), SECRET, {**os.environ, "NEWSBOT_SLACK_USER_RATE": "1000000"})
    await bot.start()
    acks: list[float] = []
    sent_at: dict[str, float] = {}
    errors: Counter[str] = Counter()
    rss: list[float] = []
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:

            async def send(i: int, retry: int | None = None, warm: bool = False) -> None:
                ts = f"1800000000.{i:06d}"
                event = {
                    "type": "app_mention",
                    "user": f"U{i % 13}",
                    "ts": ts,
                    "channel": f"C{i % 5}",
                    "text": f"<@{BOT_USER}> {QUESTIONS[i % len(QUESTIONS)]}",
                }
                body = event_body(f"EvLoad{i}", event)
                t0 = time.perf_counter()
                if retry is None and not warm:
                    sent_at[ts] = t0
                try:
                    headers = signed_headers(SECRET, body, retry=retry)
                    async with session.post(bot.url, data=body, headers=headers) as resp:
                        await resp.read()
                        status = resp.status
                except aiohttp.ClientError as err:
                    errors[type(err).__name__] += 1
                    return
                if status != 200:
                    errors[f"HTTP {status}"] += 1
                elif not warm:
                    acks.append((time.perf_counter() - t0) * 1000)

            await send(0, warm=True)  # models load on the first question
            await fake.wait_for("chat.postMessage", 1, timeout=120)
            rss_warm = rss_mb(bot.proc.pid)
            tasks = []
            start = time.perf_counter()
            total = int(rate * seconds)
            next_rss = start
            for i in range(1, total + 1):
                due = start + (i - 1) / rate
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(send(i)))
                if i % 10 == 0:  # Slack redelivers (our ack was "lost"): must not be answered twice
                    tasks.append(asyncio.create_task(_later(3.0, send(i, retry=1))))
                if time.perf_counter() >= next_rss:
                    rss.append(rss_mb(bot.proc.pid))
                    next_rss += 1.0
            await asyncio.gather(*tasks)
            drive_s = time.perf_counter() - start
            deadline = time.perf_counter() + 60
            while time.perf_counter() < deadline and len(_answered(fake)) < total + 1:
                await asyncio.sleep(0.1)
            await asyncio.sleep(2)  # room for a late duplicate
            rss.append(rss_mb(bot.proc.pid))
    finally:
        log = bot.stop()
        await fake.stop()
    answered = _answered(fake)
    posts = Counter(str(args.get("thread_ts")) for name, args in fake.calls if name == "chat.postMessage")
    answer_ms = [(answered[ts] - t0) * 1000 for ts, t0 in sent_at.items() if ts in answered]
    lost = [ts for ts in sent_at if ts not in answered]
    return {
        "index": "seeds/, real MiniLM, HTTP mode",
        "rate_per_s": rate,
        "seconds": seconds,
        "events": len(sent_at),
        "retries_sent": len(sent_at) // 10,
        "drive_s": round(drive_s, 1),
        "ack_ms_p50": pct(acks, 0.5),
        "ack_ms_p99": pct(acks, 0.99),
        "ack_ms_max": round(max(acks), 1) if acks else 0.0,
        "answer_ms_p50": pct(answer_ms, 0.5),
        "answer_ms_p99": pct(answer_ms, 0.99),
        "errors": dict(errors),
        "lost": len(lost),
        "duplicates": sum(n - 1 for n in posts.values() if n > 1),
        "rss_mb_after_warmup": round(rss_warm, 1),
        "rss_mb_first_second": round(rss[0], 1) if rss else 0.0,
        "rss_mb_peak": round(max(rss), 1) if rss else 0.0,
        "rss_mb_end": round(rss[-1], 1) if rss else 0.0,
        "rss_growth_pct": round(100 * (rss[-1] - rss[0]) / rss[0], 1) if rss else 0.0,
        "bot_log_tracebacks": log.count("Traceback"),
    }


async def _later(delay: float, coro: object) -> None:
    await asyncio.sleep(delay)
    await coro  # type: ignore[misc]


def _answered(fake: FakeSlack) -> dict[str, float]:
    """thread ts -> when its first answer reached the fake Slack."""
    first: dict[str, float] = {}
    for (name, args), at in zip(fake.calls, fake.call_times, strict=True):
        if name == "chat.postMessage":
            first.setdefault(str(args.get("thread_ts")), at)
    return first


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    result = asyncio.run(main_async(args.rate, args.seconds))
    (ROOT / "benchmarks" / "results" / "bench_load.json").write_text(json.dumps(result, indent=2) + "\n")
    for key, value in result.items():
        print(f"{key:22} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
