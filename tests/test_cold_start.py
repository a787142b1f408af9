"""What a cold `newsbot ask` skips or keeps: the lemma dictionary's cache and chromadb's import."""

from __future__ import annotations

import logging
import marshal
import subprocess
import sys
from pathlib import Path

import overrides
import pytest
import simplemma

from index import lemmas
from index.imports import loading_chromadb
from index.lemmas import lemmatizer
from index.search import Analyzer
from index.store import open_client
from tests.conftest import ROOT

WORDS = ["fled", "buses", "meeting", "officials", "withdrawn", "capitals", "was", "kunduz"]


def test_the_cached_dictionary_gives_simplemmas_lemmas_and_is_kept(tmp_path: Path) -> None:
    lemma = lemmatizer(tmp_path)
    assert [lemma(w) for w in WORDS] == [simplemma.lemmatize(w, lang="en") for w in WORDS]
    (kept,) = tmp_path.glob("simplemma-*-en.marshal")
    table = marshal.loads(kept.read_bytes())
    assert table["fled"] == "flee" and len(table) > 100_000


def test_a_second_process_reads_the_kept_dictionary(tmp_path: Path) -> None:
    lemmatizer(tmp_path)("fled")
    (kept,) = tmp_path.glob("simplemma-*-en.marshal")
    table = marshal.loads(kept.read_bytes())
    table["fled"] = "flew"  # a mark only the kept file carries
    kept.write_bytes(marshal.dumps(table))
    assert lemmatizer(tmp_path)("fled") == "flee"  # this process keeps the table it loaded
    lemmas._factory.cache_clear()  # as in a new process
    assert lemmatizer(tmp_path)("fled") == "flew"


def test_a_damaged_dictionary_file_is_made_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    lemmatizer(tmp_path)("fled")
    (kept,) = tmp_path.glob("simplemma-*-en.marshal")
    kept.write_bytes(b"\x00 not marshal")
    lemmas._factory.cache_clear()  # as in a new process
    with caplog.at_level(logging.WARNING):
        assert lemmatizer(tmp_path)("fled") == "flee"
    assert "cannot be read" in caplog.text
    assert marshal.loads(kept.read_bytes())["fled"] == "flee"


def test_a_cache_folder_that_cannot_be_written_still_lemmatizes(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    assert Analyzer(blocked / "cache").terms("The officials fled") == Analyzer().terms("The officials fled")


def test_the_signature_checks_come_back_after_chroma_opens(tmp_path: Path) -> None:
    real = overrides.override
    client = open_client(tmp_path, write=True)
    assert client.list_collections() == []
    assert overrides.override is real

    class Base:
        def read(self, n: int) -> str:
            return str(n)

    with pytest.raises(TypeError):  # checked again: a narrower override is refused

        class Wrong(Base):
            @overrides.override
            def read(self) -> str:  # type: ignore[override]
                return ""

    with loading_chromadb():  # unchecked only while chromadb loads

        class Marked(Base):
            @overrides.override
            def read(self) -> str:  # type: ignore[override]
                return ""

    assert Marked.read.__override__  # type: ignore[attr-defined]
    assert overrides.override is real


def test_chroma_opens_without_running_a_signature_check(tmp_path: Path) -> None:
    # A fresh process, where chromadb is not imported yet: count the checks `overrides` runs.
    script = (
        "import importlib, sys; from pathlib import Path; calls = []; "
        "o = importlib.import_module('overrides.overrides'); "
        "real = o._validate_method; "
        "o._validate_method = lambda *a: (calls.append(1), real(*a))[1]; "
        "from index.store import open_client; print('chromadb' in sys.modules); "
        f"open_client(Path({str(tmp_path)!r}), write=True).list_collections(); "
        "print('chromadb' in sys.modules, len(calls))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "True", "0"], out.stdout


def test_chroma_opens_without_the_span_exporter_or_httpx_cli_and_both_still_load(tmp_path: Path) -> None:
    # A fresh process: grpc (the exporter's), click (httpx's CLI's) and the `google` namespace
    # (chromadb's Colab check) stay out until asked for.
    script = (
        "import sys; from pathlib import Path; from index.store import open_client; "
        f"open_client(Path({str(tmp_path)!r}), write=True).list_collections(); "
        "import chromadb; "
        "print('grpc' in sys.modules, 'click' in sys.modules, 'google' in sys.modules, chromadb.IN_COLAB); "
        "from chromadb.telemetry import opentelemetry as t; "
        "from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter; "
        "e = t.OTLPSpanExporter(endpoint='http://127.0.0.1:9'); "
        "print(type(e) is OTLPSpanExporter, 'grpc' in sys.modules); e.shutdown(); "
        "import httpx._main; print(callable(httpx._main.main))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False"] * 4 + ["True"] * 3, out.stdout + out.stderr


def test_bm25s_loads_without_scipy_and_leaves_it_importable() -> None:
    # A fresh process: this one has imported bm25s already.
    script = (
        "import sys; from index import imports; bm25s = imports.bm25s(); "
        "print('scipy' in sys.modules, 'tqdm' in sys.modules, bm25s.SCIPY_AVAILABLE); "
        "import scipy.sparse; print(scipy.sparse.csr_matrix((1, 1)).shape)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["False", "False", "False", "(1,", "1)"]
