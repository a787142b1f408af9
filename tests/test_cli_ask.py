"""`newsbot ask` / `newsbot eval` as real processes, and the REPL as a transcript."""

from __future__ import annotations

import argparse
import io
import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from bot import prompts
from bot.cli import build_parser
from bot.extractive import ExtractiveAnswerer
from bot.history import History
from bot.repl import Repl
from index.articles import read_article_text
from index.errors import NewsbotError
from index.indexer import Index
from index.sync import Progress
from tests.conftest import ROOT, cli_env, newsbot, newsbot_process
from tests.fakes import HashEmbedder
from tests.test_search_answer import OTHER, STORY

KEYS = {"question", "answer", "found", "citations", "mode", "timings_ms", "closest"}
CITATION_KEYS = {"n", "article", "title", "url", "published_at", "text", "start", "end", "score"}


@pytest.fixture
def indexed(articles: Path, data: Path) -> tuple[Path, Path]:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    (articles / "library.md").write_text("---\ntitle: Library hours\n---\n" + OTHER.split("\n\n", 1)[1])
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    return articles, data


def test_ask_json_is_one_object_with_verbatim_citations(indexed: tuple[Path, Path]) -> None:
    articles, data = indexed
    # A real process: the console entry point end to end (most tests call `main` in-process).
    result = newsbot_process("ask", "Who led the ferry campaign?", "--json", "--data", str(data))
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    doc = json.loads(line)
    assert set(doc) == KEYS and doc["found"] is True and doc["mode"] == "extractive"
    assert set(doc["timings_ms"]) == {"retrieve", "answer", "total"}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", doc["answer"])}
    assert markers == {c["n"] for c in doc["citations"]}
    for c in doc["citations"]:
        assert set(c) == CITATION_KEYS
        assert read_article_text(articles / c["article"])[c["start"] : c["end"]] == c["text"]


def test_ask_human_output_and_refusal(indexed: tuple[Path, Path]) -> None:
    _, data = indexed
    found = newsbot("ask", "How much will the ferry project cost?", "--data", str(data))
    assert (
        "$12 million" in found.stdout and "Sources" in found.stdout and "[1] Harbour council" in found.stdout
    )
    refused = newsbot("ask", "Who is the police chief of Harbour?", "--data", str(data))
    assert refused.returncode == 0
    assert refused.stdout.startswith("I couldn't find that in the indexed articles.")
    assert "Closest match (not an answer)" in refused.stdout


def test_ask_stdin_answers_each_line_in_order_with_one_model_load(indexed: tuple[Path, Path]) -> None:
    _, data = indexed
    questions = [
        "Who led the ferry campaign?",
        "",
        "When will the library open late?",
        "How much will it cost?",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "-", "--data", str(data)],
        input="\n".join(questions) + "\n",
        cwd=ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [d["question"] for d in docs] == questions
    assert "error" in docs[1] and "empty" in docs[1]["error"]
    assert result.returncode == 2  # a bad line is reported, the rest still answered
    assert docs[0]["found"] and "Adeyemi" in docs[0]["answer"]


def test_ask_bad_input_is_refused_clearly(indexed: tuple[Path, Path], tmp_path: Path) -> None:
    _, data = indexed
    empty = newsbot("ask", "   ", "--data", str(data))
    assert (
        empty.returncode == 2 and "the question is empty" in empty.stderr and "Traceback" not in empty.stderr
    )
    long = newsbot("ask", "why " * 600, "--data", str(data))
    assert long.returncode == 2 and "limit is 2,000" in long.stderr
    control = newsbot("ask", "Who led\x1b the ferry\x07 campaign?", "--json", "--data", str(data))
    assert json.loads(control.stdout)["question"] == "Who led the ferry campaign?"
    nothing = newsbot("ask", "anything?", "--data", str(tmp_path / "empty"))
    assert nothing.returncode == 1 and "no articles indexed yet: run `newsbot index`" in nothing.stderr


