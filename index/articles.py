"""Read articles from a folder: .txt, .md (YAML front matter), .json and .jsonl.

Every article keeps the exact text its chunk offsets refer to: the file as
`open(path, encoding="utf-8").read()` returns it for .txt/.md (Windows-1252 for one that is not
valid UTF-8: `article_encoding` says which), and the decoded body
string for .json/.jsonl. Bad files are returned as `Skip`s with a reason, never raised.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from index.errors import NewsbotError

log = logging.getLogger(__name__)

SUPPORTED = (".txt", ".md", ".markdown", ".json", ".jsonl")
TITLE_CHARS = 80
# Bump when loading or chunking changes what gets indexed, so a sync re-embeds everything.
FORMAT_VERSION = "3"  # 3: sentence spans and vectors in every chunk


@dataclass(frozen=True)
class Article:
    id: str  # path relative to the articles folder, plus "#N" for item N of a .jsonl/.json list
    path: str  # the file, relative to the articles folder
    title: str
    text: str  # what chunk offsets index into (see module docstring)
    body_start: int  # where the body starts in `text` (after a headline or front matter)
    url: str = ""
    published_at: str = ""
    source: str = ""
    offset_base: Literal["file", "body"] = "file"

    @property
    def content_hash(self) -> str:
        payload = json.dumps(
            [FORMAT_VERSION, self.title, self.text, self.body_start, self.url, self.published_at, self.source]
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Skip:
    id: str  # the file (or "file#N" for one bad record) that was skipped
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.id}: {self.reason}"


@dataclass
class Folder:
    articles: list[Article]
    skips: list[Skip]

    def skipped_ids(self) -> set[str]:
        return {s.id for s in self.skips}


def load_folder(root: Path, max_bytes: int = 5 * 1024 * 1024) -> Folder:
    """Load every supported article under `root`, skipping hidden files and folders."""
    if not root.is_dir():
        raise NewsbotError(f"articles folder {root} does not exist or is not a folder")
    real_root = root.resolve()
    folder = Folder([], [])
    for path in _walk(root):
        rel = path.relative_to(root).as_posix()
        try:
            real = path.resolve(strict=True)
        except OSError as err:
            folder.skips.append(Skip(rel, f"cannot be read ({err.strerror or err})"))
            continue
        if not real.is_relative_to(real_root):
            folder.skips.append(Skip(rel, "symlink points outside the articles folder; not followed"))
            continue
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED:
            folder.skips.append(Skip(rel, f"unsupported file type ({suffix or 'no extension'})"))
            continue
        text_or_skip = _read_text(path, rel, max_bytes)
        if isinstance(text_or_skip, Skip):
            folder.skips.append(text_or_skip)
            continue
        loader = {".txt": _load_txt, ".md": _load_md, ".markdown": _load_md}.get(suffix, _load_json)
        for item in loader(rel, text_or_skip):
            if isinstance(item, Article):
                folder.articles.append(item)
            else:
                folder.skips.append(item)
    return folder


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


# Text saved by older Windows editors and newsroom systems is often Windows-1252 ("a \xa315.8m
# signing" in a BBC sport story): read as such when it is not valid UTF-8. Not JSON, which is
# UTF-8 by definition (RFC 8259).
FALLBACK_ENCODING = "cp1252"
_FALLBACK_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
# Control characters no text file holds: decoded from bytes that were not text after all.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def article_encoding(data: bytes, suffix: str) -> str:
    """The encoding an article file is read with: UTF-8, or Windows-1252 for a .txt/.md file
    that is not valid UTF-8 but is valid Windows-1252 text. Raises the UTF-8 UnicodeDecodeError
    when neither reads it."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        if suffix.lower() not in _FALLBACK_SUFFIXES:
            raise
        try:
            text = data.decode(FALLBACK_ENCODING)
        except UnicodeDecodeError:
            text = "\x00"
        if _NOT_TEXT.search(text):
            raise
        return FALLBACK_ENCODING


def _decode(data: bytes, encoding: str) -> str:
    # Decoded exactly as open() does (universal newlines), so offsets agree with what readers of
    # the file see.
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding).read()


def read_article_text(path: Path) -> str:
    """The text exactly as `open(path, encoding=...).read()` gives it (universal newlines), with
    the encoding the indexer read it with: UTF-8, or Windows-1252 where UTF-8 fails."""
    data = path.read_bytes()
    return _decode(data, article_encoding(data, path.suffix))


def _read_text(path: Path, rel: str, max_bytes: int) -> str | Skip:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Skip(
                rel, f"{size / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB limit (NEWSBOT_MAX_FILE_MB)"
            )
        data = path.read_bytes()
    except OSError as err:
        return Skip(rel, f"cannot be read ({err.strerror or err})")
    if not data.strip():
        return Skip(rel, "empty file")
    if b"\x00" in data[:8192]:
        return Skip(rel, "binary file (contains NUL bytes)")
    try:
        encoding = article_encoding(data, path.suffix)
    except UnicodeDecodeError as err:
        also = " nor Windows-1252 text" if path.suffix.lower() in _FALLBACK_SUFFIXES else ""
        return Skip(rel, f"not valid UTF-8 (byte 0x{data[err.start]:02x} at offset {err.start}){also}")
    if encoding != "utf-8":
        log.info("%s is not valid UTF-8: read as %s", rel, encoding)
    return _decode(data, encoding)


