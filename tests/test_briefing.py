"""Briefings: "what did the articles say about X?", "what's the latest on X?", "summarize the
article". The articles under tests/fixtures/briefing are written for these tests (fictional):
a second and a third article about Kunduz (dated 2026 and 2016), a near-identical wire copy of
the 2026 one, and an unrelated one. The seed article is the first about Kunduz (undated)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.briefing import Request, _age, detect
from bot.extractive import ExtractiveAnswerer
from index.articles import Article, load_folder
from index.chunking import sentence_spans
from index.indexer import Index
from tests.conftest import ROOT, newsbot
from tests.fakes import HashEmbedder

FIXTURES = ROOT / "tests" / "fixtures" / "briefing"
SEED = next((ROOT / "seeds").glob("*.txt"))


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What did the articles say about Kunduz?", ("about", "Kunduz")),
        ("what do the reports say about the Taliban offensive", ("about", "the Taliban offensive")),
        ("Tell me about Maimana.", ("about", "Maimana")),
        ("Can you tell me more about the U.S. withdrawal?", ("about", "the U.S. withdrawal")),
        ("What do we know about Amruddin Wali?", ("about", "Amruddin Wali")),
        ("Give me an overview of the fighting in Takhar", ("about", "the fighting in Takhar")),
        ("Brief me on Kunduz", ("about", "Kunduz")),
        ("give me a quick rundown of the situation in Maimana", ("about", "the situation in Maimana")),
        ("Can you give me a short overview of Kunduz?", ("about", "Kunduz")),
        ("Catch me up on the Taliban offensive", ("about", "the Taliban offensive")),
        ("fill me in on Kunduz", ("about", "Kunduz")),
        ("Bring me up to speed on the U.S. withdrawal.", ("about", "the U.S. withdrawal")),
        ("Summarize the articles about Faryab", ("about", "Faryab")),
        ("What's the latest on the fighting?", ("latest", "the fighting")),
        ("what’s the latest news on Kunduz", ("latest", "Kunduz")),
        ("Any updates on Maimana?", ("latest", "Maimana")),
        ("Summarize the article", ("summary", "")),
        ("Please summarise this story.", ("summary", "")),
        ("Give me a summary of the article about Yukos", ("summary", "Yukos")),
        ("Summarize the article on the ferry link please", ("summary", "the ferry link")),
        # Factoid questions keep their short answers.
        ("Who is Sebghatullah Selab?", None),
        ("What does the article say about who Amruddin Wali is?", None),  # a question as the topic
        ("What did Amruddin Wali say about the fighting?", None),
        ("When did the U.S. withdrawal begin?", None),
        ("How many districts are there in Afghanistan?", None),
        ("Which provincial capitals did the Taliban enter?", None),
        ("What is the latest casualty figure?", None),
        ("Tell me who leads the Taliban", None),
        ("and about Maimana?", None),  # a follow-up only after a briefing
        ("What is known about the complexity between L and P that prevents determining the value?", None),
    ],
)
def test_briefing_requests_are_told_from_factoid_questions(
    question: str, expected: tuple[str, str] | None
) -> None:
    request = detect(question)
    assert (request and (request.kind, request.topic)) == expected


def test_follow_ups_after_a_briefing_are_briefings_on_the_new_topic() -> None:
    before = Request("about", "Kunduz").canonical()
    assert detect("and about Maimana?", before) == Request("about", "Maimana")
    assert detect("What about Takhar?", before) == Request("about", "Takhar")
    assert detect("and Faryab?", Request("latest", "Kunduz").canonical()) == Request("latest", "Faryab")
    assert detect("Who is Sebghatullah Selab?", before) is None
    assert detect("and about Maimana?", "Who is Sebghatullah Selab?") is None


def _answerer(tmp_path: Path, *names: str) -> ExtractiveAnswerer:
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    for name in names:
        shutil.copy(FIXTURES / name, articles / name)
    index = Index(tmp_path / "data", HashEmbedder())
    index.sync(articles, max_bytes=5_000_000)
    return ExtractiveAnswerer(index.searcher())


def read_article(folder: Path, path: Path) -> Article:
    return {a.id: a for a in load_folder(folder).articles}[path.relative_to(folder).as_posix()]


def _verbatim(answer: Answer, articles: Path) -> None:
    """Every citation is its article's text[start:end], and every quote sits inside its citation."""
    by_n = {c.n: c for c in answer.citations}
    for c in answer.citations:
        article = read_article(articles, articles / c.article)
        assert article.text[c.start : c.end] == c.text
    for group in answer.briefing or []:
        for text, n in group.quotes:
            assert text in by_n[n].text and by_n[n].article == group.article


def _mentions(path: Path, word: str) -> list[str]:
    article = read_article(path.parent, path)
    body = article.text[article.body_start :]
    sentences = [body[s.start : s.end] for s in sentence_spans(body)]
    return [s for s in sentences if word in s and s.strip() != article.title]


