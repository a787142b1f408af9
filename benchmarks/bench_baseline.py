"""newsbot against the plain llama-index pipeline a user would build in ten minutes.

Baseline: `VectorStoreIndex.from_documents` with the default splitter, the same Chroma, the same
MiniLM vectors (our ONNX embedder behind llama-index's BaseEmbedding), and
`as_retriever(similarity_top_k=2)`; its two passages are the "answer" and the citations.
Questions: the SQuAD 2.0 development articles (the seed article is not available), alone and
with 100, 500 and all deduplicated BBC articles as distractors. Writes
benchmarks/results/bench_baseline.json and benchmarks/results/baseline_vs_newsbot.png.

    .venv/bin/python benchmarks/bench_baseline.py [--sizes 0,100,500,-1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_scale import ask_all, index, stage
from common import ROOT, WORK

from bot import evaluate
from bot.answer import Answer, Citation
from bot.settings import Settings
from index.articles import read_article_text
from index.embedding import make_embedder


def minilm_for_llama_index() -> Any:
    from llama_index.core.embeddings import BaseEmbedding

    embedder = make_embedder("minilm", Settings.load(dotenv=None).cache_dir)

    class MiniLM(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return embedder.embed_query(query).tolist()

        def _get_text_embedding(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    return MiniLM(model_name="all-MiniLM-L6-v2", embed_batch_size=64)


def baseline(folder: Path, items: list[evaluate.Item], store_dir: Path) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    shutil.rmtree(store_dir, ignore_errors=True)
    client = chromadb.PersistentClient(
        path=str(store_dir), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("baseline", embedding_function=None)
    docs = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.suffix not in (".txt", ".md") or any(p.startswith(".") for p in rel.parts):
            continue
        try:
            text = read_article_text(path)
        except UnicodeDecodeError:
            continue  # the plain pipeline would crash on the one Latin-1 BBC file; skip it as we do
        doc_id = rel.as_posix()
        docs.append(
            Document(
                text=text, id_=doc_id, metadata={"article": doc_id}, excluded_embed_metadata_keys=["article"]
            )
        )
    t0 = time.perf_counter()
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    idx = VectorStoreIndex.from_documents(docs, storage_context=storage, embed_model=minilm_for_llama_index())
    build_s = time.perf_counter() - t0
    retriever = idx.as_retriever(similarity_top_k=2)
    results, lengths = [], []
    for item in items:
        t = time.perf_counter()
        nodes = retriever.retrieve(item.question)
        ms = (time.perf_counter() - t) * 1000
        citations = [
            Citation(
                n,
                str(nw.node.ref_doc_id),
                "",
                "",
                "",
                nw.node.get_content(),
                int(getattr(nw.node, "start_char_idx", None) or 0),
                int(getattr(nw.node, "end_char_idx", None) or 0),
                float(nw.score or 0),
            )
            for n, nw in enumerate(nodes, start=1)
        ]
        lengths += [len(c.text) for c in citations]
        text = "\n".join(c.text for c in citations)
        results.append(
            evaluate.score(item, Answer(item.question, text, True, citations, timings_ms={"total": ms}))
        )
    m = evaluate.metrics(results)
    return {
        "answer_accuracy": m["answer_accuracy"],
        "citation_accuracy": m["citation_accuracy"],
        "unanswerable_refused": m["unanswerable_refused"],
        "mean_citation_chars": round(statistics.mean(lengths)),
        "p50_ms": m["latency_ms_p50"],
        "build_s": round(build_s, 1),
    }


def newsbot(folder: Path, data: Path, items: list[evaluate.Item]) -> dict[str, Any]:
    index(folder, data)
    r = ask_all(items, data)
    return {
        "answer_accuracy": r["answer_accuracy"],
        "citation_accuracy": r["citation_accuracy"],
        "unanswerable_refused": r["unanswerable_refused"],
        "mean_citation_chars": r["mean_citation_chars"],
        "p50_ms": r["warm_ms_p50"],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,100,500,-1", help="BBC distractors per run (-1: all)")
    args = parser.parse_args()
    folder, data = WORK / "baseline-articles", WORK / "baseline-newsbot-data"
    shutil.rmtree(data, ignore_errors=True)
    rows = []
    for size in (int(x) for x in args.sizes.split(",")):
        items = stage(folder, None if size == 0 else size)
        n_articles = sum(1 for p in folder.rglob("*.txt")) + sum(1 for p in folder.rglob("*.md"))
        ours = newsbot(folder, data, items)
        # A fresh folder per size: Chroma keeps one client per path for the life of a process.
        theirs = baseline(folder, items, WORK / f"baseline-llamaindex-{size}")
        rows.append({"bbc_distractors": size, "articles": n_articles, "newsbot": ours, "baseline": theirs})
        print(json.dumps(rows[-1]), flush=True)
    out = ROOT / "benchmarks" / "results"
    (out / "bench_baseline.json").write_text(json.dumps(rows, indent=2) + "\n")
    chart(rows, out / "baseline_vs_newsbot.png")
    return 0


def chart(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [r["articles"] for r in rows]
    fig, (acc, lat) = plt.subplots(1, 2, figsize=(11, 4))
    for who, style, color in (("newsbot", "o-", "tab:blue"), ("baseline", "s--", "tab:orange")):
        answer = [100 * r[who]["answer_accuracy"] for r in rows]
        cited = [100 * r[who]["citation_accuracy"] for r in rows]
        acc.plot(sizes, answer, style, color=color, label=f"{who}: answer")
        acc.plot(sizes, cited, style, color=color, alpha=0.45, label=f"{who}: citation")
        lat.plot(sizes, [r[who]["p50_ms"] for r in rows], style, color=color, label=who)
    acc.set(xscale="log", xlabel="articles indexed", ylabel="% of answerable questions", ylim=(0, 100))
    acc.set_title("Accuracy, SQuAD 2.0 dev questions")
    lat.set(xscale="log", xlabel="articles indexed", ylabel="ms", ylim=(0, None))
    lat.set_title("p50 latency per question")
    acc.legend(fontsize=8, loc="lower left")
    lat.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
