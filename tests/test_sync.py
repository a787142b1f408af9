"""Sync against real Chroma in a temporary folder: the index follows the articles folder."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.errors import explain
from index.errors import EmbedderMismatchError, NewsbotError
from index.store import ChunkStore, open_client
from index.sync import SyncReport, sync_folder
from tests.conftest import write_news
from tests.fakes import HashEmbedder, OtherHashEmbedder


def _sync(articles: Path, data: Path, embedder: Any = None, **kw: Any) -> SyncReport:
    return sync_folder(
        articles, open_client(data, write=True), embedder or HashEmbedder(), max_bytes=5_000_000, **kw
    )


def _snapshot(data: Path) -> dict[str, tuple[str, int, int]]:
    """chunk id -> (text, start, end) for everything in the index."""
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    got = store.col.get(include=["documents", "metadatas"])
    return {
        i: (doc, int(m["start"]), int(m["end"]))
        for i, doc, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
    }


def _articles_in(data: Path) -> set[str]:
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    return set(store.article_states())


def test_add_change_delete_and_unchanged(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened. Workers cheered.")
    write_news(articles, "b.txt", "Beta", "Beta prices rose sharply. Analysts were surprised.")
    write_news(articles, "c.txt", "Gamma", "Gamma rays were detected. Scientists met.")
    first = _sync(articles, data)
    assert (first.added, first.updated, first.deleted, first.unchanged) == (3, 0, 0, 0)
    assert first.chunks_embedded == len(_snapshot(data))

    write_news(articles, "b.txt", "Beta", "Beta prices fell. Analysts shrugged. Markets closed.")
    (articles / "c.txt").unlink()
    write_news(articles, "d.txt", "Delta", "The delta flooded.")
    second = _sync(articles, data)
    assert (second.added, second.updated, second.deleted, second.unchanged) == (1, 1, 1, 1)
    assert _articles_in(data) == {"a.txt", "b.txt", "d.txt"}
    texts = [t for t, _, _ in _snapshot(data).values()]
    assert not any("rose sharply" in t for t in texts), "old chunks of a changed article are gone"
    assert any("Beta prices fell" in t for t in texts)
    assert not any("Gamma" in t for t in texts)

    third = _sync(articles, data)
    assert third.chunks_embedded == 0 and third.unchanged == 3 and not third.changed


def test_summary_line_format(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "One sentence here.")
    (articles / "bad.txt").write_bytes(b"")
    line = _sync(articles, data).summary()
    assert re.fullmatch(
        r"1 article: 1 added, 0 updated, 0 deleted, 0 unchanged, 1 skipped; 1 chunk embedded in \d+\.\d s",
        line,
    ), line


def test_unchanged_articles_are_not_embedded_again(articles: Path, data: Path) -> None:
    class Counting(HashEmbedder):
        def __init__(self) -> None:
            self.calls: list[int] = []

        def embed(self, texts: Sequence[str]) -> np.ndarray:
            self.calls.append(len(texts))
            return super().embed(texts)

    for i in range(5):
        write_news(articles, f"n{i}.txt", f"News {i}", f"Story number {i} happened. It was notable.")
    embedder = Counting()
    _sync(articles, data, embedder)
    embedded_first = sum(embedder.calls)
    write_news(articles, "n2.txt", "News 2", "Story two was corrected. The mayor apologised.")
    embedder.calls.clear()
    _sync(articles, data, embedder)
    # Each article is one chunk of two sentences; this embedder cannot pool token states, so each
    # sentence is embedded as a text of its own: 3 texts an article.
    assert embedded_first == 5 * 3 and sum(embedder.calls) == 3


def test_rebuild_starts_over(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    _sync(articles, data)
    before = _snapshot(data)
    report = _sync(articles, data, rebuild=True)
    assert report.added == 1 and report.unchanged == 0
    assert set(_snapshot(data).values()) == set(before.values())


def test_a_file_that_turns_bad_keeps_its_indexed_version(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    write_news(articles, "b.txt", "Beta", "Beta story.")
    (articles / "feed.jsonl").write_text(
        '{"title": "F1", "body": "Feed one."}\n{"title": "F2", "body": "Feed two."}\n'
    )
    _sync(articles, data)
    (articles / "a.txt").write_bytes(b"Alpha\n\nCaf\xe9 \x81")  # neither UTF-8 nor Windows-1252
    (articles / "feed.jsonl").write_text('{"title": "F1", "body": "Feed one."}\n{"title": broken\n')
    report = _sync(articles, data)
    assert {s.id for s in report.skips} == {"a.txt", "feed.jsonl#2"}
    assert _articles_in(data) == {"a.txt", "b.txt", "feed.jsonl#1", "feed.jsonl#2"}
    assert report.deleted == 0 and report.articles == 4


def test_chroma_never_embeds_raw_text_itself(articles: Path, data: Path) -> None:
    # Chroma's default embedding function downloads a model; our collections have none.
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    _sync(articles, data)
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    with pytest.raises(ValueError, match="embedding function"):
        store.col.query(query_texts=["alpha"], n_results=1)
    assert store.col.configuration["embedding_function"] is None


def test_one_collection_per_model_and_a_clear_mismatch_error(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    _sync(articles, data)
    with pytest.raises(EmbedderMismatchError) as err:
        ChunkStore(open_client(data), OtherHashEmbedder.name, OtherHashEmbedder.dim, create=False)
    message = str(err.value)
    assert "fake-hash-64" in message and "fake-other-64" in message
    # The index names the problem; the CLI adds how to fix it.
    assert "newsbot" not in message and err.value.remedy == "rebuild-or-model"
    assert explain(err.value).endswith("run `newsbot index --rebuild` (or set NEWSBOT_EMBED_MODEL back)")
    # Indexing with the other model builds its own collection; vectors never mix.
    _sync(articles, data, OtherHashEmbedder())
    client = open_client(data)
    names = sorted(c.name for c in client.list_collections())
    assert names == ["newsbot-fake-hash-64", "newsbot-fake-other-64"]


def test_nothing_indexed_yet_says_to_run_index(data: Path) -> None:
    with pytest.raises(NewsbotError, match="no articles indexed yet") as err:
        ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False)
    assert explain(err.value) == "no articles indexed yet: run `newsbot index`"


def test_version_counter_bumps_only_on_change(articles: Path, data: Path) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    _sync(articles, data)

    def version() -> int:
        return ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=False).version()

    v1 = version()
    _sync(articles, data)
    assert version() == v1
    write_news(articles, "b.txt", "Beta", "Beta story.")
    _sync(articles, data)
    assert version() > v1


def test_incomplete_article_from_a_killed_run_is_rewritten(articles: Path, data: Path) -> None:
    # Simulate a run killed between writes: one of an article's chunks is missing.
    write_news(
        articles, "a.txt", "Alpha", *(f"Sentence {i} is about the alpha plant and more." for i in range(9))
    )
    _sync(articles, data)
    clean = _snapshot(data)
    store = ChunkStore(open_client(data), HashEmbedder.name, HashEmbedder.dim, create=True)
    victim = sorted(clean)[0]
    store.col.delete(ids=[victim])
    report = _sync(articles, data)
    assert report.updated == 1
    assert _snapshot(data) == clean


def test_manifest_cache_is_not_trusted_after_another_writer(
    articles: Path, data: Path, tmp_path: Path
) -> None:
    # Machine A keeps a manifest cache; machine B (its own folder, same collection) deletes an
    # article A still has. A's next sync must notice from the version and write it back.
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    write_news(articles, "b.txt", "Beta", "Beta story.")
    cache_a = tmp_path / "manifest-a"
    _sync(articles, data, manifest_dir=cache_a)
    assert (cache_a / "newsbot-fake-hash-64.json").is_file()
    other = tmp_path / "other-articles"
    other.mkdir()
    (other / "a.txt").write_bytes((articles / "a.txt").read_bytes())
    _sync(other, data, manifest_dir=tmp_path / "manifest-b")
    assert _articles_in(data) == {"a.txt"}
    report = _sync(articles, data, manifest_dir=cache_a)
    assert report.added == 1 and _articles_in(data) == {"a.txt", "b.txt"}


def test_manifest_cache_skips_reading_chroma_when_nothing_changed(
    articles: Path, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    cache = tmp_path / "manifest"
    _sync(articles, data, manifest_dir=cache)

    def no_scan(self: ChunkStore) -> None:
        raise AssertionError("a valid cache means no full scan of chunk metadata")

    monkeypatch.setattr(ChunkStore, "article_states", no_scan)
    assert _sync(articles, data, manifest_dir=cache).unchanged == 1


@pytest.mark.parametrize(
    "damage",
    [b"{not json", b'{"version": 2}', b'{"version": 2, "articles": {"a.txt": {"hashes": 5}}}', b""],
    ids=["not-json", "no-articles", "wrong-fields", "empty"],
)
def test_a_corrupt_manifest_cache_is_ignored_and_rewritten(
    articles: Path, data: Path, tmp_path: Path, damage: bytes
) -> None:
    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    cache = tmp_path / "manifest"
    _sync(articles, data, manifest_dir=cache)
    [cache_file] = cache.glob("*.json")
    cache_file.write_bytes(damage)
    write_news(articles, "b.txt", "Beta", "Beta story.")
    report = _sync(articles, data, manifest_dir=cache)
    # Chroma was read instead: a.txt is known and unchanged, only b.txt is new.
    assert (report.unchanged, report.added) == (1, 1)
    assert _articles_in(data) == {"a.txt", "b.txt"}
    assert set(json.loads(cache_file.read_text())["articles"]) == {"a.txt", "b.txt"}


class PoisonedEmbedder(HashEmbedder):
    """Fails, as a broken model server would, on any batch holding the word "poison"."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if any("poison" in t.lower() for t in texts):
            raise NewsbotError("the embedding service failed")
        return super().embed(texts)


