"""Generated answers against the extractive one, on the same questions, side by side in one run.

Each row answers every question of the subset through ``Assistant.stream``, as the app and the CLI do
(retrieval, the local backend's passage budget, citations checked, unsupported sentences removed,
extractive fallback when nothing is cited). For each backend and model size:

- answer-point coverage and median words (as in ``evals.composers``);
- faithfulness: the share of the answer's sentences whose content words (stems) are, for at least
  ``FAITHFUL_SHARE`` of them, in the passages the sentence cites (a sentence takes the next citation of
  its line; one without citation counts as unfaithful; lead-in lines ending with ':' are not claims), on
  the answer shown and on the raw generated text, before the checks;
- citations: markers generated, invalid ones (pointing to no passage shown to the model), and the share
  of those the check removed; answers that fell back to the extractive one;
- élu Kandel–Moles on the élu questions;
- time to the first word and total time, p50/p95 (the extractive answer's first word is its whole answer).

    capacities eval --backend local [--models qwen2.5-coder-0.5b qwen2.5-coder-1.5b] [--limit 24]
    capacities eval --backend openai            # the server of CAPACITIES_LLM_BASE_URL (Albert, vLLM, serve-llm)
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from evals.metrics import answer_body, body_words, markers, points_coverage
from evals.report import write_report
from measure import pct

HERE = Path(__file__).resolve().parent
FAITHFUL_SHARE = 0.8  # stricter than the answer's own check (assistant.answer.SUPPORT_FLOOR, 0.4)
FALLBACK = "La réponse générée ne citait aucun passage"


def subset(questions: list[dict], limit: int) -> list[dict]:
    """``limit`` covered questions spread evenly over the set (every kind keeps its share)."""
    covered = [q for q in questions if q["expected"]]
    if not limit or limit >= len(covered):
        return covered
    step = len(covered) / limit
    return [covered[int(i * step)] for i in range(limit)]


def faithful(text: str, passages: list) -> tuple[int, int]:  # noqa: ANN001
    """(faithful sentences, sentences) of an answer's body; ``[n]`` names ``passages[n-1]``."""
    from assistant.hostile import strip_markup
    from assistant.text import content_words, sentences

    good = total = 0
    for line in strip_markup(answer_body(text)).split("\n"):
        if line.rstrip().endswith(":"):  # a lead-in ("Voici comment procéder, d'après les livrables :"), not a claim
            continue
        parts = sentences(line)
        for i, sentence in enumerate(parts):
            words = content_words(sentence)
            if len(words) < 3:  # a label, a number, a lone marker
                continue
            total += 1
            # a quote of several sentences is cited once, at its end: a sentence takes the next citation
            numbers = next((markers(p) for p in parts[i:] if markers(p)), [])
            cited = [passages[n - 1] for n in numbers if 1 <= n <= len(passages)]
            if cited:
                found = content_words(" ".join(f"{p.title} {p.section} {p.text}" for p in cited))
                good += len(words & found) >= FAITHFUL_SHARE * len(words)
    return good, total


def run_row(assistant, questions: list[dict], backend: str) -> dict:  # noqa: ANN001
    """Answer the questions with one backend; the per-question figures and the row's summary."""
    from assistant.readability import kandel_moles
    from assistant.types import Answer

    s = assistant.settings
    per_q, first_ms, total_ms, km = [], [], [], []
    for q in questions:
        mode = "elu" if q["kind"] == "elu" else "agent"
        t0, first, raw, ans = time.perf_counter(), None, [], None
        for piece in assistant.stream(q["question"], mode=mode, backend=backend):
            if isinstance(piece, Answer):
                ans = piece
            else:
                first = first or time.perf_counter() - t0
                raw.append(piece)
        total = time.perf_counter() - t0
        shown = assistant.retriever.search(q["question"], k=s.top_k)  # what the model read (same search)
        if backend == "local":
            shown = shown[: max(1, s.local_max_passages)]
        first_ms.append(1000 * (first or total))
        total_ms.append(1000 * total)
        raw_text = "".join(raw)
        generated = markers(raw_text)
        invalid = [n for n in generated if not 1 <= n <= len(shown)]
        left = [n for n in markers(ans.text) if not 1 <= n <= len(ans.citations)]
        good, sents = faithful(ans.text, ans.citations)
        raw_good, raw_sents = faithful(raw_text, shown) if raw else (good, sents)
        if mode == "elu" and not ans.abstained:
            km.append(kandel_moles(answer_body(ans.text)))
        per_q.append(
            {
                "id": q["id"],
                "mode": mode,
                "abstained": ans.abstained,
                "coverage": points_coverage(q["answer_points"], ans.text) if not ans.abstained else None,
                "words": body_words(ans.text),
                "faithful": [good, sents],
                "raw_faithful": [raw_good, raw_sents],
                "markers": len(generated),
                "invalid": len(invalid),
                "invalid_left": len(left),
                "fallback": any(w.startswith(FALLBACK) for w in ans.warnings),
                "first_ms": round(first_ms[-1], 1),
                "total_ms": round(total_ms[-1], 1),
                "answer": ans.text,
                "generated": raw_text,
            }
        )
    answered = [r for r in per_q if not r["abstained"]]
    cov = [r["coverage"] for r in answered if r["coverage"] is not None]
    invalid = sum(r["invalid"] for r in per_q)

    def share(key: str) -> float | None:
        num, den = sum(r[key][0] for r in answered), sum(r[key][1] for r in answered)
        return round(num / den, 3) if den else None

    return {
        "questions": len(per_q),
        "answered": len(answered),
        "coverage": round(statistics.mean(cov), 3) if cov else None,
        "median_words": statistics.median(r["words"] for r in answered) if answered else None,
        "faithful": share("faithful"),
        "raw_faithful": share("raw_faithful"),
        "markers": sum(r["markers"] for r in per_q),
        "invalid": invalid,
        "invalid_removed": round(1 - sum(r["invalid_left"] for r in per_q) / invalid, 3) if invalid else None,
        "fallbacks": sum(r["fallback"] for r in per_q),
        "elu_kandel_moles": round(statistics.mean(km), 1) if km else None,
        "elu_answers": len(km),
        "first_ms": {"p50": pct(first_ms, 50), "p95": pct(first_ms, 95)},
        "total_ms": {"p50": pct(total_ms, 50), "p95": pct(total_ms, 95)},
        "per_question": per_q,
    }


