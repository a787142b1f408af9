"""Builds the answering stack from Settings: the one place components are chosen and wired."""

from __future__ import annotations

from bot.answer import Answerer
from bot.settings import Settings
from index.embedding import Embedder, make_embedder
from index.indexer import Index
from index.store import ChromaServer


def embedder_for(settings: Settings) -> Embedder:
    return make_embedder(settings.embed_model, settings.cache_dir, settings.openai_api_key.get_secret_value())


def chroma_server(settings: Settings) -> ChromaServer | None:
    if not settings.chroma_host:
        return None
    return ChromaServer(
        settings.chroma_host,
        settings.chroma_port,
        settings.chroma_ssl,
        settings.chroma_auth_token.get_secret_value(),
    )


def index_for(settings: Settings, embedder: Embedder | None = None) -> Index:
    """The index of these settings: the server when CHROMA_HOST is set, else the data folder."""
    return Index(
        settings.data, embedder or embedder_for(settings), chroma_server(settings), settings.cache_dir
    )


def open_answerer(settings: Settings, top_k: int = 5, index: Index | None = None) -> Answerer:
    """The offline answerer, or the LLM one on top of it when NEWSBOT_LLM names a provider."""
    index = index or index_for(settings)
    index.warm_up()  # the model loads while the answering stack and Chroma are imported
    from bot.extractive import ExtractiveAnswerer  # the answering stack: loaded only to answer
    from bot.llm import make_llm

    llm = make_llm(settings)  # fails fast on a missing extra, key or base URL
    extractive = ExtractiveAnswerer(index.searcher(), top_k=top_k)
    if llm is None:
        return extractive
    from bot.llm_answer import LLMAnswerer

    return LLMAnswerer(extractive, llm, top_k=top_k)
