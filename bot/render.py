"""Terminal rendering of an Answer with rich: answer with bold answer spans, then sources."""

from __future__ import annotations

from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.text import Text

from bot import prompts
from bot.answer import Answer, Citation
from bot.briefing import quoted
from index.sync import Progress


def console_for(out: Any) -> Console:
    """rich on `out`: wrapped to the terminal on a terminal; into a pipe or file, lines are left
    whole (no hard wrap at 80 columns, no trailing spaces) and there is no colour."""
    terminal = bool(getattr(out, "isatty", lambda: False)())
    return Console(file=out, highlight=False, soft_wrap=not terminal, no_color=not terminal)


def answer_text(answer: Answer) -> Text:
    text = Text(answer.text)
    for start, end in answer.highlights:
        text.stylize("bold", start, end)
    return text


def source_line(c: Citation, full: bool = False, numbered: bool = True) -> Group:
    """The source's label and title, then its passage as an indented block: plain text (the
    article's own words, quotation marks and all), every wrapped line keeping the indent."""
    head = Text()
    if numbered:
        head.append(f"[{c.n}] ", style="bold cyan")
    head.append(c.title or c.article, style="bold")
    meta = " · ".join(x for x in (c.published_at, c.url or c.article) if x)
    if meta:
        head.append(f"  ({meta})", style="dim")
    passage = c.text if full else prompts.clip(c.text, 300)
    return Group(head, _Indented(Text(" ".join(passage.split()))))


class _Indented:
    """A block indented by four: wrapped lines keep the indent on a terminal; into a pipe (soft
    wrap) it stays one whole line, since padding there would crop it to the console width."""

    def __init__(self, text: Text):
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if console.soft_wrap:
            yield Text("    ") + self.text
        else:
            yield Padding(self.text, (0, 0, 0, 4))


def print_answer(console: Console, answer: Answer) -> None:
    if answer.briefing is not None and answer.mode == "extractive":
        print_briefing(console, answer)
        return
    console.print(answer_text(answer))
    if answer.found:
        console.print(Text("\nSources", style="bold"))
        for c in answer.citations:
            console.print(source_line(c))
    elif answer.closest is not None:
        closest = prompts.closest_match(answer.closest.text, answer.closest.title or answer.closest.article)
        console.print(Text(closest, style="dim"))


def print_briefing(console: Console, answer: Answer) -> None:
    """A quoted briefing: the quotes sit under their article's headline, date and source, so
    there is no separate list of sources (`/sources` shows the full passages)."""
    blocks = answer.text.split("\n\n")
    console.print(Text(blocks[0]))
    for group in answer.briefing or []:
        head = Text("\n")
        head.append(group.title or group.article, style="bold")
        head.append(f"  ({' · '.join([group.published_at[:10] or 'undated', group.source])})", style="dim")
        console.print(head)
        for text, n in group.quotes:
            console.print(_Indented(Text(quoted(text) + " ").append(f"[{n}]", style="bold cyan")))
    if answer.more_articles:
        console.print(Text("\n" + blocks[-1], style="dim"))


def print_sources(console: Console, answer: Answer | None) -> None:
    if answer is not None and not answer.citations and answer.closest is not None:
        console.print(Text("Closest match (not an answer):", style="dim"))
        console.print(source_line(answer.closest, full=True, numbered=False))
        return
    if answer is None:
        console.print("No sources yet: ask a question first.")
        return
    if not answer.citations:
        console.print("The last answer has no sources to show.")
        return
    for c in answer.citations:
        console.print(source_line(c, full=True))


class ProgressBar(Progress):
    """Sync progress as a rich bar with rate and ETA on `console` (None: show nothing)."""

    def __init__(self, console: Console | None) -> None:
        self.console = console
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> ProgressBar:
        if self.console is not None:
            from rich import progress

            self._bar = progress.Progress(
                progress.TextColumn("embedding"),
                progress.BarColumn(),
                progress.MofNCompleteColumn(),
                progress.TaskProgressColumn(),
                progress.TextColumn("{task.fields[rate]}"),
                progress.TimeRemainingColumn(),
                console=self.console,
                transient=self.console.is_terminal,  # on a terminal the bar goes; in a log it stays
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def start(self, total_chunks: int) -> None:
        if self._bar is not None and total_chunks:
            self._task = self._bar.add_task("embedding", total=total_chunks, rate="")

    def advance(self, chunks: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, chunks)
            speed = next(t.speed for t in self._bar.tasks if t.id == self._task)  # rich's running average
            self._bar.update(self._task, rate=f"{speed:.0f} chunks/s" if speed else "")
