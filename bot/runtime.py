"""Builds the answering stack from Settings: the one place components are chosen and wired."""

from __future__ import annotations

from typing import Any

from bot.answer import Answerer
from bot.extractive import ExtractiveAnswerer
from bot.settings import Settings
from index.embedding import Embedder
from index.errors import DataFolderError
from index.search import Searcher
from index.store import ChromaServer, ChunkStore


def embedder_for(settings: Settings) -> Embedder:
    from index.embedding import make_embedder

    return make_embedder(settings.embed_model, settings.cache_dir, settings.openai_api_key)


def chroma_server(settings: Settings) -> ChromaServer | None:
    if not settings.chroma_host:
        return None
    return ChromaServer(
        settings.chroma_host, settings.chroma_port, settings.chroma_ssl, settings.chroma_auth_token
    )


def open_client(settings: Settings) -> Any:
    """The Chroma client every command uses: the server when CHROMA_HOST is set, else embedded."""
    from index.store import open_client as _open

    return _open(settings.data, chroma_server(settings))


def open_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """The existing index for this embedder (clear errors if there is none or it differs)."""
    location = None if settings.chroma_host else settings.data
    store = ChunkStore(open_client(settings), embedder.name, embedder.dim, create=False, location=location)
    try:
        with store.guard():
            store.self_check()  # a damaged index says so now, not as odd answers later
    except DataFolderError:
        if location is None:
            raise
        # Too little room to apply Chroma's write log in place: read a private copy instead.
        from index.store import open_client as _open

        client = _open(settings.data, copy=True)
        store = ChunkStore(client, embedder.name, embedder.dim, create=False, location=location)
        with store.guard():
            store.self_check()
    return store


def open_searcher(settings: Settings) -> Searcher:
    embedder = embedder_for(settings)
    return Searcher(open_store(settings, embedder), embedder)


def open_answerer(settings: Settings, top_k: int = 5) -> Answerer:
    """The offline answerer, or the LLM one on top of it when NEWSBOT_LLM names a provider."""
    from bot.llm import make_llm

    llm = make_llm(settings)  # fails fast on a missing extra, key or base URL
    extractive = ExtractiveAnswerer(open_searcher(settings), top_k=top_k)
    if llm is None:
        return extractive
    from bot.llm_answer import LLMAnswerer

    return LLMAnswerer(extractive, llm, top_k=top_k)
