"""Parcours projet with the fake embedder: the file and its errors, the checklists, answers built at
ingestion and kept where retrieval did not change, coverage, and the exports read back."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest

from assistant import parcours
from assistant.errors import CapacitiesError
from assistant.types import Answer
from ingest.pipeline import run_ingest
from tests.fakes import HashEmbedder
from tests.helpers import PASSAGE, indexed_assistant, write_md

TOML = """
[stages.donnees]
title = "Données"
when = "Le projet s'appuie sur des données."
questions = ["Comment publier les données ouvertes de la commune ?", "Comment choisir la licence des données ?"]

[stages.achat]
title = "Achat"
when = "Il faut acheter du matériel."
questions = ["Comment acheter des ordinateurs reconditionnés ?", "Comment rédiger le cahier des charges ?"]

[stages.achat.roles.entreprise]
questions = ["Comment répondre au marché public ?"]

[stages.climat]
title = "Climat"
when = "Une étape que le corpus ne couvre pas."
questions = ["Quelle est la recette de la tarte tatin ?"]

[profiles.commune_petite]
label = "Commune de moins de 3 500 habitants"
donnees = "L'ouverture n'est pas obligatoire."
"""

DONNEES = (
    "# Publier les données ouvertes\n\nPour publier les données ouvertes de la commune, créez un compte. "
    "Décrivez chaque jeu de données ouvertes. Choisissez la licence ouverte des données. "
    "Publiez les données ouvertes sur le portail.\n"
)
ACHAT = (
    "# Acheter reconditionné\n\nPour acheter des ordinateurs reconditionnés, recensez le parc. "
    "Rédigez le cahier des charges du marché. Demandez des ordinateurs reconditionnés garantis. "
    "Vérifiez les offres du marché public.\n"
)


def _settings(settings):
    # one passage per question: a new deliverable enters the retrieval of the questions it answers only
    return dataclasses.replace(settings, top_k=1, candidates=2, max_per_page=1)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ('[stages.a]\ntitle = "A"\nwhen = "w"\nquestions = ["q"\n', 4, "TOML illisible"),
        ('\n\n[stages.a]\nwhen = "w"\nquestions = ["q"]\n', 3, "n'a pas de « title »"),
        ('[stages.a]\ntitle = "A"\nwhen = "w"\nquestions = []\n', 1, "liste « questions »"),
        (TOML.replace("roles.entreprise", "roles.maire"), 12, "rôle inconnu « maire »"),
        (TOML.replace("donnees = \"L'ouverture", "plateforme = \"L'ouverture"), 20, "étape inconnue : plateforme"),
        ('title = "rien"\n', 1, "aucune étape"),
    ],
)
def test_a_bad_parcours_gets_a_french_error_naming_the_line(text, line, what):
    with pytest.raises(CapacitiesError, match=f"parcours.toml, ligne {line} : .*{what}"):
        parcours.parse(text)


def test_the_parcours_reads_its_stages_roles_and_profiles_in_order():
    p = parcours.parse(TOML)
    assert [s.id for s in p.stages] == ["donnees", "achat", "climat"]
    assert p.stage("achat").questions_for("entreprise")[-1] == "Comment répondre au marché public ?"
    assert p.stage("achat").questions_for("elu") == p.stage("achat").questions
    assert p.next_stage("donnees").id == "achat" and p.next_stage("climat") is None
    assert p.profiles[0].notes == {"donnees": "L'ouverture n'est pas obligatoire."}
    with pytest.raises(CapacitiesError, match="Étape inconnue"):
        p.stage("budget")


def test_steps_are_the_cited_items_and_sentences_of_an_answer():
    agent = Answer(
        "Voici comment procéder, d'après les livrables :\n**Publier**\n"
        "1. Créez un compte. [1]\n2. Décrivez le jeu. [1][2]\n"
        "Pour aller plus loin, lisez ceci :\n\nPour aller plus loin :\n- [1] Guide (a.pdf), p. 2",
        "agent",
        "extractive",
        False,
    )
    assert [(s.text, s.citations) for s in parcours.steps(agent)] == [
        ("Créez un compte.", (1,)),
        ("Décrivez le jeu.", (1, 2)),
    ]
    elu = Answer(
        "**En bref**\nL'open data est la règle. [1] Elle aide les habitants. [2]\n\n"
        "**Pour votre collectivité**\n- Un coût. [1]",
        "elu",
        "extractive",
        False,
    )
    assert [s.citations for s in parcours.steps(elu)] == [(1,), (2,), (1,)]


def test_answers_are_built_at_ingestion_and_a_new_deliverable_changes_only_the_stages_it_touches(settings):
    s = _settings(settings)
    (s.corpus_dir / "parcours.toml").write_text(TOML, encoding="utf-8")
    write_md(s.corpus_dir, "donnees.md", DONNEES)
    first = run_ingest(s, embedder=HashEmbedder(256), progress=False)
    assert first.ok and first.parcours_changed == ["donnees", "achat", "climat"]
    before = parcours.Roadmaps.read(s.roadmaps_path)
    assert before.snapshot and len(before.entries) == 2 * 5 + 1  # agent and élu answers, and the company's one

    write_md(s.corpus_dir, "achat.md", ACHAT)
    second = run_ingest(s, embedder=HashEmbedder(256), progress=False)
    assert second.parcours_changed == ["achat"]
    after = parcours.Roadmaps.read(s.roadmaps_path)
    for key, entry in after.entries.items():
        same = entry.answer == before.entries[key].answer
        assert same == (key[1] not in after.parcours.stage("achat").questions_for("entreprise")), key
    assert {p.source for e in after.for_stage("achat", "agent") for p in e.answer.citations} == {"achat.md"}
    assert "Parcours projet : réponses recalculées pour achat." in second.summary()


def test_a_reader_of_a_newer_snapshot_computes_what_is_missing_and_keeps_it(settings):
    s = _settings(settings)
    (s.corpus_dir / "parcours.toml").write_text(TOML, encoding="utf-8")
    write_md(s.corpus_dir, "donnees.md", DONNEES)
    a = indexed_assistant(s)
    s.roadmaps_path.unlink()  # as after a restore: nothing computed for this snapshot
    roadmaps, warning = parcours.current(a, s)
    assert warning is None and roadmaps.snapshot == a.retriever.lexical.digest
    assert parcours.Roadmaps.read(s.roadmaps_path).snapshot == roadmaps.snapshot


def test_a_bad_file_keeps_the_last_valid_parcours_in_service(settings):
    s = _settings(settings)
    (s.corpus_dir / "parcours.toml").write_text(TOML, encoding="utf-8")
    write_md(s.corpus_dir, "donnees.md", DONNEES)
    a = indexed_assistant(s)
    (s.corpus_dir / "parcours.toml").write_text("[stages.x\n", encoding="utf-8")
    roadmaps, warning = parcours.current(a, s)
    assert "ligne 1" in warning and "Le dernier parcours valide reste en service." in warning
    assert [st.id for st in roadmaps.parcours.stages] == ["donnees", "achat", "climat"]
    report = run_ingest(s, embedder=HashEmbedder(256), progress=False)
    assert "dernier parcours valide" in report.parcours_warning
    s.roadmaps_path.unlink()
    with pytest.raises(CapacitiesError, match="ligne 1"):  # nothing valid to fall back on
        parcours.load(s.parcours_path, s.roadmaps_path)


def test_coverage_names_the_questions_the_corpus_answers_poorly(settings):
    s = _settings(settings)
    (s.corpus_dir / "parcours.toml").write_text(TOML, encoding="utf-8")
    write_md(s.corpus_dir, "donnees.md", DONNEES)
    roadmaps, _ = parcours.current(indexed_assistant(s), s)
    rows = {r["stage"]: r for r in parcours.coverage(roadmaps)}
    assert rows["donnees"]["documents"] == 1 and rows["donnees"]["pages"] == 1
    assert [p["why"] for p in rows["climat"]["poor"]] == ["sans réponse", "sans réponse"]  # agent, élu
    assert all(p["why"] != "sans réponse" for p in rows["donnees"]["poor"])


def _sheet() -> parcours.Sheet:
    stage = parcours.parse(TOML).stage("donnees")
    other = dataclasses.replace(PASSAGE, source="pdf/autre.pdf", title="Autre guide", page_start=5, page_end=5)
    answers = [
        Answer(
            "1. Créez une organisation. [1]\n2. Publiez le fichier. [2]\n3. Décrivez-le. [1]",
            "agent",
            "extractive",
            False,
            [PASSAGE, other],
        ),
        Answer("1. Choisissez la Licence Ouverte. [1]", "agent", "extractive", False, [other]),
    ]
    entries = [parcours.Entry("agent", q, [], a) for q, a in zip(stage.questions, answers, strict=True)]
    profile = parcours.parse(TOML).profiles[0]
    return parcours.Sheet(stage, "agent", entries, profile, done={(0, 1)}, notes={0: "Fait par le service SIG"})


def test_the_markdown_export_has_a_checklist_and_footnotes():
    md = parcours.to_markdown(_sheet())
    assert "- [ ] Créez une organisation.[^1]" in md and "- [x] Publiez le fichier.[^2]" in md
    assert "- [ ] Choisissez la Licence Ouverte.[^2]" in md  # the same source keeps its number
    assert "[^1]: Guide \\(pdf/g.pdf\\), p. 2" in md and "[^2]: Autre guide \\(pdf/autre.pdf\\), p. 5" in md
    assert "Note : Fait par le service SIG" in md and "L'ouverture n'est pas obligatoire." in md


def test_the_docx_export_opens_and_holds_every_step_and_footnote():
    from docx import Document

    doc = Document(io.BytesIO(parcours.to_docx(_sheet())))
    paras = [p.text for p in doc.paragraphs]
    assert "☐ Créez une organisation.1" in paras and "☑ Publiez le fichier.2" in paras
    superscripts = [r.text for p in doc.paragraphs for r in p.runs if r.font.superscript]
    assert superscripts == ["1", "2", "1", "2"]
    assert "1. Guide (pdf/g.pdf), p. 2" in paras and "2. Autre guide (pdf/autre.pdf), p. 5" in paras
    assert doc.core_properties.title == "Parcours projet — Données"
    assert json.dumps(paras, ensure_ascii=False).count("Sources") == 1
