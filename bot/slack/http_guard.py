"""HTTP mode's front door, before Bolt sees a request: oversized, malformed and replayed
requests get a 4xx and a log line (never the body, never a secret).

Bolt verifies signatures and the 5-minute timestamp window; it accepts the same signed
request twice within that window, so replays are refused here. The memory of seen
signatures is per process: replicas behind a load balancer each keep their own.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

WINDOW_S = 5 * 60  # Slack's own limit on a request's age
MAX_REMEMBERED = 200_000  # signatures kept at most (≈ 10 minutes at 300 requests/s)
MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; aiohttp's default limit

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RequestGuard:
    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()

    @web.middleware
    async def handle(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST":
            return await handler(request)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            log.warning("rejected a Slack request over %s bytes", MAX_BODY)
            return web.Response(status=413, text="payload too large")
        if not _well_formed(body, request.content_type):
            log.warning("rejected a malformed Slack request (%s, %s bytes)", request.content_type, len(body))
            return web.Response(status=400, text="malformed payload")
        key = request.headers.get("X-Slack-Signature", "")
        stamp = request.headers.get("X-Slack-Request-Timestamp", "")
        now = time.time()
        self._forget_before(now - WINDOW_S)
        if key and key in self._seen:
            log.warning("rejected a replayed request (timestamp %s)", stamp)
            return web.Response(status=401, text="replayed request")
        if key:
            self._seen[key] = now
        try:
            response = await handler(request)
        except BaseException:
            self._seen.pop(key, None)
            raise
        if not 200 <= response.status < 300:
            # Not verified, or not processed: Slack may send the same request again, rightly.
            self._seen.pop(key, None)
        return response

    def _forget_before(self, cutoff: float) -> None:
        while self._seen and (next(iter(self._seen.values())) < cutoff or len(self._seen) > MAX_REMEMBERED):
            self._seen.popitem(last=False)


def _well_formed(body: bytes, content_type: str) -> bool:
    """Is this an object Bolt can parse: JSON, or a form whose `payload` (if any) is JSON?"""
    try:
        text = body.decode("utf-8")
        if content_type == "application/json":
            return isinstance(json.loads(text), dict)
        form = urllib.parse.parse_qs(text, keep_blank_values=True)
        return "payload" not in form or isinstance(json.loads(form["payload"][0]), dict)
    except (UnicodeDecodeError, ValueError):
        return False


def guarded(web_app: web.Application) -> web.Application:
    """Put the guard in front of Bolt's aiohttp app (before it starts)."""
    web_app.middlewares.insert(0, RequestGuard().handle)
    return web_app
