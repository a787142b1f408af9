"""Loading articles: formats, titles, ids, and every kind of bad file (skipped with a reason)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index.articles import TITLE_CHARS, load_folder, read_article_text
from index.errors import NewsbotError
from tests.conftest import shared


def test_txt_headline_then_blank_line(articles: Path) -> None:
    (articles / "a.txt").write_text(
        "Ad sales boost Time Warner profit\n\nQuarterly profits rose 76%.\n", encoding="utf-8"
    )
    [art] = load_folder(articles).articles
    assert art.id == "a.txt"
    assert art.title == "Ad sales boost Time Warner profit"
    assert art.text[art.body_start :].startswith("Quarterly profits")


def test_txt_without_headline_takes_first_sentence_trimmed(articles: Path) -> None:
    long_first = (
        "The regional transport authority announced on Monday "
        + "a very long list of changes " * 5
        + "today."
    )
    (articles / "b.txt").write_text(long_first + " Second sentence.\n", encoding="utf-8")
    [art] = load_folder(articles).articles
    assert art.body_start == 0
    assert len(art.title) <= TITLE_CHARS + 1 and art.title.endswith("…")
    assert art.title.startswith("The regional transport authority announced")


def test_markdown_front_matter(articles: Path) -> None:
    (articles / "m.md").write_text(
        "---\ntitle: Bridge reopens\ndate: 2024-05-02\nurl: https://example.org/b\nsource: Gazette\n---\n"
        "The bridge reopened on Friday. Traffic was light.\n",
        encoding="utf-8",
    )
    [art] = load_folder(articles).articles
    assert (art.title, art.published_at, art.url, art.source) == (
        "Bridge reopens",
        "2024-05-02",
        "https://example.org/b",
        "Gazette",
    )
    assert art.text[art.body_start :].startswith("The bridge reopened")
    assert art.offset_base == "file"


def test_json_object_list_and_jsonl_ids(articles: Path) -> None:
    (articles / "one.json").write_text(json.dumps({"title": "T", "body": "Body one. More.", "url": "u"}))
    (articles / "many.json").write_text(
        json.dumps([{"title": "A", "text": "Alpha."}, {"title": "B", "body": "Beta."}])
    )
    (articles / "feed.jsonl").write_text(
        json.dumps({"title": "L1", "body": "Line one.", "published_at": "2024-01-01"})
        + "\n\n"
        + json.dumps({"title": "L3", "body": "Line three."})
        + "\n"
    )
    folder = load_folder(articles)
    by_id = {a.id: a for a in folder.articles}
    assert set(by_id) == {"one.json", "many.json#1", "many.json#2", "feed.jsonl#1", "feed.jsonl#3"}
    assert by_id["many.json#1"].text == "Alpha."
    assert by_id["feed.jsonl#1"].published_at == "2024-01-01"
    assert all(a.offset_base == "body" for a in folder.articles)
    assert folder.skips == []


def test_malformed_jsonl_line_skips_only_that_line(articles: Path) -> None:
    (articles / "feed.jsonl").write_text(
        '{"title": "ok", "body": "Fine."}\n{"title": broken\n{"body": "Also fine."}\n'
    )
    folder = load_folder(articles)
    assert [a.id for a in folder.articles] == ["feed.jsonl#1", "feed.jsonl#3"]
    [skip] = folder.skips
    assert skip.id == "feed.jsonl#2" and "not valid JSON" in skip.reason


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n ", "empty file"),
        ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        # Neither UTF-8 nor Windows-1252 text (0x81 is undefined in it); JSON is UTF-8 only.
        (
            "mixed.txt",
            b"Headline\n\nCaf\xe9 \x81 au lait.",
            "not valid UTF-8 (byte 0xe9 at offset 13) nor Windows-1252",
        ),
        ("latin1.json", '{"title": "Caf\xe9", "body": "Caf\xe9."}'.encode("latin-1"), "not valid UTF-8"),
        ("bad.json", b'{"title": "x", "body": ', "not valid JSON"),
        ("nobody.json", b'{"title": "x"}', "no 'body' or 'text'"),
        ("list.json", b"[1]", "not a JSON object"),
        ("fm.md", b"---\ntitle: [unclosed\n---\nBody.", "front matter is not valid YAML"),
        ("fm2.md", b"---\n- a\n- b\n---\nBody.", "not a YAML mapping"),
        ("doc.pdf", b"%PDF-1.4", "unsupported file type"),
    ],
)
def test_bad_files_are_skipped_with_a_named_reason(
    articles: Path, name: str, content: bytes, reason: str
) -> None:
    (articles / name).write_bytes(content)
    (articles / "good.txt").write_text("Good headline\n\nGood body text.\n", encoding="utf-8")
    folder = load_folder(articles)
    assert [a.id for a in folder.articles] == ["good.txt"]
    assert len(folder.skips) == 1
    assert folder.skips[0].id.startswith(name) and reason in folder.skips[0].reason
    assert name in str(folder.skips[0])


def test_a_real_windows_1252_article_is_read_as_such(articles: Path) -> None:
    # The BBC corpus ships a Windows-1252 file ("a \xa315.8m signing"): newsroom archives hold
    # such files, and they were skipped as "not valid UTF-8".
    source = shared("data/bbc/sport/199.txt")
    path = articles / "199.txt"
    path.write_bytes(source.read_bytes())
    folder = load_folder(articles)
    [art] = folder.articles
    assert folder.skips == [] and art.title == "Chelsea sack Mutu"
    assert "a \u00a315.8m signing" in art.text
    # Offsets refer to the text as read back with the same encoding.
    assert art.text == read_article_text(path)
    assert "\u00a3" in read_article_text(path)


def test_oversized_file_is_skipped(articles: Path) -> None:
    (articles / "big.txt").write_text("Headline\n\n" + "Word. " * 400, encoding="utf-8")
    folder = load_folder(articles, max_bytes=1000)
    assert folder.articles == [] and "over the" in folder.skips[0].reason


def test_hidden_files_and_folders_are_ignored(articles: Path) -> None:
    (articles / ".draft.txt").write_text("Hidden\n\nNot indexed.\n")
    (articles / ".git").mkdir()
    (articles / ".git" / "x.txt").write_text("Hidden\n\nNot indexed.\n")
    (articles / "sub").mkdir()
    (articles / "sub" / "shown.txt").write_text("Shown\n\nIndexed.\n")
    folder = load_folder(articles)
    assert [a.id for a in folder.articles] == ["sub/shown.txt"] and folder.skips == []


def test_symlink_outside_the_folder_is_not_followed(articles: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret\n\nDo not index me.\n")
    os.symlink(secret, articles / "link.txt")
    folder = load_folder(articles)
    assert folder.articles == [] and "outside the articles folder" in folder.skips[0].reason


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NewsbotError, match="does not exist"):
        load_folder(tmp_path / "nope")


def test_crlf_and_bom_text_matches_what_open_returns(articles: Path) -> None:
    path = articles / "win.txt"
    path.write_bytes("\ufeffHeadline\r\n\r\nFirst sentence.\r\nSecond one.\r\n".encode())
    [art] = load_folder(articles).articles
    assert art.text == read_article_text(path)
    assert art.title == "Headline"
