"""Deliverable summaries (``capacities summarize``, the « Résumé pour élus » page), side by side in one run.

Key points written by a reader of the corpus only (``evals/summary_points.jsonl``: 5 to 8 per document,
each with its pages), against three ways of summarising the same indexed document, for agents and élus:

- ``lead``: the peer a reader would compare with, the document's first body sentences, as many as the
  summary has points (reading the opening);
- ``previous``: the summary before 2026-12-07 (``evals/legacy_summary.py``, frequent words per part);
- ``summary``: the summary in service (``assistant.summary``).

For each: key-point coverage (a point counts when half its stems are in the summary, as answer points
do), median words, parts of the document cited (quarters of its pages), the Kandel–Moles index (élu
beside agent: the élu version must read easier), units that are not advice, and points that are noun
phrases, without a verb ("Jeu de données du registre parcellaire bio.").

    python -m evals.summaries [--out evals/reports]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from evals.report import write_report

HERE = Path(__file__).resolve().parent
POINTS_FILE = HERE / "summary_points.jsonl"
WAYS = {
    "lead": "premières phrases du document (référence)",
    "previous": "résumé précédent (mots fréquents par partie)",
    "summary": "résumé en service (mots fréquents par partie, jamais un groupe nominal)",
}


def lead_points(passages: list, mode: str) -> list:  # noqa: ANN001
    """The document's first body sentences, as the previous summary read them (a peer that does not move)."""
    from assistant.summary import POINTS
    from evals.legacy_summary import body_units

    return body_units(passages, mode)[: POINTS[mode]]


def measure(chunks: list, references: list[dict]) -> dict:  # noqa: ANN001
    from assistant.readability import kandel_moles
    from assistant.summary import key_points, render, statement
    from assistant.types import Passage
    from evals.legacy_summary import key_points as previous_points
    from evals.metrics import answer_body, body_words, non_advice_units, points_coverage

    ways = {"lead": lead_points, "previous": previous_points, "summary": key_points}
    rows: dict = {}
    per_doc: dict = {}
    for ref in references:
        passages = [Passage(**vars(c)) for c in sorted(chunks.get(ref["source"], []), key=lambda c: c.index)]
        if not passages:
            continue
        n_pages = max(p.page_end for p in passages)
        for mode in ("agent", "elu"):
            for way, choose in ways.items():
                ans = render(passages, choose(passages, mode), mode, {})
                body = answer_body(ans.text)
                points = [line[2:] for line in body.splitlines() if line.startswith("- ")]
                quarters = {min(3, 4 * (p.page_start - 1) // n_pages) for p in ans.citations}
                r = rows.setdefault(
                    f"{way}/{mode}",
                    {"coverage": [], "words": [], "parts": [], "km": [], "bad": 0, "np": 0, "points": 0},
                )
                r["coverage"].append(points_coverage(ref["key_points"], ans.text))
                r["words"].append(body_words(ans.text))
                r["parts"].append(len(quarters) / 4)
                r["km"].append(kandel_moles(body))
                r["bad"] += len(non_advice_units(ans.text))
                r["np"] += sum(not statement(t.rsplit(" [", 1)[0]) for t in points)
                r["points"] += len(points)
                per_doc.setdefault(ref["source"], {})[f"{way}/{mode}"] = ans.text
    summary = {
        key: {
            "documents": len(r["coverage"]),
            "coverage": round(statistics.mean(r["coverage"]), 3),
            "median_words": statistics.median(r["words"]),
            "parts": round(statistics.mean(r["parts"]), 3),
            "kandel_moles": round(statistics.mean(r["km"]), 1),
            "not_advice": r["bad"],
            "noun_phrases": r["np"],
            "points": r["points"],
        }
        for key, r in rows.items()
    }
    return {"rows": summary, "per_document": per_doc}


def markdown(result: dict) -> str:
    rows = result["rows"]
    lines = [
        "# Résumés des livrables : points clés, côte à côte",
        "",
        f"Commande : `python -m evals.summaries` — {result['date']} — {result['machine']} — {result['seconds']:.0f} s",
        "",
        f"{result['documents']} documents ; points clés écrits par un lecteur du seul corpus "
        "(`evals/summary_points.jsonl`, 5 à 8 par document) ; un point compte si la moitié de ses racines est "
        "dans le résumé. Parties : quarts des pages du document où tombe une citation.",
        "",
        "| résumé | mode | couverture des points clés | médiane des mots | parties citées | Kandel–Moles | "
        "non-conseils | groupes nominaux / points |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for way, label in WAYS.items():
        for mode in ("agent", "elu"):
            r = rows[f"{way}/{mode}"]
            lines.append(
                f"| {label} | {mode} | {r['coverage']:.3f} | {r['median_words']:g} | {r['parts']:.2f} | "
                f"{r['kandel_moles']:.1f} | {r['not_advice']} | {r['noun_phrases']} / {r['points']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.settings import PROJECT_ROOT, Settings
    from assistant.store import open_lexical
    from measure import machine

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "reports")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    references = [json.loads(line) for line in POINTS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    chunks: dict = {}
    for c in open_lexical(Settings.from_env()).chunks:
        chunks.setdefault(c.source, []).append(c)
    result = measure(chunks, references)
    m = machine()
    result |= {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{m.get('cpu', '?')}, {m.get('cores', '?')} cœurs",
        "documents": sum(1 for ref in references if ref["source"] in chunks),
        "seconds": time.perf_counter() - t0,
    }
    write_report(args.out, "summaries", result, markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
