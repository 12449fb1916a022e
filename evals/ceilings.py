"""What an extractive answer could reach at best on a question set, whatever its ranking:

- coverage: units (sentences, list items, whole lists) of the retrieved passages picked greedily by
  the answer points they cover, up to 220 words: an oracle that reads the expected answer;
- élu coverage: the same oracle held to what an élu answer may quote (complete sentences of at most
  ``ELU_MAX_SENTENCE`` words, ``ELU_WORDS`` words in all, its two labels counted), beside the quote peer's coverage
  on the same questions (250 words of the two best passages);
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
    from assistant import prompts
    from assistant.answer import Assistant, covers
    from assistant.plain import complete_sentence
    from assistant.readability import kandel_moles
    from assistant.settings import Settings
    from evals.composers import quote_answer
    from evals.metrics import points_coverage
    from evals.questions import load_questions

    elu_words = C.ELU_WORDS - len(f"{prompts.INTRO_ELU} {prompts.IMPLICATIONS}".split())  # the labels count

    def greedy(points: list[str], texts: list[str], room: int) -> float:
        chosen = ""
        while True:
            base = points_coverage(points, chosen)
            fits = [t for t in texts if len(t.split()) <= room]
            gain = max(((points_coverage(points, f"{chosen} {t}") - base, t) for t in fits), default=None)
            if not gain or gain[0] <= 0:
                return points_coverage(points, chosen)
            chosen, room = f"{chosen} {gain[1]}", room - len(gain[1].split())

    assistant = Assistant.load(Settings.from_env())
    oracle, plainest, elu_oracle, elu_quote = [], [], [], []
    for q in load_questions(args.questions):
        passages = assistant.retriever.search(q["question"], k=assistant.settings.top_k)
        if not q["expected"] or not covers(q["question"], passages, assistant.settings):
            continue
        texts = C.candidate_texts(q["question"], passages)
        if q["answer_points"]:
            oracle.append(greedy(q["answer_points"], texts, args.words))
            if q["kind"] == "elu":
                whole = [t for t in texts if complete_sentence(t, C.ELU_MAX_SENTENCE)]
                elu_oracle.append(greedy(q["answer_points"], whole, elu_words))
                elu_quote.append(points_coverage(q["answer_points"], quote_answer(passages).text))
        if q["kind"] == "elu":
            whole = sorted((t for t in texts if complete_sentence(t)), key=lambda s: -kandel_moles(s))
            plainest.append(kandel_moles(" ".join(C.end_unit(s) for s in whole[:6])))
    print(
        f"{args.questions.name} : couverture de l'oracle à {args.words} mots {statistics.mean(oracle):.3f} "
        f"({len(oracle)} questions) ; Kandel–Moles des 6 phrases complètes les plus simples, questions "
        f"d'élus : {statistics.mean(plainest):.1f} ({len(plainest)} questions)"
    )
    if elu_oracle:
        print(
            f"questions d'élus : couverture de l'oracle tenu à la forme élu (phrases complètes de "
            f"{C.ELU_MAX_SENTENCE} mots au plus, {elu_words} mots) "
            f"{statistics.mean(elu_oracle):.3f}, "
            f"citation brute (250 mots) {statistics.mean(elu_quote):.3f} ({len(elu_oracle)} questions)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
