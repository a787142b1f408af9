"""`newsbot chat`: a REPL with history, follow-ups and a few slash commands.

Input and output are injected (`read_line`, a rich Console), so tests drive it as a
transcript and the terminal gets prompt_toolkit + rich.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.answer import Answer, Answerer
from bot.errors import explain
from bot.render import print_answer, print_sources
from index.errors import NewsbotError
from index.store import ArticleState
from index.sync import counted

log = logging.getLogger(__name__)

HELP = """Ask about the indexed articles; follow-ups ("and who is its deputy?") use the conversation.
  /sources   full passages behind the last answer
  /articles  what is indexed
  /reindex   bring the index up to date with the articles folder
  /help      this help
  /quit      leave (or Ctrl-D); Ctrl-C cancels the current line"""

HISTORY_TURNS = 5


class Repl:
    def __init__(
        self,
        answerer: Answerer,
        console: Console,
        read_line: Callable[[str], str],
        reindex: Callable[[], str],
        articles: Callable[[], list[ArticleState]],
    ):
        self.answerer = answerer
        self.console = console
        self.read_line = read_line
        self.reindex = reindex
        self.articles = articles
        self.history: list[Answer] = []

    def run(self) -> int:
        self.console.print(
            Text("newsbot: ask about the articles. /help for commands, Ctrl-D to quit.", style="dim")
        )
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

        on_token = show if self.answerer.mode == "llm" else None
        try:
            answer = self.answerer.answer(question, self.history, on_token=on_token)
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
            try:
                self.console.print(self.reindex())
            except NewsbotError as err:
                self._error(err)
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
    from prompt_toolkit.history import FileHistory

    history_file.parent.mkdir(parents=True, exist_ok=True)
    session: PromptSession[str] = PromptSession(history=FileHistory(str(history_file)))
    return session.prompt
