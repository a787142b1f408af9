"""A scripted OpenAI-compatible server on loopback: /v1/chat/completions, plain or SSE.

Each request takes the next scripted step: {"reply": text}, {"stall": seconds} (then reply),
{"status": 500}, or {"malformed": True}; a step with "match" only serves requests containing that
text (for concurrent requests), "token_delay" slows streaming, and "break_after": n streams n
words and then a corrupt event (the provider failing mid-answer). Every request is recorded."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLM:
    def __init__(self, default_reply: str = "I couldn't find that in the indexed articles.") -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: list[dict[str, Any]] = []
        self.default_reply = default_reply
        self.default_step: dict[str, Any] = {}  # e.g. {"token_delay": 0.3} for every unscripted request
        self.first_token_at: list[float] = []  # time.perf_counter() as each stream's first token went out
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    self._handle()

            def _handle(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append(body)
                step = fake.next_step(json.dumps(body.get("messages", [])))
                if "stall" in step:
                    time.sleep(step["stall"])
                if "status" in step:
                    self._send(
                        step["status"], json.dumps({"error": {"message": "boom", "type": "server_error"}})
                    )
                elif step.get("malformed"):
                    self._send(200, '{"id": "x", "choices": [ this is not json')
                elif body.get("stream"):
                    self._stream(
                        step.get("reply", fake.default_reply),
                        body,
                        step.get("token_delay", 0.0),
                        step.get("break_after"),
                    )
                else:
                    self._send(200, json.dumps(_completion(step.get("reply", fake.default_reply), body)))

            def _send(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(
                self, reply: str, body: dict[str, Any], token_delay: float, break_after: int | None
            ) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                words = reply.split(" ")
                for i, word in enumerate(words):
                    if i == break_after:
                        self.wfile.write(b'data: {"choices": [ broken\n\n')
                        self.wfile.flush()
                        return
                    piece = word if i == 0 else " " + word
                    self.wfile.write(f"data: {json.dumps(_chunk(piece, body))}\n\n".encode())
                    self.wfile.flush()
                    if i == 0:
                        fake.first_token_at.append(time.perf_counter())
                    time.sleep(token_delay)
                self.wfile.write(f"data: {json.dumps(_chunk('', body, done=True))}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def next_step(self, request_text: str) -> dict[str, Any]:
        """The first scripted step whose optional "match" text is in the request (else the next one)."""
        with self._lock:
            for i, step in enumerate(self.script):
                if step.get("match", "") in request_text:
                    return self.script.pop(i)
        return {"reply": self.default_reply, **self.default_step}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _completion(reply: str, body: dict[str, Any]) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(reply.split()),
            "total_tokens": prompt_tokens + len(reply.split()),
        },
    }


def _chunk(piece: str, body: dict[str, Any], done: bool = False) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "delta": {} if done else {"role": "assistant", "content": piece},
                "finish_reason": "stop" if done else None,
            }
        ],
    }
