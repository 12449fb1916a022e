"""Gaps and flags: recording, triage, purge, concurrent writers, themes (a structured fake here, the
real model in a slow test), the loop that marks a gap covered once a deliverable answers it, exports."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading

import pytest

from assistant import gaps
from assistant.types import Answer
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import PASSAGE, indexed_assistant, write_md

THEMES = [
    [
        "Comment organiser un budget participatif dans la commune ?",
        "Quelles étapes pour lancer un budget participatif ?",
        "Comment mettre en place un budget participatif avec les habitants ?",
        "Budget participatif : par où commencer pour une mairie ?",
    ],
    [
        "Comment installer des bornes de recharge pour véhicules électriques ?",
        "Où placer les bornes de recharge électrique sur la voirie ?",
        "Comment déployer des points de recharge pour voitures électriques dans la ville ?",
        "Bornes de recharge pour véhicules électriques : comment s'y prendre ?",
    ],
    [
        "Comment réduire le gaspillage alimentaire dans les cantines scolaires ?",
        "Que faire contre le gaspillage de nourriture à la cantine ?",
        "Comment limiter les déchets alimentaires dans la restauration scolaire ?",
        "Cantines des écoles : comment moins jeter de nourriture ?",
    ],
]
STRAGGLERS = ["Quelle est la recette de la tarte tatin ?", "Qui a gagné la coupe du monde de football en 1998 ?"]
ABSTAINED = Answer("Les livrables du corpus ne traitent pas de cette question.", "agent", "extractive", True)


def _structured(questions: list[str]) -> list[list[float]]:
    """A fake with the structure of meaning: one direction per theme (a word that names it), a little
    of each question's own words, and stragglers off every theme."""
    marks = ["budget", "recharge", "cantine"]
    out = []
    for q in questions:
        own = HashEmbedder(16).embed_query(q)
        axis = [1.0 if m in q.lower() or (m == "cantine" and "scolaire" in q) else 0.0 for m in marks]
        out.append([*(3 * a for a in axis), *(0.3 * x for x in own)])
    return out


def _store(tmp_path):
    store = gaps.GapStore(tmp_path / "gaps.sqlite")
    for q in [q for t in THEMES for q in t] + STRAGGLERS:
        store.record_gap(q, ABSTAINED, [], "abstention")
    return store


def test_three_themes_of_four_paraphrases_and_two_stragglers_apart(tmp_path):
    groups = gaps.themes(_store(tmp_path).gaps(), _structured)
    assert [g.size for g in groups] == [4, 4, 4, 1, 1]
    assert [{x["question"] for x in g.gaps} for g in groups[:3]] == [set(t) for t in THEMES]
    assert "budget" in groups[0].label and "recharge" in groups[1].label
    assert groups[0].trend() == [0, 0, 0, 4]  # all this week


@pytest.mark.slow
def test_three_themes_of_four_paraphrases_and_two_stragglers_apart_with_the_real_model(tmp_path):
    from assistant.models import load_embedder
    from assistant.settings import Settings

    model = load_embedder(Settings())
    groups = gaps.themes(_store(tmp_path).gaps(), lambda qs: [model.embed_query(q) for q in qs])
    assert sorted(g.size for g in groups) == [1, 1, 4, 4, 4]
    assert {frozenset(x["question"] for x in g.gaps) for g in groups} == {frozenset(t) for t in THEMES} | {
        frozenset([q]) for q in STRAGGLERS
    }