def test_eval_scores_a_question_file(indexed: tuple[Path, Path], tmp_path: Path) -> None:
    _, data = indexed
    qa = tmp_path / "qa.jsonl"
    rows = [
        {"id": "a", "question": "Who led the ferry campaign?", "answerable": True, "answers": [["Adeyemi"]],
         "evidence": ["who led the campaign"]},
        {"id": "b", "question": "How much will the ferry project cost?", "answerable": True,
         "answers": [["twelve million", "12 million"]], "evidence": ["about $12 million"]},
        {"id": "d", "question": "Who led the ferry campaign?", "answerable": True,
         "answers": [["Adeyemi"], ["submarine"]], "evidence": ["who led the campaign"]},
        {"id": "c", "question": "Who is the police chief of Harbour?", "answerable": False, "answers": [],
         "evidence": []},
    ]  # fmt: skip
    qa.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = newsbot("eval", str(qa), "--json", "--data", str(data))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    m = doc["metrics"]
    assert (m["answerable"], m["unanswerable"]) == (3, 1)
    assert m["unanswerable_refused"] == 1.0 and m["answerable_refused"] == 0.0
    assert m["citation_accuracy"] == 1.0
    by_id = {r["id"]: r for r in doc["results"]}
    assert by_id["a"]["correct"] is True
    assert by_id["b"]["correct"] is True  # one alternative of a group is enough
    assert by_id["d"]["correct"] is False  # "Adeyemi" matches, but every group must
    assert m["answer_accuracy"] == pytest.approx(2 / 3, abs=1e-3)
    human = newsbot("eval", str(qa), "--data", str(data))
    assert re.search(r"answer_accuracy\s+\d+\.\d%", human.stdout) and "latency_ms_p95" in human.stdout
    # The plain report lists what failed: "d" (a group that is not in the answer).
    assert "1 question not answered right:" in human.stdout
    assert (
        "  d  Who led the ferry campaign?\n      expected: Adeyemi + submarine\n      got:      "
        in human.stdout
    )
    totals = [line for line in human.stdout.splitlines() if re.match(r"^[a-z_0-9]+ {2,}", line)]
    assert len(totals) >= 5 and len({len(line) for line in totals}) == 1  # one column, right-aligned


def test_eval_squad2_indexes_the_chosen_articles(tmp_path: Path) -> None:
    squad = tmp_path / "squad.json"
    context = "The Normans were the people who gave their name to Normandy, a region in France."
    squad.write_text(json.dumps({"data": [
        {"title": "Normans", "paragraphs": [{"context": context, "qas": [
            {"id": "q1", "question": "What region did the Normans give their name to?",
             "is_impossible": False, "answers": [{"text": "Normandy", "answer_start": 51}]},
            {"id": "q2", "question": "Who was the Norman king of Sicily in 1900?", "is_impossible": True,
             "answers": []}]}]},
        {"title": "Held_out", "paragraphs": [{"context": "Not indexed.", "qas": []}]},
    ]}))  # fmt: skip
    data = tmp_path / "data"
    result = newsbot("eval", str(squad), "--format", "squad2", "--articles-filter", "Normans", "--json",
                     "--data", str(data))  # fmt: skip
    assert result.returncode == 0, result.stderr
    m = json.loads(result.stdout)["metrics"]
    assert m["questions"] == 2 and m["answer_accuracy"] == 1.0 and m["citation_accuracy"] == 1.0
    missing = newsbot(
        "eval", str(squad), "--format", "squad2", "--articles-filter", "Nope", "--data", str(data)
    )
    assert missing.returncode == 1 and "no article(s) ['Nope']" in missing.stderr


def test_templates_load_strictly(tmp_path: Path) -> None:
    (tmp_path / "answer_found.txt").write_text("Answer: $quotes and $extra\n")
    with pytest.raises(NewsbotError, match="must use exactly"):
        prompts.load.__wrapped__("answer_found", tmp_path)
    (tmp_path / "closest_match.txt").write_text("Closest: $text\n")
    with pytest.raises(NewsbotError, match=r"\['text', 'title'\]"):
        prompts.load.__wrapped__("closest_match", tmp_path)
    with pytest.raises(NewsbotError, match="cannot be read"):
        prompts.load.__wrapped__("answer_not_found", tmp_path)
    for name in prompts.EXPECTED:  # the shipped templates all load
        prompts.load(name)


