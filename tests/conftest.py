from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def newsbot(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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


def write_news(folder: Path, name: str, headline: str, *sentences: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(headline + "\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    return path
