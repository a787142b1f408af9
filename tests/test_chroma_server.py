"""Server mode: a real `chroma run` on loopback, started and stopped by the tests."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.extractive import ExtractiveAnswerer
from index.errors import IndexUnavailableError
from index.search import Searcher
from index.store import ChromaServer, ChunkStore, open_client
from index.sync import sync_folder
from tests.conftest import cli_env, newsbot, write_news
from tests.fakes import HashEmbedder
from tests.test_search_answer import STORY

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaProcess:
    def __init__(self, path: Path):
        self.path = path
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("chroma run did not come up")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    @property
    def env(self) -> dict[str, str]:
        return cli_env(CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(self.port))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaProcess]:
    chroma = ChromaProcess(tmp_path / "chroma-server")
    chroma.start()
    yield chroma
    chroma.stop()


def test_index_ask_and_articles_through_the_server(
    server: ChromaProcess, articles: Path, tmp_path: Path
) -> None:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    local = tmp_path / "local-data"  # lock, log and manifest cache stay local; vectors live on the server
    indexed = newsbot("index", "--articles", str(articles), "--data", str(local), env=server.env)
    assert indexed.returncode == 0, indexed.stderr
    assert not (local / "chroma").exists(), "nothing is stored in the embedded store in server mode"
    asked = newsbot("ask", "Who led the ferry campaign?", "--json", "--data", str(local), env=server.env)
    doc = json.loads(asked.stdout)
    assert doc["found"] and "Adeyemi" in doc["answer"]
    [c] = doc["citations"]
    assert (articles / c["article"]).read_text()[c["start"] : c["end"]] == c["text"]
    listed = newsbot("articles", "--json", "--data", str(local), env=server.env)
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == ["ferry.txt"]
    again = newsbot("index", "--articles", str(articles), "--data", str(local), env=server.env)
    assert " 1 unchanged" in again.stdout and "0 chunks embedded" in again.stdout


def test_a_sync_by_another_process_is_seen_without_restart(
    server: ChromaProcess, articles: Path, tmp_path: Path
) -> None:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    assert (
        newsbot(
            "index", "--articles", str(articles), "--data", str(tmp_path / "a"), env=server.env
        ).returncode
        == 0
    )
    client = open_client(tmp_path / "unused", ChromaServer("127.0.0.1", server.port))
    store = ChunkStore(client, HashEmbedder.name, HashEmbedder.dim, create=False)
    bot = ExtractiveAnswerer(Searcher(store, HashEmbedder()))
    assert not bot.answer("What did the zoo open?").found
    write_news(articles, "zoo.txt", "Zoo news", "The zoo opened a zebra enclosure on Friday.")
    # Another replica (its own data folder) indexes the new article into the same server.
    assert (
        newsbot(
            "index", "--articles", str(articles), "--data", str(tmp_path / "b"), env=server.env
        ).returncode
        == 0
    )
    answer = bot.answer("What did the zoo open?")
    assert answer.found and "zebra enclosure" in answer.text


def test_server_restart_mid_session(server: ChromaProcess, articles: Path, tmp_path: Path) -> None:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    client = open_client(tmp_path / "unused", ChromaServer("127.0.0.1", server.port))
    sync_folder(articles, client, HashEmbedder(), max_bytes=5_000_000)
    store = ChunkStore(client, HashEmbedder.name, HashEmbedder.dim, create=False)
    bot = ExtractiveAnswerer(Searcher(store, HashEmbedder()))
    assert bot.answer("Who led the ferry campaign?").found

    server.stop()
    with pytest.raises(
        IndexUnavailableError, match="the index is unavailable: the Chroma server cannot be reached"
    ):
        bot.answer("Who led the ferry campaign?")
    down = newsbot("ask", "Who led the ferry campaign?", "--data", str(tmp_path / "d"), env=server.env)
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert down.stderr.startswith(
        "error: the index is unavailable: no Chroma server answers at http://127.0.0.1:"
    )

    server.start()  # same path and port: the same process answers again, no restart
    answer = bot.answer("Who led the ferry campaign?")
    assert answer.found and "Adeyemi" in answer.text


class FirstBytes:
    """A loopback listener that keeps the first bytes of each connection and hangs up: what a
    Chroma client sends before any reply (an HTTP request, or a TLS ClientHello)."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.seen: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.seen.append(conn.recv(65536))
                except OSError:
                    self.seen.append(b"")


def test_chroma_ssl_and_auth_token_reach_the_client(tmp_path: Path) -> None:
    from bot.runtime import index_for
    from bot.settings import Settings
    from index.errors import NewsbotError

    listener = FirstBytes()
    try:
        env = {
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(listener.port),
            "CHROMA_AUTH_TOKEN": "tok-abc123xyz",
        }
        with pytest.raises(NewsbotError):
            index_for(Settings.load(env=env, dotenv=None), HashEmbedder()).searcher()
        assert listener.seen and b"\r\nauthorization: bearer tok-abc123xyz\r\n" in listener.seen[0].lower()
        plain = len(listener.seen)
        with pytest.raises(NewsbotError):
            index_for(
                Settings.load(env={**env, "CHROMA_SSL": "true"}, dotenv=None), HashEmbedder()
            ).searcher()
        assert len(listener.seen) > plain
        assert listener.seen[plain][:2] == b"\x16\x03", (
            "with CHROMA_SSL the client opens with a TLS handshake"
        )
    finally:
        listener.sock.close()
