"""Query latency and resident memory at 1,000, 10,000 and 100,000 chunks, for dense, BM25 and hybrid.

    python -m benchmarks.scale [--sizes 1000 10000 100000] [--queries 60] [--rounds 2]

Embedding 100,000 chunks for real is out of reach here (EmbeddingGemma does ~4 passages/s on
2 cores), so the corpora are synthetic but grown from real French text and real vectors:

- **Real base**: the passages of the project's own index (``data/``: the corpus's 1,274 chunks, real
  French text, with the EmbeddingGemma vectors ingestion stored in Chroma: nothing to embed), plus,
  with ``--piaf N``, N paragraphs of PIAF v1.1 (``evals/data/piaf-v1.1.json``, French Wikipedia; the
  same seeded subset as ``capacities eval --squad … --contexts N``), embedded once as documents and
  cached in ``data/eval_cache/`` (shared with the SQuAD evaluation; git-ignored). Embedding is the
  only slow part (~4 passages/s on 2 free cores), which is why the base stays near a thousand.
- **Variations**: chunk ``i`` takes base paragraph ``j = i mod len(base)``. The first copy is the
  paragraph itself with its real vector. Each further copy (seeded by ``i``) shuffles the
  paragraph's sentences and appends one sentence of another random paragraph (mixed
  paragraphs), so BM25 sees new term statistics; its vector is the real vector plus Gaussian
  noise of norm ``--noise`` (0.25, cosine ≈ 0.97 to the original), renormalised.
- **Queries**: the questions of ``evals/questions.jsonl`` (``--queries`` of them), embedded once
  (cached) with the real model.

Each size runs in two fresh processes: one builds the index exactly as ingestion does (BM25 saved
by ``LexicalIndex``, a persistent Chroma collection through ``DenseStore``) in a temporary folder;
the other opens it as the assistant does (``Retriever``), answers every query with each
configuration (query vectors looked up, so the timing is the search alone), and reports its
resident memory (``VmRSS``) before and after. Query embedding, which does not depend on the size,
is timed here with the real model on the same queries; "total" adds, query by query, that
embedding time to the search time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import save
from measure import percentile, rss_mb

ROOT = Path(__file__).resolve().parent.parent
PIAF = ROOT / "evals" / "data" / "piaf-v1.1.json"
_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ý0-9«])")


def synthetic(contexts: list[str], vectors, n: int, noise: float, seed: int = 0):  # noqa: ANN001, ANN201
    """``n`` (text, vector, base index) triples grown from real paragraphs (see module docstring)."""
    import numpy as np

    base = len(contexts)
    sentences = [_SENT.split(c) for c in contexts]
    out_texts, out_vecs, out_base = [], np.empty((n, vectors.shape[1]), dtype="float32"), []
    for i in range(n):
        j, copy = i % base, i // base
        if copy == 0:
            out_texts.append(contexts[j])
            out_vecs[i] = vectors[j]
        else:
            rng = random.Random(seed * 1_000_003 + i)
            sents = sentences[j][:]
            rng.shuffle(sents)
            other = sentences[rng.randrange(base)]
            sents.append(other[rng.randrange(len(other))])
            out_texts.append(" ".join(sents))
            g = np.random.default_rng(seed * 1_000_003 + i).standard_normal(vectors.shape[1]).astype("float32")
            v = vectors[j] + noise * g / np.linalg.norm(g)
            out_vecs[i] = v / np.linalg.norm(v)
        out_base.append(j)
    return out_texts, out_vecs, out_base


class LookupEmbedder:
    """Query vectors computed beforehand by the real model (the search is timed, not the model)."""

    def __init__(self, name: str, dim: int, queries: dict[str, list[float]]) -> None:
        self.name, self.dim, self.queries = name, dim, queries

    def embed_query(self, text: str) -> list[float]:
        return self.queries[text]

    def embed_documents(self, texts: list[str], titles: list[str] | None = None) -> list[list[float]]:
        raise NotImplementedError


def _settings(folder: Path):  # noqa: ANN202
    from assistant.settings import Settings

    return dataclasses.replace(
        Settings.from_env(), data_dir=folder, chroma_url="", collection="scale", reranker="", corpus_dir=folder
    )


def child_build(folder: Path, n: int, noise: float, model: str, dim: int, base_dir: Path) -> dict:
    import numpy as np

    from assistant.store import DenseStore, LexicalIndex
    from assistant.types import Chunk

    s = _settings(folder)
    base_texts = json.loads((base_dir / "texts.json").read_text(encoding="utf-8"))
    texts, vecs, base = synthetic(base_texts, np.load(base_dir / "vectors.npy"), n, noise)
    chunks = [
        Chunk(id=f"s{i}", text=t, source=f"base/{b}", title="", page_start=1, page_end=1, section="", index=i)
        for i, (t, b) in enumerate(zip(texts, base, strict=True))
    ]
    t0 = time.perf_counter()
    LexicalIndex.build(chunks).save(s.bm25_dir)
    bm25_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = DenseStore(s, model, dim)
    for i in range(0, n, 5000):
        store.upsert(chunks[i : i + 5000], vecs[i : i + 5000].tolist())
    chroma_s = time.perf_counter() - t0
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return {
        "bm25_build_s": round(bm25_s, 1),
        "chroma_build_s": round(chroma_s, 1),
        "index_mb_on_disk": round(size / 1e6, 1),
    }


def child_serve(folder: Path, model: str, dim: int, queries: dict[str, list[float]], rounds: int) -> dict:
    rss0 = rss_mb()
    import bm25s  # noqa: F401 - libraries first, so that the memory measured next is the index's
    import chromadb  # noqa: F401
    import numpy  # noqa: F401

    from assistant.retrieve import Retriever

    s = _settings(folder)
    rss_imports = rss_mb()
    t0 = time.perf_counter()
    retriever = Retriever(s, embedder=LookupEmbedder(model, dim, queries))
    load_s = time.perf_counter() - t0
    configs = {
        "dense": dataclasses.replace(s, bm25_weight=0.0),
        "bm25": dataclasses.replace(s, dense_weight=0.0),
        "hybrid_no_hub": dataclasses.replace(s, hub_weight=0.0),  # before the hubness correction
        "hybrid": s,
    }
    qs = list(queries)
    for q in qs[:5]:  # warm-up: Chroma loads its HNSW index at the first query
        for cs in configs.values():
            retriever.search(q, k=s.top_k, settings=cs)
    times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in qs} for name in configs}
    for _ in range(rounds):
        for q in qs:
            for name, cs in configs.items():  # interleaved, so drift hits every configuration alike
                t1 = time.perf_counter()
                retriever.search(q, k=s.top_k, settings=cs)
                times[name][q].append((time.perf_counter() - t1) * 1000)
    return {
        "rss_mb_start": round(rss0, 1),
        "rss_mb_after_imports": round(rss_imports, 1),
        "rss_mb_serving": round(rss_mb(), 1),
        "index_rss_mb": round(rss_mb() - rss_imports, 1),
        "load_s": round(load_s, 2),
        "search_ms": times,
    }


def _run_child(args: list[str]) -> dict:
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", *args], env=env, capture_output=True, text=True, cwd=ROOT
    )
    if out.returncode != 0:
        raise SystemExit(f"échec du sous-processus {args[:2]} :\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _flat(per_query: dict[str, list[float]]) -> list[float]:
    return [x for v in per_query.values() for x in v]


def _stats(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(xs, 50), 2), "p95_ms": round(percentile(xs, 95), 2)}


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    ap = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--queries", type=int, default=0, help="questions of evals/questions.jsonl to ask (0 = all)")
    ap.add_argument("--rounds", type=int, default=2, help="timed passes over the queries")
    ap.add_argument("--noise", type=float, default=0.25, help="norm of the noise added to a copied vector")
    ap.add_argument("--piaf", type=int, default=0, help="PIAF paragraphs added to the corpus chunks (seeded, cached)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        what, folder, model, dim = args.child[:4]
        if what == "build":
            res = child_build(Path(folder), int(args.child[4]), args.noise, model, int(dim), Path(args.child[5]))
        else:
            queries = json.loads(Path(args.child[4]).read_text(encoding="utf-8"))
            res = child_serve(Path(folder), model, int(dim), queries, args.rounds)
        print(json.dumps(res))
        return 0

    import numpy as np

    from assistant.models import load_embedder
    from assistant.settings import Settings
    from assistant.store import DenseStore, LexicalIndex
    from evals.cache import EmbeddingCache
    from evals.questions import PROJECT, load_questions
    from evals.squad import load_squad, subset_contexts

    s = Settings.from_env()
    # the real base: the corpus's chunks and their stored vectors, then PIAF paragraphs (embedded once)
    lexical = LexicalIndex.load(s.bm25_dir)
    collection = DenseStore(s, None, None).collection
    stored: dict[str, list[float]] = {}
    ids = [c.id for c in lexical.chunks]
    for i in range(0, len(ids), 500):
        got = collection.get(ids=ids[i : i + 500], include=["embeddings"])
        stored |= dict(zip(got["ids"], got["embeddings"], strict=True))
    corpus = [(c.text, stored[c.id]) for c in lexical.chunks if c.id in stored]
    embedder = load_embedder(s)
    cache = EmbeddingCache(s.eval_cache_dir, embedder.name)
    piaf = subset_contexts(load_squad(PIAF), args.piaf, seed=0).contexts if args.piaf else []
    piaf_vecs = cache.documents(embedder, piaf, label="PIAF") if piaf else np.zeros((0, len(corpus[0][1])))
    base_texts = [t for t, _ in corpus] + piaf
    base_vecs = np.vstack([np.asarray([v for _, v in corpus], dtype="float32"), piaf_vecs]).astype("float32")
    base_dir = Path(tempfile.mkdtemp(prefix="capacities-scale-base-"))
    (base_dir / "texts.json").write_text(json.dumps(base_texts, ensure_ascii=False), encoding="utf-8")
    np.save(base_dir / "vectors.npy", base_vecs)

    qs = [q["question"] for q in load_questions(PROJECT)]
    qs = qs[: args.queries] if args.queries else qs
    queries = {q: cache.query(embedder, q) for q in qs}
    cache.save()
    model = embedder.name  # the children open the index under this name

    load_before = os.getloadavg()[0]
    results: dict = {
        "command": "python -m benchmarks.scale"
        + (f" --sizes {' '.join(map(str, args.sizes))}" if args.sizes != [1000, 10000, 100000] else "")
        + (f" --queries {args.queries}" if args.queries else "")
        + (f" --piaf {args.piaf}" if args.piaf else ""),
        "base_paragraphs": {"corpus_chunks": len(corpus), "piaf_paragraphs": len(piaf)},
        "queries": len(qs),
        "rounds": args.rounds,
        "noise": args.noise,
        "top_k": s.top_k,
        "candidates": s.candidates,
        "sizes": {},
        "target": {"hybrid_total_p95_ms_at_100000": 300},
    }
    qfile = Path(tempfile.mkdtemp(prefix="capacities-scale-q-")) / "queries.json"
    qfile.write_text(json.dumps(queries), encoding="utf-8")
    dim = str(len(next(iter(queries.values()))))
    searches: dict[str, dict] = {}
    for n in args.sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"capacities-scale-{n}-"))
        try:
            t0 = time.perf_counter()
            build = _run_child(["--child", "build", str(folder), model, dim, str(n), str(base_dir)])
            build["build_s"] = round(time.perf_counter() - t0, 1)
            serve = _run_child(["--rounds", str(args.rounds), "--child", "serve", str(folder), model, dim, str(qfile)])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        row = {k: v for k, v in serve.items() if k != "search_ms"} | build
        searches[str(n)] = serve["search_ms"]
        results["sizes"][str(n)] = row
        print(
            f"{n:>7} passages : "
            + " ; ".join(
                f"{c} p50 {_stats(_flat(serve['search_ms'][c]))['p50_ms']} ms"
                for c in ("dense", "bm25", "hybrid_no_hub", "hybrid")
            )
            + f" ; mémoire de l'index {row['index_rss_mb']} Mo (RSS {row['rss_mb_serving']} Mo)",
            flush=True,
        )
    # the query embedding does not depend on the index size: timed once, after the children, same queries
    embedder.embed_query(qs[0])  # warm-up
    embed_ms: dict[str, list[float]] = {q: [] for q in qs}
    for _ in range(args.rounds):
        for q in qs:
            t0 = time.perf_counter()
            embedder.embed_query(q)
            embed_ms[q].append((time.perf_counter() - t0) * 1000)
    results["query_embedding"] = _stats(_flat(embed_ms))
    del embedder
    for n_key, per_config in searches.items():
        row = results["sizes"][n_key]
        for name, per_q in per_config.items():
            search = _flat(per_q)
            total = [a + b for q in qs for a, b in zip(per_q[q], embed_ms[q], strict=True)]
            row[name] = {"search": _stats(search), "total_with_query_embedding": _stats(total)}
            if name == "bm25":  # BM25 needs no query vector
                row[name]["total_with_query_embedding"] = row[name]["search"]
    shutil.rmtree(qfile.parent, ignore_errors=True)
    shutil.rmtree(base_dir, ignore_errors=True)
    # growth: exponent b of cost ~ size^b between consecutive sizes (1 = linear, 0 = flat)
    sizes = sorted(int(k) for k in results["sizes"])
    growth = {}
    for a, b in zip(sizes, sizes[1:], strict=False):
        ra, rb = results["sizes"][str(a)], results["sizes"][str(b)]
        g = {}
        for c in ("dense", "bm25", "hybrid"):
            x, y = ra[c]["search"]["p50_ms"], rb[c]["search"]["p50_ms"]
            g[f"{c}_search_p50"] = round(math.log(y / x) / math.log(b / a), 2) if x > 0 and y > 0 else None
        x, y = ra["index_rss_mb"], rb["index_rss_mb"]
        g["index_memory"] = round(math.log(y / x) / math.log(b / a), 2) if x > 0 and y > 0 else None
        growth[f"{a}->{b}"] = g
    results["growth_exponents"] = growth
    results["load_average_1min"] = {"start": round(load_before, 1), "end": round(os.getloadavg()[0], 1)}
    if "100000" in results["sizes"]:
        p95 = results["sizes"]["100000"]["hybrid"]["total_with_query_embedding"]["p95_ms"]
        results["target"]["hybrid_total_p95_ms_measured"] = p95
        results["target"]["met"] = p95 <= 300
    path = save("scale", results)
    qe = results["query_embedding"]
    print(f"Embedding d'une question (réel, même requêtes) : p50 {qe['p50_ms']} ms, p95 {qe['p95_ms']} ms")
    for k, g in growth.items():
        print(f"  croissance {k} : exposants {g}")
    if "met" in results["target"]:
        t = results["target"]
        print(f"Hybride à 100 000 passages, p95 avec embedding : {t['hybrid_total_p95_ms_measured']} ms (cible 300)")
    print(f"Résultats : {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
