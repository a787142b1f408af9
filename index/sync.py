"""Bring the index to exactly what the articles folder holds.

Order of writes is what makes a killed run safe: an article's old chunks are deleted
only right before its new ones are added, and an article is recorded nowhere else, so
after any kill the next run sees it as missing or incomplete and writes it again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index import manifest
from index.articles import Article, Skip, load_folder
from index.chunking import chunk_text
from index.embedding import Embedder
from index.errors import EmptyFolderError
from index.sentences import (
    SPANS_KEY,
    VECTORS_KEY,
    decode_spans,
    embed_with_sentences,
    encode_spans,
    encode_vectors,
)
from index.store import ArticleState, ChunkRecord, ChunkStore, drop_all, now_iso, reachable

# Articles are embedded and written in groups of about this many chunks.
WRITE_CHUNKS = 512
# ... and embedded in slices of this many, each reported to the progress bar (MiniLM does
# about 100 chunks a second on 2 cores, so the bar moves at least once a second).
PROGRESS_CHUNKS = 64


class Progress:
    """Receives progress; the CLI passes a rich progress bar, tests pass nothing."""

    def start(self, total_chunks: int) -> None: ...

    def advance(self, chunks: int) -> None: ...


def counted(n: int, noun: str) -> str:
    """ "1 article", "2 articles" (every noun we count takes an s)."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@dataclass
class SyncReport:
    articles: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    skips: list[Skip] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def summary(self) -> str:
        return (
            f"{counted(self.articles, 'article')}: {self.added} added, {self.updated} updated, "
            f"{self.deleted} deleted, {self.unchanged} unchanged, {len(self.skips)} skipped; "
            f"{counted(self.chunks_embedded, 'chunk')} embedded in {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class _Work:
    article: Article
    records: list[ChunkRecord]
    replaces: bool  # an older version of the article is in the index


def sync_folder(
    root: Path,
    client: object,
    embedder: Embedder,
    *,
    max_bytes: int,
    rebuild: bool = False,
    progress: Progress | None = None,
    manifest_dir: Path | None = None,
    before_write: Callable[[int, int], None] | None = None,
    allow_empty: bool = False,
) -> SyncReport:
    """Sync `root` into Chroma. The caller holds the index lock.

    `manifest_dir` holds a cache of the article manifest (see `manifest.py`); without it
    every run reads all chunk metadata from Chroma. `before_write(chunks, text_bytes)` runs
    before the first write and may refuse the sync (the CLI checks free disk space there).
    A folder that would leave the index empty (a wrong path, an unmounted share) is refused
    unless `allow_empty` or `rebuild` says that is meant.
    """
    with reachable():
        return _bring_in_line(
            root,
            client,
            embedder,
            max_bytes,
            rebuild,
            progress or Progress(),
            manifest_dir,
            before_write,
            allow_empty,
        )


def _bring_in_line(
    root: Path,
    client: object,
    embedder: Embedder,
    max_bytes: int,
    rebuild: bool,
    progress: Progress,
    manifest_dir: Path | None,
    before_write: Callable[[int, int], None] | None,
    allow_empty: bool,
) -> SyncReport:
    t0 = time.perf_counter()
    folder = load_folder(root, max_bytes)
    report = SyncReport(skips=list(folder.skips))
    if rebuild:
        drop_all(client)
    store = ChunkStore(client, embedder.name, embedder.dim, create=True)
    cache = manifest_dir / f"{store.name}.json" if manifest_dir else None
    if rebuild:
        manifest.forget(cache)
    cached = manifest.load(cache, store.version())
    states = cached if cached is not None else store.article_states()

    kept = _kept_on_skip(states, folder.skipped_ids())
    present = {a.id for a in folder.articles}
    removed = [aid for aid in states if aid not in kept and aid not in present]
    if states and len(removed) == len(states) and not present and not allow_empty:
        raise EmptyFolderError(
            f"the articles folder {root} holds none of the {len(states)} indexed articles; "
            "nothing was deleted"
        )
    work: list[_Work] = []
    stamp = now_iso()
    for article in folder.articles:
        state = states.get(article.id)
        if state is not None and state.complete and state.content_hash == article.content_hash:
            report.unchanged += 1
            continue
        records = _records(article, stamp)
        if not records:
            report.skips.append(Skip(article.id, "no sentences to index"))
            if state is not None:
                kept.add(article.id)
            continue
        work.append(_Work(article, records, replaces=state is not None))

    writes = bool(removed or work)
    if work and before_write is not None:
        before_write(sum(len(w.records) for w in work), sum(len(r.text) for w in work for r in w.records))
    if writes:
        store.bump_version()  # before the first write: a kill now leaves every cache stale
        manifest.forget(cache)
    store.delete_articles(removed)
    report.deleted = len(removed)
    total = sum(len(w.records) for w in work)
    progress.start(total)

    def write(group: list[_Work], records: list[ChunkRecord], embeddings: np.ndarray) -> None:
        store.delete_articles([w.article.id for w in group if w.replaces])
        store.add(records, embeddings)

    # Chroma writes one group while the embedder works on the next (both release the GIL).
    # One writer thread keeps the writes in order, which kill-safety relies on.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[None] | None = None
        for group in _groups(work):
            records = [r for w in group for r in w.records]
            embeddings = _embed(embedder, records, progress)
            if pending is not None:
                pending.result()
            pending = writer.submit(write, group, records, embeddings)
            report.chunks_embedded += len(records)
        if pending is not None:
            pending.result()
    report.updated = sum(w.replaces for w in work)
    report.added = len(work) - report.updated
    report.articles = report.unchanged + len(work) + len(kept)
    if writes or rebuild:
        store.bump_version()
    if writes or rebuild or cached is None:
        for aid in removed:
            states.pop(aid, None)
        for w in work:
            states[w.article.id] = _state_of(w.records)
        manifest.save(cache, store.version(), states)
    report.seconds = time.perf_counter() - t0
    return report


def _embed(embedder: Embedder, records: list[ChunkRecord], progress: Progress) -> np.ndarray:
    """Chunk vectors, each distinct chunk embedded once (news corpora repeat boilerplate and wire
    copy); each record's sentence vectors go into its own metadata, so they are written with it.
    Embedded in slices of PROGRESS_CHUNKS so the progress bar moves about once a second."""
    keys = [(r.text, str(r.metadata[SPANS_KEY])) for r in records]
    # Shortest first, so each slice holds texts of about one length (little padding), as one
    # length-sorted pass over the whole group would.
    unique = sorted(dict.fromkeys(keys), key=lambda k: len(k[0]))
    parts: list[np.ndarray] = []
    sentence_vectors: list[np.ndarray] = []
    for at in range(0, len(unique), PROGRESS_CHUNKS):
        part = unique[at : at + PROGRESS_CHUNKS]
        vectors, sentences = embed_with_sentences(
            embedder, [k[0] for k in part], [decode_spans(k[1]) for k in part]
        )
        parts.append(vectors)
        sentence_vectors += sentences
        progress.advance(len(part))
    progress.advance(len(records) - len(unique))  # repeats cost nothing more
    vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dim), dtype=np.float32)
    row = {key: i for i, key in enumerate(unique)}
    for record, key in zip(records, keys, strict=True):
        record.metadata[VECTORS_KEY] = encode_vectors(sentence_vectors[row[key]])
    return vectors[[row[key] for key in keys]]


