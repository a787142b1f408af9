"""The one way the rest of newsbot uses the index: sync it, watch it, list it, describe it,
search it. Surfaces (CLI, REPL, Slack) and the answerer see this and `Searcher`, never Chroma,
the store's collection or the BM25 internals.

    index = Index(data_dir, embedder)                 # or Index(..., server=ChromaServer(...))
    index.sync(articles, max_bytes=...)               # locked, disk-checked, self-checked
    index.searcher().search("who won?", 5)
    index.articles(); index.stats()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import datadir
from index.embedding import Embedder
from index.errors import DataFolderError, NewsbotError
from index.lock import index_lock
from index.store import ArticleState, ChromaServer, ChunkStore, open_client
from index.sync import Progress, SyncReport, sync_folder, watch_folder

if TYPE_CHECKING:
    from index.search import Searcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexStats:
    articles: int
    newest: list[tuple[str, str]]  # (title, published_at) of the five newest articles
    updated_at: str  # when a sync last changed the index (ISO 8601), "" if unknown


class Index:
    def __init__(
        self,
        data: Path,
        embedder: Embedder,
        server: ChromaServer | None = None,
        cache_dir: Path | None = None,  # where the searcher keeps its decoded lemma dictionary
    ):
        self.data = data
        self.embedder = embedder
        self.server = server
        self.cache_dir = cache_dir
        self._searcher: Searcher | None = None

    @property
    def location(self) -> Path | None:
        """The data folder holding the vectors (None when a Chroma server holds them)."""
        return None if self.server else self.data

    # --- writing ----------------------------------------------------------------------------

    def sync(
        self,
        articles: Path,
        *,
        max_bytes: int,
        rebuild: bool = False,
        progress: Progress | None = None,
        allow_empty: bool = False,
    ) -> SyncReport:
        """One locked sync of `articles` into the index: refuses to start what the disk cannot
        hold, checks the result can find its own chunks, and records that it was built."""
        location = self.location
        embedder = self.embedder

        def check_room(chunks: int, text_bytes: int) -> None:
            if location is not None:  # measured: about 5 KB a chunk for MiniLM on news text
                need = chunks * (embedder.dim * 8 + 2048) + text_bytes * 3
                datadir.ensure_room(location, int(need * 1.1) + datadir.RESERVE)

        with index_lock(self.data):
            client = open_client(self.data, self.server, write=True, rebuild=rebuild)
            try:
                report = sync_folder(
                    articles,
                    client,
                    embedder,
                    max_bytes=max_bytes,
                    rebuild=rebuild,
                    progress=progress,
                    manifest_dir=self.data / "manifest",
                    before_write=check_room,
                    allow_empty=allow_empty,
                )
            except NewsbotError:
                raise
            except Exception as err:
                problem = datadir.disk_problem(err)
                if location is not None and (problem or datadir.free_bytes(location) < datadir.RESERVE):
                    log.debug("sync failed on disk trouble", exc_info=True)
                    raise datadir.folder_error(
                        location,
                        problem or "full",
                        "indexing stopped part-way (articles written so far are kept)",
                    ) from err
                raise
            store = ChunkStore(client, embedder.name, embedder.dim, create=True, location=location)
            store.self_check()
            if location is not None:
                datadir.record_built(location, store.name, store.count())
            return report

    def watch(
        self,
        articles: Path,
        *,
        max_bytes: int,
        on_report: Callable[[SyncReport], None],
        on_error: Callable[[NewsbotError], None],
        rebuild: bool = False,
        progress: Callable[[], Progress] | None = None,
        stop: Any = None,
        allow_empty: bool = False,
    ) -> None:
        """Sync now and after every change to `articles`, until `stop` is set; an error is reported
        and watching goes on (the next change may fix it)."""
        first = [rebuild]

        def sync_once() -> None:
            try:
                bar = progress() if progress else None
                on_report(
                    self.sync(
                        articles,
                        max_bytes=max_bytes,
                        rebuild=first.pop() if first else False,
                        progress=bar,
                        allow_empty=allow_empty,
                    )
                )
            except NewsbotError as err:
                on_error(err)

        watch_folder(articles, sync_once, stop=stop)

    # --- reading ----------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """The search API over the existing index, opened once: a damaged index says so now, not
        as odd answers later, and a full disk is read from a private copy."""
        if self._searcher is None:
            from index.search import Searcher  # bm25s and the lemmas: only where something is searched

            self.warm_up()  # the model loads while Chroma is imported and opened
            self._searcher = Searcher(self._open_store(), self.embedder, lemma_cache=self.cache_dir)
        return self._searcher

    def warm_up(self) -> None:
        """Start loading the embedding model in the background, where the embedder can."""
        start = getattr(self.embedder, "warm_up", None)
        if callable(start):
            start()

    def articles(self) -> list[ArticleState]:
        store = self.searcher().store
        with store.guard():
            return sorted(store.article_states().values(), key=lambda s: s.id)

    def stats(self) -> IndexStats:
        states = self.articles()
        newest = sorted(states, key=lambda s: s.published_at or s.indexed_at, reverse=True)[:5]
        store = self.searcher().store
        with store.guard():
            store.refresh_version()
            updated = store.updated_at()
        return IndexStats(len(states), [(s.title, s.published_at) for s in newest], updated)

    def _open_store(self) -> ChunkStore:
        location = self.location
        store = ChunkStore(
            open_client(self.data, self.server),
            self.embedder.name,
            self.embedder.dim,
            create=False,
            location=location,
        )
        try:
            with store.guard():
                store.self_check()
        except DataFolderError:
            if location is None:
                raise
            # Too little room to apply Chroma's write log in place: read a private copy instead.
            client = open_client(self.data, copy=True)
            store = ChunkStore(client, self.embedder.name, self.embedder.dim, create=False, location=location)
            with store.guard():
                store.self_check()
        return store