def test_watch_reports_an_error_and_goes_on_watching(articles: Path, data: Path) -> None:
    import queue
    import threading

    from index.indexer import Index

    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    events: queue.Queue[tuple[str, object]] = queue.Queue()
    stop = threading.Event()
    index = Index(data, PoisonedEmbedder())
    watcher = threading.Thread(
        target=index.watch,
        args=(articles,),
        kwargs={
            "max_bytes": 5_000_000,
            "on_report": lambda r: events.put(("report", r)),
            "on_error": lambda e: events.put(("error", e)),
            "stop": stop,
        },
    )
    watcher.start()
    try:
        kind, first = events.get(timeout=30)
        assert kind == "report" and isinstance(first, SyncReport) and first.added == 1
        write_news(articles, "bad.txt", "Bad", "A poison pill story.")
        kind, err = events.get(timeout=30)
        assert kind == "error" and "embedding service failed" in str(err)
        (articles / "bad.txt").unlink()
        write_news(articles, "c.txt", "Gamma", "The gamma bridge reopened.")
        added = 0
        while not added:  # the unlink and the new file may arrive as one change or two
            kind, later = events.get(timeout=30)
            assert kind == "report" and isinstance(later, SyncReport), later
            added = later.added
        assert watcher.is_alive()
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert _articles_in(data) == {"a.txt", "c.txt"}


