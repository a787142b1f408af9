"""Chunk offsets are exact: the article text sliced [start:end] is the chunk text."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from index.articles import load_folder, read_article_text
from index.chunking import MAX_CHARS, MAX_SENTENCES, chunk_text, sentence_spans
from index.sync import _records
from tests.conftest import ROOT


def _check_chunks(text: str, body_start: int) -> None:
    chunks = chunk_text(text, body_start)
    assert chunks, "an article with text yields chunks"
    previous_end = body_start
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.start >= previous_end and c.text == c.text.strip()
        assert len(c.text) <= MAX_CHARS
        previous_end = c.end
    # Nothing is lost: every non-space character of the body is in some chunk.
    covered = "".join(c.text for c in chunks)
    assert re.sub(r"\s", "", covered) == re.sub(r"\s", "", text[body_start:])


def test_every_chunk_of_the_shipped_seed_article_slices_from_the_file(articles: Path) -> None:
    # The shipped article only, copied out: what a user adds to seeds/ must not break the tests
    # (a .json article's offsets are into its body: test_offsets_for_json_... covers those).
    shutil.copy(ROOT / "seeds" / "taliban-enter-kunduz-and-maimana-spun.txt", articles)
    folder = load_folder(articles)
    assert len(folder.articles) == 1
    for article in folder.articles:
        file_text = read_article_text(articles / article.path)
        for record in _records(article, "now"):
            meta = record.metadata
            assert file_text[int(meta["start"]) : int(meta["end"])] == record.text
        _check_chunks(article.text, article.body_start)


def test_offsets_for_json_refer_to_the_body_and_md_to_the_file(articles: Path) -> None:
    body = (
        'Officials said on Monday the plan "will work." The vote was 7 to 2.\n\nDr. Lee disagreed. She left.'
    )
    (articles / "a.json").write_text(json.dumps({"title": "T", "body": body}), encoding="utf-8")
    (articles / "b.md").write_text("---\ntitle: B\n---\n" + body, encoding="utf-8")
    folder = load_folder(articles)
    for article in folder.articles:
        records = _records(article, "now")
        assert len(records) >= 2
        stored = body if article.offset_base == "body" else read_article_text(articles / article.path)
        for r in records:
            assert stored[int(r.metadata["start"]) : int(r.metadata["end"])] == r.text
            assert r.metadata["offset_base"] == article.offset_base


def test_sentences_respect_abbreviations_initials_and_quotes() -> None:
    text = 'Mr. Smith of the U.S. Army spoke at 5 p.m. on Monday. J. R. Jones said "no." Then he left! Done?'
    got = [text[s.start : s.end] for s in sentence_spans(text)]
    assert got == [
        "Mr. Smith of the U.S. Army spoke at 5 p.m. on Monday.",
        'J. R. Jones said "no."',
        "Then he left!",
        "Done?",
    ]


def test_chunks_hold_at_most_three_sentences_and_long_sentences_are_cut() -> None:
    text = " ".join(f"Sentence number {i} is short." for i in range(10))
    chunks = chunk_text(text)
    assert all(len(sentence_spans(c.text)) <= MAX_SENTENCES for c in chunks)
    long_sentence = "word, " * 300 + "end."
    pieces = chunk_text(long_sentence)
    assert len(pieces) > 1 and all(len(p.text) <= MAX_CHARS for p in pieces)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"abc XYZ.,!?\"'’”“\n\t-1", "Mr.", "U.S.", " é", "\n\n", "…", "🚀", "Word. Next"]),
        min_size=1,
        max_size=200,
    )
    .map("".join)
    .filter(str.strip)
)
def test_any_text_chunks_into_exact_ordered_slices(text: str) -> None:
    _check_chunks(text, 0)
