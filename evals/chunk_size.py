"""Passage length against page retrieval: the bundled corpus indexed at several chunk sizes, each in a
temporary folder with the real model, then page hit@1 / MRR@10 / hit@5 of the retriever in service on
the project's set and on the held-out sets (``evals.run.HELDOUT``), side by side in one run.

    python -m evals.chunk_size [--sizes 600 1000 1400]    # about 5 minutes a size on 2 cores

Writes ``evals/reports/chunk_size.{md,json}``. The overlap is 15 % of the size, as in service (150 for 1000).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import tempfile
import time
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from evals.questions import load_questions
from evals.report import write_report
from evals.run import HELDOUT, evaluate_retrieval

HERE = Path(__file__).resolve().parent


def measure(settings: Settings, sets: dict[str, list[dict]], embedder: object) -> dict:
    """Index the corpus with these settings, then page-level retrieval figures on each set."""
    from assistant.answer import Assistant
    from assistant.retrieve import Retriever
    from ingest.pipeline import run_ingest

    t0 = time.perf_counter()
    run_ingest(settings, embedder=embedder, progress=False)
    seconds = time.perf_counter() - t0
    retriever = Retriever(settings, embedder=embedder)
    assistant = Assistant.load(settings, retriever)
    out = {"passages": len(retriever.lexical.chunks), "ingest_seconds": round(seconds, 1), "sets": {}}
    for name, questions in sets.items():
        summary, _ = evaluate_retrieval(lambda q, k: assistant.retriever.search(q, k=k), questions)
        page = summary["page"]
        out["sets"][name] = {"n": len(questions), **{m: page[m] for m in ("hit@1", "mrr@10", "hit@5")}}
    return out


def held_out_mean(sets: dict[str, dict]) -> dict[str, float]:
    """hit@1 and MRR@10 over all held-out questions (weighted by set size)."""
    rows = [v for k, v in sets.items() if k != "questions.jsonl"]
    n = sum(r["n"] for r in rows) or 1
    return {m: sum(r[m] * r["n"] for r in rows) / n for m in ("hit@1", "mrr@10")}


def to_markdown(result: dict) -> str:
    sizes = list(result["sizes"])
    lines = [
        "# Longueur des passages et recherche par page",
        "",
        f"Commande : `python -m evals.chunk_size --sizes {' '.join(sizes)}` — {result['date']} — "
        f"{result['machine']} — {result['seconds']:.0f} s. Chaque taille : le corpus indexé à part avec le vrai "
        "modèle, recouvrement de 15 %, puis la recherche en service. hit@1 / MRR@10 / hit@5 par page.",
        "",
        "| jeu | " + " | ".join(f"{s} caractères" for s in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    first = result["sizes"][sizes[0]]["sets"]
    for name in first:
        cells = []
        for s in sizes:
            r = result["sizes"][s]["sets"][name]
            cells.append(f"{r['hit@1']:.3f} / {r['mrr@10']:.3f} / {r['hit@5']:.3f}")
        lines.append(f"| {name} ({first[name]['n']}) | " + " | ".join(cells) + " |")
    means = [held_out_mean(result["sizes"][s]["sets"]) for s in sizes]
    held = " | ".join(f"{m['hit@1']:.3f} / {m['mrr@10']:.3f}" for m in means)
    lines.append(f"| **tenues à l'écart, ensemble** | {held} |")
    lines.append("| passages | " + " | ".join(str(result["sizes"][s]["passages"]) for s in sizes) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Longueur des passages et recherche par page.")
    ap.add_argument("--sizes", type=int, nargs="+", default=[600, 1000, 1400])
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "reports")
    args = ap.parse_args(argv)
    from assistant.models import load_embedder

    base = Settings.from_env()
    embedder = load_embedder(base)
    sets = {"questions.jsonl": [q for q in load_questions(HERE / "questions.jsonl") if q["expected"]]}
    for name in HELDOUT:
        sets[name] = [q for q in load_questions(HERE / name) if q["expected"]]
    t0 = time.perf_counter()
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, 2 cœurs", "sizes": {}}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            s = dataclasses.replace(
                base, data_dir=Path(tmp), chunk_size=size, chunk_overlap=round(size * 0.15), collection="chunk_size"
            )
            result["sizes"][str(size)] = measure(s, sets, embedder)
    result["seconds"] = time.perf_counter() - t0
    write_report(args.out, "chunk_size", result, to_markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