def test_briefing_quotes_every_article_about_x_grouped_newest_first(tmp_path: Path) -> None:
    answerer = _answerer(tmp_path, "kunduz-day-two.md", "kunduz-2016.md", "ferry.md")
    answer = answerer.answer("What did the articles say about Kunduz?")
    assert answer.found and answer.briefing is not None
    # Dated articles newest first, the undated seed last; the ferry article nowhere.
    assert [g.article for g in answer.briefing] == ["kunduz-day-two.md", "kunduz-2016.md", SEED.name]
    assert [g.published_at[:10] for g in answer.briefing] == ["2026-11-29", "2016-10-04", ""]
    assert answer.briefing[0].source == "Example Wire"
    quoted = {text for g in answer.briefing for text, _ in g.quotes}
    for name, path in [("kunduz-day-two.md", FIXTURES / "kunduz-day-two.md"), (SEED.name, SEED)]:
        wanted = _mentions(path, "Kunduz")
        got = [s for s in wanted if s in quoted]
        assert len(got) >= 0.8 * len(wanted), (name, set(wanted) - quoted)
    _verbatim(answer, tmp_path / "articles")
    # Each article's quotes keep its own order; the text says where each comes from.
    assert answer.text.index("Fighting spreads through Kunduz") < answer.text.index(
        "Afghan forces push Taliban"
    )
    assert answer.more_articles == 0


def test_near_identical_wire_copies_are_quoted_once(tmp_path: Path) -> None:
    answerer = _answerer(tmp_path, "kunduz-day-two.md", "kunduz-day-two-wire-copy.md")
    answer = answerer.answer("What did the articles say about Kunduz?")
    assert answer.briefing is not None
    copies = {"kunduz-day-two.md", "kunduz-day-two-wire-copy.md"}
    assert len(copies & {g.article for g in answer.briefing}) == 1
    quotes = [text for g in answer.briefing for text, _ in g.quotes]
    assert sum("Residents of Kunduz described long" in q for q in quotes) == 1


def test_latest_orders_by_date_and_says_how_old_the_newest_is(tmp_path: Path) -> None:
    answerer = _answerer(tmp_path, "kunduz-2016.md", "kunduz-day-two.md")
    answer = answerer.answer("What's the latest on Kunduz?")
    assert answer.briefing is not None
    assert [g.published_at[:10] for g in answer.briefing] == ["2026-11-29", "2016-10-04", ""]
    intro = answer.text.split("\n\n")[0]
    assert "2026-11-29" in intro and _age("2026-11-29") in intro
    assert _age("2026-11-29", now=datetime(2026, 12, 2, tzinfo=UTC)) == "3 days old"


def test_follow_up_briefing_and_unknown_topic(tmp_path: Path) -> None:
    answerer = _answerer(tmp_path, "kunduz-day-two.md")
    first = answerer.answer("What did the articles say about Kunduz?")
    then = answerer.answer("and about Maimana?", [first])
    quotes = [t for g in then.briefing or [] for t, _ in g.quotes]
    assert quotes and all("Maimana" in t for t in quotes)
    nothing = answerer.answer("What did the articles say about Zanzibar?")
    assert not nothing.found and nothing.briefing is None
    # Typed in chat, with a greeting: still a briefing, shown as typed.
    typed = "Hi, what did the articles say about Kunduz?"
    greeted = answerer.answer(typed)
    assert greeted.briefing and greeted.question == typed


def test_summary_is_the_central_sentences_in_the_articles_order(tmp_path: Path) -> None:
    answerer = _answerer(tmp_path)
    answer = answerer.answer("Summarize the article")
    assert answer.found and answer.briefing is not None and len(answer.briefing) == 1
    quotes = [text for text, _ in answer.briefing[0].quotes]
    assert 5 <= len(quotes) <= 8
    body = SEED.read_text(encoding="utf-8")
    positions = [body.index(q) for q in quotes]
    assert positions == sorted(positions)
    _verbatim(answer, tmp_path / "articles")


def test_summary_needs_to_know_which_article(tmp_path: Path) -> None:
    answerer = _answerer(tmp_path, "ferry.md")
    which = answerer.answer("Summarize the article")
    assert not which.found and "say which one" in which.text
    ferry = answerer.answer("Summarize the article about the ferry link")
    assert ferry.briefing is not None and ferry.briefing[0].article == "ferry.md"
    # After a question, "the article" is the one the answer came from.
    asked = answerer.answer("Who led the campaign for the ferry link?")
    after = answerer.answer("Summarize the article", [asked])
    assert after.briefing is not None and after.briefing[0].article == "ferry.md"


def test_json_carries_the_grouping(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(SEED, articles / SEED.name)
    shutil.copy(FIXTURES / "kunduz-day-two.md", articles / "kunduz-day-two.md")
    data = str(tmp_path / "data")
    assert newsbot("index", "--articles", str(articles), "--data", data).returncode == 0
    run = newsbot("ask", "--json", "--data", data, "What did the articles say about Kunduz?")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["found"] is True and out["more_articles"] == 0
    assert [set(g) >= {"article", "title", "published_at", "citations"} for g in out["briefing"]] == [
        True,
        True,
    ]
    assert out["briefing"][0]["published_at"].startswith("2026-11-29")
    numbers = {c["n"] for c in out["citations"]}
    assert {n for g in out["briefing"] for n in g["citations"]} == numbers
    for c in out["citations"]:
        assert f"[{c['n']}]" in out["answer"]
        text = read_article(articles, articles / c["article"]).text
        assert text[c["start"] : c["end"]] == c["text"]
