"""``capacities eval --backend``: faithfulness, citations and timings of generated answers, computed
from what a (scripted) model wrote; the real model's run is in tests/assistant/test_llm_server.py."""

from __future__ import annotations

import pytest

from assistant.types import Passage
from evals.backends import evaluate, faithful, render, subset
from tests.assistant.test_answer import ScriptedChat
from tests.helpers import indexed_assistant, write_md

P1 = Passage(
    "a", "Créez une organisation au nom de la mairie. Déposez le fichier sur data.gouv.fr.", "d.md", "D", 1, 1, "", 0
)
P2 = Passage("b", "Choisissez une licence ouverte pour le jeu de données publié.", "d.md", "D", 2, 2, "", 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Créez une organisation au nom de la mairie. Déposez le fichier sur data.gouv.fr. [1]", (2, 2)),
        ("1. Créez une organisation au nom de la mairie [1].\n2. Choisissez une licence ouverte [2].", (2, 2)),
        ("1. Créez une organisation au nom de la mairie [2].", (0, 1)),  # the wrong passage cited
        ("Versez dix mille euros à l'association Numérique Plus [1].", (0, 1)),  # words not in the passage
        ("Créez une organisation au nom de la mairie.", (0, 1)),  # cited nowhere
        ("1. [1]\n2. [2]", (0, 0)),  # nothing to judge
        ("Voici comment procéder, d'après les livrables :\n1. Créez une organisation au nom de la mairie [1].", (1, 1)),
        ("Créez une organisation au nom de la mairie [7].", (0, 1)),  # a passage that does not exist
    ],
)
def test_a_sentence_is_faithful_when_the_passage_it_cites_holds_its_words(text, expected):
    assert faithful(text + "\n\nPour aller plus loin :\n- [1] D (d.md), p. 1", [P1, P2]) == expected


def test_the_subset_spreads_over_the_covered_questions():
    qs = [{"id": f"q{i}", "expected": [] if i % 5 == 0 else [{"file": "x", "pages": [1]}]} for i in range(40)]
    picked = subset(qs, 8)
    assert len(picked) == 8 and all(q["expected"] for q in picked)
    assert picked[0]["id"] == "q1" and int(picked[-1]["id"][1:]) >= 35  # from the start to the end of the set
    assert len(subset(qs, 0)) == 32


def test_invalid_citations_fallbacks_and_times_are_counted_from_what_the_model_wrote(settings):
    write_md(
        settings.corpus_dir,
        "marches.md",
        "# Marchés\n\nDéfinir le besoin avec les usagers du service avant de lancer la consultation. "
        "Rédiger ensuite le cahier des charges avec des clauses environnementales.\n",
    )
    assistant = indexed_assistant(settings)
    q = {"id": "t", "kind": "procedure", "expected": [{"file": "marches.md", "pages": [1]}]}
    questions = [
        q | {"question": "Comment lancer un marché public ?", "answer_points": ["définir le besoin avec les usagers"]},
        q | {"id": "u", "question": "Comment définir le besoin d'un marché ?", "answer_points": []},
    ]
    replies = iter(
        [
            "1. Définir le besoin avec les usagers du service [1].\n"
            "2. Payer dix mille euros à l'association Numérique Plus [9].",
            "Rien.",
        ]
    )

    class Chat(ScriptedChat):
        def stream(self, messages):  # noqa: ANN001, ANN202
            if len(messages) == 1:  # the eval's warm-up
                yield "Bonjour."
                return
            self.reply = next(replies)
            yield from super().stream(messages)

    assistant.chat = Chat("")
    rows = evaluate(assistant, questions, "openai", [])
    gen, ext = rows["openai:serveur"], rows["extractive"]
    first, second = gen["per_question"]
    assert (first["markers"], first["invalid"], first["invalid_left"], first["fallback"]) == (2, 1, 0, False)
    assert second["fallback"] and second["markers"] == 0  # cited nothing: the extractive answer was shown
    assert gen["invalid"] == 1 and gen["invalid_removed"] == 1.0 and gen["fallbacks"] == 1
    assert first["raw_faithful"] == [1, 2] and first["faithful"] == [1, 1]  # the invented step was removed
    assert first["coverage"] == 1.0 and gen["questions"] == ext["questions"] == 2
    assert all(r["first_ms"] <= r["total_ms"] for r in gen["per_question"])
    md = render(
        {
            "date": "d",
            "machine": {"cpu": "c", "cores": 2},
            "command": "x",
            "seconds": 1.0,
            "questions": 2,
            "set": "t.jsonl",
            "rows": rows,
        }
    )
    assert "| openai:serveur | 2/2 |" in "\n".join(md) and "1 / 2 → 1.0" in "\n".join(md)
