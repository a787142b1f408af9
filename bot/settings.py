"""The one typed settings object: .env, then the environment, then command-line flags.

Each field declares its variable, default, validation and description in one place (pydantic
-settings); the README's configuration table is generated from them (`markdown_table`). Only
`Settings.load` reads the environment; everything else receives settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from index.errors import NewsbotError


def _whole(value: float) -> float:
    if value != int(value):
        raise ValueError("must be a whole number")
    return value


Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(gt=0)]
Secret = SecretStr


def setting(default: Any, env: str, description: str, **kw: Any) -> Any:
    """A field read from `env`, documented for the README's configuration table."""
    return Field(default, validation_alias=env, description=description, **kw)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    articles: Path = setting(Path("seeds"), "NEWSBOT_ARTICLES", "the articles folder (also `--articles`)")
    data: Path = setting(
        Path(".newsbot"), "NEWSBOT_DATA", "index (Chroma), log, manifest cache, lock (also `--data`)"
    )
    embed_model: str = setting(
        "minilm",
        "NEWSBOT_EMBED_MODEL",
        "`minilm`; a local BERT-family folder (safetensors + tokenizer.json + config.json); "
        "`openai:<model>` (extra `newsbot[openai]`); `huggingface:<model>` (extra `newsbot[huggingface]`, "
        "pulls torch, downloads from the hub); `python:<module>:<factory>` for your own embedder",
    )
    cache_dir: Path = setting(
        Path("~/.cache/newsbot"),
        "NEWSBOT_CACHE",
        "where converted models live",
    )
    max_file_mb: Positive = setting(5.0, "NEWSBOT_MAX_FILE_MB", "larger article files are skipped")
    history_days: float = setting(
        90.0,
        "NEWSBOT_HISTORY_DAYS",
        "days chat conversations stay in `<data>/history.sqlite3` (`newsbot history`); 0 keeps none",
        ge=0,
    )
    openai_api_key: Secret = setting(
        SecretStr(""), "OPENAI_API_KEY", "for `openai:` embeddings and the `openai:` LLM"
    )
    llm: str = setting("none", "NEWSBOT_LLM", "LLM provider (see LLM-written answers)")
    llm_base_url: str = setting("", "NEWSBOT_LLM_BASE_URL", "server for `openai-compatible:` and `ollama:`")
    llm_api_key: Secret = setting(
        SecretStr(""), "NEWSBOT_LLM_API_KEY", "key for the LLM; else `OPENAI_API_KEY` / `ANTHROPIC_API_KEY`"
    )
    anthropic_api_key: Secret = setting(SecretStr(""), "ANTHROPIC_API_KEY", "for the `anthropic:` LLM")
    llm_timeout: Positive = setting(30.0, "NEWSBOT_LLM_TIMEOUT", "seconds an LLM call may take")
    llm_max_tokens: Count = setting(512, "NEWSBOT_LLM_MAX_TOKENS", "longest LLM answer, in tokens")
    llm_temperature: float = setting(
        0.0, "NEWSBOT_LLM_TEMPERATURE", "LLM sampling temperature, 0-2", ge=0, le=2
    )
    chroma_host: str = setting(
        "", "CHROMA_HOST", "use a Chroma server (`chroma run`) instead of the embedded store"
    )
    chroma_port: Count = setting(8000, "CHROMA_PORT", "the Chroma server's port")
    chroma_ssl: bool = setting(False, "CHROMA_SSL", "HTTPS to the Chroma server")
    chroma_auth_token: Secret = setting(
        SecretStr(""), "CHROMA_AUTH_TOKEN", "sent to the Chroma server as `Authorization: Bearer`"
    )
    slack_bot_token: Secret = setting(SecretStr(""), "SLACK_BOT_TOKEN", "the bot token (`xoxb-…`)")
    slack_app_token: Secret = setting(
        SecretStr(""), "SLACK_APP_TOKEN", "app-level token (`xapp-…`); Socket Mode runs when it is set"
    )
    slack_signing_secret: Secret = setting(
        SecretStr(""), "SLACK_SIGNING_SECRET", "verifies every HTTP-mode request (signature, 5-minute window)"
    )
    slack_api_url: str = setting(
        "https://slack.com/api/", "SLACK_API_URL", "Web API base URL, for proxies and tests"
    )
    slack_allowed_channels: frozenset[str] = setting(
        frozenset(), "SLACK_ALLOWED_CHANNELS", "comma-separated channel ids the bot answers in (empty: all)"
    )
    slack_thread_replies: bool = setting(
        True, "NEWSBOT_SLACK_THREAD_REPLIES", "answer un-mentioned replies in threads the bot answered"
    )
    slack_user_rate: Count = setting(20, "NEWSBOT_SLACK_USER_RATE", "questions per user per minute")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, *_: Any, **__: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `load` merges .env and the environment itself (tests pass their own environment), so
        # the model reads only what it is given.
        return (init_settings,)

    @field_validator("max_file_mb", "llm_timeout", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return _as_number(value)

    @field_validator("llm_max_tokens", "chroma_port", "slack_user_rate", mode="before")
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        number = _as_number(value)
        return int(_whole(number)) if isinstance(number, float) else number

    @field_validator("slack_allowed_channels", mode="before")
    @classmethod
    def _channels(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(c.strip() for c in value.split(",") if c.strip())
        return value

    @field_validator("slack_api_url", mode="after")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value if value.endswith("/") else value + "/"

    @field_validator("articles", "data", "cache_dir", mode="after")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("data", mode="after")
    @classmethod
    def _a_folder(cls, value: Path) -> Path:
        # Else a file here reads as "nothing indexed yet" to ask and as "read-only" to index.
        if value.exists() and not value.is_dir():
            raise ValueError("is a file, not a folder: the data folder (also `--data`) holds the index")
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @classmethod
    def load(
        cls, env: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env"), **flags: Any
    ) -> Settings:
        merged: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        merged.update(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            raw = merged.get(str(field.validation_alias))
            if raw not in (None, ""):
                values[name] = raw
        if "cache_dir" not in values:
            values["cache_dir"] = _default_cache(merged)
        values.update({k: v for k, v in flags.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as err:
            raise NewsbotError(_describe(err, values)) from None

    def but(self, **changes: Any) -> Settings:
        """A copy with some fields changed, validated like the original."""
        return type(self)(**{**dict(self), **changes})

    def secrets(self) -> list[str]:
        """Every secret value set, for the log filter that keeps them out of every output."""
        return [
            v.get_secret_value()
            for v in dict(self).values()
            if isinstance(v, SecretStr) and v.get_secret_value()
        ]


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise ValueError("is not a number") from None
    return value


def _default_cache(env: Mapping[str, str]) -> Path:
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "newsbot"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".cache" / "newsbot"


def _describe(err: ValidationError, values: Mapping[str, Any]) -> str:
    """The first problem as one line naming the variable: NEWSBOT_MAX_FILE_MB='-1' must be greater than 0."""
    problem = err.errors()[0]
    name = str(problem["loc"][0]) if problem["loc"] else ""
    field = Settings.model_fields.get(name)
    variable = str(field.validation_alias) if field else name
    message = str(problem["msg"]).removeprefix("Value error, ").replace("Input should be", "must be")
    value = values.get(name, problem.get("input"))
    shown = "***" if field is not None and field.annotation is SecretStr else repr(str(value))
    return f"{variable}={shown} {message}"


def markdown_table() -> str:
    """The README's configuration table, from the fields themselves."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, SecretStr):
            shown = ""
        elif isinstance(default, frozenset):
            shown = "(all)" if not default else ",".join(sorted(default))
        else:
            shown = f"`{default}`" if default not in ("", None) else ""
        if name == "cache_dir":
            shown = "`$XDG_CACHE_HOME/newsbot` or `~/.cache/newsbot`"
        rows.append(f"| `{field.validation_alias}` | {shown} | {field.description} |")
    return "\n".join(rows)


def secret_variables() -> frozenset[str]:
    """The environment variables that hold secrets (the SecretStr fields)."""
    return frozenset(
        str(f.validation_alias) for f in Settings.model_fields.values() if f.annotation is SecretStr
    )


def env_file_warning(path: Path = Path(".env")) -> str | None:
    """A warning when the file holds a secret and the group or others can read it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not mode & 0o077:
        return None
    held = sorted(k for k, v in dotenv_values(path).items() if k in secret_variables() and v)
    if not held:  # settings without a secret: nothing to protect
        return None
    return (
        f"{path} holds {', '.join(held)} but other users can read it (mode {mode & 0o777:o}); "
        f"run `chmod 600 {path}`"
    )
