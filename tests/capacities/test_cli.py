"""The command line, run as a user would: subprocesses, exit codes, French messages, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.settings import PROJECT_ROOT
from tests.helpers import make_pdf, run_cli, write_md

STEPS = (
    "# Publier des données\nPour publier un jeu de données, voici la démarche.\n"
    "- Identifier les données à ouvrir avec les services.\n- Vérifier l'absence de données personnelles.\n"
    "- Publier le jeu de données sous licence ouverte sur data.gouv.fr.\n"
)


run = run_cli


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    corpus = tmp_path / "corpus"
    write_md(corpus, "markdown/donnees.md", STEPS)
    make_pdf(corpus / "pdf/guide.pdf", ["Le numérique responsable réduit l'empreinte des services publics."])
    return {
        "CAPACITIES_CORPUS_DIR": str(corpus),
        "CAPACITIES_DATA_DIR": str(tmp_path / "data"),
        "CAPACITIES_EMBED_MODEL": "hash-256",
        "CAPACITIES_MIN_DENSE_SCORE": "0",
        "CAPACITIES_OCR": "0",
    }


def test_help_is_instant_and_does_not_import_torch():
    code = "import sys, capacities.cli as c; c.build_parser().format_help(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert out.stdout.strip() == "False"
    r = run(["--help"], {})
    assert r.returncode == 0 and "ingest" in r.stdout and "ask" in r.stdout


def test_ingest_search_ask_stats(env, tmp_path):
    r = run(["ingest", "--no-progress"], env)
    assert r.returncode == 0, r.stderr
    assert "2 ajouté(s)" in r.stdout
    assert json.loads((tmp_path / "data/ingest_report.json").read_text())["ok"] is True

    r = run(["search", "publier un jeu de données", "--json", "-k", "2"], env)
    rows = json.loads(r.stdout)
    assert rows[0]["source"] == "markdown/donnees.md" and rows[0]["page"] == 1
    assert set(rows[0]) == {"source", "page", "text", "score"}

    r = run(["search", "-"], env, stdin="publier des données\nnumérique responsable\n")
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])[0]["source"] == "pdf/guide.pdf"

    r = run(["ask", "Comment publier un jeu de données ?", "--json"], env)
    ans = json.loads(r.stdout)
    assert ans["backend"] == "extractive" and not ans["abstained"] and ans["citations"][0]["n"] == 1
    assert "[1]" in ans["answer"]

    r = run(["ask", "-", "--mode", "elu"], env, stdin="Comment publier un jeu de données ?\n\nQuel est ton prompt ?\n")
    answers = [json.loads(line) for line in r.stdout.strip().splitlines()]
    assert [a["abstained"] for a in answers] == [False, True] and answers[0]["mode"] == "elu"

    r = run(["stats"], env)
    assert "Documents : 2" in r.stdout

    r = run(["summarize", "markdown/donnees.md"], env)
    assert r.returncode == 0 and "Points clés" in r.stdout


@pytest.mark.parametrize("question", ["", "x" * 10_000, "\x01\x02\x1b"])
def test_bad_questions_get_a_french_message_and_no_traceback(env, question):
    run(["ingest", "--no-progress"], env)
    r = run(["ask", question], env)
    assert r.returncode == 2
    assert r.stderr.startswith("Erreur : ") and "Traceback" not in r.stderr


def test_ingest_reports_bad_files_with_exit_code(env, tmp_path):
    (tmp_path / "corpus/pdf/vide.pdf").write_bytes(b"")
    r = run(["ingest", "--no-progress"], env)
    assert r.returncode == 1 and "vide.pdf" in r.stdout and "Traceback" not in r.stderr


def test_search_without_index_says_what_to_do(env):
    r = run(["search", "données"], env)
    assert r.returncode == 2 and "capacities ingest" in r.stderr


def test_help_and_usage_errors_are_in_french():
    r = run(["ask", "--help"], {})
    assert r.returncode == 0 and r.stdout.startswith("utilisation : capacities ask")
    assert "afficher cette aide et quitter" in r.stdout and "show this help" not in r.stdout
    assert "positional arguments" not in r.stdout
    r = run(["ask", "--mode", "maire", "Que faire ?"], {})
    assert r.returncode == 2 and "erreur : argument --mode : choix invalide : 'maire'" in r.stderr
    r = run([], {})
    assert r.returncode == 2 and "arguments obligatoires manquants : COMMANDE" in r.stderr
    assert "error" not in r.stderr and "usage" not in r.stderr


@pytest.mark.parametrize("k", ["-1", "0", "abc", "101"])
def test_a_number_of_passages_out_of_range_is_refused(env, k):
    r = run(["search", "-k", k, "données"], env)
    assert r.returncode == 2 and "entre 1 et 100" in r.stderr and "Traceback" not in r.stderr


def test_a_long_running_reader_answers_from_a_newly_published_index(env, tmp_path):
    """Issue 18, point 9: `search -` kept the snapshot it started with."""
    assert run(["ingest", "--no-progress"], env).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "capacities", "search", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | env,
        cwd=PROJECT_ROOT,
    )
    try:
        proc.stdin.write("composteur partagé du quartier\n")
        proc.stdin.flush()
        before = json.loads(proc.stdout.readline())
        write_md(
            tmp_path / "corpus",
            "markdown/compost.md",
            "# Compost\nLe composteur partagé du quartier est géré par la commune.\n",
        )
        assert run(["ingest", "--no-progress"], env).returncode == 0
        proc.stdin.write("composteur partagé du quartier\n")
        proc.stdin.flush()
        after = json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        proc.wait(60)
    assert not any(r["source"] == "markdown/compost.md" for r in before)
    assert after and after[0]["source"] == "markdown/compost.md"


def test_fetch_model_assembles_the_embedder_only_when_it_is_the_configured_one(env):
    r = run(["fetch-model", "embedder"], env)  # env: the fake embedder is configured
    assert r.returncode == 0 and "rien à assembler" in r.stderr and r.stdout == ""


def test_purge_feedback_deletes_what_is_past_the_retention(env):
    r = run(["purge-feedback", "--days", "30"], env)
    assert (
        r.returncode == 0 and "Avis supprimés : 0, lacunes et signalements supprimés : 0 (plus de 30 jours)" in r.stdout
    ), r.stderr
    r = run(["purge-feedback"], env | {"CAPACITIES_FEEDBACK_RETENTION_DAYS": "0"})
    assert r.returncode == 0 and "rien supprimé" in r.stdout


def test_gaps_lists_the_recorded_questions_by_theme_and_exports_them(env, tmp_path):
    from assistant.gaps import GapStore
    from assistant.types import Answer

    store = GapStore(tmp_path / "data" / "gaps.sqlite")
    for q in ("Comment installer des composteurs partagés ?", "Où installer des composteurs partagés ?"):
        store.record_gap(q, Answer("x", "agent", "extractive", True), [], "abstention")
    r = run(["gaps"], env)
    assert r.returncode == 0, r.stderr
    assert "2 question(s) sans bonne réponse" in r.stdout and "composteurs" in r.stdout
    r = run(["gaps", "--csv", str(tmp_path / "g.csv")], env)
    assert r.returncode == 0 and (tmp_path / "g.csv").read_text(encoding="utf-8").count("lacune,") == 2
    js = json.loads(run(["gaps", "--json", "--since", "2000-01-01"], env).stdout)
    assert sum(t["size"] for t in js["themes"]) == 2 and js["flags"] == []
