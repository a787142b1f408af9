"""Sentence vectors, kept inside each chunk's own record.

Every chunk carries its sentences' spans and dense vectors in its metadata, so a sentence
vector is written, replaced and deleted by the same Chroma write as its chunk: no sync, kill or
delete can leave one without the other, and the chunk's content hash covers both.

The vectors come from the chunk's own model pass (its token states averaged over each
sentence's tokens) when the embedder can do that, else from embedding the sentences. They are
stored as int8 with a per-vector scale, base64-encoded: 388 bytes a MiniLM sentence instead of
1,536, and cosines move by less than 0.01.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np

from index.embedding import Embedder, normalize

SPANS_KEY = "sentences"  # "0-120,121-260": offsets into the chunk's text
VECTORS_KEY = "sentence_vectors"

Spans = tuple[tuple[int, int], ...]


def encode_spans(spans: Sequence[tuple[int, int]]) -> str:
    return ",".join(f"{s}-{e}" for s, e in spans)


def decode_spans(text: str) -> Spans:
    if not text:
        return ()
    return tuple((int(s), int(e)) for s, e in (part.split("-") for part in text.split(",")))


def encode_vectors(vectors: np.ndarray) -> str:
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    quantized = np.round(vectors / scale[:, None]).astype(np.int8)
    return base64.b64encode(scale.astype(np.float32).tobytes() + quantized.tobytes()).decode("ascii")


def decode_vectors(text: str, count: int) -> np.ndarray:
    """`count` unit vectors back from `encode_vectors`; an empty array when there are none."""
    if not text or count == 0:
        return np.zeros((0, 0), dtype=np.float32)
    raw = base64.b64decode(text)
    scale = np.frombuffer(raw[: 4 * count], dtype=np.float32)
    quantized = np.frombuffer(raw[4 * count :], dtype=np.int8).reshape(count, -1)
    return normalize(quantized.astype(np.float32) * scale[:, None])


def embed_with_sentences(
    embedder: Embedder, texts: Sequence[str], spans: Sequence[Spans]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk vectors, and each chunk's sentence vectors (one row per span)."""
    pooled = getattr(embedder, "embed_pooled", None)
    if callable(pooled):
        chunk_vectors, sentence_vectors = pooled(texts, spans)
        return chunk_vectors, sentence_vectors
    # Embedders that cannot pool (OpenAI, your own): embed the sentences as texts of their own.
    chunk_vectors = embedder.embed(texts)
    flat = [text[s:e] for text, chunk_spans in zip(texts, spans, strict=True) for s, e in chunk_spans]
    vectors = embedder.embed(flat) if flat else np.zeros((0, embedder.dim), dtype=np.float32)
    out, at = [], 0
    for chunk_spans in spans:
        out.append(vectors[at : at + len(chunk_spans)])
        at += len(chunk_spans)
    return chunk_vectors, out
