"""What a search returns: one retrieved chunk. Its own module, so the answer types (and every
command that only needs them) do not load the search machinery (bm25s brings scipy)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk: the text is `file[start:end]` (or `body[start:end]` for json)."""

    id: str
    article: str
    title: str
    url: str
    published_at: str
    text: str
    start: int
    end: int
    score: float
    path: str = ""
    source: str = ""  # who published it ("Reuters"), when the article says
    offset_base: str = "file"
    dense: float = 0.0  # cosine between the question and the chunk (0 when dense search missed it)
    # The chunk's sentences: (start, end) offsets into `text`, and their unit vectors (one row each;
    # None for an index built before sentence vectors existed).
    sentences: tuple[tuple[int, int], ...] = ()
    sentence_vectors: np.ndarray | None = field(default=None, compare=False, repr=False)