def test_repl_transcript(articles: Path, data: Path) -> None:
    """The REPL's commands, follow-ups and Ctrl-C over a real index (`newsbot chat` wiring: below)."""
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    index = Index(data, HashEmbedder())
    index.sync(articles, max_bytes=5_000_000)
    answerer = ExtractiveAnswerer(index.searcher())
    inputs = iter(
        ["/help", "Who led the ferry campaign?", "/sources", "and what did opponents want?", "", "/articles",
         "/nope", "<ctrl-c>", "Who is the police chief of Harbour?"]
    )  # fmt: skip

    def read_line(prompt: str) -> str:
        line = next(inputs, None)
        if line is None:
            raise EOFError
        if line == "<ctrl-c>":
            raise KeyboardInterrupt  # Ctrl-C on a line drops it and the session goes on
        return line

    out = io.StringIO()
    repl = Repl(
        answerer,
        Console(file=out, width=120, color_system=None),
        read_line,
        reindex=lambda progress: "",
        articles=index.articles,
    )
    assert repl.run() == 0
    transcript = out.getvalue()
    assert "/sources   full passages" in transcript
    assert "Ruth Adeyemi" in transcript
    assert transcript.count("Deputy mayor Ruth Adeyemi, who led the campaign") >= 2  # answer, then /sources
    assert "sea wall" in transcript  # the follow-up used the conversation
    assert "ferry.txt  Harbour council backs ferry link" in transcript and "1 article indexed" in transcript
    assert "unknown command /nope" in transcript
    assert "I couldn't find that in the indexed articles." in transcript
    assert transcript.rstrip().endswith("bye")


def test_chat_reindex_syncs_the_articles_folder(articles: Path, data: Path) -> None:
    """`newsbot chat` as the CLI builds it: /reindex syncs the configured folder into the index
    the answerer reads, so an article that arrived mid-session is listed and answered from."""
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    assert newsbot("index", "--articles", str(articles), "--data", str(data)).returncode == 0
    (articles / "zoo.txt").write_text(
        "Zoo opens zebra enclosure\n\nThe city zoo opened a zebra enclosure that holds six zebras.\n",
        encoding="utf-8",
    )
    script = ["What does the zoo's zebra enclosure hold?", "/reindex", "/articles"]
    script += ["What does the zoo's zebra enclosure hold?"]
    chat = newsbot("chat", "--articles", str(articles), "--data", str(data), stdin="\n".join(script) + "\n")
    assert chat.returncode == 0, chat.stderr
    before, after = chat.stdout.split("2 articles: 1 added, 0 updated, 0 deleted, 1 unchanged, 0 skipped", 1)
    assert "I couldn't find that in the indexed articles." in before and "six zebras" not in before
    assert "zoo.txt  Zoo opens zebra enclosure" in after and "2 articles indexed" in after
    assert "six zebras" in after


def test_cli_conventions_version_options_anywhere_and_unquoted_questions(
    indexed: tuple[Path, Path],
) -> None:
    _, data = indexed
    version = newsbot("--version")
    assert version.returncode == 0 and re.fullmatch(r"newsbot \S+\n", version.stdout)
    # -v and --data before or after the command; the words of an unquoted question are joined.
    before = newsbot("-v", "--data", str(data), "ask", "--json", "Who", "led", "the", "ferry", "campaign?")
    after = newsbot("ask", "--json", "Who", "led", "the", "ferry", "campaign?", "--data", str(data), "-v")
    for result in (before, after):
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["question"] == "Who led the ferry campaign?" and "Adeyemi" in doc["answer"]
    # --articles means nothing to ask: refused, not silently ignored.
    ignored = newsbot("ask", "Who led it?", "--articles", "elsewhere", "--data", str(data))
    assert ignored.returncode == 2 and "unrecognized arguments: --articles" in ignored.stderr
    for name in ("index", "articles", "ask", "chat", "eval", "slack", "model"):
        helped = newsbot(name, "--help")
        assert helped.returncode == 0 and "examples:" in helped.stdout, name
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in commands.choices.items():
        assert command.description, f"{name} has no description"
        for action in command._actions:
            assert action.help, f"newsbot {name} {action.option_strings or action.dest}: no help text"


