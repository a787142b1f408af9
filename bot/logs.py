"""Logging: details (with tracebacks) to a file in the data folder; one-line messages to stderr."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

_SECRET = re.compile(r"\b(xox[abposr]-[\w-]+|xapp-[\w-]+|sk-[\w-]{8,}|Bearer\s+[\w.-]+)")


_KNOWN: set[str] = set()  # the configured secrets themselves, whatever their shape


def add_secrets(*values: str | None) -> None:
    """Redact these exact values too (signing secrets and server tokens follow no pattern)."""
    _KNOWN.update(v for v in values if v and len(v) >= 6)


def redact(text: str) -> str:
    text = _SECRET.sub("[redacted]", text)
    for value in _KNOWN:
        text = text.replace(value, "[redacted]")
    return text


class RedactSecrets(logging.Filter):
    """Tokens and API keys never reach a log line, whichever library logs them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class _OneLine(logging.Formatter):
    """Never put a traceback on the terminal; the log file has it."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def setup_logging(data_dir: Path, verbose: bool = False) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    logging.raiseExceptions = False  # a full disk must not put logging's own traceback on screen
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(_OneLine())
    console.addFilter(RedactSecrets())
    root.addHandler(console)
    for noisy in ("chromadb", "httpx", "urllib3", "watchfiles", "slack_sdk", "slack_bolt", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log_path = data_dir / "newsbot.log"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(log_path, maxBytes=5_000_000, backupCount=2)
    except OSError:
        return None  # a read-only data folder must not stop a read-only command
    file_handler.setLevel(logging.DEBUG)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    file_handler.addFilter(RedactSecrets())
    root.addHandler(file_handler)
    return log_path
