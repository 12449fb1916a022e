"""What an extractive answer could reach at best on a question set, whatever its ranking:

- coverage: units (sentences, list items, whole lists) of the retrieved passages picked greedily by
  the answer points they cover, up to 220 words: an oracle that reads the expected answer;
- plainness: the Kandel–Moles index of the 6 plainest complete sentences of the retrieved passages of
  each élu question, whatever they say.

    python -m evals.ceilings [--questions evals/questions.jsonl]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.ceilings", description=__doc__)
    ap.add_argument("--questions", type=Path, default=HERE / "questions.jsonl")
    ap.add_argument("--words", type=int, default=220)
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant import compose as C
    from assistant.answer import Assistant, covers
    from assistant.plain import complete_sentence
    from assistant.readability import kandel_moles
    from assistant.settings import Settings
    from evals.metrics import points_coverage
    from evals.questions import load_questions

    assistant = Assistant.load(Settings.from_env())
    oracle, plainest = [], []
    for q in load_questions(args.questions):
        passages = assistant.retriever.search(q["question"], k=assistant.settings.top_k)
        if not q["expected"] or not covers(q["question"], passages, assistant.settings):
            continue
        texts = C.candidate_texts(q["question"], passages)
        if q["answer_points"]:
            chosen, room = "", args.words
            while True:
                base = points_coverage(q["answer_points"], chosen)
                fits = [t for t in texts if len(t.split()) <= room]
                gain = max(
                    ((points_coverage(q["answer_points"], f"{chosen} {t}") - base, t) for t in fits), default=None
                )
                if not gain or gain[0] <= 0:
                    break
                chosen, room = f"{chosen} {gain[1]}", room - len(gain[1].split())
            oracle.append(points_coverage(q["answer_points"], chosen))
        if q["kind"] == "elu":
            whole = sorted((t for t in texts if complete_sentence(t)), key=lambda s: -kandel_moles(s))
            plainest.append(kandel_moles(" ".join(C.end_unit(s) for s in whole[:6])))
    print(
        f"{args.questions.name} : couverture de l'oracle à {args.words} mots {statistics.mean(oracle):.3f} "
        f"({len(oracle)} questions) ; Kandel–Moles des 6 phrases complètes les plus simples, questions "
        f"d'élus : {statistics.mean(plainest):.1f} ({len(plainest)} questions)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
