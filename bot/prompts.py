"""User-facing templates from prompts/, loaded strictly: a missing or unknown variable is an
error when the template is loaded, never a silent blank in front of a user."""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from index.errors import NewsbotError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"

# Each template and the variables it must use, no more and no fewer.
EXPECTED: dict[str, frozenset[str]] = {
    "answer_found": frozenset({"quotes"}),
    "answer_not_found": frozenset(),
    "closest_match": frozenset({"text", "title"}),
    "slack_usage": frozenset(),
    "slack_too_long": frozenset({"length"}),
    "slack_rate_limited": frozenset(),
    "slack_error": frozenset({"ref"}),
    "slack_feedback_thanks": frozenset(),
    "llm_system": frozenset(),
    "llm_user": frozenset({"sources", "question"}),
    "llm_condense": frozenset({"history", "question"}),
    "llm_unavailable": frozenset(),
    "small_talk_thanks": frozenset(),
    "small_talk_greeting": frozenset(),
    "small_talk_help": frozenset(),
    "small_talk_bye": frozenset(),
}


class Template:
    def __init__(self, name: str, text: str, variables: frozenset[str]):
        self.name = name
        self._template = string.Template(text.strip("\n"))
        self.variables = variables

    def render(self, **values: str) -> str:
        missing = self.variables - values.keys()
        if missing:
            raise KeyError(f"template {self.name} needs {sorted(missing)}")
        return self._template.substitute(values)


@cache
def load(name: str, folder: Path = PROMPTS_DIR) -> Template:
    path = folder / f"{name}.txt"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise NewsbotError(f"prompt template {path} cannot be read ({err.strerror or err})") from err
    template = string.Template(text)
    if not template.is_valid():
        raise NewsbotError(f"prompt template {path} has a malformed $placeholder")
    found = frozenset(template.get_identifiers())
    expected = EXPECTED.get(name, found)
    if found != expected:
        raise NewsbotError(
            f"prompt template {path} uses {sorted(found)} but must use exactly {sorted(expected)}"
        )
    return Template(name, text, found)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def closest_match(text: str, title: str) -> str:
    """The line under a refusal: the nearest passage, shown as not being an answer."""
    return load("closest_match").render(text=clip(" ".join(text.split()), 200), title=title)
