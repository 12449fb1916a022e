"""The retrieval probe: its reranker learns, its folds split, and its row for the retriever in service
gives the figures the retriever gives."""

from __future__ import annotations

import random

from evals import retrieval_probe as P
from tests.helpers import indexed_assistant, write_md

TOPICS = {
    "achats.md": "Le cahier des charges impose des clauses environnementales au prestataire du marché public.",
    "donnees.md": "La collectivité publie ses jeux de données ouvertes sur data.gouv.fr sous une licence ouverte.",
    "parc.md": "Les ordinateurs du parc informatique sont réemployés, réparés puis donnés aux associations.",
    "site.md": "L'écoconception du site web réduit le poids des pages, des images et des vidéos.",
}
QUESTIONS = [
    ("Quelles clauses environnementales mettre dans le cahier des charges ?", "achats.md"),
    ("Comment publier nos données ouvertes sur data.gouv.fr ?", "donnees.md"),
    ("Que faire des ordinateurs du parc dont on ne se sert plus ?", "parc.md"),
    ("Comment alléger les pages et les vidéos du site ?", "site.md"),
    ("Quelle licence pour les jeux de données publiés ?", "donnees.md"),
    ("Peut-on donner nos ordinateurs à des associations ?", "parc.md"),
]


def test_the_listwise_reranker_learns_the_signal_that_marks_the_right_passage():
    rng = random.Random(0)
    lists = []
    for _ in range(30):
        gold = rng.randrange(8)
        rows = [[rng.random(), rng.random() + (1.5 if j == gold else 0.0)] for j in range(8)]
        lists.append((rows, [j == gold for j in range(8)]))
    w = P.train(lists)
    assert w[1] > 3 * abs(w[0])  # the second signal tells the right one, the first is noise
    first = [max(range(8), key=lambda j: rows[j][0] * w[0] + rows[j][1] * w[1]) for rows, _ in lists]
    assert sum(y[f] for f, (_, y) in zip(first, lists, strict=True)) >= 27


def test_folds_split_the_questions_once_each():
    seen = sorted(i for _, test in P.folds(13) for i in test)
    assert seen == list(range(13))
    assert all(not set(train) & set(test) and len(train) + len(test) == 13 for train, test in P.folds(13))
    assert P.hit_mrr([1, 2, None, 1]) == (0.5, (1 + 0.5 + 1) / 4)


def test_the_service_row_is_what_the_retriever_gives(settings):
    for name, text in TOPICS.items():
        write_md(settings.corpus_dir, name, f"# {name[:-3]}\n\n{text}\n\n{text}")
    retriever = indexed_assistant(settings).retriever
    qs = [{"id": f"t{i}", "question": q, "expected": [{"file": f, "pages": [1]}]} for i, (q, f) in enumerate(QUESTIONS)]
    result = P.run(retriever, qs[:4], qs[4:])
    rows = {r["experiment"]: r for r in result["rows"]}
    direct = [P.page_rank(retriever.search(q["question"], k=10), q["expected"]) for q in qs[:4]]
    assert rows["en service"]["project"] == P.hit_mrr(direct)
    assert len(result["rows"]) == 8 and result["project"] == 4 and result["held_out"] == 2
    for r in result["rows"]:
        assert all(0.0 <= x <= 1.0 for part in ("project", "held_out") for x in r[part])
    md = P.render(result | {"command": "python -m evals.retrieval_probe", "date": "d", "machine": "m", "seconds": 1.0})
    assert all(f"| {r['experiment']} |" in md for r in result["rows"])
