"""Configured secrets never leave the process: not in output, not in errors, not in the log.

Each command runs (its `main`, in this process, with its output captured) from a folder holding
a `.env` with test secrets, including the ones that follow no recognisable pattern (the
signing secret, the Chroma token)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import ROOT, cli_env, newsbot
from tests.test_search_answer import STORY

SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-111-222-secretbottoken",
    "SLACK_APP_TOKEN": "xapp-1-A1-333-secretapptoken",
    "SLACK_SIGNING_SECRET": "plainsigningsecret42",
    "NEWSBOT_LLM_API_KEY": "llmkeyWithoutAnyPrefix9",
    "OPENAI_API_KEY": "sk-proj-secretopenaikey",
    "CHROMA_AUTH_TOKEN": "chromatokenplain77",
}


def _run(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in cli_env(**extra).items() if k not in SECRETS}
    return newsbot(*args, env=env, cwd=cwd)


def test_secrets_stay_out_of_output_errors_and_logs_and_a_readable_env_is_flagged(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "articles").mkdir(parents=True)
    (work / "articles" / "ferry.txt").write_text(STORY, encoding="utf-8")
    env_file = work / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in SECRETS.items()))
    os.chmod(env_file, 0o644)
    folders = ("--data", "data")
    llm_down = {
        "NEWSBOT_LLM": "openai-compatible:test-model",
        "NEWSBOT_LLM_BASE_URL": "http://127.0.0.1:9/v1",
    }
    runs = {
        "index": _run(work, "index", "--articles", "articles", *folders),
        "articles": _run(work, "articles", *folders),
        "articles --json": _run(work, "articles", "--json", *folders),
        "ask --json": _run(work, "ask", "Who led the ferry campaign?", "--json", *folders),
        "ask, LLM down": _run(work, "ask", "Who led the ferry campaign?", "--json", *folders, **llm_down),
        "ask, Chroma server down": _run(
            work, "ask", "Who led the campaign?", *folders, CHROMA_HOST="127.0.0.1", CHROMA_PORT="9"
        ),
        "slack, Slack unreachable": _run(
            work,
            "slack",
            "--http",
            "--port",
            "0",
            "--articles",
            "articles",
            *folders,
            SLACK_API_URL="http://127.0.0.1:9/api/",
        ),
    }
    assert runs["ask --json"].returncode == 0 and "Ruth Adeyemi" in runs["ask --json"].stdout
    assert runs["ask, LLM down"].returncode == 0 and '"found": true' in runs["ask, LLM down"].stdout
    assert runs["ask, Chroma server down"].returncode == 1
    assert runs["slack, Slack unreachable"].returncode == 1
    logs = "".join(p.read_text() for p in (work / "data").glob("newsbot.log*"))
    assert "Traceback" in logs  # the log does hold details (failures above), only never a secret
    for name, run in runs.items():
        for secret in SECRETS.values():
            assert secret not in run.stdout and secret not in run.stderr, f"{name} leaked {secret}"
    for secret in SECRETS.values():
        assert secret not in logs, f"the log leaked {secret}"
    assert "chmod 600" in runs["index"].stderr  # .env is readable by others: said once per command
    os.chmod(env_file, 0o600)
    assert "chmod 600" not in _run(work, "articles", *folders).stderr


def test_env_is_git_ignored_and_the_example_holds_no_values() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT)
    assert ignored.returncode == 0, ".env must be git-ignored"
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            if key.strip().endswith(("TOKEN", "SECRET", "KEY")):
                assert value.strip() == "", f".env.example gives {key.strip()} a value"
