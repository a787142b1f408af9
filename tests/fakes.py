"""Fakes for what is slow or unreachable. Loaded by spec: NEWSBOT_EMBED_MODEL=python:tests.fakes:<name>."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w+")


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


class OtherHashEmbedder(HashEmbedder):
    """Same vectors under another model name: for the embedder-mismatch checks."""

    name = "fake-other-64"


class SlowHashEmbedder(HashEmbedder):
    """Sleeps NEWSBOT_FAKE_EMBED_DELAY seconds per text, so a test can kill a run mid-write."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(float(os.environ.get("NEWSBOT_FAKE_EMBED_DELAY", "0.005")) * len(texts))
        return super().embed(texts)
