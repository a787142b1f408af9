"""A small fake of Slack on loopback: the Web API methods the bot calls, `response_url`s, and the
Socket Mode websocket. It records every call so tests assert on what reached "Slack"."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
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
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app)
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
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if token != VALID_TOKEN:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1", "user": "newsbot"}
            )
        if method == "chat.postMessage":
            ts = f"1700000000.{next(self._ts):06d}"
            self.posted_ts.append(ts)
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": ts})
        return web.json_response({"ok": True})

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


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
