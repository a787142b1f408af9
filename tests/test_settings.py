"""Settings: .env, then environment, then flags; bad values are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from index.errors import NewsbotError


def test_precedence_dotenv_then_environment_then_flags(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("NEWSBOT_ARTICLES=from-dotenv\nNEWSBOT_DATA=data-dotenv\nNEWSBOT_MAX_FILE_MB=2\n")
    s = Settings.load(env={"NEWSBOT_DATA": "data-env"}, dotenv=dotenv)
    assert (s.articles, s.data, s.max_file_mb) == (Path("from-dotenv"), Path("data-env"), 2.0)
    s = Settings.load(env={"NEWSBOT_DATA": "data-env"}, dotenv=dotenv, data=Path("data-flag"))
    assert s.data == Path("data-flag")


def test_defaults_run_offline() -> None:
    s = Settings.load(env={"HOME": "/home/u"}, dotenv=None)
    assert s.articles == Path("seeds") and s.data == Path(".newsbot") and s.embed_model == "minilm"
    assert s.cache_dir == Path("/home/u/.cache/newsbot")
    assert Settings.load(env={"XDG_CACHE_HOME": "/c"}, dotenv=None).cache_dir == Path("/c/newsbot")
    assert s.max_file_bytes == 5 * 1024 * 1024


@pytest.mark.parametrize("value", ["abc", "-1", "0"])
def test_bad_number_names_the_setting(value: str) -> None:
    with pytest.raises(NewsbotError, match="NEWSBOT_MAX_FILE_MB"):
        Settings.load(env={"NEWSBOT_MAX_FILE_MB": value}, dotenv=None)


def test_redacted_masks_secrets() -> None:
    s = Settings.load(env={"OPENAI_API_KEY": "sk-secret-value"}, dotenv=None)
    assert "sk-secret-value" not in str(s.redacted()) and s.redacted()["openai_api_key"] == "***"
