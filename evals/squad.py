"""Retrieval on SQuAD-format sets (PIAF, the Etalab open-data FAQ): does the search find the
paragraph that holds the answer?

Each distinct context becomes one passage in a temporary index (BM25 + an in-memory Chroma
collection, the project's ``Retriever`` on top); every question (or a seeded sample) is asked
and the rank of its context is recorded, for BM25 only, dense only and hybrid (with and without the
hubness correction). Contexts are embedded as documents without a title (the document prompt) and cached in
``data/eval_cache/`` (see ``evals/cache.py``), so a second run only embeds the queries it has not
seen.

The naive LangChain baseline is not run here: every context of these sets is shorter than the
1,000 characters of its splitter (checked in ``load_squad``: ``longest_context``), so it would
index exactly the same passages with the same vectors as "dense only".
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SquadSet:
    name: str
    contexts: list[str]  # distinct contexts, in file order
    titles: list[str]  # article title of each context
    questions: list[tuple[str, str, int]]  # (question id, question, index of its context)

    @property
    def longest_context(self) -> int:
        return max((len(c) for c in self.contexts), default=0)


def load_squad(path: Path) -> SquadSet:
    """Distinct contexts and their answerable questions (``is_impossible`` ones are skipped)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    contexts: list[str] = []
    titles: list[str] = []
    index: dict[str, int] = {}
    questions: list[tuple[str, str, int]] = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            ctx = para["context"].strip()
            if ctx not in index:
                index[ctx] = len(contexts)
                contexts.append(ctx)
                titles.append(article.get("title", ""))
            for qa in para.get("qas", []):
                if qa.get("is_impossible") or not qa.get("question", "").strip():
                    continue
                questions.append((str(qa.get("id", len(questions))), qa["question"].strip(), index[ctx]))
    return SquadSet(Path(path).stem, contexts, titles, questions)


def subset_contexts(sq: SquadSet, n: int, seed: int = 0) -> SquadSet:
    """The first ``n`` contexts of a seeded permutation, with their questions (``n`` = 0: all).

    Any ``n`` gives a prefix of the same permutation, so contexts embedded for a small subset are
    reused by a larger one (and by ``benchmarks/scale.py``, which draws its base the same way).
    """
    if not n or n >= len(sq.contexts):
        return sq
    order = list(range(len(sq.contexts)))
    random.Random(seed).shuffle(order)
    keep = sorted(order[:n])
    new_index = {old: new for new, old in enumerate(keep)}
    return SquadSet(
        sq.name,
        [sq.contexts[i] for i in keep],
        [sq.titles[i] for i in keep],
        [(qid, q, new_index[ci]) for qid, q, ci in sq.questions if ci in new_index],
    )


def sample_questions(questions: list, n: int, seed: int = 0) -> list:
    """A fixed random subset (same ``n`` and ``seed`` → same questions), in file order."""
    if not n or n >= len(questions):
        return list(questions)
    keep = sorted(random.Random(seed).sample(range(len(questions)), n))
    return [questions[i] for i in keep]


def run_squad(  # noqa: ANN001
    path: Path, settings, embedder, cache, sample: int = 0, seed: int = 0, contexts: int = 0, client=None
) -> dict:
    """Recall@1/5/10 and MRR@10 of each configuration.

    ``contexts`` > 0 indexes only that many contexts (a seeded subset, with their questions);
    ``sample`` > 0 asks only that many of those questions (seeded). 0 = all.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from assistant.retrieve import Retriever
    from assistant.store import DenseStore, LexicalIndex
    from assistant.types import Chunk
    from evals.cache import CachedQueryEmbedder
    from evals.metrics import first_rank, retrieval_summary

    full = load_squad(path)
    sq = subset_contexts(full, contexts, seed)
    qs = sample_questions(sq.questions, sample, seed)
    t0 = time.perf_counter()
    vectors = cache.documents(embedder, sq.contexts, label=sq.name)
    embed_s = time.perf_counter() - t0
    chunks = [
        Chunk(id=f"c{i}", text=t, source=f"ctx{i}", title=sq.titles[i], page_start=1, page_end=1, section="", index=0)
        for i, t in enumerate(sq.contexts)
    ]
    s = dataclasses.replace(settings, collection=f"squad-{uuid.uuid4().hex[:8]}", reranker="")
    client = client or chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
    qemb = CachedQueryEmbedder(embedder, cache)
    store = DenseStore(s, qemb.name, qemb.dim, client=client)
    for i in range(0, len(chunks), 2000):
        store.upsert(chunks[i : i + 2000], vectors[i : i + 2000].tolist())
    retriever = Retriever(s, embedder=qemb, client=client, lexical=LexicalIndex.build(chunks))
    configs = {
        "bm25": dataclasses.replace(s, dense_weight=0.0, prefix_weight=0.0),
        "dense": dataclasses.replace(s, bm25_weight=0.0, prefix_weight=0.0, rescore=False),
        "hybrid_v1": dataclasses.replace(s, prefix_weight=0.0, rescore=False),
        "hybrid_no_hub": dataclasses.replace(s, hub_weight=0.0),
        "hybrid": s,
    }
    for _, q, _ in qs:  # embed the questions once (cached), outside the timings
        qemb.embed_query(q)
    cache.save()
    out: dict = {
        "file": str(path),
        "contexts": len(sq.contexts),
        "contexts_in_file": len(full.contexts),
        "questions_in_file": len(full.questions),
        "questions_total": len(sq.questions),
        "questions_asked": len(qs),
        "sampled": len(qs) < len(full.questions),
        "seed": seed if len(qs) < len(full.questions) else None,
        "longest_context_chars": sq.longest_context,
        "context_embedding_s": round(embed_s, 1),
        "configs": {},
    }
    for name, cs in configs.items():
        ranks, ms = [], []
        for _, q, ci in qs:
            t1 = time.perf_counter()
            hits = retriever.search(q, k=10, settings=cs)
            ms.append((time.perf_counter() - t1) * 1000)
            ranks.append(first_rank([h.source == f"ctx{ci}" for h in hits]))
        m = retrieval_summary(ranks, ks=(1, 5, 10))
        out["configs"][name] = {
            "recall@1": m["hit@1"],
            "recall@5": m["hit@5"],
            "recall@10": m["hit@10"],
            "mrr@10": m["mrr@10"],
            "search_ms_mean": round(sum(ms) / len(ms), 2) if ms else None,
        }
    return out
