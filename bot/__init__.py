"""Answering and the surfaces (CLI, REPL, Slack). Reaches the index only through `index`."""