def test_a_flag_and_a_gap_keep_what_maintainers_need_and_nothing_of_the_user(tmp_path):
    store = gaps.GapStore(tmp_path / "gaps.sqlite")
    fid = store.flag(PASSAGE, "Comment publier ?", "obsolete", "  le portail a changé  ")
    gid = store.record_gap(
        "Question mal notée ?", Answer("x", "elu", "extractive", False, [PASSAGE]), [PASSAGE], "pouce_bas"
    )
    flag, gap = store.flags()[0], store.gaps()[0]
    assert (flag["source"], flag["page"], flag["passage_id"], flag["comment"]) == (
        "pdf/g.pdf",
        2,
        "c1",
        "le portail a changé",
    )
    assert gap["nearest"] == ["pdf/g.pdf"] and gap["mode"] == "elu" and gap["status"] == "nouveau"
    columns = {r[1] for t in ("gaps", "flags") for r in sqlite3.connect(store.path).execute(f"PRAGMA table_info({t})")}
    assert not columns & {"ip", "address", "user", "session", "account"}
    store.triage("flags", fid, "accepte", "à corriger p. 2")
    store.triage("gaps", gid, "rejete")
    assert store.flags()[0]["status"] == "accepte" and store.flags()[0]["note"] == "à corriger p. 2"
    assert store.gaps(open_only=True) == []  # a rejected gap is not asked again
    with pytest.raises(ValueError):
        store.flag(PASSAGE, "q", "insulte")


def test_purge_removes_exactly_what_is_older_than_the_retention(tmp_path):
    store = _store(tmp_path)
    store.flag(PASSAGE, "q", "erreur")
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE gaps SET created = datetime('now', 'localtime', '-31 days') WHERE id <= 5")
        db.execute("UPDATE gaps SET created = datetime('now', 'localtime', '-29 days') WHERE id = 6")
        db.execute("UPDATE flags SET created = datetime('now', 'localtime', '-40 days')")
    assert store.purge(0) == 0
    assert store.purge(30) == 6  # five gaps and the flag
    assert [g["id"] for g in store.gaps()] == list(range(6, 15)) and store.flags() == []


def test_several_sessions_writing_at_once_lose_nothing(tmp_path):
    store = gaps.GapStore(tmp_path / "gaps.sqlite")
    errors: list[BaseException] = []

    def session(n: int) -> None:
        try:
            own = gaps.GapStore(store.path)  # each app session opens the store itself
            for i in range(25):
                own.record_gap(f"Question {n}-{i} ?", ABSTAINED, [], "abstention")
                own.flag(PASSAGE, f"Question {n}-{i} ?", "manque")
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert len(store.gaps()) == 200 and len(store.flags()) == 200
    assert len({g["question"] for g in store.gaps()}) == 200


def test_a_gap_is_marked_covered_once_a_deliverable_answers_it(settings):
    s = dataclasses.replace(settings, min_dense_score=0.0)
    write_md(s.corpus_dir, "donnees.md", "# Données\n\nPour publier les données ouvertes, créez un compte.\n")
    a = indexed_assistant(s)
    question = "Comment installer des composteurs partagés dans le quartier ?"
    answer = a.ask(question)
    assert answer.abstained
    store = gaps.gap_store(s)
    store.record_gap(question, answer, a.retriever.search(question), "abstention")
    write_md(
        s.corpus_dir,
        "compost.md",
        "# Composteurs partagés\n\nPour installer des composteurs partagés dans le quartier, réunissez les "
        "habitants, choisissez un emplacement, puis formez des référents.\n",
    )
    report = run_ingest(s, embedder=HashEmbedder(256), progress=False)
    assert report.gaps_covered == ["compost.md"]
    assert store.gaps()[0]["covered_by"] == "compost.md" and store.gaps(open_only=True) == []
    assert "Lacunes : 1 question(s) sans réponse désormais couverte(s) : compost.md (1)." in report.summary()


def test_exports_for_the_authors(tmp_path):
    store = _store(tmp_path)
    store.flag(PASSAGE, "Comment publier ?", "erreur", "lien mort")
    store.record_gap(
        "Comment publier le budget ?", Answer("x", "agent", "extractive", False, [PASSAGE]), [PASSAGE], "pouce_bas"
    )
    csv_text = gaps.to_csv(store.gaps(), store.flags())
    assert csv_text.splitlines()[0].startswith("type,id,date,nature,question,document,page,statut")
    assert "signalement" in csv_text and "lien mort" in csv_text and csv_text.count("lacune,") == 15
    md = gaps.report_for("pdf/g.pdf", "Guide", store.gaps(), store.flags())
    assert md.startswith("# Retours pour la prochaine version de « Guide »")
    assert "p. 2 — **Erreur** (Nouveau) : lien mort" in md and "« Comment publier le budget ? »" in md
