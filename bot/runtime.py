"""Builds the answering stack from Settings: the one place components are chosen and wired."""

from __future__ import annotations

from bot.answer import ExtractiveAnswerer
from bot.settings import Settings
from index.search import Searcher


def open_searcher(settings: Settings) -> Searcher:
    from index.embedding import make_embedder
    from index.store import ChunkStore, open_client

    embedder = make_embedder(settings.embed_model, settings.cache_dir, settings.openai_api_key)
    store = ChunkStore(open_client(settings.data), embedder.name, embedder.dim, create=False)
    return Searcher(store, embedder)


def open_answerer(settings: Settings, top_k: int = 5) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(open_searcher(settings), top_k=top_k)