def evaluate(assistant, questions: list[dict], backend: str, models: list[str]) -> dict:  # noqa: ANN001
    """The extractive row, then one row per model (``local``) or the configured server (``openai``)."""
    from assistant.answer import Assistant

    rows = {"extractive": run_row(assistant, questions, "extractive")}
    for model in models if backend == "local" else [assistant.settings.llm_model or "serveur"]:
        s = replace(assistant.settings, local_model=model) if backend == "local" else assistant.settings
        other = Assistant(s, assistant.retriever, assistant.glossary, assistant.chat if backend == "openai" else None)
        t0 = time.perf_counter()
        other.chat_model(backend)  # the model loaded (local) or the server reached, outside the timings
        load_s = time.perf_counter() - t0
        next(iter(other.chat_model(backend).stream([{"role": "user", "content": "Bonjour"}])), None)  # warm-up
        rows[f"{backend}:{model}"] = run_row(other, questions, backend) | {"load_s": round(load_s, 1)}
        other.chat = None  # the local server and its model go with it
        del other
        gc.collect()
    return rows


def render(result: dict) -> list[str]:
    def num(x: object) -> str:
        return "—" if x is None else str(x)

    lines = [
        "# Réponses générées ou extractives, sur les mêmes questions",
        "",
        f"Lancé le {result['date']} sur {result['machine']['cpu']}, {result['machine']['cores']} cœurs : "
        f"`{result['command']}` ({result['seconds']:.0f} s) ; {result['questions']} questions couvertes de "
        f"`{result['set']}`, réparties sur tout le jeu.",
        "",
        "| moteur | réponses | couverture des points | médiane des mots | phrases fidèles (affichées / générées) "
        "| citations invalides générées → retirées | retours à l'extractif | Kandel–Moles élus "
        "| premier mot p50 / p95 (s) | total p50 / p95 (s) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in result["rows"].items():
        label = "extractif (défaut)" if name == "extractive" else name.replace("local:", "local, ")
        inv = f"{r['invalid']} / {r['markers']} → {num(r['invalid_removed'])}" if name != "extractive" else "—"
        lines.append(
            f"| {label} | {r['answered']}/{r['questions']} | {num(r['coverage'])} | {num(r['median_words'])} | "
            f"{num(r['faithful'])} / {num(r['raw_faithful']) if name != 'extractive' else '—'} | {inv} | "
            f"{r['fallbacks'] if name != 'extractive' else '—'} | {num(r['elu_kandel_moles'])} ({r['elu_answers']}) | "
            f"{r['first_ms']['p50'] / 1000:.2f} / {r['first_ms']['p95'] / 1000:.2f} | "
            f"{r['total_ms']['p50'] / 1000:.2f} / {r['total_ms']['p95'] / 1000:.2f} |"
        )
    lines += [
        "",
        f"Phrase fidèle : au moins {FAITHFUL_SHARE:.0%} de ses mots pleins (racines) sont dans les passages "
        "qu'elle cite ; une phrase sans citation ne l'est pas. « Générées » : le texte du modèle avant les "
        "contrôles (citations vérifiées, phrases non appuyées retirées).",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="capacities eval --backend", description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["local", "openai"], required=True)
    ap.add_argument("--models", nargs="+", default=["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"], help="local")
    ap.add_argument("--limit", type=int, default=24, help="questions couvertes, réparties sur le jeu (0 = toutes)")
    ap.add_argument("--questions", type=Path, default=HERE / "questions.jsonl")
    ap.add_argument("--out", type=Path, default=HERE / "reports")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.answer import Assistant
    from assistant.settings import Settings
    from evals.questions import load_questions
    from measure import machine

    t0 = time.perf_counter()
    assistant = Assistant.load(Settings.from_env())
    assistant.retriever.warm_up()
    questions = subset(load_questions(args.questions), args.limit)
    rows = evaluate(assistant, questions, args.backend, args.models)
    cmd = f"capacities eval --backend {args.backend}"
    cmd += f" --models {' '.join(args.models)}" if args.backend == "local" else ""
    cmd += f" --limit {args.limit}"
    result = {
        "command": cmd,
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "set": args.questions.name,
        "questions": len(questions),
        "seconds": time.perf_counter() - t0,
        "rows": rows,
    }
    write_report(args.out, f"backends_{args.backend}", result, "\n".join(render(result)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
