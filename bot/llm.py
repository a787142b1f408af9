"""LLM providers, chosen by one setting (NEWSBOT_LLM) and imported only when chosen.

none                         the offline answerer only (default)
openai:<model>               llama-index-llms-openai        extra: newsbot[openai]
anthropic:<model>            llama-index-llms-anthropic     extra: newsbot[anthropic]
ollama:<model>               llama-index-llms-ollama        extra: newsbot[ollama]
openai-compatible:<model>    llama-index-llms-openai-like   extra: newsbot[openai-compatible]
                             (vLLM, llama.cpp server, LM Studio, LiteLLM; NEWSBOT_LLM_BASE_URL)
"""

from __future__ import annotations

import importlib
from typing import Any

from bot.settings import Settings
from index.errors import MissingExtraError, NewsbotError

PROVIDERS = ("openai", "anthropic", "ollama", "openai-compatible")
# Each provider call is retried at most this many times; the answer then falls back offline.
MAX_RETRIES = 1


def make_llm(settings: Settings) -> Any | None:
    spec = settings.llm.strip()
    if spec in ("", "none"):
        return None
    provider, _, model = spec.partition(":")
    if provider not in PROVIDERS or not model:
        raise NewsbotError(
            f"NEWSBOT_LLM={spec!r} is not a provider newsbot knows: use none, openai:<model>, "
            "anthropic:<model>, ollama:<model> or openai-compatible:<model>"
        )
    common = {"temperature": settings.llm_temperature, "max_tokens": settings.llm_max_tokens}
    if provider in ("openai", "anthropic"):  # hosted APIs: a key is required
        key_name, key = (
            ("OPENAI_API_KEY", settings.openai_api_key.get_secret_value())
            if provider == "openai"
            else ("ANTHROPIC_API_KEY", settings.anthropic_api_key.get_secret_value())
        )
        key = settings.llm_api_key.get_secret_value() or key
        if not key:
            raise NewsbotError(f"NEWSBOT_LLM={spec} needs {key_name} (or NEWSBOT_LLM_API_KEY)")
        module, name = {"openai": ("openai", "OpenAI"), "anthropic": ("anthropic", "Anthropic")}[provider]
        cls = _extra(f"llama_index.llms.{module}", name, provider)
        return cls(model=model, api_key=key, timeout=settings.llm_timeout, max_retries=MAX_RETRIES, **common)
    if provider == "ollama":
        cls = _extra("llama_index.llms.ollama", "Ollama", "ollama")
        base = settings.llm_base_url or "http://localhost:11434"
        return cls(
            model=model,
            base_url=base,
            request_timeout=settings.llm_timeout,
            temperature=common["temperature"],
        )
    if not settings.llm_base_url:
        raise NewsbotError(f"NEWSBOT_LLM={spec} needs NEWSBOT_LLM_BASE_URL, e.g. http://localhost:8000/v1")
    cls = _extra("llama_index.llms.openai_like", "OpenAILike", "openai-compatible")
    return cls(
        model=model,
        api_base=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value()
        or settings.openai_api_key.get_secret_value()
        or "not-needed",
        is_chat_model=True,
        context_window=8192,
        timeout=settings.llm_timeout,
        max_retries=MAX_RETRIES,
        **common,
    )


def _extra(module: str, name: str, extra: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as err:
        raise MissingExtraError(
            f"NEWSBOT_LLM needs the '{extra}' extra: pip install 'newsbot[{extra}]'"
        ) from err
