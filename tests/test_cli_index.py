"""`newsbot index` / `newsbot articles` as real processes: output, exit codes, lock, kill, watch."""

from __future__ import annotations

import contextlib
import json
import random
import re
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from index.lock import index_lock
from index.sentences import SPANS_KEY, VECTORS_KEY, decode_spans, decode_vectors
from index.store import ChunkStore, open_client
from tests.conftest import ROOT, cli_env, newsbot, write_news
from tests.fakes import HashEmbedder

SUMMARY = (
    r"\d+ articles?: \d+ added, \d+ updated, \d+ deleted, \d+ unchanged, \d+ skipped; \d+ chunks? embedded in"
)


def _make_corpus(folder: Path, n: int) -> None:
    rng = random.Random(7)
    words = [
        "council",
        "budget",
        "river",
        "school",
        "police",
        "storm",
        "market",
        "court",
        "election",
        "hospital",
        "bridge",
    ]
    for i in range(n):
        sentences = [
            f"Story {i} reports that the {rng.choice(words)} plan changed on day {j}." for j in range(8)
        ]
        write_news(folder, f"s{i:03d}.txt", f"Headline {i}", *sentences)


def _index_state(data: Path) -> tuple[list[tuple[str, str, int, int, str, str]], int]:
    """Every chunk with its sentence spans and sentence vectors, after checking that the vectors
    are those of the chunk's own sentences (a kill must never leave another chunk's behind)."""
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    got = store.col.get(include=["documents", "metadatas"])
    rows = []
    for doc, m in zip(got["documents"], got["metadatas"], strict=True):
        spans = decode_spans(str(m[SPANS_KEY]))
        vectors = decode_vectors(str(m[VECTORS_KEY]), len(spans))
        expected = HashEmbedder().embed([str(doc)[s:e] for s, e in spans])
        assert spans and np.all((vectors * expected).sum(axis=1) > 0.99), f"{m['article']}: stale vectors"
        rows.append(
            (
                str(m["article"]),
                str(doc),
                int(m["start"]),
                int(m["end"]),
                str(m[SPANS_KEY]),
                str(m[VECTORS_KEY]),
            )
        )
    return sorted(rows), len(got["ids"])


