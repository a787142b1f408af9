from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.embedding import Embedder
from index.indexer import Index
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FAKE = "python:tests.fakes:HashEmbedder"


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for running `newsbot` in a subprocess with the fast fake embedder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update({"PYTHONPATH": str(ROOT), "NEWSBOT_EMBED_MODEL": FAKE, "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    saved, sys.stdin = sys.stdin, io.StringIO(text)  # piped input: not a terminal
    try:
        yield
    finally:
        sys.stdin = saved


def newsbot(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """`newsbot <args>` in this process: the real `main`, its environment, exit code and output.
    A process start costs about a second; `newsbot_process` keeps a few end-to-end runs real."""
    from chromadb.api.shared_system_client import SharedSystemClient

    from bot.cli import main

    # Chroma caches one client per path for the process's life; a real run starts without one
    # (and another process may have written the store since).
    SharedSystemClient.clear_system_cache()
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with (
            _environment(env or cli_env()),
            contextlib.chdir(cwd),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            _stdin(stdin),
        ):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        for handler in root.handlers:  # main's log file and terminal handlers
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
    return subprocess.CompletedProcess(["newsbot", *args], code, out.getvalue(), err.getvalue())


def newsbot_process(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`newsbot <args>` as a real process (the console entry point, a cold start, real exit)."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def needs(path: Path, what: str, remedy: str) -> Path:
    """`path`, or a one-line failure saying what the test needs and how to get it."""
    if not path.exists():
        pytest.fail(f"this test needs {what} at {path}: {remedy}", pytrace=False)
    return path


def shared(relative: str) -> Path:
    """A file from ../shared (the real corpora and evaluation sets), or a clear failure."""
    return needs(SHARED / relative, f"../shared/{relative}", "check out the project beside ../shared")


@pytest.fixture(scope="session")
def minilm_cache() -> Path:
    """The cache folder holding the real MiniLM, where `make setup` put it."""
    from bot.settings import Settings
    from index.model_files import minilm_dir

    cache = Settings.load(dotenv=None).cache_dir
    needs(
        minilm_dir(cache) / "model.onnx", "the MiniLM model", "run `make setup` (or `newsbot model install`)"
    )
    return cache


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def hash_embedder() -> HashEmbedder:
    return HashEmbedder()


def synced(articles: Path, data: Path, embedder: Embedder) -> Index:
    """An index of `articles` in `data`, synced once."""
    index = Index(data, embedder)
    index.sync(articles, max_bytes=5_000_000)
    return index


def write_news(folder: Path, name: str, headline: str, *sentences: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(headline + "\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    return path
