"""A small fake of Slack on loopback: the Web API methods the bot calls, `response_url`s, and the
Socket Mode websocket. It records every call so tests assert on what reached "Slack"."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

VALID_TOKEN = "xoxb-test-valid-token"
BOT_USER = "UBOT"


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.call_times: list[float] = []  # time.perf_counter() at each call's arrival
        self.responses: list[dict[str, Any]] = []  # what was POSTed to response_urls
        self.fail: dict[str, list[int]] = {}  # method -> HTTP statuses to return before succeeding
        self.acks: list[str] = []  # Socket Mode envelope ids acknowledged
        self.posted_ts: list[str] = []  # ts of each chat.postMessage, in order
        self.streamed_ts: list[str] = []  # ts of each chat.startStream, in order
        self.messages: list[dict[str, Any]] = []  # what the bot posted, as conversations.* return it
        self.stall: dict[str, float] = {}  # method -> seconds to hold the response after recording
        self.unknown: set[str] = set()  # methods this "workspace" lacks: they answer unknown_method
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk reads conversations.* with GET
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)  # a stalled reply must not hold teardown
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.calls_to(method)) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{method} called {len(self.calls_to(method))} times, expected {count}")
            await asyncio.sleep(0.01)
        return self.calls_to(method)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = {k: _maybe_json(v) for k, v in request.query.items()}
        if request.content_type == "application/json":
            args.update(await request.json())
        else:
            args.update({k: _maybe_json(str(v)) for k, v in (await request.post()).items()})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.calls.append((method, args))
        self.call_times.append(time.perf_counter())
        pending = self.fail.get(method)
        if pending:
            status = pending.pop(0)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return web.json_response(
                {"ok": False, "error": "ratelimited" if status == 429 else "fatal_error"},
                status=status,
                headers=headers,
            )
        if method in self.unknown:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if token != VALID_TOKEN:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1", "user": "newsbot"}
            )
        if method == "chat.postMessage":
            ts = self._new_message(args, args.get("text", ""), args.get("metadata"))
            self.posted_ts.append(ts)
            if method in self.stall:  # Slack took the message, but its reply never reaches the bot
                await asyncio.sleep(self.stall.pop(method))
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": ts})
        if method == "chat.update":
            message = self._message(args)
            if message is not None:
                message["text"] = args.get("text", "")
                message["metadata"] = args.get("metadata") or message["metadata"]
            return web.json_response({"ok": True})
        if method == "chat.startStream":  # a message that grows as chunks are appended
            ts = self._new_message(args, chunk_text(args), None, streaming=True)
            self.streamed_ts.append(ts)
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": ts})
        if method in ("chat.appendStream", "chat.stopStream"):
            message = self._message(args)
            if message is None or not message.get("streaming"):
                return web.json_response({"ok": False, "error": "message_not_in_streaming_state"})
            message["text"] += chunk_text(args)
            if method == "chat.stopStream":
                message["streaming"] = False
                message["metadata"] = args.get("metadata") or message["metadata"]
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": message["ts"]})
        if method in ("conversations.replies", "conversations.history"):
            return web.json_response({"ok": True, "messages": self._conversation(method, args)})
        return web.json_response({"ok": True})

    def _new_message(self, args: dict[str, Any], text: str, metadata: Any, streaming: bool = False) -> str:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        self.messages.append(
            {
                "channel": args.get("channel"),
                "ts": ts,
                "thread_ts": args.get("thread_ts"),
                "text": text,
                "metadata": metadata,
                **({"streaming": True} if streaming else {}),
            }
        )
        return ts

    def _message(self, args: dict[str, Any]) -> dict[str, Any] | None:
        for message in self.messages:
            if message["channel"] == args.get("channel") and message["ts"] == args.get("ts"):
                return message
        return None

    def _conversation(self, method: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        mine = [m for m in self.messages if m["channel"] == args.get("channel")]
        if method == "conversations.replies":
            mine = [m for m in mine if args.get("ts") in (m["thread_ts"], m["ts"])]
        else:
            mine = [m for m in mine if not m["thread_ts"] and float(m["ts"]) > float(args.get("oldest", 0))]
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        return [
            {
                "type": "message",
                "ts": m["ts"],
                "text": m["text"],
                "user": m.get("user", BOT_USER),
                "bot_id": m.get("bot_id", "BBOT"),
            }
            | ({"metadata": m["metadata"]} if with_metadata and m["metadata"] else {})
            for m in mine
        ]

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append({"key": request.match_info["key"], **(await request.json())})
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    self.acks.append(data["envelope_id"])
        return ws

    async def push_event(self, envelope_id: str, body: dict[str, Any], retry_attempt: int = 0) -> None:
        """Deliver an Events API body over every open Socket Mode connection."""
        envelope = {
            "envelope_id": envelope_id,
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
            "payload": body,
        }
        for ws in self._sockets:
            await ws.send_json(envelope)

    async def wait_for_socket(self, timeout: float = 10) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._sockets:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("no Socket Mode connection")
            await asyncio.sleep(0.02)


def chunk_text(args: dict[str, Any]) -> str:
    """The markdown a streaming call carries: its text chunks, in order."""
    chunks = args.get("chunks") or []
    text = "".join(c.get("text", "") for c in chunks if c.get("type") == "markdown_text")
    return text + str(args.get("markdown_text") or "")


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


async def settled(state_file: Path, *event_ids: str, timeout: float = 30) -> None:
    """Wait until the bot has marked each event done in its inbox: its listener has finished
    (answered, skipped or refused), so a check that nothing was posted is now meaningful."""

    def finished() -> int:
        with contextlib.closing(sqlite3.connect(state_file, timeout=10)) as db:
            marks = ",".join("?" * len(event_ids))
            query = f"SELECT count(*) FROM inbox WHERE done=1 AND event_id IN ({marks})"
            return int(db.execute(query, event_ids).fetchone()[0])

    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(finished) < len(event_ids):
        if time.monotonic() > deadline:
            raise AssertionError(f"events {event_ids} were not finished within {timeout} s")
        await asyncio.sleep(0.02)


def callback(event_id: str, event: dict[str, Any]) -> dict[str, Any]:
    """An Events API envelope, as Slack sends it (over HTTP or inside a Socket Mode message)."""
    return {
        "type": "event_callback",
        "team_id": "T1",
        "api_app_id": "A1",
        "event_id": event_id,
        "event_time": int(time.time()),
        "event": event,
    }


def event_body(event_id: str, event: dict[str, Any]) -> bytes:
    """The HTTP request body of an Events API call."""
    return json.dumps(callback(event_id, event)).encode()


def signed_headers(
    secret: str, body: bytes, *, timestamp: int | None = None, retry: int | None = None
) -> dict[str, str]:
    """Headers Slack would send with `body`, signed with `secret` (and retry headers if asked)."""
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)),
    }
    if retry is not None:
        headers["X-Slack-Retry-Num"] = str(retry)
        headers["X-Slack-Retry-Reason"] = "http_timeout"
    return headers


class BotProcess:
    """`newsbot slack --http` as a real process against a FakeSlack, for kill and load tests."""

    def __init__(self, fake: FakeSlack, data: str, secret: str, env: dict[str, str]):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.args = ["slack", "--http", "--port", str(self.port), "--data", data]
        self.env = {
            **env,
            "SLACK_BOT_TOKEN": VALID_TOKEN,
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": fake.base_url,
        }
        self.env.pop("SLACK_APP_TOKEN", None)
        self.proc: Any = None

    async def start(self, timeout: float = 60) -> None:
        import subprocess
        import sys
        from pathlib import Path

        import aiohttp

        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *self.args],
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the bot exited: {self.proc.stderr.read()}")
                try:
                    async with session.get(self.url.replace("/slack/events", "/")):
                        return
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
        raise AssertionError("the bot did not start listening")

    @property
    def state_file(self) -> Path:
        return Path(self.args[-1]) / "slack.sqlite3"

    def logged(self, text: str) -> int:
        """How often the bot's log file (in its data folder) holds `text`."""
        log = Path(self.args[-1]) / "newsbot.log"
        return log.read_text(encoding="utf-8").count(text) if log.exists() else 0

    def kill(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def stop(self) -> str:
        """Stop it gracefully; returns what it wrote to stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=20)
        except Exception:
            self.proc.kill()
            _, err = self.proc.communicate()
        return str(err or "")
