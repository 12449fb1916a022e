"""What else could put the right page first, beside the retriever in service, in one run.

Each experiment is chosen or fitted on the project's set and judged on the held-out sets (written
after earlier changes, never used to tune these): page hit@1 and MRR@10, as in ``capacities eval``.

- in service: dense + BM25 on stems + BM25 on word beginnings, fused, then ``retrieve.second_stage``;
- weights of the fusion (BM25, prefixes, RRF constant) and of the second stage (fused score, page):
  the best of a grid on the project's set (a ceiling: judged on the questions it was chosen on), the
  same choice made by five-fold cross-validation, and on the held-out sets;
- a BM25 field of titles and section headings, weighted on its own in the fusion: the weight chosen
  on the project's set, cross-validated, held-out;
- a listwise linear reranker of the first 20 candidates on seven signals (cosine, fused score, a
  second chunk of the same page, best block cosine, best cosine of the document, BM25 share, key terms
  found): in-sample, cross-validated, held-out;
- other query vectors, dense search alone against dense search alone with the vector in service:
  EmbeddingGemma's question-answering prompt; the question averaged with its words less its framing
  ("comment", "notre commune"…); pseudo-relevance feedback (the vector moved towards its 5 first
  passages).

    python -m evals.retrieval_probe      # writes evals/reports/retrieval_probe.md and .json
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import os
import platform
import re
import sys
import time
from pathlib import Path

from evals.report import write_report

HERE = Path(__file__).resolve().parent
HELD_OUT = ("heldout.jsonl", "heldout2.jsonl", "heldout3.jsonl", "heldout4.jsonl")
FOLDS = 5
QA_PROMPT = "task: question answering | query: "
FUSION_GRID = list(itertools.product((0.0, 0.25, 0.5), (0.0, 0.25, 0.5, 1.0), (10, 60)))  # bm25, prefix, rrf_k
HEADING_WEIGHTS = (0.1, 0.25, 0.5, 1.0)  # of the titles-and-headings field, beside dense (1) in the fusion
STAGE_GRID = list(itertools.product((0.0, 0.25, 0.5, 1.0), (0.0, 0.1, 0.3)))  # fused, page (cosine: 1)
SIGNALS = ("cosinus", "fusion", "2e passage de la page", "meilleur bloc", "meilleur du document", "BM25", "termes clés")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\d+")


def hit_mrr(ranks: list[int | None]) -> tuple[float, float]:
    n = len(ranks) or 1
    return sum(r == 1 for r in ranks) / n, sum(1 / r for r in ranks if r) / n


def page_rank(passages: list, expected: list[dict]) -> int | None:  # noqa: ANN001
    from evals.metrics import first_rank, is_gold_page

    return first_rank(is_gold_page(p, expected) for p in passages[:10])


class Probe:
    """The retriever in service, and the pieces the experiments take apart."""

    def __init__(self, retriever) -> None:  # noqa: ANN001
        import bm25s

        from assistant.text import tokens

        self.r, self.s = retriever, retriever.settings
        self.headings = bm25s.BM25(k1=1.2, b=0.75)
        self.headings.index(
            [tokens(f"{c.title}\n{c.section}") or ["_"] for c in retriever.lexical.chunks], show_progress=False
        )
        self.df: dict[str, int] = {}
        for c in retriever.lexical.chunks:
            for t in set(tokens(c.text)):
                self.df[t] = self.df.get(t, 0) + 1

    def fused(self, question: str, fusion: tuple[float, float, int] | None = None) -> list:
        """The fused candidates (no second stage, no cap per page), best first."""
        s = dataclasses.replace(self.s, rescore=False, max_per_page=10**6)
        if fusion:
            s = dataclasses.replace(s, bm25_weight=fusion[0], prefix_weight=fusion[1], rrf_k=fusion[2])
        return self.r.search(question, k=3 * s.candidates, settings=s)

    def with_headings(self, question: str, cands: list, weight: float) -> list:
        """The fused candidates with a BM25 ranking of their titles and headings added to the fusion."""
        import numpy as np

        from assistant.text import tokens

        q = tokens(self.r.expand(question))
        scores = self.headings.get_scores(q) if q else np.zeros(len(self.r.lexical.chunks))
        top = [i for i in np.argsort(-scores)[: self.s.candidates] if scores[i] > 0]
        rank = {self.r.lexical.chunks[i].id: n for n, i in enumerate(top, 1)}
        boosted = [
            dataclasses.replace(p, score=p.score + weight / (self.s.rrf_k + rank[p.id])) if p.id in rank else p
            for p in cands
        ]
        return sorted(boosted, key=lambda p: -p.score)

    def staged(self, cands: list, stage: tuple[float, float]) -> list:
        from assistant.retrieve import per_page_cap, second_stage

        return per_page_cap(second_stage(cands, (stage[0], 1.0, stage[1])), self.s.max_per_page, 10)

    def signals(self, question: str, cands: list) -> list[list[float]]:
        """Seven signals of each of the first 20 candidates (``SIGNALS``)."""
        import numpy as np

        from assistant.blocks import query_for_blocks, unpack_vectors
        from assistant.retrieve import RESCORE_TOP, second_cosines
        from assistant.text import FRAMING, tokens

        top = cands[:RESCORE_TOP]
        qv = self.r.query_vector(question)
        floor = min((p.dense for p in top if p.dense is not None), default=0.0)
        best = max(p.score for p in top) or 1.0
        lex = max((p.lexical or 0.0 for p in top), default=0.0) or 1.0
        second = second_cosines(cands)
        doc: dict[str, float] = {}
        for p in cands:
            if p.dense is not None:
                doc[p.source] = max(doc.get(p.source, -1.0), p.dense)
        key = [t for t in set(tokens(self.r.expand(question))) if t not in FRAMING]
        n = len(self.r.lexical.chunks)
        idf = {t: math.log(1 + n / (1 + self.df.get(t, 0))) for t in key}
        rows = []
        for p in top:
            cos = p.dense if p.dense is not None else floor
            v = unpack_vectors(p.block_vectors)
            block = float(np.max(v @ query_for_blocks(qv, v.shape[1]))) if v is not None else cos
            found = set(tokens(p.text))
            rows.append(
                [
                    cos,
                    p.score / best,
                    second.get((p.source, p.page_start), 0.0),
                    block,
                    doc.get(p.source, cos),
                    (p.lexical or 0.0) / lex,
                    sum(idf[t] for t in key if t in found) / (sum(idf.values()) or 1.0),
                ]
            )
        return rows

    def dense_only(self, vector: list[float]) -> list:
        """Dense search alone for this vector, at most ``max_per_page`` passages a page."""
        from assistant.retrieve import per_page_cap
        from assistant.types import Passage

        hits = self.r.dense.query(vector, 3 * self.s.candidates)
        by_id = self.r.lexical.by_id
        passages = [Passage(**vars(by_id[i]), dense=d) for i, d in hits if i in by_id]
        return per_page_cap(passages, self.s.max_per_page, 10)

    def vectors(self, question: str) -> dict[str, list[float]]:
        """The query vector in service and its three variants."""
        import numpy as np

        from assistant.text import FRAMING, fold, stopwords

        expanded = self.r.expand(question)
        whole = np.asarray(self.r.query_vector(question))
        words = [w for w in _WORD.findall(expanded) if fold(w) not in FRAMING and fold(w) not in stopwords()]
        content = np.asarray(self.r.embedder.embed_query(" ".join(words) or expanded))
        top = [i for i, _ in self.r.dense.query(list(whole), 5)]
        _, near = self.r.dense.export_rows(top)
        prf = whole + 0.3 * np.mean(np.asarray(near), axis=0)

        def unit(v):  # noqa: ANN001, ANN202
            return list(v / np.linalg.norm(v))

        return {
            "service": list(whole),
            "qa": self.r.embedder.embed_query(expanded, prompt=QA_PROMPT),
            "content": unit(whole + content),
            "prf": unit(prf),
        }


def train(lists: list[tuple[list[list[float]], list[bool]]], l2: float = 1.0, steps: int = 300) -> list[float]:
    """Weights of a listwise softmax reranker (gradient descent on standardised signals, L2)."""
    import numpy as np

    data = [(np.asarray(x), np.asarray(y, dtype=float)) for x, y in lists if any(y)]
    allx = np.vstack([x for x, _ in data])
    mu, sd = allx.mean(0), allx.std(0) + 1e-9
    w = np.zeros(allx.shape[1])
    for _ in range(steps):
        g = l2 * w / len(data)
        for x, y in data:
            z = (x - mu) / sd
            s = z @ w
            p = np.exp(s - s.max())
            g += z.T @ (p / p.sum() - y / y.sum()) / len(data)
        w -= 0.5 * g
    return list(w / sd)


def folds(n: int) -> list[tuple[list[int], list[int]]]:
    return [([i for i in range(n) if i % FOLDS != f], [i for i in range(n) if i % FOLDS == f]) for f in range(FOLDS)]


def run(retriever, questions: list[dict], held: list[dict]) -> dict:  # noqa: ANN001, PLR0915
    """Every experiment's rows over this retriever's indexes."""
    import numpy as np

    from assistant.retrieve import RESCORE_TOP, per_page_cap
    from evals.metrics import is_gold_page

    probe = Probe(retriever)
    s = probe.s
    service_fusion, service_stage = (s.bm25_weight, s.prefix_weight, s.rrf_k), (0.5, 0.1)
    rows: list[dict] = []

    def row(name: str, project: list, cv: list | None, held_ranks: list | None, note: str = "") -> None:
        rows.append(
            {
                "experiment": name,
                "project": hit_mrr(project),
                "cross_validation": hit_mrr(cv) if cv is not None else None,
                "held_out": hit_mrr(held_ranks) if held_ranks is not None else None,
                "note": note,
            }
        )

    # the grid of weights: ranks of every project question under every (fusion, stage) pair
    grid = [(f, st) for f in FUSION_GRID for st in STAGE_GRID]
    ranks = np.zeros((len(grid), len(questions)), dtype=float)  # 1 / rank, 0 when missed
    for fi, fusion in enumerate(FUSION_GRID):
        for qi, q in enumerate(questions):
            cands = probe.fused(q["question"], fusion)
            for si, stage in enumerate(STAGE_GRID):
                r = page_rank(probe.staged(cands, stage), q["expected"])
                ranks[fi * len(STAGE_GRID) + si, qi] = 1 / r if r else 0.0

    def as_ranks(values: np.ndarray) -> list[int | None]:
        return [round(1 / v) if v else None for v in values]

    def choose(inverse_ranks: np.ndarray) -> tuple[int, list[int | None]]:
        """The best row on all the project's questions (hit@1, then MRR), and the ranks a row chosen on four
        folds gives the fifth."""

        def score(cols: list[int]) -> np.ndarray:
            return (inverse_ranks[:, cols] == 1).mean(1) + 1e-3 * inverse_ranks[:, cols].mean(1)

        cv: list[int | None] = [None] * inverse_ranks.shape[1]
        for train_idx, test_idx in folds(inverse_ranks.shape[1]):
            chosen = int(np.argmax(score(train_idx)))
            for i in test_idx:
                cv[i] = as_ranks(inverse_ranks[chosen, [i]])[0]
        return int(np.argmax(score(list(range(inverse_ranks.shape[1]))))), cv

    held_cands = {service_fusion: [probe.fused(q["question"], service_fusion) for q in held]}

    def held_ranks(fusion: tuple, stage: tuple) -> list[int | None]:
        if fusion not in held_cands:
            held_cands[fusion] = [probe.fused(q["question"], fusion) for q in held]
        return [page_rank(probe.staged(c, stage), q["expected"]) for c, q in zip(held_cands[fusion], held, strict=True)]

    service = grid.index((service_fusion, service_stage))
    row("en service", as_ranks(ranks[service]), None, held_ranks(service_fusion, service_stage))
    best, cv = choose(ranks)
    (bw, pw, k), (fw, gw) = grid[best]
    row(
        "poids de la fusion et du second tri (grille)",
        as_ranks(ranks[best]),
        cv,
        held_ranks(*grid[best]),
        f"meilleurs sur le projet : BM25 {bw}, préfixes {pw}, RRF {k}, fusion {fw}, page {gw} ({len(grid)} essais)",
    )

    # a BM25 field of titles and section headings, weighted on its own in the fusion
    proj_cands = [probe.fused(q["question"], service_fusion) for q in questions]
    heads = np.array(
        [
            [
                1 / r
                if (
                    r := page_rank(probe.staged(probe.with_headings(q["question"], c, w), service_stage), q["expected"])
                )
                else 0.0
                for q, c in zip(questions, proj_cands, strict=True)
            ]
            for w in HEADING_WEIGHTS
        ]
    )
    best, cv = choose(heads)
    w = HEADING_WEIGHTS[best]
    row(
        "champ des titres et intertitres (BM25 à part)",
        as_ranks(heads[best]),
        cv,
        [
            page_rank(probe.staged(probe.with_headings(q["question"], c, w), service_stage), q["expected"])
            for q, c in zip(held, held_cands[service_fusion], strict=True)
        ],
        f"meilleur poids sur le projet : {w} (essayés : {', '.join(map(str, HEADING_WEIGHTS))})",
    )

    # the learnt reranker, on the candidates of the fusion in service
    def lists(qs: list[dict], cands: list[list]) -> list[tuple]:
        out = []
        for q, c in zip(qs, cands, strict=True):
            out.append((probe.signals(q["question"], c), [is_gold_page(p, q["expected"]) for p in c[:RESCORE_TOP]]))
        return out

    def rerank(c: list, x: list[list[float]], w: list[float]) -> list:
        order = sorted(range(len(x)), key=lambda j: -float(np.dot(x[j], w)))
        return per_page_cap([c[j] for j in order] + c[RESCORE_TOP:], s.max_per_page, 10)

    proj_lists, held_lists = lists(questions, proj_cands), lists(held, held_cands[service_fusion])
    w_all = train(proj_lists)
    cv = [None] * len(questions)
    for train_idx, test_idx in folds(len(questions)):
        w = train([proj_lists[i] for i in train_idx])
        for i in test_idx:
            cv[i] = page_rank(rerank(proj_cands[i], proj_lists[i][0], w), questions[i]["expected"])

    def learnt(cands: list[list], signal_lists: list[tuple], qs: list[dict]) -> list[int | None]:
        return [
            page_rank(rerank(c, x, w_all), q["expected"]) for c, (x, _), q in zip(cands, signal_lists, qs, strict=True)
        ]

    weights = ", ".join(f"{n} {v:+.2f}" for n, v in zip(SIGNALS, w_all, strict=True))
    row(
        "second tri appris (7 signaux, 20 candidats)",
        learnt(proj_cands, proj_lists, questions),
        cv,
        learnt(held_cands[service_fusion], held_lists, held),
        f"poids appris sur le projet : {weights}",
    )

    # other query vectors, dense search alone
    variants = {name: ([], []) for name in ("service", "qa", "content", "prf")}
    for part, qs in ((0, questions), (1, held)):
        for q in qs:
            for name, v in probe.vectors(q["question"]).items():
                variants[name][part].append(page_rank(probe.dense_only(v), q["expected"]))
    labels = {
        "service": "dense seul, vecteur en service",
        "qa": "dense seul, consigne « question answering » d'EmbeddingGemma",
        "content": "dense seul, question moyennée avec ses mots sans le cadrage",
        "prf": "dense seul, vecteur rapproché de ses 5 premiers passages (0,3)",
    }
    for name, (p, h) in variants.items():
        row(labels[name], p, None, h)
    return {"rows": rows, "project": len(questions), "held_out": len(held)}


def render(r: dict) -> str:
    def cell(x: tuple | None) -> str:
        return "—" if x is None else f"{x[0]:.3f} / {x[1]:.3f}"

    lines = [
        "# Recherche : essais au-delà du second tri en service",
        "",
        f"Commande : `{r['command']}` — {r['date']} — {r['machine']} — {r['seconds']:.0f} s",
        "",
        f"hit@1 / MRR@10 par page. Projet : {r['project']} questions couvertes (choix et apprentissage) ; "
        f"validation croisée à {FOLDS} plis sur le projet ; tenues à l'écart : {r['held_out']} questions de "
        f"{', '.join(HELD_OUT)}, jamais utilisées pour ces choix.",
        "",
        "| essai | projet | validation croisée | tenues à l'écart | remarque |",
        "|---|---|---|---|---|",
    ]
    for x in r["rows"]:
        lines.append(
            f"| {x['experiment']} | {cell(x['project'])} | {cell(x['cross_validation'])} | "
            f"{cell(x['held_out'])} | {x['note']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.retrieval_probe", description=__doc__)
    ap.add_argument("--out", type=Path, default=HERE / "reports")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from evals.questions import load_questions

    t0 = time.perf_counter()
    questions = [q for q in load_questions(HERE / "questions.jsonl") if q["expected"]]
    held = [q for name in HELD_OUT for q in load_questions(HERE / name) if q["expected"]]
    from assistant.answer import Assistant
    from assistant.settings import Settings

    result = run(Assistant.load(Settings.from_env()).retriever, questions, held)
    result |= {
        "command": "python -m evals.retrieval_probe",
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cœurs",
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_report(args.out, "retrieval_probe", result, render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