def test_index_prints_one_summary_line_and_no_progress_bar_when_piped(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened. Workers cheered.")
    (articles / "empty.txt").write_text("")
    result = newsbot("index", "--articles", str(articles), "--data", str(data))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert re.match(SUMMARY, result.stdout)
    assert "skipped empty.txt: empty file" in result.stderr
    assert "━" not in result.stderr and "\x1b[" not in result.stderr  # no progress bar off a TTY

    strict = newsbot("index", "--articles", str(articles), "--data", str(data), "--strict")
    assert strict.returncode == 1 and "skipped empty.txt" in strict.stderr


def test_articles_lists_what_is_indexed(articles: Path, data: Path) -> None:
    (articles / "m.md").write_text(
        "---\ntitle: Bridge reopens\ndate: 2024-05-02\n---\nThe bridge reopened. Cars.\n"
    )
    newsbot("index", "--articles", str(articles), "--data", str(data))
    result = newsbot("articles", "--data", str(data), "--json")
    assert result.returncode == 0, result.stderr
    [row] = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["id"] == "m.md" and row["title"] == "Bridge reopens" and row["published_at"] == "2024-05-02"
    assert row["chunks"] >= 1 and row["indexed_at"]
    table = newsbot("articles", "--data", str(data))
    assert "Bridge reopens" in table.stdout and "1 article indexed" in table.stdout


def test_errors_are_one_line_without_a_traceback(tmp_path: Path) -> None:
    result = newsbot("index", "--articles", str(tmp_path / "missing"), "--data", str(tmp_path / "d"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert "does not exist" in result.stderr
    bad = newsbot("index", "--articles", str(tmp_path), env=cli_env(NEWSBOT_MAX_FILE_MB="lots"))
    assert bad.returncode == 1 and "NEWSBOT_MAX_FILE_MB='lots' is not a number" in bad.stderr


def test_second_run_exits_clearly_while_the_lock_is_held(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    with index_lock(data):
        result = newsbot("index", "--articles", str(articles), "--data", str(data))
    assert result.returncode == 3
    assert "another indexing process" in result.stderr and "Traceback" not in result.stderr
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0


def test_two_concurrent_runs_cannot_corrupt_the_index(articles: Path, data: Path, tmp_path: Path) -> None:
    _make_corpus(articles, 60)
    env = cli_env(NEWSBOT_EMBED_MODEL="python:tests.fakes:SlowHashEmbedder", NEWSBOT_FAKE_EMBED_DELAY="0.01")
    args = [sys.executable, "-m", "bot.cli", "index", "--articles", str(articles), "--data", str(data)]
    first = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    lock = data / "index.lock.pid"
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        time.sleep(0.05)
    second = newsbot("index", "--articles", str(articles), "--data", str(data), env=env)
    _, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == 3 and "another indexing process" in second.stderr
    clean = tmp_path / "clean"
    newsbot("index", "--articles", str(articles), "--data", str(clean))
    assert _index_state(data) == _index_state(clean)


def _version(data: Path) -> int:
    """The index's write counter, read from Chroma's SQLite file without opening Chroma (a client
    in this process would cache the store the killed process is writing). A sync bumps it once
    before its first write and once after its last."""
    path = data / "chroma" / "chroma.sqlite3"
    if not path.exists():
        return 0
    # Not read-only: after a kill, the first reader rolls back the dead writer's journal (as
    # SQLite does for whoever opens the file next), which a read-only connection cannot.
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as db:
        try:
            row = db.execute(
                "SELECT int_value FROM collection_metadata WHERE key='newsbot_version'"
            ).fetchone()
        except sqlite3.OperationalError as err:
            if "no such table" in str(err):  # a first run has only just created the file
                return 0
            raise
    return int(row[0]) if row else 0


@pytest.mark.slow
def test_kill_9_twenty_times_mid_sync_then_rerun_equals_a_clean_build(
    articles: Path, data: Path, tmp_path: Path
) -> None:
    """docs/RELIABILITY.md: 20 kills at random points of a ~300-article sync, each after the
    writes began and before they ended; nothing lost, every chunk keeps its own sentences' vectors."""
    _make_corpus(articles, 300)
    # About 4 chunks an article at 8 ms each: every run below has seconds of writes to interrupt.
    env = cli_env(NEWSBOT_EMBED_MODEL="python:tests.fakes:SlowHashEmbedder", NEWSBOT_FAKE_EMBED_DELAY="0.008")
    args = [sys.executable, "-m", "bot.cli", "index", "--articles", str(articles), "--data", str(data)]
    rng = random.Random(11)

    def current() -> list[Path]:
        return sorted(articles.rglob("*.txt"))

    def change(paths: list[Path], round_: int) -> None:
        for path in paths:
            path.write_text(path.read_text() + f"An update followed in round {round_}.\n")

    rounds: list[tuple[int, int, int]] = []  # (before, when the wait ended, after the kill)
    for round_ in range(20):
        # Each round changes the folder so the run has writes to do, then dies at a random point:
        # first build, every article changed, a third deleted with new ones added, half changed.
        kind = 0 if round_ == 0 else 1 + (round_ - 1) % 3
        if kind == 1:
            change(current(), round_)
        elif kind == 2:
            for path in rng.sample(current(), len(current()) // 3):
                path.unlink()
            _make_corpus(articles / f"new{round_}", 100)
        elif kind == 3:
            change(rng.sample(current(), len(current()) // 2), round_)
        before = _version(data)
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # The reference: a clean build of the same folder, made here while that run starts up.
        clean = tmp_path / f"clean{round_}"
        assert newsbot("index", "--articles", str(articles), "--data", str(clean)).returncode == 0
        deadline = time.monotonic() + 60
        while (started := _version(data)) == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))  # somewhere inside seconds of writes
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL, f"round {round_}: the run was over before the kill"
        rounds.append((before, started, _version(data)))
        rerun = newsbot("index", "--articles", str(articles), "--data", str(data))
        assert rerun.returncode == 0, rerun.stderr
        rows, count = _index_state(data)
        assert len(set(rows)) == count, f"round {round_}: duplicate chunks"
        assert (rows, count) == _index_state(clean), f"round {round_}: index differs from a clean build"
    # Bumped once (writes began) and not twice (they had not ended): killed mid-write.
    mid_write = sum(after == before + 1 for before, _, after in rounds)
    assert mid_write == 20, f"{mid_write} of 20 kills landed between the first and last write: {rounds}"


def test_watch_indexes_a_new_article_without_a_restart(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    args = [
        sys.executable,
        "-m",
        "bot.cli",
        "index",
        "--watch",
        "--articles",
        str(articles),
        "--data",
        str(data),
    ]
    proc = subprocess.Popen(
        args,
        cwd=ROOT,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a run started in the background (`make test &`) inherits an
        # ignored SIGINT, and the watcher would rightly keep running.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert "1 added" in _readline(proc, 60)
        write_news(articles, "b.txt", "Beta", "A new story arrived.")
        (articles / ".hidden.txt").write_text("Hidden\n\nIgnored.\n")
        line = _readline(proc, 30)  # the debounced re-sync reports
        assert "2 articles: 1 added" in line and "0 skipped" in line
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()  # leave no watcher behind, and still fail
            raise
    listed = newsbot("articles", "--data", str(data), "--json")
    assert {json.loads(x)["id"] for x in listed.stdout.splitlines()} == {"a.txt", "b.txt"}


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"no output within {timeout} s")
    return proc.stdout.readline()


def test_index_refuses_an_empty_folder_and_says_how_to_mean_it(
    articles: Path, data: Path, tmp_path: Path
) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = newsbot("index", "--articles", str(empty), "--data", str(data))
    assert refused.returncode == 1
    assert "holds none of the 1 indexed articles; nothing was deleted" in refused.stderr
    assert "newsbot index --allow-empty" in refused.stderr
    listed = newsbot("articles", "--json", "--data", str(data))
    assert [json.loads(x)["id"] for x in listed.stdout.splitlines()] == ["a.txt"]
    emptied = newsbot("index", "--articles", str(empty), "--data", str(data), "--allow-empty")
    assert emptied.returncode == 0 and "1 deleted" in emptied.stdout


def test_article_text_is_never_read_as_markup(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Budget [final] vote [/b] passes", "The council passed the budget.")
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    table = newsbot("articles", "--data", str(data))
    assert table.returncode == 0, table.stderr
    assert "[final]" in table.stdout and "[/b]" in table.stdout


def test_articles_read_at_80_columns_and_plainly_in_a_pipe(articles: Path, data: Path) -> None:
    from rich.console import Console

    from bot.cli import articles_table

    long_id = "council-budget-vote-with-a-very-long-file-name-indeed.txt"
    write_news(
        articles, long_id, "A very long headline about the council budget vote that goes on and on", "Yes."
    )
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    piped = newsbot("articles", "--data", str(data))  # stdout is not a terminal here
    first = piped.stdout.splitlines()[0].split("\t")
    assert first[:3] == [
        long_id,
        "A very long headline about the council budget vote that goes on and on",
        "1",
    ]
    rows = [{"id": long_id, "title": "T" * 90, "chunks": 1, "published_at": "2021-06-22", "indexed_at": ""}]
    terminal = Console(width=80, record=True, force_terminal=True)
    terminal.print(articles_table(rows))
    lines = terminal.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    body = next(line for line in lines if "council" in line)
    assert "…" in body and "2021-06-22" in body and " 1 " in body  # cut, not folded onto a second line


def test_the_summary_wraps_at_word_boundaries_on_an_80_column_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io as io_

    from rich.text import Text

    from bot.render import console_for

    class Terminal(io_.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("COLUMNS", "80")
    screen = Terminal()
    summary = (
        "2,131 articles: 1 added, 0 updated, 0 deleted, 2130 unchanged, 1 skipped; 1 chunk embedded in 0.5 s"
    )
    console_for(screen).print(Text(summary))
    lines = screen.getvalue().splitlines()
    assert len(lines) == 2 and all(len(line) <= 80 for line in lines)
    assert " ".join(line.strip() for line in lines) == summary  # broken between words, not inside one