def test_an_empty_folder_never_wipes_the_index_unless_asked(
    articles: Path, data: Path, tmp_path: Path
) -> None:
    from index.errors import EmptyFolderError

    write_news(articles, "a.txt", "Alpha", "The alpha plant opened.")
    write_news(articles, "b.txt", "Beta", "Beta story.")
    _sync(articles, data)
    empty = tmp_path / "empty"  # a wrong --articles, an unmounted share
    empty.mkdir()
    with pytest.raises(EmptyFolderError, match="holds none of the 2 indexed articles; nothing was deleted"):
        _sync(empty, data)
    assert _articles_in(data) == {"a.txt", "b.txt"}
    (articles / "a.txt").unlink()  # deleting some articles is an ordinary sync
    assert _sync(articles, data).deleted == 1
    assert _sync(empty, data, allow_empty=True).deleted == 1  # said so: emptied
    assert _articles_in(data) == set()
    assert _sync(empty, data).articles == 0  # nothing indexed, nothing to protect


def test_progress_moves_in_small_steps_that_add_up_to_the_total(articles: Path, data: Path) -> None:
    from index.sync import PROGRESS_CHUNKS, Progress

    class Recorded(Progress):
        def __init__(self) -> None:
            self.total = 0
            self.steps: list[int] = []

        def start(self, total_chunks: int) -> None:
            self.total = total_chunks

        def advance(self, chunks: int) -> None:
            self.steps.append(chunks)

    for i in range(150):  # about 600 chunks: more than one write group's worth
        write_news(
            articles, f"a{i}.txt", f"Story {i}", *(f"Sentence {j} of story {i} is here." for j in range(12))
        )
    progress = Recorded()
    _sync(articles, data, progress=progress)
    assert progress.total > 2 * PROGRESS_CHUNKS and sum(progress.steps) == progress.total
    assert max(progress.steps) <= PROGRESS_CHUNKS  # MiniLM does ~100 chunks/s: a step a second or more
