"""The plain-language report: the corpus count and sample, and the side-by-side table."""

from __future__ import annotations

from types import SimpleNamespace

from evals.plain_language import SETS, corpus, to_markdown


def test_the_corpus_count_finds_rewritten_and_cut_sentences_and_samples_every_cut_one():
    texts = [
        "Il convient de consulter les agents de chaque service municipal. La commune publie ses données chaque année.",
        "Quand une administration expose des données personnelles, elle doit pouvoir interdire leur diffusion, "
        "ce qui demande un contrôle strict des accès aux données publiées.",
        "La commune publie ses données chaque année.",  # seen before: counted once
    ]
    assistant = SimpleNamespace(
        retriever=SimpleNamespace(lexical=SimpleNamespace(chunks=[SimpleNamespace(text=t) for t in texts]))
    )
    c = corpus(assistant, sample=5)
    assert (c["sentences"], c["rewritten"], c["cut"]) == (3, 2, 1)
    assert {x["simplifiée"] for x in c["sample"]} == {
        "Il faut consulter les agents de chaque service municipal.",
        "Quand une administration expose des données personnelles, elle doit pouvoir interdire leur diffusion. "
        "Cela demande un contrôle strict des accès aux données publiées.",
    }


def test_the_table_puts_each_set_without_and_with_the_rewrite_side_by_side():
    side = {n: {"answers": 1, "km": [40.0], "km_sources": [45.0], "coverage": [0.5], "words": [120]} for n in SETS}
    better = {n: v | {"km": [44.0]} for n, v in side.items()}
    for s in (side, better):
        s["tous"] = s["questions.jsonl"] | {"answers": len(SETS)}
    md = to_markdown(
        {
            "date": "2026-12-06 10:00",
            "machine": "AMD EPYC, 2 cœurs",
            "seconds": 60.0,
            "without": side,
            "with": better,
            "corpus": {"sentences": 10, "rewritten": 3, "cut": 1, "sample": []},
        }
    )
    assert "| questions.jsonl | 1 | 40,0 → 44,0 (45,0) | 50,0 → 50,0 % | 120 → 120 |" in md
    assert "| tous | 7 |" in md and "réécrites : 3 ; coupées en deux : 1" in md
