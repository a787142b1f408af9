"""Settings: .env, then environment, then flags; bad values are named; secrets stay masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, markdown_table
from index.errors import NewsbotError
from tests.conftest import ROOT, newsbot


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
    assert s.llm == "none" and not s.chroma_host and s.secrets() == []
    assert s.cache_dir == Path("/home/u/.cache/newsbot")
    assert Settings.load(env={"XDG_CACHE_HOME": "/c"}, dotenv=None).cache_dir == Path("/c/newsbot")
    assert s.max_file_bytes == 5 * 1024 * 1024


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("NEWSBOT_MAX_FILE_MB", "abc", "is not a number"),
        ("NEWSBOT_MAX_FILE_MB", "-1", "must be greater than 0"),
        ("NEWSBOT_MAX_FILE_MB", "0", "must be greater than 0"),
        ("NEWSBOT_SLACK_USER_RATE", "2.5", "must be a whole number"),
        ("CHROMA_PORT", "0", "must be greater than 0"),
        ("NEWSBOT_LLM_TEMPERATURE", "3", "less than or equal to 2"),
        ("CHROMA_SSL", "maybe", "boolean"),
        ("SLACK_API_URL", "slack.com/api", "must start with http:// or https://"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(variable: str, value: str, says: str) -> None:
    with pytest.raises(NewsbotError) as err:
        Settings.load(env={variable: value}, dotenv=None)
    message = str(err.value)
    assert message.startswith(f"{variable}={value!r}") and says in message and "\n" not in message


def test_a_data_folder_that_is_a_file_is_named_as_such_not_as_empty_or_read_only(tmp_path: Path) -> None:
    # Before, `ask` said "no articles indexed yet" and `index` "the data folder is read-only".
    afile = tmp_path / "notes.txt"
    afile.write_text("not an index")
    with pytest.raises(NewsbotError, match=r"NEWSBOT_DATA='.*notes.txt' is a file, not a folder"):
        Settings.load(env={"NEWSBOT_DATA": str(afile)}, dotenv=None)
    result = newsbot("index", "--data", str(afile))
    assert result.returncode == 1 and "is a file, not a folder" in result.stderr
    assert afile.read_text() == "not an index"  # loses nothing
    assert Settings.load(env={"NEWSBOT_DATA": str(tmp_path / "new")}, dotenv=None).data == tmp_path / "new"


def test_values_are_parsed() -> None:
    s = Settings.load(
        env={
            "SLACK_ALLOWED_CHANNELS": " C1, C2 ,,",
            "NEWSBOT_SLACK_THREAD_REPLIES": "off",
            "CHROMA_SSL": "yes",
            "SLACK_API_URL": "http://localhost:9/api",
            "NEWSBOT_LLM_MAX_TOKENS": "100",
        },
        dotenv=None,
    )
    assert s.slack_allowed_channels == frozenset({"C1", "C2"})
    assert s.slack_thread_replies is False and s.chroma_ssl is True
    assert s.slack_api_url == "http://localhost:9/api/" and s.llm_max_tokens == 100


def test_secrets_are_masked_everywhere_but_where_they_are_used() -> None:
    s = Settings.load(env={"OPENAI_API_KEY": "sk-secret-value", "SLACK_BOT_TOKEN": "xoxb-1"}, dotenv=None)
    assert "sk-secret-value" not in repr(s) and "sk-secret-value" not in str(s.model_dump())
    assert s.openai_api_key.get_secret_value() == "sk-secret-value"
    assert sorted(s.secrets()) == ["sk-secret-value", "xoxb-1"]  # for the log filter
    with pytest.raises(NewsbotError) as err:
        Settings.load(env={"SLACK_BOT_TOKEN": "xoxb-1", "CHROMA_PORT": "x"}, dotenv=None)
    assert "xoxb-1" not in str(err.value)


def test_but_validates_what_it_changes() -> None:
    s = Settings.load(env={}, dotenv=None)
    assert s.but(slack_bot_token="xoxb-2").slack_bot_token.get_secret_value() == "xoxb-2"
    with pytest.raises(ValueError):
        s.but(max_file_mb=-1)


def test_readme_configuration_table_is_generated_from_the_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown_table() in readme, (
        "README's configuration table differs from the settings: paste "
        "`python -c 'from bot.settings import markdown_table; print(markdown_table())'`"
    )


def test_env_file_warning_only_when_a_readable_file_holds_a_secret(tmp_path: Path) -> None:
    from bot.settings import env_file_warning

    env = tmp_path / ".env"
    env.write_text("NEWSBOT_DATA=/srv/news\nSLACK_BOT_TOKEN=\n")  # settings, an empty secret
    env.chmod(0o644)
    assert env_file_warning(env) is None
    env.write_text("NEWSBOT_DATA=/srv/news\nSLACK_BOT_TOKEN=xoxb-1-2\n")
    warning = env_file_warning(env)
    assert warning is not None and "holds SLACK_BOT_TOKEN" in warning and "chmod 600" in warning
    assert "xoxb-1-2" not in warning
    env.chmod(0o600)
    assert env_file_warning(env) is None


def test_every_package_the_code_imports_is_declared() -> None:
    """bot/ and index/ import only what pyproject.toml declares (directly or as an extra), not
    what happens to arrive with something else (aiohttp came only through llama-index-core)."""
    import ast
    import importlib.metadata
    import re
    import sys
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"]) + [
        d for extra in project["optional-dependencies"].values() for d in extra
    ]

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    declared = {norm(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in specs}
    owners = importlib.metadata.packages_distributions()
    undeclared = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "index").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for top in {n.split(".")[0] for n in names}:
                if top in sys.stdlib_module_names or top in ("bot", "index", "__future__"):
                    continue
                if not {norm(d) for d in owners.get(top, [top])} & declared:
                    undeclared.add(f"{top} ({path.relative_to(ROOT)})")
    assert not undeclared, f"imported but not declared in pyproject.toml: {sorted(undeclared)}"
