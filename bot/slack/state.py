"""The bot's own SQLite file in the data folder: which events were handled (so a redelivered
event is answered once, across restarts), thread turns for follow-ups, answers behind
buttons, and feedback. Point several replicas at one file on shared storage to share it."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bot.answer import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS handled (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    channel TEXT NOT NULL, thread TEXT NOT NULL, at REAL NOT NULL,
    question TEXT NOT NULL, standalone TEXT NOT NULL, answer TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS turns_thread ON turns (channel, thread, at);
CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, at REAL NOT NULL, channel TEXT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    at REAL NOT NULL, answer_id TEXT NOT NULL, user TEXT NOT NULL, vote TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL);
"""


class SlackState:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def claim(self, *keys: str) -> bool:
        """Record these event keys as handled; False if any was already handled (a redelivery)."""
        keys = tuple(k for k in keys if k)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seen = self._db.execute(
                    f"SELECT 1 FROM handled WHERE key IN ({','.join('?' * len(keys))})", keys
                ).fetchone()
                if not seen:
                    self._db.executemany(
                        "INSERT INTO handled VALUES (?, ?)", [(k, time.time()) for k in keys]
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return seen is None

    def has_thread(self, channel: str, thread: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM turns WHERE channel=? AND thread=? LIMIT 1", (channel, thread)
            )
            return row.fetchone() is not None

    def history(self, channel: str, thread: str, limit: int = 5) -> list[Answer]:
        with self._lock:
            rows = self._db.execute(
                "SELECT question, standalone, answer FROM turns"
                " WHERE channel=? AND thread=? ORDER BY at DESC LIMIT ?",
                (channel, thread, limit),
            ).fetchall()
        return [Answer(q, a, True, [], standalone=s) for q, s, a in reversed(rows)]

    def add_turn(self, channel: str, thread: str, answer: Answer) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                (channel, thread, time.time(), answer.question, answer.standalone, answer.text),
            )

    def save_answer(self, payload: dict[str, Any], channel: str) -> str:
        """Keep an answer (Answer.to_json() plus highlights) for its buttons; returns its id."""
        answer_id = uuid.uuid4().hex[:16]
        with self._lock:
            self._db.execute(
                "INSERT INTO answers VALUES (?, ?, ?, ?)",
                (answer_id, time.time(), channel, json.dumps(payload, ensure_ascii=False)),
            )
        return answer_id

    def answer(self, answer_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT body FROM answers WHERE id=?", (answer_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def record_feedback(self, answer_id: str, user: str, vote: str) -> bool:
        stored = self.answer(answer_id)
        if stored is None:
            return False
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                (time.time(), answer_id, user, vote, stored["question"], stored["answer"]),
            )
        return True

    def feedback(self) -> list[tuple[str, str, str, str]]:
        with self._lock:
            return self._db.execute(
                "SELECT user, vote, question, answer FROM feedback ORDER BY at"
            ).fetchall()