# --- .txt -----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?](?=[\"'’”)\]]*(\s|$))")


# "KABUL, Afghanistan — ", "LONDON (Reuters) - ": where a wire story starts, not what it says.
_DATELINE = re.compile(
    r"^[A-Z][A-Z.'’]+(?:[ -][A-Z][A-Z.'’]+)*(?:,\s*[A-Z][\w.'’ -]{1,40})?"
    r"(?:\s*[—–]\s+|\s*\([^)]{1,40}\)\s*[—–-]+\s+)"
)
_CLAUSE_END = re.compile(r"[,;:]\s|\s[—–]\s")


def dateline_length(text: str) -> int:
    """How many characters of `text` (an article's first sentence) are its dateline: 0 if none."""
    m = _DATELINE.match(text)
    return m.end() if m else 0


def first_sentence_title(text: str) -> str:
    """A title for an article with no headline: its first sentence without the dateline, cut at
    a clause break (else a word) to about TITLE_CHARS. "KABUL, Afghanistan — The Taliban entered
    two provincial capitals in northern Afghanistan Sunday, native officers mentioned, ..." gives
    "The Taliban entered two provincial capitals in northern Afghanistan Sunday"."""
    flat = " ".join(text.lstrip("\ufeff").split())
    flat = _DATELINE.sub("", flat, count=1) or flat
    m = _SENTENCE_END.search(flat)
    sentence = flat[: m.end()] if m else flat
    if len(sentence) <= TITLE_CHARS:
        return sentence
    clauses = [c.start() for c in _CLAUSE_END.finditer(sentence, 0, TITLE_CHARS + 1)]
    if clauses and clauses[-1] >= TITLE_CHARS // 2:
        return sentence[: clauses[-1]]
    cut = sentence[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def _load_txt(rel: str, text: str) -> Iterator[Article | Skip]:
    # News dumps: a headline, a blank line, then the body. A long "line 1" is a paragraph.
    lines = text.split("\n", 2)
    headline = lines[0].lstrip("\ufeff").strip()
    if len(lines) >= 3 and headline and not lines[1].strip() and len(headline) <= 200:
        body_start = len(lines[0]) + 1 + len(lines[1]) + 1
        if not text[body_start:].strip():
            yield Skip(rel, "headline only, no body text")
            return
        yield Article(rel, rel, headline, text, body_start)
        return
    yield Article(rel, rel, first_sentence_title(text), text, 0)


# --- .md ------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def _load_md(rel: str, text: str) -> Iterator[Article | Skip]:
    meta: dict[str, Any] = {}
    body_start = 0
    m = _FRONT_MATTER.match(text)
    if m:
        import yaml  # here: every cold `newsbot ask` imports this module, few articles need YAML

        try:
            loaded = yaml.safe_load(m.group(1) or "") or {}
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" (line {mark.line + 2})" if mark is not None else ""
            yield Skip(rel, f"front matter is not valid YAML{where}")
            return
        if not isinstance(loaded, dict):
            yield Skip(rel, "front matter is not a YAML mapping of fields")
            return
        meta = loaded
        body_start = m.end()
    body = text[body_start:]
    if not body.strip():
        yield Skip(rel, "no body text after the front matter")
        return
    title = _field(meta, "title")
    if not title:
        heading = _MD_HEADING.search(body)
        title = heading.group(1).strip() if heading else first_sentence_title(body)
    yield Article(
        rel,
        rel,
        title,
        text,
        body_start,
        url=_field(meta, "url"),
        published_at=_date_field(meta),
        source=_field(meta, "source"),
    )


# --- .json / .jsonl -------------------------------------------------------------------------


def _load_json(rel: str, text: str) -> Iterator[Article | Skip]:
    if rel.lower().endswith(".jsonl"):
        for n, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                yield Skip(f"{rel}#{n}", f"line {n} is not valid JSON ({err.msg})")
                continue
            yield _json_article(f"{rel}#{n}", rel, obj)
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        yield Skip(rel, f"not valid JSON ({err.msg} at line {err.lineno})")
        return
    if isinstance(doc, list):
        for n, obj in enumerate(doc, start=1):
            yield _json_article(f"{rel}#{n}", rel, obj)
    else:
        yield _json_article(rel, rel, doc)


def _json_article(article_id: str, rel: str, obj: object) -> Article | Skip:
    if not isinstance(obj, dict):
        return Skip(article_id, "not a JSON object with title/body fields")
    body = obj.get("body", obj.get("text"))
    if not isinstance(body, str) or not body.strip():
        return Skip(article_id, "no 'body' or 'text' string")
    return Article(
        article_id,
        rel,
        _field(obj, "title") or first_sentence_title(body),
        body,
        0,
        url=_field(obj, "url"),
        published_at=_date_field(obj),
        source=_field(obj, "source"),
        offset_base="body",
    )


def _field(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if value is None or isinstance(value, dict | list):
        return ""
    return " ".join(str(value).split())


def _date_field(obj: dict[str, Any]) -> str:
    value = obj.get("published_at", obj.get("date"))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return _field({"v": value}, "v")
