"""Fakes for what is slow or unreachable. Loaded by spec: NEWSBOT_EMBED_MODEL=python:tests.fakes:<name>."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence

import numpy as np

from index.embedding import TokenStates

_WORD = re.compile(r"\w+")
_TOKEN_DIM = 4096


class HashEmbedder:
    """Bag of hashed words: texts that share words get similar vectors. Fast and deterministic."""

    name = "fake-hash-64"
    dim = 64

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[i, h % self.dim] += 1.0 if h & 1 << 31 else -1.0
            out[i, 0] += 1e-3  # never the zero vector
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def token_states(self, texts: Sequence[str]) -> list[TokenStates]:
        """One vector per word, the same for the same word wherever it stands: late interaction
        then matches words exactly and nothing else (no synonyms, no collisions)."""
        out = []
        for text in texts:
            words = list(_WORD.finditer(text))
            vectors = np.zeros((len(words), _TOKEN_DIM), dtype=np.float32)
            for row, m in enumerate(words):
                h = int.from_bytes(
                    hashlib.blake2b(m.group().lower().encode(), digest_size=4).digest(), "little"
                )
                vectors[row, h % _TOKEN_DIM] = 1.0
            starts = np.array([m.start() for m in words], dtype=np.int32)
            ends = np.array([m.end() for m in words], dtype=np.int32)
            out.append(TokenStates(vectors, starts, ends))
        return out

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """Like its token states: a word is near itself and nothing else."""
        return np.array([self.token_states([w])[0].vectors[0] for w in words], dtype=np.float32).reshape(
            -1, _TOKEN_DIM
        )


class OtherHashEmbedder(HashEmbedder):
    """Same vectors under another model name: for the embedder-mismatch checks."""

    name = "fake-other-64"


class SlowHashEmbedder(HashEmbedder):
    """Sleeps NEWSBOT_FAKE_EMBED_DELAY seconds per text, so a test can kill a run mid-write."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(float(os.environ.get("NEWSBOT_FAKE_EMBED_DELAY", "0.005")) * len(texts))
        return super().embed(texts)
