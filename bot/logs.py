"""Logging: details (with tracebacks) to a file in the data folder; one-line messages to stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path


class _OneLine(logging.Formatter):
    """Never put a traceback on the terminal; the log file has it."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {record.getMessage()}"


def setup_logging(data_dir: Path, verbose: bool = False) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.INFO if verbose else logging.WARNING)
    console.setFormatter(_OneLine())
    root.addHandler(console)
    for noisy in ("chromadb", "httpx", "urllib3", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log_path = data_dir / "newsbot.log"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(log_path, maxBytes=5_000_000, backupCount=2)
    except OSError:
        return None  # a read-only data folder must not stop a read-only command
    file_handler.setLevel(logging.DEBUG)
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(file_handler)
    return log_path
