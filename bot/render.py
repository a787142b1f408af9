"""Terminal rendering of an Answer with rich: answer with bold answer spans, then sources."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from bot import prompts
from bot.answer import Answer, Citation


def answer_text(answer: Answer) -> Text:
    text = Text(answer.text)
    for start, end in answer.highlights:
        text.stylize("bold", start, end)
    return text


def source_line(c: Citation, full: bool = False) -> Text:
    passage = c.text if full else prompts.clip(c.text, 300)
    line = Text(f"[{c.n}] ", style="bold cyan")
    line.append(c.title or c.article, style="bold")
    meta = " · ".join(x for x in (c.published_at, c.url or c.article) if x)
    if meta:
        line.append(f"  ({meta})", style="dim")
    line.append(f"\n    “{passage}”")
    return line


def print_answer(console: Console, answer: Answer) -> None:
    console.print(answer_text(answer))
    if answer.found:
        console.print(Text("\nSources", style="bold"))
        for c in answer.citations:
            console.print(source_line(c))
    elif answer.closest is not None:
        closest = prompts.closest_match(answer.closest.text, answer.closest.title or answer.closest.article)
        console.print(Text(closest, style="dim"))


def print_sources(console: Console, answer: Answer | None) -> None:
    if answer is None or not answer.citations:
        console.print("No sources yet: ask a question first.")
        return
    for c in answer.citations:
        console.print(source_line(c, full=True))
