"""The Chroma side: one collection of chunks per embedding model.

Each chunk's metadata carries its article's content hash and chunk count, so the
collection itself is the manifest: sync needs no second store that could drift from it,
and an article whose chunks are incomplete (a run killed mid-write) is detectable.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index import datadir
from index.errors import (
    DamagedIndexError,
    EmbedderMismatchError,
    IndexUnavailableError,
    NewsbotError,
    NotIndexedError,
)
from index.imports import loading_chromadb

log = logging.getLogger(__name__)

PREFIX = "newsbot-"
# Rows per Chroma get(). Measured on 19k chunks: 5,000-row pages left a process at 422 MB,
# 500-row pages at 175 MB, in the same time; smaller pages gained nothing more.
PAGE = 500


@dataclass(frozen=True)
class ChunkRecord:
    id: str
    text: str
    metadata: dict[str, str | int]


@dataclass
class ArticleState:
    """What the index holds for one article, aggregated from its chunks."""

    id: str
    title: str
    path: str
    url: str
    published_at: str
    n_chunks: int  # how many chunks the article was split into
    indexed_at: str
    stored: int = 0  # how many chunks are in the collection
    hashes: set[str] = field(default_factory=set)

    @property
    def content_hash(self) -> str:
        return next(iter(self.hashes)) if len(self.hashes) == 1 else ""

    @property
    def complete(self) -> bool:
        # Two hashes or a short count: a killed run left old and new chunks, or half of them.
        return len(self.hashes) == 1 and self.stored == self.n_chunks


def collection_name(embedder_name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", embedder_name).strip("-._")
    return (PREFIX + slug)[:200]


@dataclass(frozen=True)
class ChromaServer:
    """A Chroma server (`chroma run`) shared by several processes, instead of the embedded store."""

    host: str
    port: int = 8000
    ssl: bool = False
    token: str = ""  # sent as "Authorization: Bearer <token>"

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl else 'http'}://{self.host}:{self.port}"


@contextmanager
def reachable() -> Iterator[None]:
    """Turn a lost connection to the Chroma server into one clear, user-safe error."""
    import httpx

    try:
        yield
    except (httpx.TransportError, ConnectionError) as err:
        raise IndexUnavailableError(
            f"the index is unavailable: the Chroma server cannot be reached ({type(err).__name__}); "
            "try again once it is back"
        ) from err


def open_client(
    data_dir: Path,
    server: ChromaServer | None = None,
    *,
    write: bool = False,
    rebuild: bool = False,
    copy: bool = False,
) -> Any:
    """A Chroma client: HTTP to `server` when given, else embedded under `data_dir`. Telemetry off.

    `write`: the caller will write (fail now, clearly, if the folder cannot take it).
    `rebuild`: a store that cannot be opened is moved aside and a new one started.
    `copy`: read a private copy of the store (for when its disk is full or read-only).
    """
    with loading_chromadb():  # chromadb's modules load as the client is made, too
        return _open_client(data_dir, server, write=write, rebuild=rebuild, copy=copy)


def _open_client(
    data_dir: Path, server: ChromaServer | None, *, write: bool, rebuild: bool, copy: bool
) -> Any:
    import chromadb
    from chromadb.config import Settings

    logging.getLogger("chromadb").setLevel(logging.ERROR)
    if server is not None:
        headers = {"Authorization": f"Bearer {server.token}"} if server.token else None
        try:
            with reachable():
                return chromadb.HttpClient(
                    host=server.host,
                    port=server.port,
                    ssl=server.ssl,
                    headers=headers,
                    settings=Settings(anonymized_telemetry=False),
                )
        except ValueError as err:  # chromadb's "Could not connect to a Chroma server"
            raise IndexUnavailableError(
                f"the index is unavailable: no Chroma server answers at {server.url} "
                "(check CHROMA_HOST and CHROMA_PORT)"
            ) from err

    chroma_dir = data_dir / "chroma"
    if write:
        datadir.check_writable(data_dir, "the index cannot be updated")
        if not chroma_dir.exists() and datadir.was_built(data_dir) and not rebuild:
            log.warning(
                "the index in %s was missing (its chroma folder is gone); building it again", data_dir
            )
    elif not chroma_dir.exists():
        if datadir.was_built(data_dir):
            raise DamagedIndexError(
                f"the index in {data_dir} is missing: its chroma folder was deleted or moved"
            )
        raise NotIndexedError("no articles indexed yet")

    def persistent(path: Path) -> Any:
        return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))

    problem = "full" if copy else None
    if not write and (problem := problem or datadir.write_problem(data_dir)) is not None:
        # Chroma writes even to read (it applies its write log first), so a store in a folder
        # it cannot write is read from a private copy.
        why = "read-only" if problem == "read-only" else "on a full disk"
        log.warning("the data folder %s is %s: reading a private copy of the index", data_dir, why)
        try:
            return persistent(datadir.private_copy(chroma_dir))
        except Exception as err:
            log.debug("reading a private copy failed", exc_info=True)
            raise datadir.folder_error(data_dir, problem, "the index cannot be read") from err
    try:
        return persistent(chroma_dir)
    except Exception as err:  # chromadb raises its own types for damaged or unwritable stores
        log.debug("opening Chroma under %s failed", data_dir, exc_info=True)
        problem = datadir.disk_problem(err)
        if problem is not None:
            raise datadir.folder_error(data_dir, problem, "the index cannot be opened") from err
        if rebuild:
            from chromadb.api.client import SharedSystemClient

            datadir.move_aside(chroma_dir)
            SharedSystemClient.clear_system_cache()  # Chroma caches the failed client per path
            return persistent(chroma_dir)
        raise DamagedIndexError(
            f"the index in {data_dir} is damaged and cannot be opened ({type(err).__name__})"
        ) from err


def newsbot_collections(client: Any) -> list[Any]:
    return [c for c in client.list_collections() if c.name.startswith(PREFIX)]


class ChunkStore:
    def __init__(
        self, client: Any, embedder_name: str, dim: int, *, create: bool, location: Path | None = None
    ):
        self.client = client
        self.location = location  # the data folder of an embedded store, for disk-trouble messages
        self.embedder_name = embedder_name
        self.name = collection_name(embedder_name)
        with reachable():
            self._open(client, embedder_name, dim, create)

    def _open(self, client: Any, embedder_name: str, dim: int, create: bool) -> None:
        if create:
            # embedding_function=None: Chroma's default one downloads a model when given raw text.
            self.col = client.get_or_create_collection(
                self.name,
                metadata={"newsbot_model": embedder_name, "newsbot_dim": dim, "newsbot_version": 0},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        else:
            self.col = self._existing(client)
        built_with = (self.col.metadata or {}).get("newsbot_model")
        if built_with != embedder_name or (self.col.metadata or {}).get("newsbot_dim") != dim:
            raise EmbedderMismatchError(
                f"collection {self.name} was built with {built_with}, not {embedder_name}"
            )

    def _existing(self, client: Any) -> Any:
        names = {c.name: c for c in newsbot_collections(client)}
        if self.name in names:
            return client.get_collection(self.name, embedding_function=None)
        if names:
            other = max(names.values(), key=lambda c: (c.metadata or {}).get("newsbot_updated_at", ""))
            built_with = (other.metadata or {}).get("newsbot_model")
            raise EmbedderMismatchError(
                f"the index was built with the embedding model {built_with}, "
                f"but the configured model is {self.embedder_name}"
            )
        raise NotIndexedError("no articles indexed yet")

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Reads: a lost server or a full disk becomes one clear error instead of Chroma's own."""
        try:
            with reachable():
                yield
        except NewsbotError:
            raise
        except Exception as err:
            # A store whose disk filled mid-write cannot be read until space is freed: Chroma
            # applies its write log on the next read, and says only that this failed.
            if self.location is not None and (
                datadir.disk_problem(err) == "full" or datadir.free_bytes(self.location) < datadir.RESERVE
            ):
                raise datadir.folder_error(self.location, "full", "the index cannot be read") from err
            raise

    def self_check(self) -> None:
        """Ask the vector index for one of its own chunks: a damaged HNSW file fails this."""
        n = self.count()
        if n == 0:
            return
        try:
            # HNSW search is approximate: one chunk can be missed by a healthy index (seen once in
            # ~10 test runs), so ask for five and need most of them. A damaged index returns
            # near-random neighbours and finds none.
            got = self.col.get(limit=5, include=["embeddings"])
            found = self.col.query(
                query_embeddings=list(got["embeddings"]), n_results=min(10, n), include=["distances"]
            )
            hits = sum(
                chunk_id in ids or min(distances, default=1.0) < 1e-3
                for chunk_id, ids, distances in zip(got["ids"], found["ids"], found["distances"], strict=True)
            )
            ok = 2 * hits > len(got["ids"])
        except Exception:
            log.debug("self-check of %s failed", self.name, exc_info=True)
            ok = False
        if not ok:
            where = f" in {self.location}" if self.location else ""
            raise DamagedIndexError(
                f"the index{where} is damaged: its vector index cannot find its own chunks"
            )

    # --- reading ----------------------------------------------------------------------------

    def pages(self, include: list[str]) -> Iterator[dict[str, Any]]:
        """Every chunk, PAGE rows at a time (small pages keep peak memory low)."""
        offset = 0
        while True:
            page = self.col.get(include=include, limit=PAGE, offset=offset)
            yield page
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def iter_metadatas(self) -> Iterator[dict[str, Any]]:
        for page in self.pages(["metadatas"]):
            yield from (dict(m) for m in page["metadatas"] or [] if m)

    def article_states(self) -> dict[str, ArticleState]:
        states: dict[str, ArticleState] = {}
        for m in self.iter_metadatas():
            aid = str(m["article"])
            st = states.get(aid)
            if st is None:
                states[aid] = st = ArticleState(
                    aid,
                    str(m["title"]),
                    str(m["path"]),
                    str(m.get("url", "")),
                    str(m.get("published_at", "")),
                    int(m["n_chunks"]),
                    str(m.get("indexed_at", "")),
                )
            st.hashes.add(str(m["hash"]))
            st.stored += 1
        return states

    def count(self) -> int:
        return int(self.col.count())

    def version(self) -> int:
        return int((self.col.metadata or {}).get("newsbot_version", 0))

    def updated_at(self) -> str:
        """When a sync last changed the collection (ISO 8601), "" before the first one."""
        return str((self.col.metadata or {}).get("newsbot_updated_at", ""))

    def refresh_version(self) -> int:
        """The version as stored now (another process may have synced since we opened it)."""
        try:
            with reachable():
                self.col = self.client.get_collection(self.name, embedding_function=None)
        except IndexUnavailableError:
            raise
        except Exception as err:  # the collection was dropped (rebuild) or the store is gone
            raise NewsbotError(
                "the index changed underneath this process and cannot be read", remedy="index"
            ) from err
        return self.version()

    # --- writing ----------------------------------------------------------------------------

    def add(self, records: Sequence[ChunkRecord], embeddings: np.ndarray) -> None:
        batch = max(1, int(self.client.get_max_batch_size()))
        for i in range(0, len(records), batch):
            part = records[i : i + batch]
            self.col.add(
                ids=[r.id for r in part],
                documents=[r.text for r in part],
                metadatas=[r.metadata for r in part],
                embeddings=embeddings[i : i + batch],
            )

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        for i in range(0, len(article_ids), 500):
            self.col.delete(where={"article": {"$in": list(article_ids[i : i + 500])}})

    def bump_version(self) -> None:
        meta = dict(self.col.metadata or {})
        meta["newsbot_version"] = int(meta.get("newsbot_version", 0)) + 1
        meta["newsbot_updated_at"] = now_iso()
        self.col.modify(metadata=meta)


def drop_all(client: Any) -> None:
    for col in newsbot_collections(client):
        client.delete_collection(col.name)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
