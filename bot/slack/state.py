"""The bot's own SQLite file in the data folder: which events were handled (so a redelivered
event is answered once, across restarts), an inbox of acknowledged question events (so one
acknowledged before a crash is still answered after the restart), thread turns for
follow-ups, answers behind buttons, feedback, and what each assistant-panel thread is
looking at. Point several replicas at one file on shared storage to share it."""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.answer import Answer, Citation
from bot.history import read_marks
from index.errors import NewsbotError

log = logging.getLogger(__name__)
# An acknowledged event older than this is not answered after a restart: the moment has passed.
RECOVER_WITHIN_S = 3600
# A replica on another host that has not finished an event in this long is taken to be dead.
OTHER_HOST_LEASE_S = 600

SCHEMA = """
CREATE TABLE IF NOT EXISTS handled (key TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS turns (
    channel TEXT NOT NULL, thread TEXT NOT NULL, at REAL NOT NULL,
    question TEXT NOT NULL, standalone TEXT NOT NULL, answer TEXT NOT NULL,
    found INTEGER NOT NULL DEFAULT 1, citations TEXT NOT NULL DEFAULT '[]', marks TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS turns_thread ON turns (channel, thread, at);
CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, at REAL NOT NULL, channel TEXT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    event_id TEXT PRIMARY KEY, at REAL NOT NULL, owner TEXT NOT NULL, body TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS inbox_open ON inbox (done, at);
CREATE TABLE IF NOT EXISTS thread_context (
    channel TEXT NOT NULL, thread TEXT NOT NULL, at REAL NOT NULL, context TEXT NOT NULL,
    PRIMARY KEY (channel, thread));
CREATE TABLE IF NOT EXISTS feedback (
    at REAL NOT NULL, answer_id TEXT NOT NULL, user TEXT NOT NULL, vote TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL);
"""


