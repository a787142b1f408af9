"""The one typed settings object: .env, then the environment, then command-line flags.

Only `Settings.load` reads the environment; everything else receives settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from index.errors import NewsbotError


def _default_cache(env: Mapping[str, str]) -> Path:
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "newsbot"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".cache" / "newsbot"


@dataclass(frozen=True)
class Settings:
    articles: Path = Path("seeds")  # NEWSBOT_ARTICLES / --articles
    data: Path = Path(".newsbot")  # NEWSBOT_DATA / --data
    embed_model: str = "minilm"  # NEWSBOT_EMBED_MODEL
    cache_dir: Path = Path.home() / ".cache" / "newsbot"  # NEWSBOT_CACHE
    max_file_mb: float = 5.0  # NEWSBOT_MAX_FILE_MB
    openai_api_key: str = ""  # OPENAI_API_KEY (openai:<model> embeddings)
    llm: str = "none"  # NEWSBOT_LLM: none | openai:<m> | anthropic:<m> | ollama:<m> | openai-compatible:<m>
    llm_base_url: str = ""  # NEWSBOT_LLM_BASE_URL (openai-compatible, ollama)
    llm_api_key: str = ""  # NEWSBOT_LLM_API_KEY, else OPENAI_API_KEY / ANTHROPIC_API_KEY by provider
    anthropic_api_key: str = ""  # ANTHROPIC_API_KEY
    llm_timeout: float = 30.0  # NEWSBOT_LLM_TIMEOUT seconds
    llm_max_tokens: int = 512  # NEWSBOT_LLM_MAX_TOKENS
    llm_temperature: float = 0.0  # NEWSBOT_LLM_TEMPERATURE
    chroma_host: str = ""  # CHROMA_HOST: use a Chroma server instead of the embedded store
    chroma_port: int = 8000  # CHROMA_PORT
    chroma_ssl: bool = False  # CHROMA_SSL
    chroma_auth_token: str = ""  # CHROMA_AUTH_TOKEN, sent as Authorization: Bearer
    slack_bot_token: str = ""  # SLACK_BOT_TOKEN (xoxb-...)
    slack_app_token: str = ""  # SLACK_APP_TOKEN (xapp-..., Socket Mode)
    slack_signing_secret: str = ""  # SLACK_SIGNING_SECRET (HTTP mode)
    slack_api_url: str = "https://slack.com/api/"  # SLACK_API_URL (proxies, tests)
    slack_allowed_channels: frozenset[str] = frozenset()  # SLACK_ALLOWED_CHANNELS (comma-separated ids)
    slack_thread_replies: bool = True  # NEWSBOT_SLACK_THREAD_REPLIES: answer un-mentioned thread replies
    slack_user_rate: int = 20  # NEWSBOT_SLACK_USER_RATE: questions per user per minute

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env"), **flags: Any
    ) -> Settings:
        merged: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            from dotenv import dotenv_values

            merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {
            "articles": _path(merged.get("NEWSBOT_ARTICLES")),
            "data": _path(merged.get("NEWSBOT_DATA")),
            "embed_model": merged.get("NEWSBOT_EMBED_MODEL") or None,
            "cache_dir": _path(merged.get("NEWSBOT_CACHE")) or _default_cache(merged),
            "max_file_mb": _positive("NEWSBOT_MAX_FILE_MB", merged.get("NEWSBOT_MAX_FILE_MB")),
            "openai_api_key": merged.get("OPENAI_API_KEY") or None,
            "llm": merged.get("NEWSBOT_LLM") or None,
            "llm_base_url": merged.get("NEWSBOT_LLM_BASE_URL") or None,
            "llm_api_key": merged.get("NEWSBOT_LLM_API_KEY") or None,
            "anthropic_api_key": merged.get("ANTHROPIC_API_KEY") or None,
            "llm_timeout": _positive("NEWSBOT_LLM_TIMEOUT", merged.get("NEWSBOT_LLM_TIMEOUT")),
            "llm_max_tokens": _count("NEWSBOT_LLM_MAX_TOKENS", merged.get("NEWSBOT_LLM_MAX_TOKENS")),
            "llm_temperature": _temperature(merged.get("NEWSBOT_LLM_TEMPERATURE")),
            "chroma_host": merged.get("CHROMA_HOST") or None,
            "chroma_port": _count("CHROMA_PORT", merged.get("CHROMA_PORT")),
            "chroma_ssl": _flag("CHROMA_SSL", merged.get("CHROMA_SSL")),
            "chroma_auth_token": merged.get("CHROMA_AUTH_TOKEN") or None,
            "slack_bot_token": merged.get("SLACK_BOT_TOKEN") or None,
            "slack_app_token": merged.get("SLACK_APP_TOKEN") or None,
            "slack_signing_secret": merged.get("SLACK_SIGNING_SECRET") or None,
            "slack_api_url": _api_url(merged.get("SLACK_API_URL")),
            "slack_allowed_channels": frozenset(
                c.strip() for c in merged.get("SLACK_ALLOWED_CHANNELS", "").split(",") if c.strip()
            )
            or None,
            "slack_thread_replies": _flag(
                "NEWSBOT_SLACK_THREAD_REPLIES", merged.get("NEWSBOT_SLACK_THREAD_REPLIES")
            ),
            "slack_user_rate": _count("NEWSBOT_SLACK_USER_RATE", merged.get("NEWSBOT_SLACK_USER_RATE")),
        }
        values.update({k: v for k, v in flags.items() if v is not None})
        known = {f.name for f in fields(cls)}
        return replace(cls(), **{k: v for k, v in values.items() if v is not None and k in known})

    def secrets(self) -> list[str]:
        return [
            str(getattr(self, f.name))
            for f in fields(self)
            if f.name.endswith(("_key", "_token", "_secret")) and getattr(self, f.name)
        ]

    def redacted(self) -> dict[str, str]:
        """Settings as text, secrets masked: safe for logs and `newsbot config`."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            secret = f.name.endswith(("_key", "_token", "_secret"))
            out[f.name] = "***" if secret and value else str(value)
        return out


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None


def _positive(name: str, value: str | None) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise NewsbotError(f"{name}={value!r} is not a number") from None
    if number <= 0:
        raise NewsbotError(f"{name}={value!r} must be greater than 0")
    return number


def _api_url(value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise NewsbotError(f"SLACK_API_URL={value!r} must start with http:// or https://")
    return value if value.endswith("/") else value + "/"


def _flag(name: str, value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise NewsbotError(f"{name}={value!r} must be true or false")


def _count(name: str, value: str | None) -> int | None:
    number = _positive(name, value)
    if number is None:
        return None
    if number != int(number):
        raise NewsbotError(f"{name}={value!r} must be a whole number")
    return int(number)


def _temperature(value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise NewsbotError(f"NEWSBOT_LLM_TEMPERATURE={value!r} is not a number") from None
    if not 0 <= number <= 2:
        raise NewsbotError(f"NEWSBOT_LLM_TEMPERATURE={value!r} must be between 0 and 2")
    return number


def env_file_warning(path: Path = Path(".env")) -> str | None:
    """A warning when the credentials file can be read by the group or by others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077:
        return (
            f"{path} holds tokens but other users can read it (mode {mode & 0o777:o}); run `chmod 600 {path}`"
        )
    return None