def test_ask_json_reports_a_bad_question_as_json(indexed: tuple[Path, Path]) -> None:
    _, data = indexed
    result = newsbot("ask", "--json", "   ", "--data", str(data))
    assert result.returncode == 2
    doc = json.loads(result.stdout)
    assert set(doc) == {"question", "error"} and doc["question"] == "   "
    assert doc["error"].startswith("the question is empty") and result.stderr == ""


def test_a_closed_pipe_ends_quietly(indexed: tuple[Path, Path]) -> None:
    """`newsbot ask --json - < questions | head -1`: the reader leaves; no error, no traceback."""
    _, data = indexed
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "-", "--data", str(data)],
        cwd=ROOT,
        env=cli_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write("Who led the ferry campaign?\n")
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["found"]
    proc.stdout.close()  # `head -1` exits
    proc.stdin.write("How much will the ferry project cost?\n" * 200)
    proc.stdin.close()
    assert proc.wait(timeout=60) == 141
    assert proc.stderr.read() == ""


def test_eval_names_a_missing_file_and_a_missing_field(indexed: tuple[Path, Path], tmp_path: Path) -> None:
    _, data = indexed
    missing = newsbot("eval", str(tmp_path / "nope.jsonl"), "--data", str(data))
    assert (
        missing.returncode == 1
        and f"the question file {tmp_path / 'nope.jsonl'} does not exist" in missing.stderr
    )
    no_id = tmp_path / "no_id.jsonl"
    no_id.write_text(json.dumps({"question": "Who led it?", "answerable": True}) + "\n")
    result = newsbot("eval", str(no_id), "--data", str(data))
    assert (
        result.returncode == 1
        and "line 1 has no 'id'; the format is one JSON object per line" in result.stderr
    )
    assert "unexpectedly" not in missing.stderr + result.stderr


def _session(
    answerer: ExtractiveAnswerer | None, index: Index, articles: Path, *lines: str, **kw: object
) -> str:
    """A REPL transcript over a real index; "<ctrl-c in reindex>" makes the next /reindex be
    interrupted the way Ctrl-C interrupts it."""
    script = iter(lines)
    interrupt = []

    def read_line(prompt: str) -> str:
        line = next(script, None)
        if line is None:
            raise EOFError
        if line == "<ctrl-c in reindex>":
            interrupt.append(True)
            return "/reindex"
        return line

    def reindex(progress: Progress) -> str:
        if interrupt:
            interrupt.clear()
            raise KeyboardInterrupt
        return index.sync(articles, max_bytes=5_000_000, progress=progress).summary()

    out = io.StringIO()
    Repl(answerer, Console(file=out, width=120, color_system=None), read_line, reindex=reindex,
         articles=index.articles, **kw).run()  # type: ignore[arg-type]  # fmt: skip
    return out.getvalue()


def test_repl_quit_words_sources_after_refusal_interrupted_and_shown_reindex(
    articles: Path, data: Path
) -> None:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    index = Index(data, HashEmbedder())
    index.sync(articles, max_bytes=5_000_000)
    answerer = ExtractiveAnswerer(index.searcher())
    (articles / "zoo.txt").write_text("Zoo opens\n\nThe city zoo opened a zebra enclosure with six zebras.\n")
    transcript = _session(
        answerer, index, articles,
        "Who is the police chief of Harbour?", "/sources",  # a refusal's sources: the closest match
        "<ctrl-c in reindex>", "Who led the ferry campaign?",  # Ctrl-C stops the reindex, not the REPL
        "/reindex", "exit", "Who is still here?",
    )  # fmt: skip
    # /sources after a refusal: the closest passage in full, labelled as not an answer.
    assert "Closest match (not an answer):\nHarbour council backs ferry link  (ferry.txt)\n    " in transcript
    assert "reindex stopped; the articles written so far are kept" in transcript
    assert "Ruth Adeyemi" in transcript.split("reindex stopped", 1)[1]  # the session went on
    assert "1/1 100%" in transcript  # /reindex shows its progress (the zoo's one chunk)
    assert "2 articles: 1 added" in transcript
    # `exit` ended it: neither it nor the question after it was answered (one refusal: the first).
    assert transcript.rstrip().endswith("bye")
    assert transcript.count("I couldn't find that in the indexed articles.") == 1
    for word in ("quit", ":q", "QUIT", "bye"):
        assert "Ruth Adeyemi" not in _session(answerer, index, articles, word, "Who led the ferry campaign?")
    # A bare "help" is the terminal's /help, with its commands, not a question.
    assert "/sources   full passages" in _session(answerer, index, articles, "help")
    # "?" matches nothing: no closest match, and /sources says there are none rather than "ask first".
    nothing = _session(answerer, index, articles, "?", "/sources")
    assert "Closest match" not in nothing and "The last answer has no sources to show." in nothing


