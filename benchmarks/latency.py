"""Answer latency benchmark, warm: retrieval and extractive answers over a fixed list of questions.

    python -m benchmarks.latency [--repeat N]

Uses the index in the data folder (run `capacities ingest` first). The questions are those
of evals/questions.jsonl; each is asked once to warm up, then timed ``--repeat`` times.
Two baselines for the query embedding are timed in the same loop, so their ratios hold when
other work slows the machine: sentence-transformers' ``encode_query`` and the model's generic
forward (what ``embed_query`` did before its lean EmbeddingGemma path). The 1-minute load
average at the start and end is recorded: absolute figures are only comparable when it is low.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from benchmarks.common import save
from evals.questions import question_texts
from measure import percentile


def generic_forward(model: object, question: str) -> object:
    """The query through every module's forward (no lean path): the baseline of ``embed_query``."""
    import torch

    prompt = model.prompts.get("query", "")
    with torch.inference_mode():
        return model.forward(model.preprocess([prompt + question]))["sentence_embedding"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.latency", description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per question")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.answer import Assistant
    from assistant.settings import Settings

    s = Settings.from_env()
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    assistant = Assistant.load(s)
    load_s = time.perf_counter() - t0
    questions = question_texts()
    for q in questions:  # warm-up: first calls pay for lazy initialisation
        assistant.ask(q)
    embedder = assistant.retriever.embedder
    # baselines, interleaved in the same run: sentence-transformers' own encode_query, generic forward
    st_model = getattr(embedder, "model", None)
    embed_ms, st_ms, generic_ms, retrieval_ms, answer_ms = [], [], [], [], []
    for _ in range(args.repeat):
        for q in questions:
            if st_model is not None:
                t0 = time.perf_counter()
                st_model.encode_query([q], normalize_embeddings=True)
                st_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                generic_forward(st_model, q)
                generic_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            embedder.embed_query(q)
            t1 = time.perf_counter()
            assistant.retriever.search(q, k=s.top_k)
            t2 = time.perf_counter()
            assistant.ask(q)
            t3 = time.perf_counter()
            embed_ms.append((t1 - t0) * 1000)
            retrieval_ms.append((t2 - t1) * 1000)
            answer_ms.append((t3 - t2) * 1000)

    def stats(xs: list[float]) -> dict[str, float]:
        return {"p50_ms": round(percentile(xs, 50), 1), "p95_ms": round(percentile(xs, 95), 1)}

    results = {
        "command": f"python -m benchmarks.latency --repeat {args.repeat}",
        "questions": len(questions),
        "runs": len(retrieval_ms),
        "embed_model": assistant.retriever.embedder.name,
        "load_s": round(load_s, 2),
        "query_embedding": stats(embed_ms),
        "query_embedding_st_encode_baseline": stats(st_ms) if st_ms else None,
        "query_embedding_ratio_to_baseline": round(percentile(embed_ms, 50) / percentile(st_ms, 50), 3)
        if st_ms
        else None,
        "query_embedding_generic_forward_baseline": stats(generic_ms) if generic_ms else None,
        "query_embedding_ratio_to_generic_forward": round(percentile(embed_ms, 50) / percentile(generic_ms, 50), 3)
        if generic_ms
        else None,
        "retrieval": stats(retrieval_ms),
        "extractive_answer": stats(answer_ms),
        "targets_ms": {"retrieval_p50": 60, "extractive_answer_p50": 400},
        "load_average_1min": {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
    }
    path = save("latency", results)
    print(f"{len(questions)} questions × {args.repeat}, à chaud (chargement {load_s:.1f} s)")
    names = ("query_embedding", "query_embedding_st_encode_baseline", "query_embedding_generic_forward_baseline")
    for name in (*names, "retrieval", "extractive_answer"):
        if results[name]:
            print(f"  {name:<40} p50 {results[name]['p50_ms']:>7} ms   p95 {results[name]['p95_ms']:>7} ms")
    if results["query_embedding_ratio_to_baseline"]:
        print(f"  ratio embed_query / encode_query (p50) : {results['query_embedding_ratio_to_baseline']}")
        print(f"  ratio embed_query / forward générique (p50) : {results['query_embedding_ratio_to_generic_forward']}")
    load = results["load_average_1min"]
    print(f"  charge moyenne (1 min) : {load['start']} -> {load['end']}")
    print(f"Résultats : {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
