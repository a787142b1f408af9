"""Sentence-aware chunking with exact character offsets.

A chunk is 1-3 sentences (at most MAX_CHARS) and its text is always `text[start:end]`
of the article text, so a citation can be checked against the file it came from.
We split sentences with our own rules rather than nltk/punkt because we need exact spans
and no model data; the rules cover news prose (abbreviations, initials, quotes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SENTENCES = 3
MAX_CHARS = 600
# A chunk stops growing once it has this much text: about two news sentences, short enough
# to quote, long enough to carry context for the embedder.
TARGET_CHARS = 250
# At a paragraph break a chunk ends unless it is shorter than this (a one-line paragraph
# keeps the next one's first sentence for context).
PARAGRAPH_MIN_CHARS = 100

_ABBREVIATIONS = frozenset(
    {
        *("mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "cmdr"),
        *("adm", "maj", "st", "jr", "sr", "inc", "ltd", "co", "corp", "plc", "bros", "vs", "etc", "al"),
        *("approx", "dept", "est", "fig", "vol", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep"),
        *("sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun"),
        *("u.s", "u.k", "u.n", "e.g", "i.e", "a.m", "p.m"),
    }
)
# End punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'’”)\]]*(?=\s)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ]")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_CLOSERS = "\"'’”)]"


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    paragraph_start: bool = False


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str
    # Its sentences as (start, end) offsets into `text` (the chunk's own text, not the article's).
    sentences: tuple[tuple[int, int], ...] = ()


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at `dot` ends an abbreviation or an initial, not a sentence."""
    word = re.search(r"[\w.]+$", text[:dot])
    if not word:
        return False
    token = word.group(0).lower().strip(".")
    if token in _ABBREVIATIONS:
        return True
    if token in ("no", "nos"):  # "No. 10", but "he said no."
        return bool(re.match(r"\s*\d", text[dot + 1 :]))
    # Single-letter initials ("J. Smith") and dotted acronyms ("U.S.", "D.C.").
    return (len(token) == 1 and token.isalpha()) or bool(re.fullmatch(r"(\w\.)+\w", token))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of text[start:end] as spans with surrounding whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    para_start = start
    for para_end, next_para in _paragraphs(text, start, end):
        cursor = para_start
        first = len(spans)
        for m in _BOUNDARY.finditer(text, para_start, para_end):
            if m.group(0).rstrip(_CLOSERS) == "." and _is_abbreviation(text, m.start()):
                continue
            if not _NEXT_START.match(text, m.end(), para_end):
                continue
            _add(spans, text, cursor, m.end())
            cursor = m.end()
        _add(spans, text, cursor, para_end)
        if len(spans) > first:
            spans[first] = Span(spans[first].start, spans[first].end, paragraph_start=True)
        para_start = next_para
    return spans


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(paragraph end, next paragraph start) pairs for text[start:end]."""
    out = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text, start, end)]
    out.append((end, end))
    return out


def _add(spans: list[Span], text: str, s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    for piece_s, piece_e in _split_long(text, s, e):
        spans.append(Span(piece_s, piece_e))


def _split_long(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """Cut a sentence longer than MAX_CHARS at clause breaks, else at whitespace."""
    pieces = []
    while e - s > MAX_CHARS:
        window = text[s : s + MAX_CHARS]
        cut = max(window.rfind("; "), window.rfind(", "), window.rfind(" — "), window.rfind(": "))
        if cut < MAX_CHARS // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = MAX_CHARS - 1
        cut += 1
        piece_e = s + cut
        while piece_e > s and text[piece_e - 1].isspace():
            piece_e -= 1
        pieces.append((s, piece_e))
        s += cut
        while s < e and text[s].isspace():
            s += 1
    if e > s:
        pieces.append((s, e))
    return pieces


def chunk_text(text: str, start: int = 0, *, markdown: bool = False) -> list[Chunk]:
    """Group the sentences of text[start:] into chunks of 1-3 sentences, ≤ MAX_CHARS."""
    spans = sentence_spans(text, start)
    if markdown:
        spans = [s for s in spans if not _is_markdown_heading(text[s.start : s.end])]
    chunks: list[Chunk] = []
    group: list[Span] = []

    def flush() -> None:
        if group:
            s, e = group[0].start, group[-1].end
            sentences = tuple((g.start - s, g.end - s) for g in group)
            chunks.append(Chunk(len(chunks), s, e, text[s:e], sentences))
            group.clear()

    for span in spans:
        if group:
            current = group[-1].end - group[0].start
            if (
                len(group) >= MAX_SENTENCES
                or current >= TARGET_CHARS
                or span.end - group[0].start > MAX_CHARS
                or (span.paragraph_start and current >= PARAGRAPH_MIN_CHARS)
            ):
                flush()
        group.append(span)
    flush()
    return chunks


def _is_markdown_heading(sentence: str) -> bool:
    return bool(re.match(r"#{1,6}\s", sentence)) and "\n" not in sentence