def test_blank_lines_stay_out_of_the_question_history(tmp_path: Path) -> None:
    from bot.repl import question_history

    history = question_history(tmp_path / "history")
    for line in ("Who led it?", "   ", "", "And when?"):
        history.append_string(line)
    assert list(history.load_history_strings()) == ["And when?", "Who led it?"]


def test_chat_on_an_empty_index_offers_to_index_the_articles(articles: Path, data: Path) -> None:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    accepted = newsbot(
        "chat", "--articles", str(articles), "--data", str(data), stdin="\nWho led the ferry campaign?\n"
    )
    assert accepted.returncode == 0, accepted.stderr
    assert "Nothing is indexed yet" in accepted.stdout and "1 article: 1 added" in accepted.stdout
    assert "Ruth Adeyemi" in accepted.stdout
    other = data.parent / "other-data"
    script = "n\nWho led it?\n/reindex\nWho led the ferry campaign?\n"
    declined = newsbot("chat", "--articles", str(articles), "--data", str(other), stdin=script)
    assert declined.returncode == 0, declined.stderr
    assert "no articles indexed yet" in declined.stdout  # asked before indexing: told, not thrown out
    assert "Ruth Adeyemi" in declined.stdout.split("1 article: 1 added", 1)[1]


def test_a_source_prints_its_passage_plain_indented_and_without_doubled_quotes() -> None:
    from bot.answer import Citation
    from bot.render import source_line

    passage = "“If reinforcements come from Kabul, the Taliban can not enter the town,” mentioned Selab. " * 3
    c = Citation(1, "a.txt", "Taliban enter Kunduz", "", "", passage.strip(), 0, len(passage), 1.0)
    console = Console(width=60, record=True, color_system="standard", force_terminal=True)
    console.print(source_line(c, full=True))
    lines = console.export_text().splitlines()
    assert lines[0].startswith("[1] Taliban enter Kunduz")
    assert all(line.startswith("    ") for line in lines[1:]) and len(lines) > 3  # wrapped, still indented
    assert "““" not in console.export_text() and lines[1].strip().startswith("“If reinforcements")
    styled = [seg for seg in console.render(source_line(c, full=True)) if "reinforcements" in seg.text]
    assert styled and all(not (seg.style and (seg.style.bold or seg.style.color)) for seg in styled)


def test_plain_answers_into_a_pipe_are_unwrapped_and_a_stream_names_each_question(
    indexed: tuple[Path, Path],
) -> None:
    _, data = indexed
    one = newsbot("ask", "Who led the ferry campaign?", "--data", str(data))
    assert all(line == line.rstrip() for line in one.stdout.splitlines())  # no padding to 80 columns
    assert any(len(line) > 80 for line in one.stdout.splitlines())  # and no hard wrap at 80
    assert "Opponents said the money should repair the sea wall first." in one.stdout  # nor cropping
    stream = newsbot(
        "ask", "-", "--data", str(data), stdin="Who led the ferry campaign?\nHow much will it cost?\n"
    )
    assert stream.returncode == 0
    assert (
        "─── Who led the ferry campaign?" in stream.stdout and "─── How much will it cost?" in stream.stdout
    )
    assert stream.stdout.index("─── How much") > stream.stdout.index("Ruth Adeyemi")


