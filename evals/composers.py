"""Ways to answer from the same retrieved passages, side by side in one run:

- ``previous``: the composer before this one (``evals/legacy_composer.py``), unchanged;
- ``quote``: the peer a reader would compare with, the first 250 words of the two best passages, as is;
- ``compose``: the structure-aware composer of the assistant (``assistant/compose.py``), its units
  ranked by meaning with the block vectors stored at ingestion;
- ``live`` (with ``--live``): the same composer, the best candidate units embedded at query time.

For each: answer-point coverage and median words, the share of units that are not advice
(``assistant.blocks.non_advice``), procedure answers given as ordered steps, list integrity, the élu
answers' Kandel–Moles index beside that of their cited passages, and the answer's latency (retrieval,
done once per question and shared, plus the composition).

    python -m evals.composers [--questions evals/questions.jsonl] [--out evals/reports]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from evals.metrics import (
    answer_body,
    answer_units,
    body_words,
    list_integrity,
    non_advice_units,
    ordered_steps,
    orphan_openers,
    points_coverage,
)
from evals.questions import as_searched
from evals.report import write_report
from measure import pct

HERE = Path(__file__).resolve().parent
COMPOSERS = ("previous", "quote", "compose", "live")
LABELS = {
    "previous": "composeur précédent",
    "quote": "citation brute (250 premiers mots des 2 meilleurs passages)",
    "compose": "composeur par segments (assistant ; sens : vecteurs des blocs calculés à l'ingestion)",
    "live": "composeur par segments, sens : meilleures unités embarquées à la requête",
}
TARGETS = {"coverage": 0.60, "coverage_gain_vs_quote": 0.05, "median_words": 250, "non_advice": 0.0}
TARGETS |= {"steps": 0.9, "elu_kandel_moles": 60.0, "latency_p50_ms": 300.0}


def quote_answer(passages, n: int = 2, words: int = 250):  # noqa: ANN001, ANN201
    """The first ``words`` words of the ``n`` best passages, each followed by its citation."""
    from assistant.compose import further_reading
    from assistant.types import Answer

    best, left, parts = passages[:n], words, []
    for k, p in enumerate(best, 1):
        w = p.text.split()[:left]
        left -= len(w)
        if w:
            parts.append(f"{' '.join(w)} [{k}]")
    cited = best[: len(parts)]
    return Answer("\n\n".join(parts) + "\n\n" + further_reading(cited), "agent", "quote", False, cited)


def evaluate(assistant, questions: list[dict], live: bool = False) -> dict:  # noqa: ANN001
    """Run the composers on every covered question; returns the summary rows and per-question details.

    ``live``: also the variant that embeds the best candidate units at query time (a forward pass each).
    """
    from assistant.answer import abstain, covers
    from assistant.compose import extractive_answer
    from assistant.readability import kandel_moles
    from assistant.screening import is_procedure_question, wants_list
    from evals.legacy_composer import legacy_answer

    s = assistant.settings
    embed, qvec, neighbour = (
        assistant.retriever.embedder.embed_documents,
        assistant.retriever.query_vector,
        assistant.retriever.neighbour,
    )
    names = [c for c in COMPOSERS if live or c != "live"]
    rows = {c: {"coverage": [], "words": [], "units": 0, "bad": 0, "steps": [0, 0], "lists": [0, 0]} for c in names}
    for c in names:
        rows[c] |= {"km": [], "km_src": [], "ms": [], "answers_with_bad": 0, "answered": 0, "bad_examples": []}
        rows[c] |= {"orphans": 0}
    per_q: dict[str, dict] = {}
    for q in questions:
        if not q["expected"]:
            continue
        mode = "elu" if q["kind"] == "elu" else "agent"
        question = as_searched(q["question"])
        t0 = time.perf_counter()
        passages = assistant.retriever.search(question, k=s.top_k)
        retrieval_ms = (time.perf_counter() - t0) * 1000
        if not covers(question, passages, s):
            continue
        per_q[q["id"]] = {}

        def answer(c: str, question=question, passages=passages, mode=mode):  # noqa: ANN001, ANN202
            if c == "previous":
                return legacy_answer(question, passages, mode, assistant.glossary)
            if c == "quote":
                return quote_answer(passages)
            if c == "compose":
                return assistant.extractive(question, passages, mode)
            return extractive_answer(question, passages, mode, assistant.glossary, qvec(question), neighbour, embed)

        for c in names:
            t0 = time.perf_counter()
            ans = answer(c) or abstain(question, passages, mode, "extractive")
            ms = retrieval_ms + (time.perf_counter() - t0) * 1000
            r = rows[c]
            r["ms"].append(ms)
            if ans.abstained:
                continue
            r["answered"] += 1
            cov = points_coverage(q["answer_points"], ans.text)
            if cov is not None:
                r["coverage"].append(cov)
            r["words"].append(body_words(ans.text))
            units = answer_units(ans.text)
            bad = non_advice_units(ans.text)
            r["units"] += len(units)
            r["bad"] += len(bad)
            r["answers_with_bad"] += bool(bad)
            r["bad_examples"] += [f"{q['id']}: [{why}] {u[:100]}" for u, why in bad][:3]
            r["orphans"] += len(orphan_openers(ans.text))
            if mode == "agent" and (
                q["kind"] == "procedure" or is_procedure_question(question) or wants_list(question)
            ):
                r["steps"][1] += 1
                r["steps"][0] += ordered_steps(ans.text) > 0
            ok, n = list_integrity(ans.text, ans.citations)
            r["lists"][0] += ok
            r["lists"][1] += n
            if mode == "elu":
                r["km"].append(kandel_moles(answer_body(ans.text)))
                r["km_src"].append(kandel_moles(" ".join(p.text for p in ans.citations)))
            per_q[q["id"]][c] = {"coverage": cov, "words": body_words(ans.text), "bad": len(bad), "answer": ans.text}
    summary = {}
    for c, r in rows.items():
        summary[c] = {
            "answered": r["answered"],
            "coverage": round(statistics.mean(r["coverage"]), 3) if r["coverage"] else None,
            "coverage_questions": len(r["coverage"]),
            "median_words": statistics.median(r["words"]) if r["words"] else None,
            "non_advice_share": round(r["bad"] / max(1, r["units"]), 3),
            "units": r["units"],
            "answers_with_non_advice": round(r["answers_with_bad"] / max(1, r["answered"]), 3),
            "procedure_as_steps": round(r["steps"][0] / max(1, r["steps"][1]), 3),
            "procedure_answers": r["steps"][1],
            "list_integrity": round(r["lists"][0] / r["lists"][1], 3) if r["lists"][1] else None,
            "lists_quoted": r["lists"][1],
            "elu_kandel_moles": round(statistics.mean(r["km"]), 1) if r["km"] else None,
            "elu_sources_kandel_moles": round(statistics.mean(r["km_src"]), 1) if r["km_src"] else None,
            "latency_ms": {"p50": pct(r["ms"], 50), "p95": pct(r["ms"], 95)},
            "non_advice_examples": r["bad_examples"][:12],
            "orphan_openers": r["orphans"],
        }
    return {"composers": summary, "per_question": per_q}


def targets(summary: dict) -> list[dict]:
    """The issue's targets for the assistant's composer, each with its value and whether it is met."""
    c, quote = summary["compose"], summary["quote"]
    gain = round((c["coverage"] or 0) - (quote["coverage"] or 0), 3)
    rows = [
        ("couverture des points attendus", c["coverage"], ">=", TARGETS["coverage"]),
        ("gain de couverture sur la citation brute", gain, ">=", TARGETS["coverage_gain_vs_quote"]),
        ("médiane des mots", c["median_words"], "<=", TARGETS["median_words"]),
        ("part des unités qui ne sont pas des conseils", c["non_advice_share"], "<=", TARGETS["non_advice"]),
        ("réponses « comment faire » en étapes", c["procedure_as_steps"], ">=", TARGETS["steps"]),
        ("Kandel–Moles des réponses élus", c["elu_kandel_moles"], ">=", TARGETS["elu_kandel_moles"]),
        (
            "Kandel–Moles élus − sources",
            round((c["elu_kandel_moles"] or 0) - (c["elu_sources_kandel_moles"] or 0), 1),
            ">",
            0,
        ),
        ("latence p50 (ms)", c["latency_ms"]["p50"], "<=", TARGETS["latency_p50_ms"]),
    ]
    out = []
    for label, value, op, target in rows:
        v = value if value is not None else float("nan")
        met = v >= target if op == ">=" else v <= target if op == "<=" else v > target
        out.append({"label": label, "value": value, "op": op, "target": target, "met": bool(met)})
    return out


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def render(summary: dict, title: str) -> list[str]:
    """The three composers side by side, the targets, and a few units the previous composer showed."""
    lines = [
        f"## {title}",
        "",
        "| composition | réponses | couverture des points | médiane des mots | unités non-conseils | "
        "réponses avec ≥ 1 non-conseil | « comment faire » en étapes | listes intactes | Kandel–Moles élus "
        "(sources) | latence p50 / p95 (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in [c for c in COMPOSERS if c in summary]:
        r = summary[c]
        li = "—" if r["list_integrity"] is None else f"{r['list_integrity']:.3f} ({r['lists_quoted']})"
        lines.append(
            f"| {LABELS[c]} | {r['answered']} | {_num(r['coverage'])} | {r['median_words']} | "
            f"{r['non_advice_share']:.3f} ({r['units']} unités) | {r['answers_with_non_advice']:.3f} | "
            f"{r['procedure_as_steps']:.3f} ({r['procedure_answers']}) | {li} | "
            f"{r['elu_kandel_moles']} ({r['elu_sources_kandel_moles']}) | "
            f"{r['latency_ms']['p50']} / {r['latency_ms']['p95']} |"
        )
    lines += ["", "| objectif (composeur par segments) | valeur | cible | atteint ? |", "|---|---|---|---|"]
    for t in targets(summary):
        lines.append(f"| {t['label']} | {t['value']} | {t['op']} {t['target']} | {'oui' if t['met'] else '**non**'} |")
    orphans = ", ".join(f"{LABELS[c].split(' (')[0]} {summary[c]['orphan_openers']}" for c in summary if c != "quote")
    lines += [
        "",
        f"Étapes ou puces ouvertes par une phrase qui s'appuie sur une autre que la réponse ne montre pas "
        f"juste avant (`evals.metrics.orphan_openers`) : {orphans}.",
    ]
    bad = summary["previous"]["non_advice_examples"][:6]
    if bad:
        lines += ["", "Exemples d'unités du composeur précédent que le contrôle rejette :", ""]
        lines += [f"- {b}" for b in bad]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.composers", description=__doc__)
    ap.add_argument("--questions", type=Path, default=HERE / "questions.jsonl")
    ap.add_argument("--out", type=Path, default=None, help="écrire composers_<jeu>.{md,json} dans ce dossier")
    ap.add_argument("--live", action="store_true", help="aussi : unités embarquées à la requête (lent)")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.answer import Assistant
    from assistant.settings import Settings
    from evals.questions import load_questions

    assistant = Assistant.load(Settings.from_env())
    assistant.ask("échauffement", mode="agent")
    result = evaluate(assistant, load_questions(args.questions), live=args.live)
    result = {
        "command": f"python -m evals.composers --questions {args.questions}",
        "date": time.strftime("%Y-%m-%d %H:%M"),
    } | result
    md = "\n".join(render(result["composers"], f"Composition des réponses — {args.questions.name}")) + "\n"
    if args.out:
        write_report(args.out, f"composers_{args.questions.stem}", result, md)
    else:
        print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