def _state_of(records: list[ChunkRecord]) -> ArticleState:
    m = records[0].metadata
    return ArticleState(
        str(m["article"]),
        str(m["title"]),
        str(m["path"]),
        str(m["url"]),
        str(m["published_at"]),
        int(m["n_chunks"]),
        str(m["indexed_at"]),
        stored=len(records),
        hashes={str(m["hash"])},
    )


def _kept_on_skip(states: Mapping[str, object], skipped: set[str]) -> set[str]:
    """Indexed articles whose file is now unreadable stay indexed: a bad file loses nothing."""
    return {aid for aid in states if aid in skipped or aid.split("#", 1)[0] in skipped}


def _records(article: Article, stamp: str) -> list[ChunkRecord]:
    markdown = article.path.lower().endswith((".md", ".markdown"))
    chunks = chunk_text(article.text, article.body_start, markdown=markdown)
    digest = article.content_hash
    return [
        ChunkRecord(
            id=f"{article.id}::{digest[:16]}::{c.index}",
            text=c.text,
            metadata={
                "article": article.id,
                "path": article.path,
                "title": article.title,
                "url": article.url,
                "published_at": article.published_at,
                "source": article.source,
                "start": c.start,
                "end": c.end,
                "offset_base": article.offset_base,
                "chunk": c.index,
                "n_chunks": len(chunks),
                SPANS_KEY: encode_spans(c.sentences),
                "hash": digest,
                "indexed_at": stamp,
            },
        )
        for c in chunks
    ]


def _groups(work: Sequence[_Work]) -> list[list[_Work]]:
    """Whole articles per group, so one Chroma add never holds part of an article."""
    groups: list[list[_Work]] = [[]]
    size = 0
    for w in work:
        if groups[-1] and size + len(w.records) > WRITE_CHUNKS:
            groups.append([])
            size = 0
        groups[-1].append(w)
        size += len(w.records)
    return [g for g in groups if g]


def watch_folder(
    root: Path, sync_once: Callable[[], None], *, debounce_ms: int = 1500, stop: object = None
) -> None:
    """Run `sync_once` now and again shortly after files under `root` change, until stopped.

    The watcher starts before the first sync, so files that land during it are not missed.
    """
    from watchfiles import watch

    real_root = root.resolve()

    def visible(_change: object, path: str) -> bool:
        return not any(part.startswith(".") for part in Path(path).relative_to(real_root).parts)

    changes = watch(
        real_root,
        watch_filter=visible,
        debounce=debounce_ms,
        stop_event=stop,  # type: ignore[arg-type]
        yield_on_timeout=True,
        rust_timeout=200,
    )
    next(changes)  # the watcher is running once the first (empty, on timeout) batch arrives
    sync_once()
    for batch in changes:
        if batch:
            sync_once()
