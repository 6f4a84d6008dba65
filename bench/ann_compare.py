"""Issue 28: usearch, faiss-cpu (HNSW) and hnswlib side by side, for the SQLite ANN retriever.

    python bench/ann_compare.py [--n 100000] [--queries 200]

Vectors: speed.py's corpus (real MiniLM vectors of 10k base texts, mixtures of two of them beyond);
queries: real LoCoMo questions embedded with the same model. Same graph parameters for all three
(M=16, ef_construction=128, ef_search=64), one thread. Reports build time, index size on disk,
query p50/p95 for k=100 (hybrid's candidate depth) and recall@10 against exact inner product.
The libraries are imported only if installed (a scratch venv, e.g. /tmp/annvenv, can hold them).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

M, EF_CONSTRUCTION, EF_SEARCH = 16, 128, 64


def corpus(n: int) -> tuple[np.ndarray, np.ndarray]:
    from speed import base_corpus, derived_corpus
    from speed_corpus import locomo_questions

    texts, vectors = base_corpus(10_000)
    if n > len(texts):
        _, extra = derived_corpus(texts, vectors, n - len(texts))
        vectors = np.concatenate([vectors, extra])
    from langmem_cli.embed.embedders import get_embedder

    questions = locomo_questions()
    return np.ascontiguousarray(vectors[:n], dtype=np.float32), get_embedder().embed(questions[:400])


def run_usearch(data, path):
    from usearch.index import Index

    index = Index(ndim=data.shape[1], metric="ip", dtype="f32", connectivity=M, expansion_add=EF_CONSTRUCTION,
                  expansion_search=EF_SEARCH)
    t0 = time.perf_counter()
    index.add(np.arange(len(data), dtype=np.uint64), data, threads=1)
    build = time.perf_counter() - t0
    index.save(path)

    def query(q, k):
        m = index.search(q, k, threads=1)
        return m.keys
    return build, query


def run_faiss(data, path):
    import faiss

    faiss.omp_set_num_threads(1)
    index = faiss.IndexHNSWFlat(data.shape[1], M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    t0 = time.perf_counter()
    index.add(data)
    build = time.perf_counter() - t0
    index.hnsw.efSearch = EF_SEARCH
    faiss.write_index(index, path)

    def query(q, k):
        index.hnsw.efSearch = max(EF_SEARCH, k)
        return index.search(q[None, :], k)[1][0]
    return build, query


def run_hnswlib(data, path):
    import hnswlib

    index = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), M=M, ef_construction=EF_CONSTRUCTION)
    index.set_num_threads(1)
    t0 = time.perf_counter()
    index.add_items(data, np.arange(len(data)))
    build = time.perf_counter() - t0
    index.save_index(path)

    def query(q, k):
        index.set_ef(max(EF_SEARCH, k))
        return index.knn_query(q, k)[0][0]
    return build, query


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    data, queries = corpus(args.n)
    queries = queries[: args.queries]
    exact = [np.argsort(-(data @ q), kind="stable")[:10] for q in queries]
    print(f"n={args.n} dim={data.shape[1]} queries={len(queries)} load={os.getloadavg()[0]:.2f}")
    for name, fn in (("usearch", run_usearch), ("faiss-cpu", run_faiss), ("hnswlib", run_hnswlib)):
        try:
            with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
                path = str(Path(tmp) / "index")
                build, query = fn(data, path)
                size = Path(path).stat().st_size
                for q in queries[:20]:
                    query(q, 100)
                times, recall = [], []
                for q, truth in zip(queries, exact):
                    t0 = time.perf_counter()
                    keys = query(q, 100)
                    times.append(time.perf_counter() - t0)
                    recall.append(len(set(np.asarray(keys[:10]).tolist()) & set(truth.tolist())) / 10)
        except ImportError as exc:
            print(f"{name}: not installed ({exc})")
            continue
        t = np.asarray(times) * 1000
        print(f"{name:10s} build {build:7.1f} s  disk {size / 2**20:7.1f} MiB  k=100 p50 {np.percentile(t, 50):.2f} ms "
              f"p95 {np.percentile(t, 95):.2f} ms  recall@10 {np.mean(recall):.3f}")


if __name__ == "__main__":
    main()
