"""Plain French for élus (``assistant.simplify``), measured with and without it in one run.

- On the élu questions of the project set and of the held-out sets: the Kandel–Moles index of the
  answers beside that of their cited passages, answer-point coverage and median words, with the
  rewrite and without it (the same answers' sentences, as printed).
- On every complete sentence of the index (6 to 40 words): how many the rewrite changes, and how many
  it cuts in two. ``--sample N`` writes N rewritten sentences (every cut one, the rest drawn at random)
  to ``plain_language_sample.json`` for a reader who judges grammar and meaning blind.

    python -m evals.plain_language [--sample 60] [--out evals/reports]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from evals.report import write_report
from measure import machine

HERE = Path(__file__).resolve().parent
SETS = ["questions.jsonl"] + [f"heldout{s}.jsonl" for s in ["", "2", "3", "4", "5", "6"]]


def measure(assistant, rewrite: bool) -> dict:  # noqa: ANN001
    """Élu answers of every set, with or without the plain-French rewrite."""
    from assistant import compose
    from assistant.readability import kandel_moles
    from evals.metrics import answer_body, points_coverage
    from evals.questions import load_questions

    plain = compose.plain_sentence
    compose.plain_sentence = plain if rewrite else (lambda s: s)
    try:
        out = {}
        for name in SETS:
            km, src, cov, words = [], [], [], []
            for q in load_questions(HERE / name):
                if q["kind"] != "elu" or not q["expected"]:
                    continue
                ans = assistant.ask(q["question"], mode="elu")
                if ans.abstained:
                    continue
                body = answer_body(ans.text)
                km.append(kandel_moles(body))
                src.append(kandel_moles(" ".join(p.text for p in ans.citations)))
                words.append(len(body.split()))
                if q["answer_points"]:
                    cov.append(points_coverage(q["answer_points"], ans.text))
            out[name] = {"answers": len(km), "km": km, "km_sources": src, "coverage": cov, "words": words}
        return out
    finally:
        compose.plain_sentence = plain


def corpus(assistant, sample: int, seed: int = 11) -> dict:  # noqa: ANN001
    """How many complete sentences of the index the rewrite changes or cuts, and a sample of them."""
    from assistant.plain import complete_sentence
    from assistant.simplify import common_words, plain_sentence, split
    from assistant.text import sentences

    seen, changed = set(), []
    for c in assistant.retriever.lexical.chunks:
        for s in sentences(c.text):
            if s in seen or not complete_sentence(s, 40):
                continue
            seen.add(s)
            p = plain_sentence(s)
            if p != s:
                changed.append({"original": s, "simplifiée": p, "cut": len(split(common_words(s))) > 1})
    rng = random.Random(seed)
    cuts = [x for x in changed if x["cut"]]
    rest = [x for x in changed if not x["cut"]]
    drawn = cuts[:sample] + rng.sample(rest, max(0, min(len(rest), sample - len(cuts))))
    rng.shuffle(drawn)
    return {"sentences": len(seen), "rewritten": len(changed), "cut": len(cuts), "sample": drawn}


def _mean(xs: list[float]) -> str:
    return f"{statistics.mean(xs):.1f}".replace(".", ",") if xs else "—"


def _median(xs: list[int]) -> str:
    return f"{statistics.median(xs):g}".replace(".", ",") if xs else "—"


def to_markdown(r: dict) -> str:
    lines = [
        "# Langage simple pour les élus : avec et sans réécriture",
        "",
        f"Commande : `python -m evals.plain_language` — {r['date']} — {r['machine']} — {r['seconds']:.0f} s.",
        "",
        "Réponses d'élus (moteur extractif) de chaque jeu, les mêmes phrases choisies, dites telles qu'imprimées "
        "ou avec `assistant.simplify` (mots courants, phrases coupées).",
        "",
        "| jeu | réponses | Kandel–Moles sans → avec (sources) | couverture sans → avec | mots (médiane) sans → avec |",
        "|---|---|---|---|---|",
    ]
    rows = [*SETS, "tous"]
    for name in rows:
        a, b = r["without"][name], r["with"][name]
        lines.append(
            f"| {name} | {b['answers']} | {_mean(a['km'])} → {_mean(b['km'])} ({_mean(b['km_sources'])}) | "
            f"{_mean([100 * x for x in a['coverage']])} → {_mean([100 * x for x in b['coverage']])} % | "
            f"{_median(a['words'])} → {_median(b['words'])} |"
        )
    c = r["corpus"]
    lines += [
        "",
        f"Phrases complètes de l'index (6 à 40 mots) : {c['sentences']} ; réécrites : {c['rewritten']} ; "
        f"coupées en deux : {c['cut']}. Échantillon pour une relecture à l'aveugle : "
        f"`plain_language_sample.json` ({len(c['sample'])} phrases, tirage {r.get('seed', 11)}).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.plain_language", description=__doc__)
    ap.add_argument("--sample", type=int, default=60)
    ap.add_argument(
        "--seed", type=int, default=11, help="tirage de l'échantillon (changer pour une nouvelle relecture)"
    )
    ap.add_argument("--out", type=Path, default=HERE / "reports")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.answer import Assistant
    from assistant.settings import Settings

    t0 = time.perf_counter()
    assistant = Assistant.load(Settings.from_env())
    result: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "seed": args.seed,
        "machine": "{cpu}, {cores} cœurs".format(**machine()),
        "without": measure(assistant, rewrite=False),
        "with": measure(assistant, rewrite=True),
    }
    for side in ("without", "with"):
        sets = result[side]
        sets["tous"] = {k: [x for n in SETS for x in sets[n][k]] for k in ("km", "km_sources", "coverage", "words")}
        sets["tous"]["answers"] = sum(sets[n]["answers"] for n in SETS)
    result["corpus"] = corpus(assistant, args.sample, args.seed)
    result["seconds"] = time.perf_counter() - t0
    sample = [
        {"id": i, "original": x["original"], "simplifiée": x["simplifiée"]}
        for i, x in enumerate(result["corpus"]["sample"])
    ]
    write_report(args.out, "plain_language", result, to_markdown(result))
    (args.out / "plain_language_sample.json").write_text(
        json.dumps(sample, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
