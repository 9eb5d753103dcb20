"""Which ANN library semantic-search serves from, by measurement: usearch (float16 and float32)
and faiss-cpu's HNSW on the corpus' vectors (100,000 by default, from the cache of
`corpus.py`), beside an exact numpy scan. Not part of `make bench`:

    .venv/bin/pip install faiss-cpu   # optional: without it faiss is skipped
    .venv/bin/python -m benchmarks.ann_choice [RECORDS]

For each: build time, size, recall@10 against the exact scan, and one query at a time (as the
service asks) p50/p99 in µs. The graphs use the service's parameters (`services.search.index`).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import corpus
from benchmarks.feed import percentile
from services.search.index import CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH

K = 10
QUERIES = 1000
Search = Callable[[np.ndarray], list[int]]


def queries(count: int) -> corpus.Vectors:
    """Paraphrases of the jobs, in cities: none is a text of the corpus."""
    texts = [f"{q} in {city}" for city in corpus.CITIES for q in corpus.queries()]
    return corpus.embed(random.Random(5).sample(texts, count))


def exact_search(vectors: corpus.Vectors) -> Search:
    def search(q: np.ndarray) -> list[int]:
        sims = vectors @ q
        best = np.argpartition(-sims, K - 1)[:K]
        return [int(n) for n in best[np.argsort(-sims[best])]]

    return search


def usearch_index(vectors: corpus.Vectors, dtype: str) -> tuple[Search, int]:
    from usearch.index import Index

    index = Index(
        ndim=vectors.shape[1],
        metric="cos",
        dtype=dtype,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )
    index.add(np.arange(len(vectors), dtype=np.uint64), vectors)

    def search(q: np.ndarray) -> list[int]:
        return [int(key) for key in index.search(q, K).keys]

    return search, int(index.memory_usage)


def faiss_index(vectors: corpus.Vectors) -> tuple[Search, int]:
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], CONNECTIVITY, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EXPANSION_ADD
    index.hnsw.efSearch = EXPANSION_SEARCH
    index.add(vectors)

    def search(q: np.ndarray) -> list[int]:
        _, found = index.search(q[np.newaxis, :], K)
        return [int(n) for n in found[0]]

    return search, len(faiss.serialize_index(index))


def measure(
    name: str,
    build: Callable[[], tuple[Search, int]],
    asked: corpus.Vectors,
    truth: list[list[int]],
) -> dict[str, Any]:
    start = time.monotonic()
    search, size = build()
    built = time.monotonic() - start
    times, hits = [], 0
    for q, true in zip(asked, truth, strict=True):
        began = time.perf_counter()
        found = search(q)
        times.append(time.perf_counter() - began)
        hits += len(set(found) & set(true))
    return {
        "index": name,
        "build_s": round(built, 1),
        "size_mb": round(size / 2**20, 1),
        "recall_at_10": round(hits / (K * len(truth)), 4),
        "p50_us": round(percentile(times, 0.5) * 1e6),
        "p99_us": round(percentile(times, 0.99) * 1e6),
    }


def main(records: int) -> None:
    vectors, _ = corpus.cached_vectors([p.text() for p in corpus.people(records)])
    asked = queries(QUERIES)
    exact = exact_search(vectors)
    truth = [exact(q) for q in asked]
    candidates: list[tuple[str, Callable[[], tuple[Search, int]]]] = [
        ("exact numpy scan (float32)", lambda: (exact, vectors.nbytes)),
        ("usearch HNSW float16", lambda: usearch_index(vectors, "f16")),
        ("usearch HNSW float32", lambda: usearch_index(vectors, "f32")),
    ]
    try:
        import faiss  # noqa: F401

        candidates.append(("faiss-cpu HNSW flat (float32)", lambda: faiss_index(vectors)))
    except ImportError:
        print("faiss-cpu is not installed: skipped (.venv/bin/pip install faiss-cpu)")
    print(
        f"{records:,} vectors of {vectors.shape[1]}, {QUERIES} queries; HNSW M={CONNECTIVITY}, "
        f"efConstruction={EXPANSION_ADD}, efSearch={EXPANSION_SEARCH}\n"
    )
    print("| index | build s | size MB | recall@10 | query p50 µs | query p99 µs |")
    print("|---|---|---|---|---|---|")
    for name, build in candidates:
        r = measure(name, build, asked, truth)
        print(
            f"| {r['index']} | {r['build_s']:g} | {r['size_mb']:g} | {r['recall_at_10']:.4f} "
            f"| {r['p50_us']} | {r['p99_us']} |",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
