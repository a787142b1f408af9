"""The conversation log: every chat question with its answer and citations, in SQLite in the
data folder, so a user can look back (`newsbot history`) and go on (`newsbot chat --continue`).
Modelled on simonw's `llm logs` / `llm -c`. Turns older than the retention setting are dropped
when the log is opened; a retention of 0 keeps nothing.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.answer import Answer, Citation
from index.errors import NewsbotError

SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL, at REAL NOT NULL, question TEXT NOT NULL, standalone TEXT NOT NULL,
    answer TEXT NOT NULL, found INTEGER NOT NULL, citations TEXT NOT NULL, mode TEXT NOT NULL,
    marks TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS turns_conversation ON turns (conversation, at);
"""


@dataclass(frozen=True)
class Conversation:
    id: str
    started: float
    turns: int
    first_question: str


class History:
    def __init__(self, path: Path, keep_days: float):
        self.keep_days = keep_days
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=10)
            self._db.executescript(SCHEMA)
            if "marks" not in {row[1] for row in self._db.execute("PRAGMA table_info(turns)")}:
                # A log from before marks were kept: its turns go on without them.
                self._db.execute("ALTER TABLE turns ADD COLUMN marks TEXT NOT NULL DEFAULT '[]'")
        except sqlite3.DatabaseError as err:
            raise NewsbotError(
                f"the conversation log {path} is damaged ({err}); move it aside to start a new one"
            ) from err
        self._db.execute("DELETE FROM turns WHERE at < ?", (time.time() - keep_days * 86400,))

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def new_conversation() -> str:
        return uuid.uuid4().hex[:12]

    def add(self, conversation: str, answer: Answer) -> None:
        if self.keep_days <= 0:
            return
        citations = json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False)
        self._db.execute(
            "INSERT INTO turns (conversation, at, question, standalone, answer, found, citations, mode,"
            " marks) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation,
                time.time(),
                answer.question,
                answer.standalone or answer.question,
                answer.text,
                int(answer.found),
                citations,
                answer.mode,
                json.dumps(answer.highlights),
            ),
        )

    def conversations(self, limit: int = 20) -> list[Conversation]:
        """The newest first."""
        rows = self._db.execute(
            "SELECT conversation, MIN(at), COUNT(*),"
            " (SELECT question FROM turns t WHERE t.conversation = turns.conversation ORDER BY at LIMIT 1)"
            " FROM turns GROUP BY conversation ORDER BY MAX(at) DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [Conversation(c, started, n, first) for c, started, n, first in rows]

    def resolve(self, conversation: str | None) -> str:
        """The id of `conversation` (a unique prefix will do), or of the newest one."""
        if not conversation:
            newest = self.conversations(1)
            if not newest:
                raise NewsbotError("there is no earlier conversation to go on with")
            return newest[0].id
        ids = [
            row[0]
            for row in self._db.execute(
                "SELECT DISTINCT conversation FROM turns WHERE conversation LIKE ?", (conversation + "%",)
            )
        ]
        if len(ids) != 1:
            raise NewsbotError(
                f"no conversation {conversation!r} in the log"
                if not ids
                else f"{conversation!r} matches {len(ids)} conversations; give more of its id"
            )
        return str(ids[0])

    def turns(self, conversation: str) -> list[Answer]:
        rows = self._db.execute(
            "SELECT question, standalone, answer, found, citations, mode, marks FROM turns"
            " WHERE conversation = ? ORDER BY at",
            (conversation,),
        ).fetchall()
        return [
            Answer(
                q,
                a,
                bool(found),
                [Citation(**c) for c in json.loads(cits)],
                mode=mode,
                standalone=s,
                highlights=read_marks(marks),
            )
            for q, s, a, found, cits, mode, marks in rows
        ]

    def clear(self) -> int:
        """Forget every conversation; returns how many turns went."""
        return int(self._db.execute("DELETE FROM turns").rowcount)


def read_marks(stored: str) -> list[tuple[int, int]]:
    """A turn's marked spans as kept in a log (JSON pairs); a follow-up's "its" or "there" may
    stand for what they mark ("what is its capital?" after "Which province neighbors Kunduz?")."""
    return [(int(a), int(b)) for a, b in json.loads(stored)]