class SlackState:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Who this process is, in the inbox: a dead owner's unfinished events are recovered.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as err:
            raise NewsbotError(
                f"the Slack state file {path} is damaged ({err}); move it aside and start again "
                "(it holds which events were answered and thread history, not the index)"
            ) from err
        self._lock = threading.Lock()

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("integrity check failed")
        db.executescript(SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(handled)")}
        if "event" not in columns:  # files from before the inbox existed
            db.execute("ALTER TABLE handled ADD COLUMN event TEXT NOT NULL DEFAULT ''")
        if "reply_ts" not in {row[1] for row in db.execute("PRAGMA table_info(inbox)")}:
            db.execute("ALTER TABLE inbox ADD COLUMN reply_ts TEXT NOT NULL DEFAULT ''")
        turns = {row[1] for row in db.execute("PRAGMA table_info(turns)")}
        for column, default in (("found", "1"), ("citations", "'[]'"), ("marks", "'[]'")):
            if column not in turns:  # threads from before a turn kept what it cited and marked
                db.execute(f"ALTER TABLE turns ADD COLUMN {column} NOT NULL DEFAULT {default}")
        return db

    def close(self) -> None:
        self._db.close()

    def claim(self, *keys: str, event: str = "") -> bool:
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
                        "INSERT INTO handled (key, at, event) VALUES (?, ?, ?)",
                        [(k, time.time(), event) for k in keys],
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return seen is None

    # --- the inbox: acknowledged question events until they are answered ----------------------

    def receive(self, event_id: str, body: dict[str, Any]) -> None:
        """Journal an event before Slack is told it arrived (a redelivery keeps the first row)."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO inbox (event_id, at, owner, body) VALUES (?, ?, ?, ?)",
                (event_id, time.time(), self.owner, json.dumps(body, ensure_ascii=False)),
            )

    def finish(self, event_id: str) -> None:
        if event_id:
            with self._lock:
                self._db.execute("UPDATE inbox SET done=1 WHERE event_id=?", (event_id,))

    def note_reply(self, event_id: str, ts: str) -> None:
        """The message an unfinished answer is being streamed into: Slack gives a stream no
        metadata until it stops, so after a crash this is how the bot finds it again."""
        if event_id:
            with self._lock:
                self._db.execute("UPDATE inbox SET reply_ts=? WHERE event_id=?", (ts, event_id))

    def reply_ts(self, event_id: str) -> str:
        with self._lock:
            row = self._db.execute("SELECT reply_ts FROM inbox WHERE event_id=?", (event_id,)).fetchone()
        return str(row[0]) if row else ""

    def noted_replies(self, except_event: str) -> frozenset[str]:
        """The messages other events noted as theirs (see `note_reply`)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT reply_ts FROM inbox WHERE event_id != ? AND reply_ts != ''",
                (except_event,),
            ).fetchall()
        return frozenset(str(r[0]) for r in rows)

    def orphans(self) -> list[tuple[str, dict[str, Any]]]:
        """Unfinished events whose owner died; each is handed to this process, claims released,
        to be answered again. Older ones are closed unanswered (and logged)."""
        now = time.time()
        taken: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            rows = self._db.execute("SELECT event_id, at, owner, body FROM inbox WHERE done=0").fetchall()
            for event_id, at, owner, body in rows:
                if owner == self.owner or _alive(owner, at, now):
                    continue
                if at < now - RECOVER_WITHIN_S:
                    log.warning(
                        "event %s was acknowledged %.0f s ago and never answered; too old now",
                        event_id,
                        now - at,
                    )
                    self._db.execute("UPDATE inbox SET done=1 WHERE event_id=?", (event_id,))
                    continue
                self._db.execute("BEGIN IMMEDIATE")
                # Conditional on the old owner: of two replicas restarting at once, one takes it.
                moved = self._db.execute(
                    "UPDATE inbox SET owner=? WHERE event_id=? AND owner=? AND done=0",
                    (self.owner, event_id, owner),
                ).rowcount
                if moved:
                    self._db.execute("DELETE FROM handled WHERE event=?", (event_id,))
                self._db.execute("COMMIT")
                if moved:
                    taken.append((event_id, json.loads(body)))
        return taken

    def has_thread(self, channel: str, thread: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM turns WHERE channel=? AND thread=? LIMIT 1", (channel, thread)
            )
            return row.fetchone() is not None

    def history(self, channel: str, thread: str, limit: int = 5) -> list[Answer]:
        with self._lock:
            rows = self._db.execute(
                "SELECT question, standalone, answer, found, citations, marks FROM turns"
                " WHERE channel=? AND thread=? ORDER BY at DESC LIMIT ?",
                (channel, thread, limit),
            ).fetchall()
        return [
            Answer(
                q,
                a,
                bool(found),
                [Citation(**c) for c in json.loads(cits)],
                standalone=s,
                highlights=read_marks(marks),
            )
            for q, s, a, found, cits, marks in reversed(rows)
        ]

    def add_turn(self, channel: str, thread: str, answer: Answer) -> None:
        """Keep a turn with what it cited and marked: a follow-up in the thread may point at them
        ("what is its capital?", "summarize the article")."""
        with self._lock:
            self._db.execute(
                "INSERT INTO turns (channel, thread, at, question, standalone, answer, found, citations,"
                " marks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    channel,
                    thread,
                    time.time(),
                    answer.question,
                    answer.standalone,
                    answer.text,
                    int(answer.found),
                    json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False),
                    json.dumps(answer.highlights),
                ),
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

    def save_context(self, channel: str, thread: str, context: dict[str, Any]) -> None:
        """What an assistant-panel thread is looking at (the channel beside it), as Slack sent it."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO thread_context VALUES (?, ?, ?, ?)",
                (channel, thread, time.time(), json.dumps(context)),
            )

    def context(self, channel: str, thread: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT context FROM thread_context WHERE channel=? AND thread=?", (channel, thread)
            ).fetchone()
        return dict(json.loads(row[0])) if row else None

    def feedback(self) -> list[tuple[str, str, str, str]]:
        with self._lock:
            return self._db.execute(
                "SELECT user, vote, question, answer FROM feedback ORDER BY at"
            ).fetchall()


def _alive(owner: str, at: float, now: float) -> bool:
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return at > now - OTHER_HOST_LEASE_S
    pid = int(rest.partition(":")[0] or 0)
    if pid == os.getpid():  # a restarted container often gets its old pid back; that owner is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
