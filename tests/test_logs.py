"""Secrets never reach a log line, whichever library logs them and at whatever level."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.logs import setup_logging


def test_tokens_are_redacted_in_the_log_file_and_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_path = setup_logging(tmp_path)
    assert log_path is not None
    try:
        # slack_sdk logs request headers like this at DEBUG; our file handler keeps DEBUG.
        logging.getLogger("newsbot.test").debug(
            "Sending a request - headers: {'Authorization': 'Bearer xoxb-123-456-abcdef'}"
        )
        logging.getLogger("newsbot.test").warning(
            "tokens %s %s %s", "xapp-1-A1-999-zzz", "sk-proj-abcdefghijklmnop", "xoxb-9-9-secret"
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        written = log_path.read_text()
        err = capsys.readouterr().err
    finally:
        for handler in list(logging.getLogger().handlers):
            logging.getLogger().removeHandler(handler)
            handler.close()
    for secret in ("xoxb-123-456-abcdef", "xapp-1-A1-999-zzz", "sk-proj-abcdefghijklmnop", "xoxb-9-9-secret"):
        assert secret not in written and secret not in err
    assert written.count("[redacted]") >= 4 and "[redacted]" in err


def test_errors_shown_to_users_are_redacted_on_every_path() -> None:
    """Watch mode, the REPL and Slack all print errors through `explain`, which redacts."""
    from bot.errors import explain
    from index.errors import NewsbotError

    shown = explain(NewsbotError("sync failed talking to https://x?token=xoxb-123-456-abc"))
    assert "xoxb-123-456-abc" not in shown and "[redacted]" in shown
