"""Builds the answering stack from Settings: the one place components are chosen and wired."""

from __future__ import annotations

from bot.answer import Answerer, ExtractiveAnswerer
from bot.settings import Settings
from index.embedding import Embedder
from index.search import Searcher
from index.store import ChunkStore


def embedder_for(settings: Settings) -> Embedder:
    from index.embedding import make_embedder

    return make_embedder(settings.embed_model, settings.cache_dir, settings.openai_api_key)


def open_store(settings: Settings, embedder: Embedder) -> ChunkStore:
    """The existing index for this embedder (clear errors if there is none or it differs)."""
    from index.store import open_client

    return ChunkStore(open_client(settings.data), embedder.name, embedder.dim, create=False)


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
