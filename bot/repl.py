"""`newsbot chat`: a REPL with history, follow-ups and a few slash commands.

Input and output are injected (`read_line`, a rich Console), so tests drive it as a
transcript and the terminal gets prompt_toolkit + rich.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from bot.answer import Answer, Answerer
from bot.errors import explain
from bot.render import ProgressBar, print_answer, print_sources
from index.errors import NewsbotError, NotIndexedError
from index.store import ArticleState
from index.sync import Progress, counted

log = logging.getLogger(__name__)

HELP = """Ask about the indexed articles; follow-ups ("and who is its deputy?") use the conversation.
  /sources   full passages behind the last answer
  /articles  what is indexed
  /reindex   bring the index up to date with the articles folder
  /help      this help
  /quit      leave (or Ctrl-D); Ctrl-C cancels the current line"""

HISTORY_TURNS = 5
QUIT_WORDS = ("exit", "quit", ":q", "bye", "goodbye")  # on their own, as in a shell or an editor


class Repl:
    def __init__(
        self,
        answerer: Answerer | None,
        console: Console,
        read_line: Callable[[str], str],
        reindex: Callable[[Progress], str],
        articles: Callable[[], list[ArticleState]],
        open_answerer: Callable[[], Answerer] | None = None,
        articles_folder: str = "the articles folder",
        history: Sequence[Answer] = (),
        on_answer: Callable[[Answer], None] | None = None,
    ):
        """`answerer` None: nothing is indexed yet; `open_answerer` opens one once there is."""
        self._answerer = answerer
        self.open_answerer = open_answerer
        self.console = console
        self.read_line = read_line
        self.reindex = reindex
        self.articles = articles
        self.articles_folder = articles_folder
        self.history: list[Answer] = list(history)[-HISTORY_TURNS:]  # a resumed conversation
        self.on_answer = on_answer  # the conversation log

    @property
    def answerer(self) -> Answerer:
        if self._answerer is None:
            if self.open_answerer is None:
                raise NotIndexedError("no articles indexed yet")
            self._answerer = self.open_answerer()
        return self._answerer

    def run(self) -> int:
        self.console.print(
            Text("newsbot: ask about the articles. /help for commands, Ctrl-D to quit.", style="dim")
        )
        if self._answerer is None:
            try:
                self.answerer  # noqa: B018  (opens it now: a broken setup says so before the first question)
            except NotIndexedError:  # the REPL still opens: it offers to index (and /reindex works)
                if not self._offer_to_index():
                    return 0
        while True:
            try:
                line = self.read_line("newsbot> ").strip()
            except KeyboardInterrupt:
                continue  # Ctrl-C drops the line being typed
            except EOFError:
                self.console.print("bye")
                return 0
            if not line:
                continue
            if line.lower() in QUIT_WORDS:
                self.console.print("bye")
                return 0
            if line.lower() == "help":  # the terminal's own help, with its commands
                line = "/help"
            if line.startswith("/"):
                if not self.command(line):
                    self.console.print("bye")
                    return 0
                continue
            self.ask(line)

    def ask(self, question: str) -> None:
        streamed: list[str] = []

        def show(token: str) -> None:  # LLM answers appear token by token, then in full with sources
            streamed.append(token)
            self.console.print(token, end="", highlight=False, markup=False)

        try:
            answerer = self.answerer
            on_token = show if answerer.mode == "llm" else None
            answer = answerer.answer(question, self.history, on_token=on_token)
        except KeyboardInterrupt:
            self.console.print("\ncancelled")
            return
        except NewsbotError as err:
            self._error(err)
            return
        finally:
            if streamed:
                self.console.print()
        print_answer(self.console, answer)
        self.history = [*self.history, answer][-HISTORY_TURNS:]
        if self.on_answer is not None:
            self.on_answer(answer)

    def _offer_to_index(self) -> bool:
        """Nothing is indexed: offer to index the articles folder now. False: the user left."""
        self.console.print(Text(f"Nothing is indexed yet. /reindex indexes {self.articles_folder}."))
        try:
            reply = self.read_line(f"Index {self.articles_folder} now? [Y/n] ").strip().lower()
        except (EOFError, KeyboardInterrupt):
            self.console.print("bye")
            return False
        if reply in ("", "y", "yes"):
            self._reindex()
        return True

    def _reindex(self) -> None:
        try:
            with ProgressBar(self.console) as bar:
                summary = self.reindex(bar)
        except KeyboardInterrupt:  # stop the sync, keep the session (and what was written)
            self.console.print("reindex stopped; the articles written so far are kept")
            return
        except NewsbotError as err:
            self._error(err)
            return
        self.console.print(Text(summary))

    def _error(self, err: NewsbotError) -> None:
        # Error text is the user's or an article's words: printed as text, never read as markup.
        self.console.print(Text("error: ", style="red") + Text(explain(err)))

    def command(self, line: str) -> bool:
        """Run a slash command; False means quit."""
        name = line.split()[0].lower()
        if name in ("/quit", "/exit"):
            return False
        if name == "/help":
            self.console.print(HELP, highlight=False)
        elif name == "/sources":
            print_sources(self.console, self.history[-1] if self.history else None)
        elif name == "/articles":
            states = self.articles()
            for st in states:
                date = f", {st.published_at}" if st.published_at else ""
                self.console.print(Text(f"{st.id}  {st.title}  ({counted(st.stored, 'chunk')}{date})"))
            self.console.print(f"{counted(len(states), 'article')} indexed")
        elif name == "/reindex":
            self._reindex()
        else:
            self.console.print(f"unknown command {name}; /help lists them")
        return True


def terminal_reader(history_file: Path) -> Callable[[str], str]:
    """prompt_toolkit with persistent history on a terminal; plain lines when input is piped."""
    if not sys.stdin.isatty():

        def read_piped(prompt: str) -> str:
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line

        return read_piped
    from prompt_toolkit import PromptSession

    session: PromptSession[str] = PromptSession(history=question_history(history_file))
    return session.prompt


def question_history(path: Path) -> Any:
    """prompt_toolkit's file history, minus blank lines (nothing worth the up arrow)."""
    from prompt_toolkit.history import FileHistory

    class QuestionHistory(FileHistory):
        def append_string(self, string: str) -> None:
            if string.strip():
                super().append_string(string)

    path.parent.mkdir(parents=True, exist_ok=True)
    return QuestionHistory(str(path))