def test_history_lists_shows_resumes_expires_and_clears(indexed: tuple[Path, Path]) -> None:
    articles, data = indexed
    folders = ("--articles", str(articles), "--data", str(data))
    assert newsbot("chat", *folders, stdin="Who led the ferry campaign?\n").returncode == 0
    listed = newsbot("history", "--data", str(data))
    [line] = listed.stdout.splitlines()
    conversation = line.split()[0]
    assert "1 turn" in line and line.endswith("Who led the ferry campaign?")
    shown = newsbot("history", "last", "--data", str(data))
    assert "> Who led the ferry campaign?" in shown.stdout and "Ruth Adeyemi" in shown.stdout
    assert "[1] Harbour council backs ferry link" in shown.stdout  # the citations were kept
    assert f"newsbot chat --continue {conversation}" in shown.stdout
    # Going on with it: the follow-up reads the earlier turn, and lands in the same conversation.
    resumed = newsbot("chat", *folders, "--continue", stdin="and what did opponents want?\n")
    assert f"going on with conversation {conversation} (1 turn)" in resumed.stderr
    assert "sea wall" in resumed.stdout
    [line] = newsbot("history", "--data", str(data)).stdout.splitlines()
    assert line.startswith(conversation) and "2 turns" in line
    assert newsbot("history", conversation[:4], "--data", str(data)).stdout.count("> ") == 2
    # Retention: 0 days keeps nothing (and drops what was kept).
    env = cli_env(NEWSBOT_HISTORY_DAYS="0")
    assert newsbot("chat", *folders, stdin="Who led the ferry campaign?\n", env=env).returncode == 0
    assert "no conversations yet" in newsbot("history", "--data", str(data), env=env).stdout
    newsbot("chat", *folders, stdin="Who led the ferry campaign?\n")
    assert newsbot("history", "--clear", "--data", str(data)).stdout == "forgot 1 turn\n"
    missing = newsbot("chat", *folders, "--continue")
    assert missing.returncode == 1 and "there is no earlier conversation to go on with" in missing.stderr


def test_a_resumed_conversation_keeps_what_each_answer_marked(
    articles: Path, data: Path, tmp_path: Path
) -> None:
    """`chat --continue` reads turns back from the log: with their marks, so "what did she say?"
    can stand for the person the answer before named."""
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    index = Index(data, HashEmbedder())
    index.sync(articles, max_bytes=5_000_000)
    answer = ExtractiveAnswerer(index.searcher()).answer("Who led the ferry campaign?")
    assert answer.found and answer.highlights
    log = tmp_path / "old.sqlite3"
    # A log from before marks were kept opens, and its turns read back without marks.
    with sqlite3.connect(log) as db:
        db.execute(
            "CREATE TABLE turns (conversation TEXT NOT NULL, at REAL NOT NULL, question TEXT NOT NULL,"
            " standalone TEXT NOT NULL, answer TEXT NOT NULL, found INTEGER NOT NULL,"
            " citations TEXT NOT NULL, mode TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO turns VALUES ('c1', ?, 'Who?', 'Who?', 'Ruth.', 1, '[]', 'extractive')",
            (time.time(),),
        )
    history = History(log, keep_days=30)
    assert [t.highlights for t in history.turns("c1")] == [[]]
    history.add("c2", answer)
    [kept] = history.turns("c2")
    assert kept.highlights == answer.highlights and kept.text == answer.text
    history.close()


def test_repl_prints_error_text_as_text_not_markup(articles: Path, data: Path) -> None:
    (articles / "ferry.txt").write_text(STORY, encoding="utf-8")
    index = Index(data, HashEmbedder())
    index.sync(articles, max_bytes=5_000_000)

    def broken(progress: Progress) -> str:
        raise NewsbotError("the articles folder /srv/[news] [/b] cannot be read")

    out = io.StringIO()
    lines = iter(["/reindex"])

    def read_line(prompt: str) -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError
        return line

    answerer = ExtractiveAnswerer(index.searcher())
    Repl(answerer, Console(file=out, width=120), read_line, reindex=broken, articles=index.articles).run()
    assert "error: the articles folder /srv/[news] [/b] cannot be read" in out.getvalue()
